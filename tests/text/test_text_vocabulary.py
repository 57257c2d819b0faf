"""Vocabulary learning (keras-hub's learner), validation, atomic save and load."""

import random

import pytest

from fnet_keras.text import (
    SPECIAL_TOKENS,
    TokenizerConfig,
    TokenizerError,
    load_vocabulary,
    save_vocabulary,
    validate_vocabulary,
)
from fnet_keras.text.mediapipe_rules import pretokenize_mediapipe
from fnet_keras.text.wordpiece import nfkc_casefold

WORDS = [
    "Café",
    "naïve",
    "Über",
    "straße",
    "東京",
    "日本語",
    "привет",
    "Καλημέρα",
    "한국어",
    "😀",
    "the",
    "films",
    "playing",
]


def make_corpus(sentences: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8))) + rng.choice([".", "!", ""])
        for _ in range(sentences)
    ]


@pytest.fixture(scope="module")
def learn_vocabulary():
    from fnet_keras.text.learn import learn_vocabulary

    return learn_vocabulary


KERAS_HUB = TokenizerConfig(rules="keras_hub")


def test_learned_vocabulary_starts_with_specials_and_respects_the_bound(learn_vocabulary):
    corpus = make_corpus(400)
    small = learn_vocabulary(corpus, vocabulary_size=40, config=KERAS_HUB)
    large = learn_vocabulary(corpus, vocabulary_size=400, config=KERAS_HUB)
    assert tuple(small[:5]) == SPECIAL_TOKENS == tuple(large[:5])
    assert len(small) <= 40 < len(large) <= 400
    assert len(set(large)) == len(large)
    pieces = [token.removeprefix("##") for token in large[5:]]
    assert all(nfkc_casefold(piece) == piece for piece in pieces), "lowercase=True: tokens are case folded"
    assert "é" not in "".join(pieces) and "e" in "".join(pieces), "strip_accents=True: é became e"
    assert {"東", "京", "日", "本", "語", "cafe", "strasse"} <= set(large), "CJK alone; ß folds to ss"


def test_learning_under_mediapipe_rules_gives_the_twins_pieces(learn_vocabulary):
    corpus = make_corpus(400) + ["CAFÉ ﬁlm ｆｉｌｍ CLICHÉ a\u00a0b Hello\x0bWorld"] * 40
    vocabulary = learn_vocabulary(corpus, vocabulary_size=400, config=TokenizerConfig())
    words = {word for text in corpus for word in pretokenize_mediapipe(text)}
    for token in vocabulary[len(SPECIAL_TOKENS) :]:
        piece = token.removeprefix("##")
        if len(piece) == 1:  # the learner adds each character of the words, alone and after "##"
            assert any(piece in word for word in words), token
        elif token.startswith("##"):  # a continuation: inside a word, after its start
            assert any(piece in word[1:] for word in words), token
        else:  # a word start
            assert any(word.startswith(piece) for word in words), token
    # Only A-Z is lower-cased; accents, NFKC forms and non-ASCII capitals stay.
    kept = {"café", "cafÉ", "clichÉ", "ﬁlm", "ｆｉｌｍ", "Über", "straße", "Καλημέρα", "東", "京"}
    assert kept <= set(vocabulary)
    assert not {"cafe", "film", "über", "καλημέρα", "東京"} & set(vocabulary)
    assert not any("A" <= char <= "Z" for token in vocabulary[len(SPECIAL_TOKENS) :] for char in token)
    # "a\u00a0b" and "hello\x0bworld" are words, but no vocabulary line can hold them.
    assert {"a\u00a0b", "hello\x0bworld"} <= words
    assert not any(char.isspace() for token in vocabulary for char in token)


def test_learning_follows_the_config(learn_vocabulary):
    config = TokenizerConfig(rules="keras_hub", lowercase=False, strip_accents=False, split_on_cjk=False)
    vocabulary = learn_vocabulary(make_corpus(400), vocabulary_size=400, config=config)
    assert {"Café", "Über", "東京", "日本語"} <= set(vocabulary)


def test_learning_maps_unicode_spaces_first(learn_vocabulary):
    vocabulary = learn_vocabulary(["alpha\u00a0beta\u3000gamma"] * 30, vocabulary_size=100, config=KERAS_HUB)
    assert {"alpha", "beta", "gamma"} <= set(vocabulary)


