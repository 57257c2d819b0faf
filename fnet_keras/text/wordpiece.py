"""The "keras_hub" tokenizer rules, the WordPiece and packing steps both rule sets share, and
`WordPieceEncoder`, which runs either rule set (the "mediapipe" steps before WordPiece are in
`fnet_keras/text/mediapipe_rules.py`).

Standard library only (no numpy, TensorFlow, Keras or `regex`), so the TF-free edge runtime can
import it and a Java 17 port can follow it rule by rule. It gives the ids of the in-graph
tokenizer used for training (`fnet_keras.text.tf_tokenizer`), as `tests/text` checks.

The "keras_hub" rules
=====================
In-graph: a space mapping, then keras-hub's `WordPieceTokenizer` and `StartEndPacker`.
MediaPipe tokenizes otherwise (no NFKC, no accent stripping, no space mapping, controls
kept), so these do not suit bundles meant for MediaPipe. A text is a sequence of Unicode
code points (the TF half reads its UTF-8 bytes); surrogates cannot be UTF-8 encoded and are
refused. `config` is a `TokenizerConfig`.

1. Space mapping (ours, in both halves): each code point of `MAPPED_TO_SPACE` becomes U+0020:
   every White_Space code point that is neither ASCII nor gc=Cc (literal data), and U+0000.
   Why: keras-hub splits with RE2, whose `\\s` is ASCII-only, so "a\\u00a0b" would be one
   word, which `lowercase` (NFKC) turns into "a b" inside one word ([UNK]); tf_text's
   `regex_split` stops reading a string at the first U+0000.
2. Accent stripping (if `strip_accents`): NFD, then delete every code point of
   General_Category Mn (nonspacing mark). Marks Mc and Me stay.
3. Word split. Each code point is, in this order of tests:
   - a dropped delimiter: `ASCII_WHITESPACE` (RE2's `\\s` without U+000B), or gc Cc (control,
     U+000B included) or gc Cf (format, e.g. U+200B, U+200D, U+00AD, U+FEFF);
   - a kept delimiter, which becomes a one-code-point word: `ASCII_PUNCTUATION_RANGES`, gc P*,
     and if `split_on_cjk`, `CJK_RANGES`;
   - otherwise part of the current word. Words are maximal runs; no word is empty here.
   (keras-hub isolates CJK code points before step 2; NFD maps CJK code points only to CJK
   code points and no other code point to one, so isolating them here is the same, as
   `tests/text/test_text_rules.py` checks over all code points.)
4. Case folding (if `lowercase`), word by word, never re-split: NFKC_Casefold (ICU's
   "nfkc_cf", `tf_text.case_fold_utf8`; it also applies compatibility mappings: "ﬁ" -> "fi",
   fullwidth "Ａ" -> "a", "²" -> "2"). Map each code point c to m(c), join, then NFC. m(c) is
   the fixed point of x -> D(NFKC(F(NFKC(x)))): F is full case folding (CaseFolding.txt C and
   F, no Turkic T; `str.casefold`), D deletes `DEFAULT_IGNORABLE_RANGES`. So a word can become
   empty (U+3164 HANGUL FILLER) and yield no tokens, or gain a space (U+00B4 -> U+0020 U+0301)
   or a mark even after accent stripping, and still be one word.
5. WordPiece, word by word (both rule sets). A word of more than `max_word_bytes` (100) UTF-8
   bytes becomes the single token [UNK]. Otherwise, greedy longest-match-first: from position
   0, take the longest prefix that is a vocabulary token; from any later position p, take the
   longest w[p:e] such that "##" + w[p:e] is a token; if at some position nothing matches,
   the whole word becomes the single token [UNK]. An empty word yields nothing. (tf_text's
   FastWordpiece treats a word that starts with "##" specially; no word here contains "#"
   except the one-code-point word "#", so the plain greedy rule is exact.)
6. Packing (both rule sets): [CLS] (id 2), the first `sequence_length - 2` token ids, [SEP]
   (id 3), then [PAD] (id 0) up to `sequence_length`. An empty text gives [CLS] [SEP] [PAD]
   ... . Special tokens written in the text ("[CLS]") are ordinary text: "[", "cls", "]".

Unicode versions and a Java port
================================
Steps 2-4 read Unicode tables: Python 3.11's `unicodedata` is Unicode 14.0, Java 17's is
13.0, and TensorFlow's RE2 and ICU tables are newer than both. Both halves here give
identical ids for every text of code points assigned in Unicode 13.0 (controls, format
characters and private use included); `tests/text` checks every such code point, the SST-2
test sentences and generated texts. Code points unassigned in 14.0 may be letters, marks or
punctuation to TensorFlow (U+11B00 is punctuation to RE2; ICU folds U+1C89 to U+1C8A) but not
to Python. Other Pythons need the same care (3.12 has Unicode 15.0): Unicode freezes the
normalization and case folding of assigned characters, not their General_Category.
Java 17's Character.getType and java.text.Normalizer (NFD, NFKC) agree with Python 3.11 on
every Unicode 13.0 code point but one: U+1734 HANUNOO SIGN PAMUDPOD is Mn in 13.0 but Mc from
14.0 on, so it is never stripped: hard-code it. The JDK has no NFKC_Casefold or full case
folding (`toLowerCase` differs for U+00DF, U+03C2, Cherokee, ...): generate a table of m(c) !=
c with `nfkc_casefold_char` (6,560 of the Unicode 13.0 code points), then NFC with
java.text.Normalizer. Step 5 may count UTF-16 units: a cut inside a surrogate pair never
matches a token.
"""

