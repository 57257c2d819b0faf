"""The "mediapipe" tokenizer rules (the default): MediaPipe Tasks' own BERT tokenizer, written down.

Pure Python. Steps 4-5 and the `WordPieceEncoder` that runs either rule set are in
`fnet_keras/text/wordpiece.py`; the in-graph twin is `fnet_keras.text.tf_tokenizer`.

Source and measurement
======================
MediaPipe's BertPreprocessorCalculator lower-cases the text with absl::AsciiStrToLower, then
its BertTokenizer (mediapipe/tasks/cc/text/tokenizers/bert_tokenizer.h) splits it with
tensorflow_text's RegexSplit (RE2 patterns kDefaultDelimRe and kDefaultIncludeDelimRe) and
cuts each word with tensorflow_text's WordpieceTokenize. Every rule below was measured in
mediapipe 0.10.21's `TextClassifier` with a probe model that outputs its input ids
(`tests/text/mediapipe_probe.py`), over every code point but surrogates, inside and between
words; `tests/text/test_text_mediapipe.py` repeats that in every test run.

The rules
=========
A text is a sequence of Unicode code points (MediaPipe reads its UTF-8 bytes). Surrogate code
points cannot be UTF-8 encoded and are refused. No Unicode table is read: every set below is
literal data, so the rules do not depend on the Unicode version of Python, Java or ICU.

1. End of text: the text ends at its first U+0000; the rest is ignored (what MediaPipe's
   Python API does; the C++ tokenizer itself takes the whole string, so another platform
   may read on: keep U+0000 out of texts meant for MediaPipe).
2. Lower-casing: A-Z become a-z. Nothing else changes: no Unicode case mapping ("CAFÉ" ->
   "cafÉ", "Σ" stays), no NFKC ("ﬁlm", "ｆｉｌｍ", "²" stay), no accent stripping ("cliché"
   stays, and "cafe\\u0301" is not "café").
3. Word split. Each code point is, in this order of tests:
   - a dropped delimiter: U+0009, U+000A, U+000C, U+000D, U+0020 (RE2's `\\s`), exactly
     these five. Everything else is text, including U+000B, U+0085, U+00A0, U+1680,
     U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, other controls and format
     characters (U+200B, U+200D, U+00AD, U+FEFF): "a\\u00a0b" is one word;
   - a kept delimiter, which becomes a one-code-point word: `ASCII_PUNCTUATION_RANGES`, a
     code point of General_Category P* in Unicode 15.0 (`PUNCTUATION_RANGES`: RE2's `\\p{P}`
     in MediaPipe 0.10.21 and in TensorFlow 2.21; Python 3.11's unicodedata is Unicode 14.0
     and lacks U+11B00..U+11B09 and U+11F43..U+11F4F), or `CJK_RANGES`;
   - otherwise part of the current word. Words are maximal runs; no word is empty.
4. WordPiece, word by word: step 5 of `fnet_keras/text/wordpiece.py`. MediaPipe's
   max_chars_per_subtoken (100) never binds: a word of at most 100 bytes has at most 100
   code points.
5. Packing: step 6 of `fnet_keras/text/wordpiece.py`. MediaPipe looks [CLS], [SEP] and [UNK]
   up by name in the vocabulary and pads with 0.

For a Java port: steps 1-3 are a loop over code points with three literal range tables, and
step 2 is `c >= 'A' && c <= 'Z'`. Vocabulary tokens holding A-Z are never produced (step 2);
MediaPipe reads the vocabulary one token per "\\n"-terminated line, like `load_vocabulary`.
"""

from __future__ import annotations

import re

from fnet_keras.text.charsets import ASCII_PUNCTUATION_RANGES, CJK_RANGES, in_ranges

# Step 3: RE2's `\s`.
MEDIAPIPE_WHITESPACE = "\t\n\f\r "

