"""The one exception type for bad input data: it names the file and line at fault."""

from __future__ import annotations

import os


class DataError(ValueError):
    """Bad or unreadable input data, reported as `path, line N: reason`.

    Args:
        reason: what is wrong, in words a user can act on.
        path: the file (or directory, or `tfds:` source) at fault, if any.
        line: the 1-based line in `path`, if the fault has one.

    Attributes `reason`, `path` (a string or None) and `line` keep the parts
    for callers that want to format them differently.
    """

    def __init__(self, reason: str, path: str | os.PathLike | None = None, line: int | None = None):
        self.reason = reason
        self.path = None if path is None else os.fspath(path)
        self.line = line
        where = self.path if line is None or self.path is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}" if where else reason)
