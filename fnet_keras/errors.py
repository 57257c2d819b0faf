"""The package's errors: `FnetKerasError` (exit code 1) and its input errors, `LocatedError` (exit
code 2), which name the file and line at fault.

Pure Python (the TF-free edge runtime raises these too).
"""

from __future__ import annotations

import os


class FnetKerasError(Exception):
    """An error the command line reports as `error: <message>` with `exit_code`, never a traceback."""

    exit_code = 1


class LocatedError(FnetKerasError, ValueError):
    """A user-fixable problem, reported as `path, line N: reason` (or `path: reason`); exit code 2.

    Args:
        reason: what is wrong, in words a user can act on.
        path: the file (or directory, or source) at fault, if any.
        line: the 1-based line in `path`, if the fault has one.

    Attributes `reason`, `path` (a string or None) and `line` keep the parts
    for callers that want to format them differently.
    """

    exit_code = 2

    def __init__(self, reason: str, path: str | os.PathLike | None = None, line: int | None = None):
        self.reason = reason
        self.path = None if path is None else os.fspath(path)
        self.line = line
        where = self.path if line is None or self.path is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}" if where else reason)
