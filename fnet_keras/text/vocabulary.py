"""WordPiece vocabulary files: special tokens, validation, atomic save, load. Pure Python.

A vocabulary file is UTF-8 (no byte-order mark), one token per line, each line ending in
"\\n"; the token on line N has id N-1. The first five tokens are the special tokens below, in
this order, so `[PAD]` is id 0. A token is non-empty, holds no whitespace character
(`str.isspace`, which also covers "\\r", so CRLF files are refused) and appears once.
Learning a vocabulary needs TensorFlow and lives in `fnet_keras.text.learn`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from fnet_keras.atomic import write_text_atomic
from fnet_keras.text.errors import TokenizerError

PAD_TOKEN, UNK_TOKEN, CLS_TOKEN, SEP_TOKEN, MASK_TOKEN = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = (PAD_TOKEN, UNK_TOKEN, CLS_TOKEN, SEP_TOKEN, MASK_TOKEN)
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL_TOKENS))
# The prefix of a word piece that continues a word ("play", "##ing").
SUFFIX_INDICATOR = "##"
# `re`'s `\s` on str is `str.isspace` (Py_UNICODE_ISSPACE); a search is faster than a loop.
_WHITESPACE = re.compile(r"\s")


def validate_vocabulary(tokens: Iterable[str], path: str | os.PathLike | None = None) -> list[str]:
    """Returns `tokens` as a list, or raises `TokenizerError` naming the first bad line."""
    tokens = list(tokens)
    seen: dict[str, int] = {}
    for index, token in enumerate(tokens):
        line = index + 1
        if not isinstance(token, str):
            raise TokenizerError(f"vocabulary token must be a string, got {token!r}", path, line)
        if not token:
            raise TokenizerError("empty vocabulary token", path, line)
        if not token.isascii() and any("\ud800" <= char <= "\udfff" for char in token):  # not UTF-8
            raise TokenizerError(f"vocabulary token {token!r} holds a lone surrogate", path, line)
        if _WHITESPACE.search(token):
            hint = " (CRLF line endings?)" if token.endswith("\r") else ""
            raise TokenizerError(f"vocabulary token {token!r} contains whitespace{hint}", path, line)
        if index < len(SPECIAL_TOKENS) and token != SPECIAL_TOKENS[index]:
            raise TokenizerError(
                f"expected special token {SPECIAL_TOKENS[index]!r}, found {token!r}; a vocabulary "
                f"starts with {', '.join(SPECIAL_TOKENS)} in this order",
                path,
                line,
            )
        if token in seen:
            raise TokenizerError(f"vocabulary token {token!r} repeats line {seen[token] + 1}", path, line)
        seen[token] = index
    if len(tokens) < len(SPECIAL_TOKENS):
        raise TokenizerError(
            f"vocabulary has {len(tokens)} token(s); it needs at least the special tokens "
            f"{', '.join(SPECIAL_TOKENS)}",
            path,
        )
    return tokens


def save_vocabulary(tokens: Iterable[str], path: str | os.PathLike) -> Path:
    """Validates `tokens` and writes them to `path` atomically (temp file, then os.replace)."""
    path = Path(path)
    tokens = validate_vocabulary(tokens)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, "".join(token + "\n" for token in tokens))


def load_vocabulary(path: str | os.PathLike) -> list[str]:
    """Reads a vocabulary file written by `save_vocabulary`; raises `TokenizerError` if bad."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise TokenizerError(f"cannot read vocabulary file: {error.strerror}", path) from None
    return parse_vocabulary(data, path)


def parse_vocabulary(data: bytes, path: str | os.PathLike | None = None) -> list[str]:
    """The tokens of a vocabulary file's bytes (`path` is named in errors)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise TokenizerError(f"vocabulary file is not UTF-8 ({error.reason})", path, line) from None
    if text.startswith("\ufeff"):
        raise TokenizerError("vocabulary file starts with a byte-order mark; save it without", path, 1)
    if text and not text.endswith("\n"):
        text += "\n"  # A missing final newline is harmless.
    # split("\n"), not splitlines(): splitlines() also breaks at U+0085, U+2028 and friends.
    return validate_vocabulary(text.split("\n")[:-1], path)
