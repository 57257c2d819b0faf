"""The run directory: the one reader and writer of what a training run leaves behind. No TensorFlow.

    RUN_DIR/
      config.json    format version, package version, settings, strategy, data provenance and notes,
                     the planned schedule, where the weights started from ("init"), the teacher and
                     extra text of a distilled run ("distillation") (written first)
      vocab.txt      the WordPiece vocabulary
      labels.txt     one label per line, class id = line - 1
      model.keras    the best model so far by dev accuracy (no optimizer), then the final one
      history.json   one record per finished epoch
      checkpoint/    the last finished epoch's variables (removed when the run finishes)
      metrics.json   dev (and test) metrics of the best model: written last, marks the run finished
      teacher_logits.npz  a distilled run's teacher logits of every training row (and dev), computed
                     once and kept: resume reads them instead of running the teacher again

Each fact is written once: the tokenizer settings, sequence length, preset and seed are in
`settings`; the labels in labels.txt; the vocabulary (and its size) in vocab.txt. Every file is
written to a temporary name and moved into place (`fnet_keras.atomic`), so a killed run never
leaves half a file.

Format 1 (fnet-keras 0.1) runs are read too: `RunDir.load()` upgrades their config in
memory. They can be evaluated, exported and used to classify, not resumed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from fnet_keras.atomic import write_text_atomic
from fnet_keras.data import DataError, LabelMap, Split, load_split_from_info, read_evaluation_split
from fnet_keras.errors import LocatedError
from fnet_keras.text import TokenizerConfig, TokenizerError, load_vocabulary
from fnet_keras.text.config import KERAS_HUB_RULES, SUPPORTED_RULES_VERSIONS
from fnet_keras.training.settings import TrainSettings

CONFIG_FORMAT_VERSION = 2
READABLE_FORMAT_VERSIONS = (1, 2)


class RunDirError(LocatedError):
    """A run or pre-training directory that cannot be used as asked (exists, unfinished, missing,
    corrupt), named with the reason."""


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Writes `data` as indented UTF-8 JSON, atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    """Reads a JSON file; a missing or malformed file is a `RunDirError` naming it."""
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except FileNotFoundError:
        raise RunDirError("no such file", path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunDirError(f"cannot read JSON: {error}", path) from None


class OutputDirectory:
    """Paths and state of a directory (that need not exist yet) which one command writes and can
    resume: a run (`RunDir`) or a pre-training (`pretrain_dir.PretrainDir`). Subclasses name what they
    hold (`WHAT`, `WHAT_DIR`), the command that writes them (`WRITER`) and the file that marks them
    finished (`FINISHED_FILE`)."""

    WHAT, WHAT_DIR, WRITER, FINISHED_FILE = "run", "run directory", "training", "metrics.json"

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

    def _read_config_json(self) -> Any:
        if not self.path.is_dir():
            raise RunDirError(f"no such {self.WHAT_DIR}", self.path)
        if not self.config.is_file():
            raise RunDirError(f"not a {self.WHAT_DIR} (no config.json)", self.path)
        return read_json(self.config)

    def resumed_settings(self, given, recorded):
        """The `recorded` settings of the run being resumed; `given` ones (unless None) must equal them."""
        if given is not None and given != recorded:
            raise RunDirError(
                "cannot resume with other settings than the run was started with (given != recorded): "
                + "; ".join(given.differences(recorded)),
                self.path,
            )
        return recorded


@dataclasses.dataclass(frozen=True)
class Run:
    """A run directory as `RunDir.load()` read it: everything evaluation, export and classification need.
    `format_version` is the config's as written (1 or 2); `init`, `distillation` and the data's
    provenance (`data_info`) are config.json's sections (None where it has none)."""

    path: Path
    format_version: int
    settings: TrainSettings
    tokenizer_config: TokenizerConfig
    vocabulary: list[str]
    label_map: LabelMap
    data_info: dict[str, Any] | None
    data_notes: tuple[str, ...]
    strategy: str
    config_sha256: str
    init: dict[str, Any] | None = None
    distillation: dict[str, Any] | None = None

    model_path = property(lambda self: self.path / "model.keras")
    labels = property(lambda self: self.label_map.labels)
    sequence_length = property(lambda self: self.tokenizer_config.sequence_length)
    is_finished = property(lambda self: RunDir(self.path).is_finished())

    def read_split(self, split: str, data: str | os.PathLike | None = None, *,
                   text_column: str | int | None = None, label_column: str | int | None = None) -> Split:
        """The labelled examples of `split`: from `data` (a file, or that split of a directory), else the
        split of the data recorded in the run (checked against its SHA-256; only that split is read,
        plus the training file when dev was held out of it)."""
        if data is not None:
            examples = read_evaluation_split(data, split, text_column=text_column, label_column=label_column)
        else:
            if self.data_info is None:
                raise RunDirError("the run records no data; give --data", self.path / "config.json")
            examples = load_split_from_info(self.data_info, split)
            if examples is None:
                raise DataError(
                    f"the data recorded in the run has no {split} split; give --data or another --split",
                    self.data_info.get("source"),
                )
        if not examples.has_labels:
            raise DataError(f"the {split} split has no labels to score against", examples.path)
        return examples

    def load_model(self):
        """The Keras model (safe mode), fnet_keras's layers registered; a RunDirError if it cannot be read."""
        import keras

        import fnet_keras.models.encoder_classifier  # noqa: F401  (registers the serializable classes)
        import fnet_keras.models.text_classifier  # noqa: F401

        if not self.model_path.is_file():
            raise RunDirError("no model.keras yet (the run has not finished an epoch)", self.path)
        try:
            model = keras.saving.load_model(self.model_path, safe_mode=True)
        except Exception as error:  # Keras raises ValueError, TypeError, OSError, zipfile errors...
            raise RunDirError(f"cannot load the Keras model: {type(error).__name__}: {error}",
                              self.model_path) from None
        # The one check of the Keras model against the run's tokenizer and labels.
        length, classes = model.input_shape[-1], model.output_shape[-1]
        if (length, classes) != (self.sequence_length, len(self.labels)):
            raise RunDirError(
                f"the model takes {length} token ids and gives {classes} outputs, but the run's tokenizer "
                f"packs {self.sequence_length} and labels.txt has {len(self.labels)} labels",
                self.model_path,
            )
        return model


