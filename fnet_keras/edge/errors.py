"""The edge runtime's exceptions: a bad bundle (`BundleError`) and a runtime that cannot run it."""

from __future__ import annotations

import os


class BundleError(ValueError):
    """A bundle that cannot be used as it is, reported as `path: reason` (with a line if it has one).

    Raised for missing or corrupted files, hash or size mismatches, an unknown format or
    version, inconsistent manifest values, a quantization the available interpreter cannot
    run, and a .tflite the interpreter refuses.

    Args:
        reason: what is wrong, in words a user can act on.
        path: the file at fault (`bundle.json`, `model.tflite`, a zip member as `x.zip:name`).
        line: the 1-based line in `path`, if the fault has one.
    """

    def __init__(self, reason: str, path: str | os.PathLike | None = None, line: int | None = None):
        self.reason = reason
        self.path = None if path is None else os.fspath(path)
        self.line = line
        where = self.path if line is None or self.path is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}" if where else reason)


class EdgeRuntimeError(RuntimeError):
    """The machine cannot run inference: no LiteRT interpreter installed, or an invoke failed."""
