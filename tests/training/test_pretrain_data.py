"""Pre-training data: reading documents, cutting windows, and the seeded order of masked batches."""

import gzip
import hashlib

import numpy as np
import pytest
from pretrain_text import write_text

from fnet_keras.data import DataError
from fnet_keras.text import TokenizerConfig, WordPieceEncoder
from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
from fnet_keras.training.pretrain_data import (
    Windows,
    cut_windows,
    pretraining_dataset,
    read_corpus,
    reload_corpus,
    tokenize_documents,
)

VOCABULARY = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "##s",
    ".",
]
PAD, CLS, SEP = 0, 2, 3


def test_a_corpus_is_every_source_in_order_and_reloads_only_unchanged(tmp_path):
    # Reading one source is fnet_keras.data.read_documents' job (tests/data); the corpus joins sources.
    first = write_text(tmp_path / "a.txt", ["first doc", "", "second doc"])
    folder = tmp_path / "more"
    write_text(folder / "b.txt", ["third doc"])
    (folder / "c.txt.gz").write_bytes(gzip.compress(b"fourth doc\n"))
    corpus = read_corpus([first, folder])
    assert corpus.texts == ["first doc", "second doc", "third doc", "fourth doc"]
    assert [path for path, _ in corpus.files()] == [str(first.resolve()), str(folder.resolve())]
    assert corpus.files()[0][1] == hashlib.sha256(first.read_bytes()).hexdigest()
    assert reload_corpus(corpus.source_info()).texts == corpus.texts
    first.write_text("changed\n")
    with pytest.raises(DataError, match="a.txt"):
        reload_corpus(corpus.source_info())
    with pytest.raises(DataError, match="absent.txt: no such file"):
        read_corpus([tmp_path / "absent.txt"])


def test_tokenize_documents_matches_the_python_encoder():
    texts = ["Alpha bravos.", "", "charlie delta echo " * 40, "zulu"]
    config = TokenizerConfig(sequence_length=8)
    pieces = tokenize_documents(make_tf_tokenizer(VOCABULARY, config), texts)
    encoder = WordPieceEncoder(VOCABULARY, config)
    assert [list(p) for p in pieces] == [encoder.token_ids(text) for text in texts]


def test_windows_cut_documents_front_to_back_with_short_tails():
    documents = [np.arange(10, 10 + n, dtype=np.int32) for n in (0, 3, 6, 7, 13)]
    windows = cut_windows(documents, sequence_length=8)  # 6 pieces per window
    expected = []  # a plain loop over each document
    for document in documents:
        for start in range(0, len(document), 6):
            expected.append(list(document[start : start + 6]))
    got = [list(windows.pieces[s : s + n]) for s, n in zip(windows.starts, windows.lengths, strict=True)]
    assert got == expected
    assert [len(w) for w in got] == [3, 6, 6, 1, 6, 6, 1]
    assert windows.summary() == {
        "documents": 5,
        "pieces": 29,
        "windows": 7,
        "full_windows": 4,
        "mean_window_pieces": 29 / 7,
    }
    np.testing.assert_array_equal(windows.packed(3), [CLS, 16, SEP, PAD, PAD, PAD, PAD, PAD])


def corpus(count=90, sequence_length=12):
    """`count` one-window documents of 1..10 pieces; the first piece (5 + index) tells them apart."""
    rng = np.random.default_rng(0)
    documents = [
        np.array([5 + i, *rng.integers(5, 900, rng.integers(0, 10))], np.int32) for i in range(count)
    ]
    return cut_windows(documents, sequence_length)


def batches(windows: Windows, first_step, count, part=None, batch_size=8, seed=4):
    dataset = pretraining_dataset(windows, batch_size, seed, first_step, 1000, 2, part=part)
    return list(dataset.take(count).as_numpy_iterator())


def unmasked(batch):
    """The packed windows of a batch, masks undone with the labels."""
    ids = batch["token_ids"].copy()
    for row, positions, labels, weights in zip(
        ids, batch["mask_positions"], batch["mask_ids"], batch["mask_weights"], strict=True
    ):
        row[positions[weights > 0]] = labels[weights > 0]
    return ids


def test_each_epoch_reads_every_window_once_in_a_seeded_order():
    windows = corpus()
    steps = len(windows) // 8
    packed = {tuple(windows.packed(i)) for i in range(len(windows))}
    epoch = [tuple(row) for batch in batches(windows, 0, steps) for row in unmasked(batch)]
    assert len(epoch) == len(set(epoch)) == steps * 8 and set(epoch) <= packed
    second = [tuple(row) for batch in batches(windows, steps, steps) for row in unmasked(batch)]
    assert second != epoch and set(second) <= packed
    other_seed = [tuple(row) for batch in batches(windows, 0, steps, seed=5) for row in unmasked(batch)]
    assert other_seed != epoch


def test_resuming_at_any_step_gives_the_same_batches():
    windows = corpus()
    steps = len(windows) // 8
    whole = batches(windows, 0, 2 * steps + 3)
    for first in (1, steps - 1, steps, steps + 2):
        resumed = batches(windows, first, 3)
        for a, b in zip(whole[first : first + 3], resumed, strict=True):
            for key in a:
                np.testing.assert_array_equal(a[key], b[key])


def test_replica_parts_split_each_global_batch():
    windows = corpus()
    whole = batches(windows, 5, 4)
    parts = [batches(windows, 5, 4, part=(index, 3)) for index in range(3)]  # 8 = 2 + 3 + 3
    for step, batch in enumerate(whole):
        for key in batch:
            joined = np.concatenate([part[step][key] for part in parts])
            np.testing.assert_array_equal(joined, batch[key])


def test_too_little_text_for_a_batch():
    windows = cut_windows([np.arange(5, 9, dtype=np.int32)] * 3, 12)
    with pytest.raises(ValueError, match="3 window.*fewer than one batch of 8"):
        pretraining_dataset(windows, 8, 0, 0, len(VOCABULARY), 2)