def test_learned_tokens_with_whitespace_are_dropped(learn_vocabulary):
    # NFKC case folding turns U+00B4 ACUTE ACCENT into U+0020 U+0301 inside the word.
    corpus = ["x\u00b4y x\u00b4y z\u00b4"] * 40
    import keras_hub
    import tensorflow as tf

    raw = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices(corpus),
        100,
        lowercase=True,
        strip_accents=True,
        reserved_tokens=list(SPECIAL_TOKENS),
    )
    assert any(" " in token for token in raw), "keras-hub's learner does learn such tokens"
    vocabulary = learn_vocabulary(corpus, vocabulary_size=100, config=KERAS_HUB)
    assert not any(char.isspace() for token in vocabulary for char in token)
    assert set(vocabulary) == {token for token in raw if " " not in token}


@pytest.mark.parametrize(
    "texts, size, message",
    [
        (["a b c"], 5, "vocabulary_size must be an integer above 5"),
        (["a b c"], 6.5, "vocabulary_size must be an integer above 5"),
        (["fine", b"bytes"], 100, "text 1 to learn from is not a str"),
        ([], 100, "no words to learn a vocabulary from in 0 text(s)"),
        (["  ", "\u200b\t"], 100, "no words to learn a vocabulary from in 2 text(s)"),
    ],
)
def test_learning_rejects_bad_input(learn_vocabulary, texts, size, message):
    with pytest.raises(TokenizerError) as error:
        learn_vocabulary(texts, vocabulary_size=size, config=KERAS_HUB)
    assert message in str(error.value)


def test_save_and_load_round_trip_byte_exact(tmp_path):
    tokens = [*SPECIAL_TOKENS, "a", "##b", "東", "é", "##😀", "##", "#", "\u1734"]
    path = save_vocabulary(tokens, tmp_path / "run" / "vocab.txt")
    assert path.read_bytes() == ("\n".join(tokens) + "\n").encode("utf-8")
    assert load_vocabulary(path) == tokens
    assert [p.name for p in path.parent.iterdir()] == ["vocab.txt"], "no temp file left behind"


def test_save_replaces_atomically_and_keeps_the_old_file_on_error(tmp_path):
    path = tmp_path / "vocab.txt"
    save_vocabulary([*SPECIAL_TOKENS, "old"], path)
    with pytest.raises(TokenizerError, match="repeats line 6"):
        save_vocabulary([*SPECIAL_TOKENS, "new", "new"], path)
    assert load_vocabulary(path) == [*SPECIAL_TOKENS, "old"]
    save_vocabulary([*SPECIAL_TOKENS, "new"], path)
    assert load_vocabulary(path) == [*SPECIAL_TOKENS, "new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab.txt"]


def test_load_accepts_a_missing_final_newline(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_bytes("\n".join([*SPECIAL_TOKENS, "x"]).encode())
    assert load_vocabulary(path) == [*SPECIAL_TOKENS, "x"]


SPECIALS = "\n".join(SPECIAL_TOKENS) + "\n"


@pytest.mark.parametrize(
    "content, message",
    [
        (SPECIALS + "a\nb\na\n", "line 8: vocabulary token 'a' repeats line 6"),
        (SPECIALS + "a\n\nb\n", "line 7: empty vocabulary token"),
        (SPECIALS.replace("\n", "\r\n"), "line 1: vocabulary token '[PAD]\\r' contains whitespace (CRLF"),
        (SPECIALS + "a b\n", "line 6: vocabulary token 'a b' contains whitespace"),
        ("[UNK]\n[PAD]\n", "line 1: expected special token '[PAD]', found '[UNK]'"),
        ("[PAD]\n[UNK]\n", "vocabulary has 2 token(s); it needs at least the special tokens"),
        ("", "vocabulary has 0 token(s)"),
        ("\ufeff" + SPECIALS, "line 1: vocabulary file starts with a byte-order mark"),
        (SPECIALS.encode() + b"ok\n\xff\xfe\n", "line 7: vocabulary file is not UTF-8"),
    ],
)
def test_load_names_the_file_and_line_at_fault(tmp_path, content, message):
    path = tmp_path / "vocab.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(TokenizerError) as error:
        load_vocabulary(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_load_missing_file_is_a_tokenizer_error(tmp_path):
    with pytest.raises(TokenizerError, match="cannot read vocabulary file: No such file"):
        load_vocabulary(tmp_path / "absent.txt")


def test_validate_rejects_non_strings_and_lone_surrogates():
    with pytest.raises(TokenizerError, match="line 6: vocabulary token must be a string, got 3"):
        validate_vocabulary([*SPECIAL_TOKENS, 3], path="v.txt")
    with pytest.raises(TokenizerError, match="lone surrogate"):
        validate_vocabulary([*SPECIAL_TOKENS, "\ud800"])


def test_learning_under_mediapipe_rules_rejects_texts_without_words(learn_vocabulary):
    with pytest.raises(TokenizerError, match="no words to learn a vocabulary from in 3 text"):
        learn_vocabulary(["  ", "\t\n\r\f", "\x00text after U+0000"], vocabulary_size=100)