from __future__ import annotations

import functools
import itertools
import os
import unicodedata
from collections.abc import Iterable, Sequence

from fnet_keras.text.charsets import ASCII_PUNCTUATION_RANGES, CJK_RANGES, in_ranges
from fnet_keras.text.config import MEDIAPIPE_RULES, TokenizerConfig
from fnet_keras.text.errors import TokenizerError
from fnet_keras.text.mediapipe_rules import pretokenize_mediapipe
from fnet_keras.text.vocabulary import (
    CLS_ID,
    PAD_ID,
    SEP_ID,
    SUFFIX_INDICATOR,
    UNK_TOKEN,
    load_vocabulary,
    validate_vocabulary,
)

# Step 1: the non-ASCII, non-control White_Space code points, and U+0000, all mapped to U+0020.
UNICODE_SPACES = "\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
MAPPED_TO_SPACE = "\x00" + UNICODE_SPACES
_SPACE_TRANSLATION = {ord(char): " " for char in MAPPED_TO_SPACE}

# Step 3: RE2's `\s` (U+000B is gc Cc, so it drops out with the controls).
ASCII_WHITESPACE = " \t\n\f\r"

# Step 4: Default_Ignorable_Code_Point, from Unicode's DerivedCoreProperties.txt (the same
# ranges in 13.0 and 14.0 apart from U+180F, added in 14.0 and already in the 13.0 range).
# fmt: off
DEFAULT_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
# fmt: on

_WORD, _DROP, _KEEP = 0, 1, 2


def strip_accents(text: str) -> str:
    """Step 2: NFD, then delete nonspacing marks (gc=Mn)."""
    if text.isascii():
        return text
    return "".join(char for char in unicodedata.normalize("NFD", text) if unicodedata.category(char) != "Mn")


@functools.lru_cache(maxsize=1 << 16)  # Bounded: a text could hold any of 1.1M code points.
def _char_class(char: str, split_on_cjk: bool) -> int:
    """Step 3's test for one code point: part of a word, dropped delimiter or kept delimiter."""
    code_point = ord(char)
    category = unicodedata.category(char)
    if char in ASCII_WHITESPACE or category in ("Cc", "Cf"):
        return _DROP
    if in_ranges(code_point, ASCII_PUNCTUATION_RANGES) or category.startswith("P"):
        return _KEEP
    if split_on_cjk and in_ranges(code_point, CJK_RANGES):
        return _KEEP
    return _WORD


def split_words(text: str, split_on_cjk: bool = True) -> list[str]:
    """Step 3: split on whitespace, controls and format characters; punctuation (and CJK) alone."""
    words: list[str] = []
    for kind, run in itertools.groupby(text, lambda char: _char_class(char, split_on_cjk)):
        if kind == _WORD:
            words.append("".join(run))
        elif kind == _KEEP:
            words.extend(run)
    return words


@functools.lru_cache(maxsize=1 << 16)
def nfkc_casefold_char(char: str) -> str:
    """m(c) of step 4: the NFKC_Casefold mapping of one code point (maybe empty or longer)."""
    folded = char
    while True:  # One pass suffices for every Unicode 14.0 code point; loop to the fixed point anyway.
        step = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", folded).casefold())
        step = "".join(char for char in step if not in_ranges(ord(char), DEFAULT_IGNORABLE_RANGES))
        if step == folded:
            return folded
        folded = step


def nfkc_casefold(word: str) -> str:
    """Step 4: NFKC_Casefold of a word: m(c) for each code point, joined, then NFC."""
    if word.isascii():  # m(c) of ASCII is str.lower; NFC leaves ASCII alone.
        return word.lower()
    return unicodedata.normalize("NFC", "".join(nfkc_casefold_char(char) for char in word))


