"""The one exception type for bad tokenizer input: vocabularies, configs, texts."""

from __future__ import annotations

import os


class TokenizerError(ValueError):
    """Bad tokenizer input, reported as `path, line N: reason` where a file is at fault.

    Args:
        reason: what is wrong, in words a user can act on.
        path: the file at fault (a vocabulary file, a run's config.json), if any.
        line: the 1-based line in `path`, if the fault has one.
    """

    def __init__(self, reason: str, path: str | os.PathLike | None = None, line: int | None = None):
        self.reason = reason
        self.path = None if path is None else os.fspath(path)
        self.line = line
        where = self.path if line is None or self.path is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}" if where else reason)