# Step 3: General_Category P* (Pc Pd Ps Pe Pi Pf Po) in Unicode 15.0, as RE2's `\p{P}` has it
# in MediaPipe 0.10.21 and TensorFlow 2.21 (842 code points; measured, see the module docstring).
# fmt: off
PUNCTUATION_RANGES = (
    (0x0021, 0x0023), (0x0025, 0x002A), (0x002C, 0x002F), (0x003A, 0x003B), (0x003F, 0x0040),
    (0x005B, 0x005D), (0x005F, 0x005F), (0x007B, 0x007B), (0x007D, 0x007D), (0x00A1, 0x00A1),
    (0x00A7, 0x00A7), (0x00AB, 0x00AB), (0x00B6, 0x00B7), (0x00BB, 0x00BB), (0x00BF, 0x00BF),
    (0x037E, 0x037E), (0x0387, 0x0387), (0x055A, 0x055F), (0x0589, 0x058A), (0x05BE, 0x05BE),
    (0x05C0, 0x05C0), (0x05C3, 0x05C3), (0x05C6, 0x05C6), (0x05F3, 0x05F4), (0x0609, 0x060A),
    (0x060C, 0x060D), (0x061B, 0x061B), (0x061D, 0x061F), (0x066A, 0x066D), (0x06D4, 0x06D4),
    (0x0700, 0x070D), (0x07F7, 0x07F9), (0x0830, 0x083E), (0x085E, 0x085E), (0x0964, 0x0965),
    (0x0970, 0x0970), (0x09FD, 0x09FD), (0x0A76, 0x0A76), (0x0AF0, 0x0AF0), (0x0C77, 0x0C77),
    (0x0C84, 0x0C84), (0x0DF4, 0x0DF4), (0x0E4F, 0x0E4F), (0x0E5A, 0x0E5B), (0x0F04, 0x0F12),
    (0x0F14, 0x0F14), (0x0F3A, 0x0F3D), (0x0F85, 0x0F85), (0x0FD0, 0x0FD4), (0x0FD9, 0x0FDA),
    (0x104A, 0x104F), (0x10FB, 0x10FB), (0x1360, 0x1368), (0x1400, 0x1400), (0x166E, 0x166E),
    (0x169B, 0x169C), (0x16EB, 0x16ED), (0x1735, 0x1736), (0x17D4, 0x17D6), (0x17D8, 0x17DA),
    (0x1800, 0x180A), (0x1944, 0x1945), (0x1A1E, 0x1A1F), (0x1AA0, 0x1AA6), (0x1AA8, 0x1AAD),
    (0x1B5A, 0x1B60), (0x1B7D, 0x1B7E), (0x1BFC, 0x1BFF), (0x1C3B, 0x1C3F), (0x1C7E, 0x1C7F),
    (0x1CC0, 0x1CC7), (0x1CD3, 0x1CD3), (0x2010, 0x2027), (0x2030, 0x2043), (0x2045, 0x2051),
    (0x2053, 0x205E), (0x207D, 0x207E), (0x208D, 0x208E), (0x2308, 0x230B), (0x2329, 0x232A),
    (0x2768, 0x2775), (0x27C5, 0x27C6), (0x27E6, 0x27EF), (0x2983, 0x2998), (0x29D8, 0x29DB),
    (0x29FC, 0x29FD), (0x2CF9, 0x2CFC), (0x2CFE, 0x2CFF), (0x2D70, 0x2D70), (0x2E00, 0x2E2E),
    (0x2E30, 0x2E4F), (0x2E52, 0x2E5D), (0x3001, 0x3003), (0x3008, 0x3011), (0x3014, 0x301F),
    (0x3030, 0x3030), (0x303D, 0x303D), (0x30A0, 0x30A0), (0x30FB, 0x30FB), (0xA4FE, 0xA4FF),
    (0xA60D, 0xA60F), (0xA673, 0xA673), (0xA67E, 0xA67E), (0xA6F2, 0xA6F7), (0xA874, 0xA877),
    (0xA8CE, 0xA8CF), (0xA8F8, 0xA8FA), (0xA8FC, 0xA8FC), (0xA92E, 0xA92F), (0xA95F, 0xA95F),
    (0xA9C1, 0xA9CD), (0xA9DE, 0xA9DF), (0xAA5C, 0xAA5F), (0xAADE, 0xAADF), (0xAAF0, 0xAAF1),
    (0xABEB, 0xABEB), (0xFD3E, 0xFD3F), (0xFE10, 0xFE19), (0xFE30, 0xFE52), (0xFE54, 0xFE61),
    (0xFE63, 0xFE63), (0xFE68, 0xFE68), (0xFE6A, 0xFE6B), (0xFF01, 0xFF03), (0xFF05, 0xFF0A),
    (0xFF0C, 0xFF0F), (0xFF1A, 0xFF1B), (0xFF1F, 0xFF20), (0xFF3B, 0xFF3D), (0xFF3F, 0xFF3F),
    (0xFF5B, 0xFF5B), (0xFF5D, 0xFF5D), (0xFF5F, 0xFF65), (0x10100, 0x10102), (0x1039F, 0x1039F),
    (0x103D0, 0x103D0), (0x1056F, 0x1056F), (0x10857, 0x10857), (0x1091F, 0x1091F), (0x1093F, 0x1093F),
    (0x10A50, 0x10A58), (0x10A7F, 0x10A7F), (0x10AF0, 0x10AF6), (0x10B39, 0x10B3F), (0x10B99, 0x10B9C),
    (0x10EAD, 0x10EAD), (0x10F55, 0x10F59), (0x10F86, 0x10F89), (0x11047, 0x1104D), (0x110BB, 0x110BC),
    (0x110BE, 0x110C1), (0x11140, 0x11143), (0x11174, 0x11175), (0x111C5, 0x111C8), (0x111CD, 0x111CD),
    (0x111DB, 0x111DB), (0x111DD, 0x111DF), (0x11238, 0x1123D), (0x112A9, 0x112A9), (0x1144B, 0x1144F),
    (0x1145A, 0x1145B), (0x1145D, 0x1145D), (0x114C6, 0x114C6), (0x115C1, 0x115D7), (0x11641, 0x11643),
    (0x11660, 0x1166C), (0x116B9, 0x116B9), (0x1173C, 0x1173E), (0x1183B, 0x1183B), (0x11944, 0x11946),
    (0x119E2, 0x119E2), (0x11A3F, 0x11A46), (0x11A9A, 0x11A9C), (0x11A9E, 0x11AA2), (0x11B00, 0x11B09),
    (0x11C41, 0x11C45), (0x11C70, 0x11C71), (0x11EF7, 0x11EF8), (0x11F43, 0x11F4F), (0x11FFF, 0x11FFF),
    (0x12470, 0x12474), (0x12FF1, 0x12FF2), (0x16A6E, 0x16A6F), (0x16AF5, 0x16AF5), (0x16B37, 0x16B3B),
    (0x16B44, 0x16B44), (0x16E97, 0x16E9A), (0x16FE2, 0x16FE2), (0x1BC9F, 0x1BC9F), (0x1DA87, 0x1DA8B),
    (0x1E95E, 0x1E95F),
)
# fmt: on

