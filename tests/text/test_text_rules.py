"""Checks, over all code points, of the claims the rules in fnet_keras/text/wordpiece.py rest on."""

import unicodedata

from fnet_keras.text.charsets import CJK_RANGES, in_ranges
from fnet_keras.text.wordpiece import (
    MAPPED_TO_SPACE,
    UNICODE_SPACES,
    nfkc_casefold_char,
    split_words,
)


def is_cjk(char: str) -> bool:
    return in_ranges(ord(char), CJK_RANGES)


ALL_CHARS = [chr(code_point) for code_point in range(0x110000) if not 0xD800 <= code_point <= 0xDFFF]


def test_unicode_spaces_are_the_non_ascii_non_control_whitespace():
    # Python's isspace() is White_Space plus U+001C..U+001F, which are ASCII controls.
    expected = [c for c in ALL_CHARS if c.isspace() and not c.isascii() and unicodedata.category(c) != "Cc"]
    assert list(UNICODE_SPACES) == expected
    assert MAPPED_TO_SPACE == "\x00" + UNICODE_SPACES


def test_nfd_keeps_cjk_and_non_cjk_apart():
    # Why isolating CJK at the split equals keras-hub's "pad CJK with spaces, then NFD".
    decomposable = [
        c
        for c in ALL_CHARS
        if unicodedata.decomposition(c) and not unicodedata.decomposition(c).startswith("<")
    ]
    assert len(decomposable) > 2000
    for char in decomposable:
        decomposed = unicodedata.normalize("NFD", char)
        assert all(is_cjk(part) == is_cjk(char) for part in decomposed), hex(ord(char))


def test_no_word_code_point_folds_to_a_number_sign():
    # Why FastWordpiece's special case for words starting with "##" never applies.
    assigned = [c for c in ALL_CHARS if unicodedata.category(c) != "Cn"]
    folding_to_hash = [c for c in assigned if "#" in nfkc_casefold_char.__wrapped__(c)]
    assert folding_to_hash == ["#", "\ufe5f", "\uff03"]
    for char in folding_to_hash:
        assert split_words(f"a{char}b") == ["a", char, "b"], "each is a kept delimiter: a word alone"


def test_hanunoo_pamudpod_is_a_spacing_mark_here():
    # Mn in Unicode 13.0 (Java 17), Mc from 14.0 (Python 3.11, TensorFlow): never stripped.
    assert unicodedata.category("\u1734") == "Mc"
