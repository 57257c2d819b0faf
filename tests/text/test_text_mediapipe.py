"""The "mediapipe" rules against MediaPipe itself: identical ids from MediaPipe Tasks' `TextClassifier`.

MediaPipe (0.10.21, in its own venv) tokenizes with its own BERT tokenizer; a probe model reads
its ids out (`mediapipe_probe.py`). Compared with the pure-Python twin (`WordPieceEncoder`) and
the in-graph tokenizer used in training (`make_tf_tokenizer`): SST-2's test sentences,
generated hard strings, and every code point but the surrogates.
"""

from __future__ import annotations

import random
import re

import pytest
import tensorflow as tf
from mediapipe_probe import mediapipe_token_ids

from fnet_keras.text import (
    SPECIAL_TOKENS,
    UNK_ID,
    TokenizerConfig,
    WordPieceEncoder,
)
from fnet_keras.text.learn import learn_vocabulary
from fnet_keras.text.mediapipe_rules import pretokenize_mediapipe
from fnet_keras.text.tf_tokenizer import make_tf_tokenizer

WHITESPACE = re.compile(r"\s")  # str.isspace: no vocabulary token holds one

SEQUENCE_LENGTH = 128
CONFIG = TokenizerConfig(sequence_length=SEQUENCE_LENGTH)

# Characters where the rule sets differ or MediaPipe could surprise: cased and accented letters
# (ASCII and not), compatibility forms NFKC would change, combining marks, CJK, emoji with ZWJ
# and skin tones, punctuation (ASCII, Unicode, Unicode 15.0 only), every Unicode space,
# controls, format characters, private use.
HARD = (
    "aAzZ09éÉèÈçÇñÑüÜöÖßẞſİıΣσςΑαάЁёЖж"
    "ﬁﬃｆｉｌｍＡ①²½ℌ\u2126\u212a\u212b\u0149\u0301\u0308\u0327\u20dd\u093f\u0903\u00b4"
    "東京中文字\u3400\uf900\U00020000\U0002f800한국어ひらがなカタカナｶﾀｶﾅ"
    "😀👍🏽👨\u200d👩\u200d👧\ufe0f\u20e3"
    ",.!?;:'\"()[]{}<>@#$%^&*-_=+|\\/~`\u00a1\u00bf\u2014\u2026\u3001\u3002\u300c\u300d\uff01\uff03"
    "\U00011b00\U00011f43\U00011f4f\u0e4f\u104a"
    " \t\n\r\f\x0b\x1c\x85\u00a0\u1680\u2003\u2028\u2029\u202f\u205f\u3000"
    "\x01\x07\x1f\x7f\u0080\u009f\u200b\u200c\u200d\u2060\ufeff\u00ad\u061c\u3164\ue000\U000f0000"
)
WORDS = (
    "the a film movie is was n't it 's and of to good bad great boring fun story acting plot love hate "
    "best worst funny sad long short director actors scene ending music characters script "
    "café Café CAFÉ cliché Cliché naïve Über über straße Straße ﬁlm ｆｉｌｍ Ｆｉｌｍ 東京 привет ПРИВЕТ "
    "καλημέρα Καλημέρα 한국어 😀 hello Hello HELLO world World résumé RÉSUMÉ"
).split()


SPACES_AND_MARKS = " \t\n\u00a0\u3000\u2003\u200b\x0b.,!?#…—"


def _generated_texts(count: int, seed: int, vocabulary: list[str]) -> list[str]:
    """Texts of random fragments: hard characters, words, pieces, spaces, long words, any code point."""
    rng = random.Random(seed)
    pieces = [token.removeprefix("##") for token in vocabulary[len(SPECIAL_TOKENS) :] if token != "##"]

    def any_code_point() -> str:
        code_point = rng.randrange(1, 0x110000)
        return "?" if 0xD800 <= code_point <= 0xDFFF else chr(code_point)

    def case_mixed(word: str) -> str:
        return "".join(char.upper() if rng.random() < 0.3 else char for char in word)

    fragments = [
        lambda: "".join(rng.choice(HARD) for _ in range(rng.randint(1, 6))),
        lambda: case_mixed(rng.choice(WORDS)),
        lambda: case_mixed(rng.choice(pieces)),
        lambda: rng.choice(WORDS) + rng.choice(pieces),
        any_code_point,
        lambda: "".join(rng.choice(SPACES_AND_MARKS) for _ in range(rng.randint(1, 4))),
        # Words around MediaPipe's 100-byte limit, with 1- to 4-byte characters.
        lambda: rng.choice(["a", "é", "Ñ", "ab", "x\u0301", "😀", "\u0905"]) * rng.randint(20, 110),
        lambda: "\x00" if rng.random() < 0.2 else " ",  # The text ends at U+0000.
    ]
    return ["".join(rng.choice(fragments)() for _ in range(rng.randint(0, 12))) for _ in range(count)]


@pytest.fixture(scope="module")
def vocabulary() -> list[str]:
    """Learned under the "mediapipe" rules, plus a piece and a continuation for each hard character."""
    rng = random.Random(0)
    corpus = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) for _ in range(600)]
    learned = learn_vocabulary(corpus, vocabulary_size=600, config=CONFIG)
    letters = [chr(code_point) for code_point in range(ord("a"), ord("z") + 1)]
    extra = [word for char in HARD + "".join(letters) for word in pretokenize_mediapipe(char)]
    extra = [token for word in extra for token in (word, "##" + word) if not any(c.isspace() for c in token)]
    return list(dict.fromkeys(learned + extra))


