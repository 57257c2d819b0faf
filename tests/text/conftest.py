"""Fixtures for the tokenizer tests: the guaranteed Unicode set, SST-2, keras-hub's own pre-tokenizer."""

import unicodedata

import pytest
from support import shared_data, skip_or_fail

# Code points assigned in Unicode 14.0 (Age=14.0 in Unicode's DerivedAge.txt): 838 code points,
# the number of characters Unicode 14.0 added. Derived as "gc != Cn in Python 3.11's
# unicodedata (14.0)" minus "Character.isDefined in Java 17 (13.0)"; every code point Java 17
# defines is also assigned in Python 3.11.
# fmt: off
UNICODE_14_ADDED_RANGES = (
    (0x061D, 0x061D), (0x0870, 0x088E), (0x0890, 0x0891), (0x0898, 0x089F), (0x08B5, 0x08B5),
    (0x08C8, 0x08D2), (0x0C3C, 0x0C3C), (0x0C5D, 0x0C5D), (0x0CDD, 0x0CDD), (0x170D, 0x170D),
    (0x1715, 0x1715), (0x171F, 0x171F), (0x180F, 0x180F), (0x1AC1, 0x1ACE), (0x1B4C, 0x1B4C),
    (0x1B7D, 0x1B7E), (0x1DFA, 0x1DFA), (0x20C0, 0x20C0), (0x2C2F, 0x2C2F), (0x2C5F, 0x2C5F),
    (0x2E53, 0x2E5D), (0x9FFD, 0x9FFF), (0xA7C0, 0xA7C1), (0xA7D0, 0xA7D1), (0xA7D3, 0xA7D3),
    (0xA7D5, 0xA7D9), (0xA7F2, 0xA7F4), (0xFBC2, 0xFBC2), (0xFD40, 0xFD4F), (0xFDCF, 0xFDCF),
    (0xFDFE, 0xFDFF), (0x10570, 0x1057A), (0x1057C, 0x1058A), (0x1058C, 0x10592),
    (0x10594, 0x10595), (0x10597, 0x105A1), (0x105A3, 0x105B1), (0x105B3, 0x105B9),
    (0x105BB, 0x105BC), (0x10780, 0x10785), (0x10787, 0x107B0), (0x107B2, 0x107BA),
    (0x10F70, 0x10F89), (0x11070, 0x11075), (0x110C2, 0x110C2), (0x116B9, 0x116B9),
    (0x11740, 0x11746), (0x11AB0, 0x11ABF), (0x12F90, 0x12FF2), (0x16A70, 0x16ABE),
    (0x16AC0, 0x16AC9), (0x1AFF0, 0x1AFF3), (0x1AFF5, 0x1AFFB), (0x1AFFD, 0x1AFFE),
    (0x1B11F, 0x1B122), (0x1CF00, 0x1CF2D), (0x1CF30, 0x1CF46), (0x1CF50, 0x1CFC3),
    (0x1D1E9, 0x1D1EA), (0x1DF00, 0x1DF1E), (0x1E290, 0x1E2AE), (0x1E7E0, 0x1E7E6),
    (0x1E7E8, 0x1E7EB), (0x1E7ED, 0x1E7EE), (0x1E7F0, 0x1E7FE), (0x1F6DD, 0x1F6DF),
    (0x1F7F0, 0x1F7F0), (0x1F979, 0x1F979), (0x1F9CC, 0x1F9CC), (0x1FA7B, 0x1FA7C),
    (0x1FAA9, 0x1FAAC), (0x1FAB7, 0x1FABA), (0x1FAC3, 0x1FAC5), (0x1FAD7, 0x1FAD9),
    (0x1FAE0, 0x1FAE7), (0x1FAF0, 0x1FAF6), (0x2A6DE, 0x2A6DF), (0x2B735, 0x2B738),
)
# fmt: on
PRIVATE_USE_RANGES = ((0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))


@pytest.fixture(scope="session")
def unicode13_code_points() -> list[int]:
    """Every code point assigned in Unicode 13.0 except surrogates and private use (143,924)."""
    if unicodedata.unidata_version != "14.0.0":
        version = unicodedata.unidata_version
        skip_or_fail(
            f"the Unicode 13.0 set is derived from Unicode 14.0 data; this Python has {version}; "
            f"the tests run on Python 3.11, which the Makefile uses"
        )
    added = {code_point for low, high in UNICODE_14_ADDED_RANGES for code_point in range(low, high + 1)}
    assert len(added) == 838
    return [
        code_point
        for code_point in range(0x110000)
        if unicodedata.category(chr(code_point)) not in ("Cn", "Cs", "Co") and code_point not in added
    ]


@pytest.fixture(scope="session")
def guaranteed_code_points(unicode13_code_points) -> list[int]:
    """The guaranteed set, private use sampled: its first and last 64 code points of each block."""
    private_use = [
        code_point
        for low, high in PRIVATE_USE_RANGES
        for code_point in [*range(low, low + 64), *range(high - 63, high + 1)]
    ]
    return unicode13_code_points + private_use


@pytest.fixture(scope="session")
def sst2_test_sentences() -> list[str]:
    """The `sentence` column of SST-2's test.tsv (header `sentence<TAB>label`)."""
    path = shared_data("sst2", "test.tsv")
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0].split("\t")[0] == "sentence", path
    return [line.split("\t")[0] for line in lines[1:] if line]


@pytest.fixture(scope="session")
def keras_hub_words():
    """keras_hub_words(texts, config) -> word lists from the TF pre-tokenizer the in-graph tokenizer runs.

    That is rule step 1 (ours) followed by keras-hub's `pretokenize`, the function its
    `WordPieceTokenizer` calls before FastWordpiece, all inside one tf.function.
    """
    import tensorflow as tf
    from keras_hub.src.tokenizers.word_piece_tokenizer import pretokenize

    from fnet_keras.text.tf_tokenizer import map_unicode_spaces_tf

    functions = {}

    def words(texts: list[str], config) -> list[list[str]]:
        key = (config.lowercase, config.strip_accents, config.split_on_cjk)
        if key not in functions:
            functions[key] = tf.function(
                lambda batch: pretokenize(
                    map_unicode_spaces_tf(batch),
                    lowercase=config.lowercase,
                    strip_accents=config.strip_accents,
                    split=True,
                    split_on_cjk=config.split_on_cjk,
                ),
                input_signature=[tf.TensorSpec([None], tf.string)],
            )
        ragged = functions[key](tf.constant([text.encode("utf-8") for text in texts], dtype=tf.string))
        return [[word.decode("utf-8") for word in row] for row in ragged.to_list()]

    return words
