"""The run directory: what a training run leaves behind, written atomically. No TensorFlow.

    RUN_DIR/
      config.json    settings, tokenizer rules, labels, data provenance (written first)
      vocab.txt      the WordPiece vocabulary
      labels.txt     one label per line, class id = line - 1
      model.keras    the best model so far by dev accuracy (no optimizer), then the final one
      history.json   one record per finished epoch
      checkpoint/    the last finished epoch: state.json + variables-EEEE.npz (removed at the end)
      metrics.json   dev (and test) metrics of the best model: written last, marks the run finished

Every file is written to a temporary name in the same directory and moved into place with
`os.replace`, so a killed run never leaves a half-written file under a final name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fnet_keras.atomic import atomic_output, write_text_atomic  # noqa: F401 (re-exported)

CONFIG_FORMAT_VERSION = 1


class RunDirError(ValueError):
    """A run directory that cannot be used as asked (exists, unfinished, missing, corrupt)."""


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Writes `data` as indented UTF-8 JSON, atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    """Reads a JSON file; a missing or malformed file is a `RunDirError` naming it."""
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except FileNotFoundError:
        raise RunDirError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunDirError(f"{path}: cannot read JSON: {error}") from None


class RunDir:
    """Paths and state of one run directory.

    Args:
        path: the directory (need not exist yet).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    config = property(lambda self: self.path / "config.json")
    vocabulary = property(lambda self: self.path / "vocab.txt")
    labels = property(lambda self: self.path / "labels.txt")
    model = property(lambda self: self.path / "model.keras")
    history = property(lambda self: self.path / "history.json")
    metrics = property(lambda self: self.path / "metrics.json")
    checkpoint = property(lambda self: self.path / "checkpoint")

    def is_finished(self) -> bool:
        return self.metrics.is_file()

    def has_started(self) -> bool:
        return self.config.is_file()

    def check_new(self) -> None:
        """Refuses a directory that already holds anything (a run or other files)."""
        if self.path.exists() and not self.path.is_dir():
            raise RunDirError(f"{self.path}: exists and is not a directory")
        if self.is_finished():
            raise RunDirError(
                f"{self.path} already holds a finished run (metrics.json); choose another --out "
                f"or delete it"
            )
        if self.has_started():
            raise RunDirError(
                f"{self.path} holds an unfinished run; pass --resume to continue it, or choose "
                f"another --out"
            )
        if self.path.is_dir() and any(self.path.iterdir()):
            raise RunDirError(f"{self.path} is not empty; training writes into a new or empty directory")

    def read_config(self) -> dict[str, Any]:
        """config.json of an existing run; `RunDirError` if this is not a run directory."""
        if not self.path.is_dir():
            raise RunDirError(f"{self.path}: no such run directory")
        if not self.config.is_file():
            raise RunDirError(f"{self.path}: not a run directory (no config.json)")
        config = read_json(self.config)
        if not isinstance(config, dict) or config.get("format_version") != CONFIG_FORMAT_VERSION:
            raise RunDirError(
                f"{self.config}: not a run config of format version {CONFIG_FORMAT_VERSION}"
            )
        return config