@pytest.fixture(scope="module")
def hard_texts(vocabulary) -> list[str]:
    explicit = [
        "",
        " ",
        "\x00",
        "\x00the film",
        "the\x00 film",
        "The Film, CAFÉ café Café cliché cliche\u0301 ﬁlm ｆｉｌｍ",
        "a\u00a0b c\u3000d e\u2003f g\x0bh i\x85j k\u200bl m\u00adn",
        "[CLS] [SEP] [UNK] [PAD] ## #film",
        "a" * 100 + " " + "a" * 101 + " " + "é" * 50 + " " + "é" * 51 + " " + "😀" * 25 + " " + "😀" * 26,
        "the film " * 100,  # longer than SEQUENCE_LENGTH: truncated
        "東" * 300,
        "\U00011b00x\U00011f4fy\u0e4fz",  # Unicode 15.0 punctuation (Python 3.11 knows 14.0)
    ]
    return explicit + _generated_texts(1500, seed=1, vocabulary=vocabulary)


@pytest.fixture(scope="module")
def mediapipe_ids(request, vocabulary, hard_texts, tmp_path_factory) -> dict[str, list]:
    """MediaPipe's ids for the hard texts and, when the data is there, SST-2's test sentences."""
    try:
        sst2 = request.getfixturevalue("sst2_test_sentences")
    except pytest.skip.Exception:
        sst2 = []
    texts = hard_texts + sst2
    ids = mediapipe_token_ids(vocabulary, texts, SEQUENCE_LENGTH, tmp_path_factory.mktemp("mediapipe"))
    return {"hard": ids[: len(hard_texts)], "sst2": ids[len(hard_texts) :]}


def _first_difference(texts, actual, expected) -> str:
    for text, mine, theirs in zip(texts, actual, expected, strict=True):
        if mine != theirs:
            return f"text {text!r:.200}: ours {mine} != MediaPipe's {theirs}"
    return ""


def _tf_ids(vocabulary, texts) -> list[list[int]]:
    tokenizer = make_tf_tokenizer(vocabulary, CONFIG)
    return tokenizer(tf.constant([text.encode("utf-8") for text in texts], tf.string)).numpy().tolist()


def test_hard_strings_get_mediapipes_ids(vocabulary, hard_texts, mediapipe_ids):
    expected = mediapipe_ids["hard"]
    encoder = WordPieceEncoder(vocabulary, CONFIG)
    assert not _first_difference(hard_texts, encoder.encode_batch(hard_texts), expected)
    assert not _first_difference(hard_texts, _tf_ids(vocabulary, hard_texts), expected)
    # The comparison has teeth: real pieces, unknown words, truncation and the rule sets differ.
    flat = [token_id for row in expected for token_id in row]
    assert flat.count(1) < 0.2 * sum(token_id > 3 for token_id in flat)
    assert sum(row[-1] == 3 for row in expected) >= 2, "some texts fill the length or are truncated"
    keras_hub_config = TokenizerConfig(rules="keras_hub", sequence_length=SEQUENCE_LENGTH)
    keras_hub = WordPieceEncoder(vocabulary, keras_hub_config)
    differing = sum(keras_hub.encode(text) != row for text, row in zip(hard_texts, expected, strict=True))
    assert differing > len(hard_texts) / 3, "the keras_hub rules are not MediaPipe's"


def test_sst2_test_sentences_get_mediapipes_ids(vocabulary, sst2_test_sentences, mediapipe_ids):
    expected = mediapipe_ids["sst2"]
    assert len(expected) == len(sst2_test_sentences) == 872
    encoder = WordPieceEncoder(vocabulary, CONFIG)
    assert not _first_difference(sst2_test_sentences, encoder.encode_batch(sst2_test_sentences), expected)
    assert not _first_difference(sst2_test_sentences, _tf_ids(vocabulary, sst2_test_sentences), expected)


@pytest.mark.slow
def test_every_code_point_gets_mediapipes_ids(tmp_path):
    """All 1,112,063 code points but U+0000 (the end of text) and surrogates, 16 at a time in a word.

    The vocabulary holds every word the twin makes of those texts (but words with whitespace,
    which no vocabulary file can hold): a code point that MediaPipe splits, drops, keeps or
    lower-cases otherwise than the twin changes a word, and the word's id with it.
    """
    length = 65536  # Few long texts: MediaPipe's cost is per position.
    code_points = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    groups = ["".join(map(chr, code_points[i : i + 16])) for i in range(0, len(code_points), 16)]
    group_words = [pretokenize_mediapipe(group) for group in groups]
    words = {word for words in group_words for word in words if not WHITESPACE.search(word)}
    vocabulary = [*SPECIAL_TOKENS, *sorted(words)]
    texts, text, count = [], [], 0
    for group, words in zip(groups, group_words, strict=True):
        if count + len(words) > length - 3:  # Each word is one token; room for [CLS], [SEP], a [PAD].
            texts.append(" ".join(text))
            text, count = [], 0
        text.append(group)
        count += len(words)
    texts.append(" ".join(text))
    ours = WordPieceEncoder(vocabulary, TokenizerConfig(sequence_length=length)).encode_batch(texts)
    assert all(row[-1] == 0 for row in ours), "no text is truncated"
    theirs = mediapipe_token_ids(vocabulary, texts, length, tmp_path)
    for text, mine, expected in zip(texts, ours, theirs, strict=True):
        if mine != expected:
            position = next(i for i, (a, b) in enumerate(zip(mine, expected, strict=True)) if a != b)
            tokens = [vocabulary[i] for i in (mine[position], expected[position])]
            pytest.fail(f"position {position} of the text from {text[:12]!r}: ours, MediaPipe's: {tokens}")
    assert len(texts) <= 4 and sum(map(len, group_words)) > 140_000
    assert sum(row.count(UNK_ID) for row in theirs) < 100, "words are real tokens, whose ids tell them apart"
