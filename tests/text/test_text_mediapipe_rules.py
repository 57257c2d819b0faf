"""The "mediapipe" rules by themselves: hand-checked examples, the literal tables, the in-graph twin.

MediaPipe itself is compared in test_text_mediapipe.py; here the examples are MediaPipe's
measured behaviour written out by hand, and every code point checks the twins against a plain
per-code-point reading of the rules.
"""

import unicodedata

import pytest
from support import skip_or_fail

from fnet_keras.text import SPECIAL_TOKENS, TokenizerConfig, WordPieceEncoder, pretokenize
from fnet_keras.text.charsets import ASCII_PUNCTUATION_RANGES, CJK_RANGES
from fnet_keras.text.mediapipe_rules import (
    KEPT_DELIMITER_RANGES,
    MEDIAPIPE_WHITESPACE,
    PUNCTUATION_RANGES,
    pretokenize_mediapipe,
    split_words_mediapipe,
)

VOCABULARY = [
    *SPECIAL_TOKENS,
    *"the film café cafe cliché cliche ##́ straße σ ##ας über a ##a é ##é , ! [ ] cls # 東 京 \x01".split(),
]
CONFIG = TokenizerConfig()


def tokens(text: str) -> list[str]:
    return WordPieceEncoder(VOCABULARY, CONFIG).tokenize(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The FILM, the Film!", ["the", "film", ",", "the", "film", "!"]),  # A-Z lower-cased
        ("CAFÉ Café café", ["[UNK]", "café", "café"]),  # É is not ASCII: "cafÉ" is no token
        ("cliché cliche\u0301", ["cliché", "cliche", "##́"]),  # accents kept, no NFC either
        ("ﬁlm ｆｉｌｍ Ｆilm", ["[UNK]", "[UNK]", "[UNK]"]),  # no NFKC
        ("Straße STRASSE ΣΑΣ σας Über", ["straße", "[UNK]", "[UNK]", "σ", "##ας", "[UNK]"]),
        ("the\u00a0film the\u3000film the\u2003film", ["[UNK]", "[UNK]", "[UNK]"]),  # one word each
        ("the\x0bfilm the\x85film the\u200bfilm the\u00adfilm", ["[UNK]"] * 4),  # VT, NEL, format
        ("the\tfilm\nthe\rfilm\fthe  film", ["the", "film", "the", "film", "the", "film"]),
        ("\x01 a\x01", ["\x01", "[UNK]"]),  # controls are text
        ("東京", ["東", "京"]),
        ("a\U00011b00a", ["a", "[UNK]", "a"]),  # Unicode 15.0 punctuation splits
        ("[CLS] #a", ["[", "cls", "]", "#", "a"]),
        ("the\x00 film", ["the"]),  # the text ends at U+0000
        ("\x00the", []),
        ("", []),
        (" \t\n\r\f ", []),
    ],
)
def test_mediapipe_rules(text, expected):
    assert tokens(text) == expected


def test_word_length_limit_counts_utf8_bytes():
    assert tokens("a" * 100) == ["a"] + ["##a"] * 99
    assert tokens("A" * 101) == ["[UNK]"]
    assert tokens("é" * 50) == ["é"] + ["##é"] * 49  # 100 bytes
    assert tokens("é" * 51) == ["[UNK]"]  # 102 bytes


def test_pretokenize_dispatches_on_the_rules():
    text = "Café ﬁlm a\u00a0b"
    assert pretokenize(text, CONFIG) == pretokenize_mediapipe(text) == ["café", "ﬁlm", "a\u00a0b"]
    assert pretokenize(text, TokenizerConfig(rules="keras_hub")) == ["cafe", "film", "a", "b"]


def test_encode_packs_like_mediapipe():
    encoder = WordPieceEncoder(VOCABULARY, TokenizerConfig(sequence_length=6))
    the, film = VOCABULARY.index("the"), VOCABULARY.index("film")
    assert encoder.encode("") == [2, 3, 0, 0, 0, 0]
    assert encoder.encode("The film") == [2, the, film, 3, 0, 0]
    assert encoder.encode("the film " * 5) == [2, the, film, the, film, 3]


