"""The pre-training directory: what `pretrain` leaves behind, and what fine-tuning reads. No TensorFlow.

    PRE_DIR/
      config.json           written first: format version, kind, package version, settings,
                            backbone (its other arguments), tokenizer, vocabulary (size, SHA-256),
                            masking rules, optimization (schedule in steps or milliseconds), where
                            the initial weights came from (random, seed), data provenance (files
                            with SHA-256, windows), strategy of the first session
      vocab.txt             the WordPiece vocabulary learned on the text
      history.json          one record per `log_every` steps: step, loss, masked_accuracy,
                            learning_rate, elapsed_seconds, steps_per_second
      checkpoint/           while running: state.json + variables-SSSSSSSSS.npz (removed at the end)
      backbone.weights.h5   the pre-trained backbone (Keras weights file; no MLM head)
      result.json           written last, marks the run finished: steps, elapsed seconds, what
                            stopped it, last record's loss and masked accuracy, the weights file
                            and its SHA-256, the package version that wrote it

Each fact is in one file. `load_pretrained(PRE_DIR)` checks the format and returns what
fine-tuning needs (`Pretrained`); `fnet_keras.training.pretrain.init_classifier_from` loads the
weights into a classifier. Every file is written atomically (`fnet_keras.atomic`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
import shutil
import warnings
from pathlib import Path
from typing import Any

from fnet_keras._version import __version__
from fnet_keras.errors import LocatedError
from fnet_keras.text import TokenizerConfig, load_vocabulary
from fnet_keras.training.pretrain_settings import TOKENIZER_KEYS, PretrainSettings
from fnet_keras.training.run_dir import OutputDirectory, RunDirError, read_json, write_json
from fnet_keras.training.settings import TrainSettings

PRETRAIN_FORMAT_VERSION = 1
KIND = "fnet-keras pre-training"
WEIGHTS_FILE = "backbone.weights.h5"
WEIGHTS_SUFFIX = ".weights.h5"  # Keras' required ending of a weights file
# Backbone arguments that shape the weights; fine-tuning must build the same ones.
WEIGHT_SHAPING = (
    "vocabulary_size", "num_layers", "hidden_dim", "intermediate_dim", "embedding_dim", "num_heads",
    "max_sequence_length", "mixing", "num_attention_layers", "num_segments",
)


class PretrainedMismatchError(LocatedError):
    """Fine-tuning settings that do not fit a pre-training directory (names the setting)."""


class PretrainedLengthWarning(UserWarning):
    """Fine-tuning at another sequence length than the backbone was pre-trained at."""


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class PretrainDir(OutputDirectory):
    """Paths and state of one pre-training directory (`fnet-keras pretrain`)."""

    WHAT, WHAT_DIR, WRITER = "pre-training run", "pre-training directory", "pre-training"
    FINISHED_FILE = "result.json"

    weights = property(lambda self: self.path / WEIGHTS_FILE)
    result = property(lambda self: self.path / "result.json")

    def write_config(self, settings, vocabulary, backbone, vocabulary_source, **sections) -> None:
        """config.json (vocab.txt written already): what every pre-training records, then its
        objective's own `sections` (masking or the encoder, optimization, initialization, data, strategy)."""
        # The backbone's arguments, less those the settings already record.
        recorded = ("name", "trainable", "dtype", "sequence_length", "dropout", "fourier_method")
        arguments = {key: value for key, value in backbone.get_config().items() if key not in recorded}
        write_json(self.config, {
            "format_version": PRETRAIN_FORMAT_VERSION,
            "kind": KIND,
            "fnet_keras_version": __version__,
            "settings": settings.to_dict(),
            "backbone": arguments,
            "tokenizer": settings.tokenizer_config().to_dict(),
            "vocabulary": {
                "file": "vocab.txt", "size": len(vocabulary), "sha256": file_sha256(self.vocabulary),
                # Where it came from: learned on this text, or given (its path when given).
                "learned_from": "text" if vocabulary_source is None
                else str(Path(vocabulary_source).resolve()),
            },
            **sections,
        })

    def finish(self, backbone, history: list[dict[str, Any]], **result: Any) -> None:
        """Writes the backbone's weights and history.json, then result.json (`result`, the weights'
        SHA-256 and the package version), which marks the run finished; the checkpoint goes."""
        # Keras insists on a name ending in .weights.h5, which atomic_output's temporary names lack.
        temp = self.weights.with_name(f".{secrets.token_hex(4)}.tmp{WEIGHTS_SUFFIX}")
        try:
            backbone.save_weights(temp)
            os.replace(temp, self.weights)
        finally:
            temp.unlink(missing_ok=True)
        write_json(self.history, history)
        weights = {"weights": WEIGHTS_FILE, "weights_sha256": file_sha256(self.weights)}
        write_json(self.result, {**result, **weights, "fnet_keras_version": __version__})
        shutil.rmtree(self.checkpoint, ignore_errors=True)

    def read_config(self) -> dict[str, Any]:
        """config.json, checked to be a pre-training config of this format version."""
        config = self._read_config_json()
        if not isinstance(config, dict) or config.get("kind") != KIND:
            raise RunDirError("not a pre-training config (a training run's directory?)", self.config)
        if config.get("format_version") != PRETRAIN_FORMAT_VERSION:
            raise RunDirError(f"pre-training format version {config.get('format_version')!r}; this "
                              f"fnet_keras reads version {PRETRAIN_FORMAT_VERSION}", self.config)
        return config


