"""`OutputDirectory`: what a training run and a pre-training run directory have in common (the files
both write, when one has started or finished, the refusal to write into a used directory)."""

from __future__ import annotations

import os
from pathlib import Path

from fnet_keras.errors import LocatedError


class RunDirError(LocatedError):
    """A run or pre-training directory that cannot be used as asked (exists, unfinished, missing,
    corrupt), named with the reason. Import it from `fnet_keras.training.run_dir` (or
    `fnet_keras.training`); it is defined here because pre-training directories raise it too."""


class OutputDirectory:
    """Paths and state of a directory that one command writes and can resume.

    Subclasses name what they hold (`WHAT`), the command that writes them (`WRITER`) and the file
    that appears when they finish (`FINISHED_FILE`).

    Args:
        path: the directory (need not exist yet).
    """

    WHAT = "run"
    WRITER = "training"
    FINISHED_FILE = "metrics.json"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    config = property(lambda self: self.path / "config.json")
    vocabulary = property(lambda self: self.path / "vocab.txt")
    history = property(lambda self: self.path / "history.json")
    checkpoint = property(lambda self: self.path / "checkpoint")

    def has_started(self) -> bool:
        return self.config.is_file()

    def is_finished(self) -> bool:
        return (self.path / self.FINISHED_FILE).is_file()

    def check_new(self) -> None:
        """Refuses a directory that already holds anything (a run or other files)."""
        if self.path.exists() and not self.path.is_dir():
            raise RunDirError("exists and is not a directory", self.path)
        if self.is_finished():
            raise RunDirError(
                f"already holds a finished {self.WHAT} ({self.FINISHED_FILE}); choose another --out or "
                "delete it",
                self.path,
            )
        if self.has_started():
            raise RunDirError(
                f"holds an unfinished {self.WHAT}; pass --resume to continue it, or choose another --out",
                self.path,
            )
        if self.path.is_dir() and any(self.path.iterdir()):
            raise RunDirError(f"is not empty; {self.WRITER} writes into a new or empty directory", self.path)