def _ranges_of(code_points) -> list[tuple[int, int]]:
    ranges = []
    for code_point in sorted(code_points):
        if ranges and ranges[-1][1] == code_point - 1:
            ranges[-1] = (ranges[-1][0], code_point)
        else:
            ranges.append((code_point, code_point))
    return ranges


def test_punctuation_table_is_unicode_15_general_category_p():
    if unicodedata.unidata_version != "14.0.0":
        version = unicodedata.unidata_version
        skip_or_fail(f"compares with Unicode 14.0 data (Python 3.11, the Makefile's); this Python: {version}")
    unicode_14 = {c for c in range(0x110000) if unicodedata.category(chr(c)).startswith("P")}
    # Punctuation new in Unicode 15.0: Devanagari Extended-A U+11B00..U+11B09, Kawi U+11F43..U+11F4F.
    added_in_15 = {*range(0x11B00, 0x11B0A), *range(0x11F43, 0x11F50)}
    assert list(PUNCTUATION_RANGES) == _ranges_of(unicode_14 | added_in_15)
    assert sum(high - low + 1 for low, high in PUNCTUATION_RANGES) == 842
    assert KEPT_DELIMITER_RANGES == ASCII_PUNCTUATION_RANGES + PUNCTUATION_RANGES + CJK_RANGES


def _reference_words(text: str, kept: set[str]) -> list[str]:
    """Step 3 read literally, one code point at a time."""
    words, current = [], []
    for char in text:
        if char in MEDIAPIPE_WHITESPACE or char in kept:
            words += ["".join(current)] if current else []
            words += [] if char in MEDIAPIPE_WHITESPACE else [char]
            current = []
        else:
            current.append(char)
    return words + (["".join(current)] if current else [])


@pytest.fixture(scope="module")
def code_point_texts() -> list[str]:
    """Every code point but surrogates and U+0000, inside a word and alone, 4,096 per text."""
    chars = [chr(c) for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    probes = [f"Ab{char}c {char}" for char in chars]
    return [" ".join(probes[i : i + 4096]) for i in range(0, len(probes), 4096)]


@pytest.mark.slow
def test_every_code_point_splits_as_the_rules_say(code_point_texts):
    kept = {chr(c) for low, high in KEPT_DELIMITER_RANGES for c in range(low, high + 1)}
    for text in code_point_texts:
        assert split_words_mediapipe(text) == _reference_words(text, kept), f"text from {text[:10]!r}"
    # split_words_mediapipe has a fast path for texts without supplementary kept delimiters; both ran.
    supplementary = [text for text in code_point_texts if max(text) > "\uffff"]
    with_kept = [text for text in supplementary if any(c > "\uffff" and c in kept for c in text)]
    assert 0 < len(with_kept) < len(supplementary)
    assert split_words_mediapipe("a😀,b") == ["a😀", ",", "b"] and "\U0001f600" not in kept
    assert split_words_mediapipe("😀\U00011b00b") == ["😀", "\U00011b00", "b"]


@pytest.mark.slow
def test_in_graph_words_equal_the_twins_on_every_code_point(code_point_texts):
    import tensorflow as tf

    from fnet_keras.text.tf_tokenizer import mediapipe_words_tf

    texts = [
        *code_point_texts,
        "ABC\x00DEF",
        "\x00",
        "a\x00\nb\x00c",
        "ÀÉ Σ İ ẞ",  # not lower-cased
    ]

    @tf.function
    def joined_words(batch):  # One string per text ("\n" is never inside a word): fast to compare.
        return tf.strings.reduce_join(mediapipe_words_tf(batch), axis=1, separator="\n")

    actual = joined_words(tf.constant([text.encode("utf-8") for text in texts])).numpy().tolist()
    expected = [pretokenize_mediapipe(text) for text in texts]
    for text, mine, twins in zip(texts, actual, expected, strict=True):
        assert mine.decode("utf-8").split("\n") == (twins or [""]), f"text from {text[:10]!r}"
    assert expected[-4:] == [["abc"], [], ["a"], ["ÀÉ", "Σ", "İ", "ẞ"]]