@dataclasses.dataclass(frozen=True)
class Pretrained:
    """A finished pre-training directory, as fine-tuning needs it.

    Attributes:
        backbone: the `FNetBackbone` arguments it was trained with, less sequence_length,
            dropout and fourier_method (in `settings`); the `WEIGHT_SHAPING` ones fix the weights.
        weights, weights_sha256: backbone.weights.h5 and its SHA-256 (as recorded and checked).
        result: result.json (steps, elapsed_seconds, final loss, ...).
    """

    path: Path
    settings: PretrainSettings
    backbone: dict[str, Any]
    vocabulary: list[str]
    tokenizer: TokenizerConfig
    weights: Path
    weights_sha256: str
    result: dict[str, Any]
    _warned_lengths: set = dataclasses.field(default_factory=set, compare=False, repr=False)

    sequence_length = property(lambda self: self.settings.sequence_length)

    def provenance(self) -> dict[str, Any]:
        """What a fine-tuned run (and its bundles) records about where its weights came from."""
        return {
            "pretrained_dir": str(self.path.resolve()),
            "weights_sha256": self.weights_sha256,
            "vocabulary_sha256": file_sha256(self.path / "vocab.txt"),
            "preset": self.settings.preset,
            "mixing": self.settings.mixing,
            "sequence_length": self.sequence_length,
            "steps": self.result["steps"],
            "elapsed_seconds": self.result["elapsed_seconds"],
            "fnet_keras_version": self.result["fnet_keras_version"],
        }

    def fine_tuning_settings(self, **given: Any) -> TrainSettings:
        """`TrainSettings` for fine-tuning from here: the pre-training's model and tokenizer (and, by
        default, sequence length), `given` for the rest; given ones must fit it (`check_settings`)."""
        model_keys = {"preset", "mixing", "num_attention_layers", "backbone_overrides", "sequence_length",
                      "vocabulary_size", "tokenizer_rules", *TOKENIZER_KEYS}
        inherited = self.settings.as_train_settings(vocabulary_size=len(self.vocabulary)).to_dict()
        settings = TrainSettings(**{key: inherited[key] for key in inherited.keys() & model_keys} | given)
        self.check_settings(settings)
        return settings

    def check_settings(self, settings: TrainSettings) -> None:
        """Refuses (`PretrainedMismatchError`) fine-tuning settings with another preset, mixing, hybrid
        depth, backbone size or tokenizer setting, or a `vocabulary_size` below the pre-trained
        vocabulary's; warns (`PretrainedLengthWarning`) at another sequence length."""
        problems = []
        for name in ("preset", "mixing", "num_attention_layers", "backbone_overrides"):
            mine, theirs = getattr(self.settings, name), getattr(settings, name)
            if mine != theirs:
                problems.append(f"{name} {theirs!r} (pre-trained: {mine!r})")
        if settings.vocabulary_size < len(self.vocabulary):
            problems.append(f"vocabulary_size {settings.vocabulary_size} is below the pre-trained "
                            f"vocabulary's {len(self.vocabulary)} tokens")
        fine_tuning_tokenizer = settings.tokenizer_config().to_dict()
        for key, value in self.tokenizer.to_dict().items():
            if key != "sequence_length" and value != fine_tuning_tokenizer.get(key):
                problems.append(f"tokenizer {key} {fine_tuning_tokenizer.get(key)!r} "
                                f"(pre-trained: {value!r})")
        if problems:
            raise PretrainedMismatchError(
                "cannot fine-tune from this pre-training: " + "; ".join(problems), self.path / "config.json"
            )
        self.check_sequence_length(settings.sequence_length)

    def check_backbone(self, backbone_config: dict[str, Any]) -> None:
        """Refuses a backbone (its `get_config()`) whose weights differ in shape or kind from these."""
        problems = [f"{key} {backbone_config.get(key)!r} (pre-trained: {self.backbone.get(key)!r})"
                    for key in WEIGHT_SHAPING if backbone_config.get(key) != self.backbone.get(key)]
        if problems:
            raise PretrainedMismatchError(
                "the model's backbone does not match the pre-trained one: " + "; ".join(problems),
                self.path / "config.json",
            )
        self.check_sequence_length(backbone_config.get("sequence_length"))

    def check_sequence_length(self, sequence_length: int | None) -> None:
        """Warns (once per length) when fine-tuning at another length than the pre-training's."""
        if sequence_length != self.sequence_length and sequence_length not in self._warned_lengths:
            self._warned_lengths.add(sequence_length)
            warnings.warn(
                f"fine-tuning at sequence length {sequence_length}, but {self.path} was pre-trained at "
                f"{self.sequence_length}: FNet's outputs depend on the padded length, and positions beyond "
                f"{self.sequence_length} were never trained",
                PretrainedLengthWarning,
                stacklevel=3,
            )