def pretokenize(text: str, config: TokenizerConfig) -> list[str]:
    """The words that step 5 cuts into word pieces: steps 1-4, or MediaPipe's steps 1-3."""
    if config.rules == MEDIAPIPE_RULES:
        return pretokenize_mediapipe(text)
    text = text.translate(_SPACE_TRANSLATION)
    if config.strip_accents:
        text = strip_accents(text)
    words = split_words(text, config.split_on_cjk)
    if config.lowercase:
        words = [nfkc_casefold(word) for word in words]
    return words


def pack_token_ids(token_ids: Sequence[int], sequence_length: int) -> list[int]:
    """Step 6: [CLS] + ids[:sequence_length - 2] + [SEP], then [PAD] to `sequence_length`."""
    packed = [CLS_ID, *token_ids[: sequence_length - 2], SEP_ID]
    return packed + [PAD_ID] * (sequence_length - len(packed))


class WordPieceEncoder:
    """Text to WordPiece tokens and packed ids, in pure Python, under either rule set.

    Args:
        vocabulary: the tokens, special tokens first (see `fnet_keras.text.vocabulary`).
        config: the tokenizer settings the vocabulary was learned with.

    Example:
        encoder = WordPieceEncoder.from_files("run/vocab.txt", TokenizerConfig())  # MediaPipe's rules
        encoder.tokenize("Héllo, World")  # ['héllo', ',', 'world'] with a suitable vocabulary
        encoder.encode("Héllo, World")    # [2, id('héllo'), id(','), id('world'), 3, 0, 0, ...]
    """

    def __init__(self, vocabulary: Sequence[str], config: TokenizerConfig | None = None):
        self.vocabulary = validate_vocabulary(vocabulary)
        self.config = TokenizerConfig() if config is None else config
        self._token_to_id = {token: index for index, token in enumerate(self.vocabulary)}
        # No candidate piece longer than the longest token can match, so the greedy search starts there.
        self._max_token_length = max(len(token) for token in self.vocabulary)
        # Words repeat (Zipf): caching their ids makes long texts several times faster.
        self._word_ids = functools.lru_cache(maxsize=1 << 16)(self._word_ids_uncached)

    @classmethod
    def from_files(
        cls, vocabulary_path: str | os.PathLike, config: TokenizerConfig | None = None
    ) -> WordPieceEncoder:
        """Reads `vocabulary_path` (one token per line) and uses `config` (default settings if None)."""
        return cls(load_vocabulary(vocabulary_path), config)

    def _word_pieces(self, word: str) -> list[str]:
        """Step 5 for one word."""
        if not word:
            return []
        if len(word.encode("utf-8")) > self.config.max_word_bytes:
            return [UNK_TOKEN]
        pieces = []
        start = 0
        while start < len(word):
            end = min(len(word), start + self._max_token_length)
            while end > start:
                piece = word[start:end] if start == 0 else SUFFIX_INDICATOR + word[start:end]
                if piece in self._token_to_id:
                    break
                end -= 1
            else:
                return [UNK_TOKEN]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """The word pieces of `text`, unpacked (no [CLS], [SEP], padding or truncation)."""
        self._check_text(text)
        return [piece for word in pretokenize(text, self.config) for piece in self._word_pieces(word)]

    @staticmethod
    def _check_text(text: str) -> None:
        if not isinstance(text, str):
            raise TokenizerError(f"text to tokenize must be a str, got {type(text).__name__}: {text!r:.80}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise TokenizerError(
                f"text has a lone surrogate U+{ord(text[error.start]):04X} at index {error.start}, "
                f"which is not Unicode text: {text!r:.80}"
            ) from None

    def _word_ids_uncached(self, word: str) -> tuple[int, ...]:
        return tuple(self._token_to_id[piece] for piece in self._word_pieces(word))

    def token_ids(self, text: str) -> list[int]:
        """The ids of `tokenize(text)`, unpacked."""
        self._check_text(text)
        return [token_id for word in pretokenize(text, self.config) for token_id in self._word_ids(word)]

    def encode(self, text: str) -> list[int]:
        """`sequence_length` ids: [CLS] token ids [SEP] [PAD]..., truncated to fit."""
        return pack_token_ids(self.token_ids(text), self.config.sequence_length)

    def encode_batch(self, texts: Iterable[str]) -> list[list[int]]:
        """`encode` for each text."""
        return [self.encode(text) for text in texts]