class RunDir(OutputDirectory):
    """Paths and state of one run directory (`fnet-keras train`)."""

    labels = property(lambda self: self.path / "labels.txt")
    model = property(lambda self: self.path / "model.keras")
    metrics = property(lambda self: self.path / "metrics.json")
    teacher_logits = property(lambda self: self.path / "teacher_logits.npz")

    def read_config(self) -> dict[str, Any]:
        """config.json of an existing run, in format 2 (a format-1 config is upgraded in memory)."""
        return self._read_config()[0]

    def _read_config(self) -> tuple[dict[str, Any], int]:
        config = self._read_config_json()
        version = config.get("format_version") if isinstance(config, dict) else None
        if version not in READABLE_FORMAT_VERSIONS or isinstance(version, bool):
            raise RunDirError(
                f"format_version {version!r} is not one this fnet-keras reads "
                f"({', '.join(map(str, READABLE_FORMAT_VERSIONS))}); a newer fnet-keras wrote it?",
                self.config,
            )
        return (_upgrade_format1(config, self.config) if version == 1 else config), version

    def load(self) -> Run:
        """Reads config.json, vocab.txt and labels.txt: the one reader of a run directory (a
        `RunDirError` names a missing, unreadable or inconsistent file)."""
        config, version = self._read_config()
        try:
            settings = TrainSettings.from_dict(config["settings"])
            tokenizer_config = settings.tokenizer_config()
            vocabulary = load_vocabulary(self.vocabulary)
            label_map = LabelMap.load(self.labels)
        except (ValueError, KeyError, TypeError) as error:
            where = getattr(error, "path", None) or self.config
            reason = getattr(error, "reason", None) or f"unreadable settings: {error}"
            raise RunDirError(reason, where, getattr(error, "line", None)) from None
        rules_version = config.get("tokenizer_rules_version")
        # Version 1 had the keras_hub rules only (settings without "tokenizer_rules" read so).
        if rules_version not in SUPPORTED_RULES_VERSIONS or isinstance(rules_version, bool) or (
            rules_version == 1 and tokenizer_config.rules != KERAS_HUB_RULES
        ):
            raise RunDirError(
                f"tokenizer rules version {rules_version!r} with rules {tokenizer_config.rules!r} is not "
                f"one this fnet-keras implements (versions {SUPPORTED_RULES_VERSIONS})",
                self.config,
            )
        return Run(
            path=self.path,
            format_version=version,
            settings=settings,
            tokenizer_config=tokenizer_config,
            vocabulary=vocabulary,
            label_map=label_map,
            data_info=config.get("data"),
            data_notes=tuple(config.get("data_notes", ())),
            strategy=config.get("strategy", "default"),
            config_sha256=hashlib.sha256(self.config.read_bytes()).hexdigest(),
            init=config.get("init"),
            distillation=config.get("distillation"),
        )


def new_config(
    settings: TrainSettings, strategy: str, data_info: dict, data_notes: list[str], **sections: Any
) -> dict[str, Any]:
    """config.json of a new run (format 2), then the trainer's `sections` (schedule, init, distillation)."""
    import fnet_keras

    return {
        "format_version": CONFIG_FORMAT_VERSION,
        "package_version": fnet_keras.__version__,
        "settings": settings.to_dict(),
        "tokenizer_rules_version": settings.tokenizer_config().to_dict()["version"],
        "strategy": strategy,
        "data": data_info,
        "data_notes": list(data_notes),
        **sections,
    }


def _upgrade_format1(config: dict[str, Any], path: Path) -> dict[str, Any]:
    """A format-1 config in format 2's shape. Format 1 also recorded the tokenizer, labels, preset and
    sequence length beside the settings; they are checked against the settings and dropped."""
    try:
        settings = dict(config["settings"])
        tokenizer = TokenizerConfig.from_dict(config["tokenizer"], path)
    except (KeyError, TypeError, TokenizerError) as error:
        raise RunDirError(f"not a readable format-1 run config: {error}", path) from None
    derived = TrainSettings.from_dict(settings).tokenizer_config()
    if derived != tokenizer:
        raise RunDirError(f"its 'tokenizer' {tokenizer} differs from its settings' {derived}", path)
    return {
        "format_version": CONFIG_FORMAT_VERSION,
        "package_version": config.get("fnet_keras_version"),
        "settings": settings,
        "tokenizer_rules_version": tokenizer.to_dict()["version"],
        "strategy": config.get("training", {}).get("strategy", "default"),
        "data": config.get("data"),
        "data_notes": config.get("data_notes", []),
    }