# Step 3's kept delimiters: every code point that is a word of its own.
KEPT_DELIMITER_RANGES = ASCII_PUNCTUATION_RANGES + PUNCTUATION_RANGES + CJK_RANGES

_ASCII_LOWERCASE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _word_pattern(ranges) -> re.Pattern:
    """Step 3 as one pattern: a kept delimiter alone, or a maximal run of word code points."""
    kept = "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in ranges
    )
    return re.compile(f"[{kept}]|[^{kept}{re.escape(MEDIAPIPE_WHITESPACE)}]+")


# `re` tests a class of BMP code points with a bitmap but supplementary ranges one by one (slow),
# so texts split with the BMP kept delimiters only, unless they hold a supplementary one (rare:
# emoji are not delimiters).
_WORD_PATTERN = _word_pattern(KEPT_DELIMITER_RANGES)
_BMP_WORD_PATTERN = _word_pattern(
    [(low, min(high, 0xFFFF)) for low, high in KEPT_DELIMITER_RANGES if low <= 0xFFFF]
)
_SUPPLEMENTARY_KEPT_RANGES = tuple((low, high) for low, high in KEPT_DELIMITER_RANGES if high > 0xFFFF)
_SUPPLEMENTARY = re.compile("[\U00010000-\U0010FFFF]")


def ascii_lowercase(text: str) -> str:
    """Step 2: A-Z become a-z; nothing else changes."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWERCASE)


def split_words_mediapipe(text: str) -> list[str]:
    """Step 3: drop the five ASCII whitespace code points; kept delimiters are words alone."""
    if not text.isascii() and max(text) > "\uffff":
        supplementary = set(_SUPPLEMENTARY.findall(text))
        if any(in_ranges(ord(char), _SUPPLEMENTARY_KEPT_RANGES) for char in supplementary):
            return _WORD_PATTERN.findall(text)
    return _BMP_WORD_PATTERN.findall(text)


def pretokenize_mediapipe(text: str) -> list[str]:
    """Steps 1-3: the words that WordPiece cuts into pieces."""
    return split_words_mediapipe(ascii_lowercase(text.partition("\x00")[0]))
