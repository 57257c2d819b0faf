"""The transfer set's perturbations (Tang et al. 2019): each rule alone, determinism, neighbours."""

import random

import numpy as np
import pytest

from fnet_keras.training.augment import (
    MASK_WORD,
    AugmentRules,
    augment_text,
    augment_texts,
    embedding_neighbours,
)

WORDS = "the film is a gripping and funny ride".split()


def test_masking_alone_masks_words_and_keeps_the_rest_in_place():
    copy = augment_text(WORDS, AugmentRules(mask=0.5, replace=0, ngram=0), {}, random.Random(0))
    assert len(copy) == len(WORDS) and MASK_WORD in copy
    assert all(got in (word, MASK_WORD) for got, word in zip(copy, WORDS, strict=True))


def test_replacement_takes_a_neighbour_of_the_word():
    neighbours = {"funny": ["hilarious"], "film": ["movie"]}
    copy = augment_text(WORDS, AugmentRules(mask=0, replace=1, ngram=0), neighbours, random.Random(0))
    assert copy == "the movie is a gripping and hilarious ride".split()


def test_ngram_sampling_cuts_a_contiguous_span_of_at_most_five_words():
    for seed in range(20):
        copy = augment_text(WORDS, AugmentRules(mask=0, replace=0, ngram=1), {}, random.Random(seed))
        assert 1 <= len(copy) <= 5
        assert " ".join(copy) in " ".join(WORDS)


def test_copies_are_deterministic_counted_and_differ_from_their_text():
    texts = ["a gripping film", "dull , dull , dull", "yes"]
    first = augment_texts(texts, copies=3, seed=7)
    assert first == augment_texts(texts, copies=3, seed=7) and len(first) == 9
    assert first != augment_texts(texts, copies=3, seed=8)
    assert sum(copy != text for copy, text in zip(first, np.repeat(texts, 3), strict=True)) >= 7
    with pytest.raises(ValueError, match="copies"):
        augment_texts(texts, copies=0, seed=0)
    with pytest.raises(ValueError, match="mask"):
        AugmentRules(mask=1.5)


def test_neighbours_are_the_nearest_whole_words_by_cosine():
    vocabulary = ["[PAD]", "good", "great", "##s", "bad", "awful", "[MASK]"]
    table = np.array([[0, 0], [1, 0.1], [1, 0.2], [1, 0.15], [-1, 0.1], [-1, 0.2], [1, 0.1]])
    neighbours = embedding_neighbours(vocabulary, table, k=1)
    assert neighbours == {"good": ["great"], "great": ["good"], "bad": ["awful"], "awful": ["bad"]}
    assert embedding_neighbours(vocabulary, table, words={"bad"}, k=1) == {"bad": ["awful"]}


def test_sentences_are_sampled_from_documents_within_the_word_bounds():
    from fnet_keras.training.augment import sample_sentences

    documents = ["One two three four five six. Too short! " + " ".join(["long"] * 60) + ".",
                 "a b c d e f g? h i j k l m n o."]
    picked = sample_sentences(documents, 10, seed=0)
    assert picked == ["One two three four five six.", "a b c d e f g?", "h i j k l m n o."]
    assert sample_sentences(documents, 2, seed=1) == sample_sentences(documents, 2, seed=1)
    assert len(sample_sentences(documents, 2, seed=1)) == 2
    with pytest.raises(ValueError, match="sentences"):
        sample_sentences(documents, 0)