def load_pretrained(path: str | os.PathLike) -> Pretrained:
    """Reads a finished pre-training directory, its weights and vocabulary checked against their
    recorded SHA-256 (a `RunDirError` otherwise, as for another format version or an unfinished run)."""
    pre = PretrainDir(path)
    config = pre.read_config()
    if not pre.is_finished():
        raise RunDirError(f"the pre-training has not finished (no result.json); resume it with "
                          f"`fnet-keras pretrain --out {pre.path} --resume`", pre.path)
    result = read_json(pre.result)
    vocabulary = load_vocabulary(pre.vocabulary)
    recorded_sha256 = {pre.vocabulary: config["vocabulary"]["sha256"], pre.weights: result["weights_sha256"]}
    for path, recorded in recorded_sha256.items():
        if not path.is_file():
            raise RunDirError("no such file", path)
        if (actual := file_sha256(path)) != recorded:
            raise RunDirError(f"changed since pre-training (SHA-256 {actual}, recorded {recorded})", path)
    return Pretrained(
        path=pre.path,
        settings=PretrainSettings.from_dict(config["settings"]),
        backbone=config["backbone"],
        vocabulary=vocabulary,
        tokenizer=TokenizerConfig.from_dict(config["tokenizer"], pre.config),
        weights=pre.weights,
        weights_sha256=result["weights_sha256"],
        result=result,
    )
