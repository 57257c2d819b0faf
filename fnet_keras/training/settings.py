"""`TrainSettings`: every choice that shapes a training run, as plain data.

A run records its settings in config.json; `--resume` reads them back and refuses to
continue under different ones (other than the distribution strategy, which may change
between a run and its resumption).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from fnet_keras.text.config import TokenizerConfig

MIXINGS = ("fourier", "attention", "hybrid", "linear", "none")
FOURIER_METHODS = ("auto", "fft", "dft", "rfft")
DECAYS = ("linear", "cosine")
STRATEGIES = ("default", "mirrored", "multiworker")
# Seed of the dev hold-out when the data has no dev split: fixed, so that runs with different
# training seeds are selected on the same rows.
HOLDOUT_SEED = 0
# With `epochs=None`: never fewer epochs than this, however many steps an epoch has.
MIN_EPOCHS = 3
# FNetBackbone arguments that `backbone_overrides` may set (sizes, for tests and ablations).
OVERRIDABLE = (
    "num_layers", "hidden_dim", "intermediate_dim", "embedding_dim", "num_heads", "mixing_dropout",
    "fourier_normalization", "pooling",
)


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """Model, tokenizer and optimisation settings of one training run.

    Args:
        preset: model size, a key of `fnet_keras.models.PRESETS`.
        mixing: `"fourier"` (FNet), `"attention"` (its Transformer twin), `"hybrid"` or `"linear"`.
        num_attention_layers: attention blocks at the top for `"hybrid"` (default 1).
        sequence_length: packed token length, [CLS] and [SEP] included.
        vocabulary_size: upper bound of the learned WordPiece vocabulary.
        lowercase, strip_accents, split_on_cjk: tokenizer rules (`TokenizerConfig`).
        epochs: maximum number of epochs; None (default): `resolved_epochs`, enough epochs for
            `min_steps` optimizer steps and at least `MIN_EPOCHS` (3), so that a small data
            set is not stopped while it still learns. The schedule spans these epochs; early
            stopping (`patience`) ends the run sooner when dev accuracy stops improving.
        min_steps: with `epochs=None`, the fewest optimizer steps to plan for.
        batch_size: global batch size (split across replicas by a strategy).
        learning_rate: peak learning rate of AdamW.
        warmup_fraction: share of all steps spent warming up linearly from 0.
        decay: `"linear"` or `"cosine"` decay to 0 after the warmup.
        weight_decay: AdamW decoupled weight decay (not applied to biases, LayerNorm, embeddings).
        dropout: dropout of the backbone and the head.
        patience: stop after this many epochs without a better dev accuracy (None: never).
        seed: seeds weights, dropout and the order of the training examples.
        fourier_method: `FourierMixing` method used in training (`"rfft"` needs power-of-two
            sequence length and hidden size).
        backbone_overrides: preset values to replace, e.g. `{"hidden_dim": 32}` for tests.
    """

    preset: str = "mini"
    mixing: str = "fourier"
    num_attention_layers: int | None = None
    sequence_length: int = 128
    vocabulary_size: int = 8000
    lowercase: bool = True
    strip_accents: bool = True
    split_on_cjk: bool = True
    epochs: int | None = None
    min_steps: int = 1000
    batch_size: int = 64
    learning_rate: float = 5e-4
    warmup_fraction: float = 0.1
    decay: str = "linear"
    weight_decay: float = 0.01
    dropout: float = 0.1
    patience: int | None = 2
    seed: int = 0
    fourier_method: str = "auto"
    backbone_overrides: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        from fnet_keras.models.presets import PRESETS  # imported here: fnet_keras.models loads Keras

        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; known presets: {', '.join(PRESETS)}")
        _one_of("mixing", self.mixing, MIXINGS)
        _one_of("fourier_method", self.fourier_method, FOURIER_METHODS)
        _one_of("decay", self.decay, DECAYS)
        num_layers = self.backbone_overrides.get("num_layers", PRESETS[self.preset]["num_layers"])
        if self.mixing == "hybrid":
            if self.num_attention_layers is None:
                object.__setattr__(self, "num_attention_layers", 1)
            _integer("num_attention_layers", self.num_attention_layers, 1, num_layers)
        elif self.num_attention_layers is not None:
            raise ValueError(
                f"num_attention_layers applies to mixing 'hybrid' only; got mixing {self.mixing!r} "
                f"with num_attention_layers={self.num_attention_layers}"
            )
        _integer("vocabulary_size", self.vocabulary_size, 6)
        if self.epochs is not None:
            _integer("epochs", self.epochs, 1)
        _integer("min_steps", self.min_steps, 1)
        _integer("batch_size", self.batch_size, 1)
        _integer("seed", self.seed, 0)
        if self.patience is not None:
            _integer("patience", self.patience, 1)
        _number("learning_rate", self.learning_rate, 0.0, None, low_open=True)
        _number("warmup_fraction", self.warmup_fraction, 0.0, 1.0, high_open=True)
        _number("weight_decay", self.weight_decay, 0.0, None)
        _number("dropout", self.dropout, 0.0, 1.0, high_open=True)
        unknown = sorted(set(self.backbone_overrides) - set(OVERRIDABLE))
        if unknown:
            raise ValueError(f"backbone_overrides: unknown key(s) {unknown}; allowed: {list(OVERRIDABLE)}")
        object.__setattr__(self, "backbone_overrides", dict(self.backbone_overrides))
        self.tokenizer_config()  # validates sequence_length and the tokenizer flags

    def tokenizer_config(self) -> TokenizerConfig:
        return TokenizerConfig(
            lowercase=self.lowercase,
            strip_accents=self.strip_accents,
            split_on_cjk=self.split_on_cjk,
            sequence_length=self.sequence_length,
        )

    def resolved_epochs(self, steps_per_epoch: int) -> int:
        """The epochs to plan for: `epochs`, or with None, `ceil(min_steps / steps_per_epoch)`
        but at least `MIN_EPOCHS`."""
        if self.epochs is not None:
            return self.epochs
        return max(MIN_EPOCHS, math.ceil(self.min_steps / steps_per_epoch))

    def warmup_steps(self, total_steps: int) -> int:
        """Steps of linear warm-up in a run of `total_steps`: `warmup_fraction` of them."""
        return min(round(self.warmup_fraction * total_steps), total_steps - 1)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainSettings:
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown training setting(s) {unknown}; known: {sorted(known)}")
        return cls(**data)

    def replace(self, **changes: Any) -> TrainSettings:
        return dataclasses.replace(self, **changes)

    def differences(self, other: TrainSettings) -> list[str]:
        """`"name: self value != other value"` for each setting that differs."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [f"{name}: {mine[name]!r} != {theirs[name]!r}" for name in mine if mine[name] != theirs[name]]


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _integer(name: str, value: Any, low: int, high: int | None = None) -> None:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if not is_int or value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be an integer {bounds}; got {value!r}")


def _number(
    name: str, value: Any, low: float, high: float | None, low_open: bool = False, high_open: bool = False
) -> None:
    ok = not isinstance(value, bool) and isinstance(value, (int, float))
    if ok:
        ok = (value > low if low_open else value >= low) and (
            high is None or (value < high if high_open else value <= high)
        )
    if not ok:
        low_text = f"{'>' if low_open else '>='} {low}"
        high_text = "" if high is None else f" and {'<' if high_open else '<='} {high}"
        raise ValueError(f"{name} must be a number {low_text}{high_text}; got {value!r}")
