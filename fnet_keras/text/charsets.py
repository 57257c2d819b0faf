"""Literal code point sets that both tokenizer rule sets split on. Pure Python, data only.

Both `fnet_keras/text/wordpiece.py` (keras-hub's rules) and `fnet_keras/text/mediapipe_rules.py`
(MediaPipe's) make each of these code points a word of its own; they come from BERT's
tokenizer, which both libraries follow. Ranges are inclusive `(first, last)` pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

# Every ASCII character that is not a letter, digit, space or control: `$ + < = > ^ \` | ~` count.
ASCII_PUNCTUATION_RANGES = ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E))

# BERT's CJK ideograph ranges (they include some unassigned code points).
# fmt: off
CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)
# fmt: on


def in_ranges(code_point: int, ranges: Sequence[tuple[int, int]]) -> bool:
    """Whether `code_point` lies in one of the inclusive `ranges`."""
    return any(low <= code_point <= high for low, high in ranges)
