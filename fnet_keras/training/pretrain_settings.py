"""`PretrainSettings`: every choice that shapes a pre-training run, as plain data (no TensorFlow). A
pre-training directory records them in config.json; `--resume` refuses other ones (the strategy and
the checkpoint intervals are no settings: they do not change what is computed).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from fnet_keras.argtypes import positive_int
from fnet_keras.presets import FOURIER_METHODS, PRETRAIN_MIXINGS
from fnet_keras.text.config import TokenizerConfig
from fnet_keras.training.settings import (
    DECAYS,
    Settings,
    SettingsError,
    TrainSettings,
    _integer,
    _setting,
    settings_class,
)

# TokenizerConfig fields a run chooses; sequence_length is the model's, set from `sequence_length`.
TOKENIZER_KEYS = tuple(
    field.name for field in dataclasses.fields(TokenizerConfig) if field.name != "sequence_length"
)


@settings_class("Model, tokenizer, masking and optimisation settings of one pre-training run.")
class PretrainSettings(Settings):
    WHAT = "pre-training"

    preset: str = _setting("mini", "model size (fnet-keras presets lists them)", group="model")
    mixing: str = _setting(
        "fourier", "token mixing: fourier (FNet), attention (its Transformer twin) or hybrid",
        choices=PRETRAIN_MIXINGS, group="model",
    )
    num_attention_layers: int | None = _setting(
        None, "attention blocks on top for hybrid (default 1)", group="model"
    )
    sequence_length: int = _setting(
        256, "window length in pieces with [CLS] and [SEP]; pre-train at the longest length you will "
        "fine-tune at (positions beyond it keep their random initial embeddings)", group="model",
    )
    vocabulary_size: int = _setting(8000, "WordPiece vocabulary size bound", group="model")
    tokenizer: dict[str, Any] = _setting(
        {}, "TokenizerConfig settings other than sequence_length, e.g. {'strip_accents': False}; unset "
        "ones take the rules' defaults, and values equal to a default are dropped", group="tokenizer",
    )
    steps: int | None = _setting(None, "optimizer steps to run", type=positive_int, group="length")
    hours: float | None = _setting(
        None, "time budget in hours (exactly one of steps and hours); the learning rate schedule runs on "
        "the training clock, which a resumed run continues", group="length",
    )
    batch_size: int = _setting(
        64, "global batch size in windows (split across replicas by a strategy)", group="optimization"
    )
    learning_rate: float = _setting(5e-4, "peak AdamW learning rate", group="optimization")
    warmup_fraction: float = _setting(
        0.05, "share of the steps or time warming up linearly", group="optimization"
    )
    decay: str = _setting("linear", "decay to 0 after warmup", choices=DECAYS, group="optimization")
    weight_decay: float = _setting(
        0.01, "AdamW weight decay (not on biases, LayerNorm, embeddings)", group="optimization"
    )
    dropout: float = _setting(0.1, "dropout rate of the backbone", group="model")
    seed: int = _setting(0, "random seed: weights, order, masks", group="optimization")
    fourier_method: str = _setting(
        "auto", "how Fourier mixing is computed in training", choices=FOURIER_METHODS, group="model"
    )
    backbone_overrides: dict[str, Any] = _setting(
        {}, "preset sizes to replace, e.g. {'hidden_dim': 32} (tests)", group="model"
    )
    log_every: int = _setting(
        50, "steps per history record (mean loss and masked accuracy over them)", type=positive_int,
        group="checkpoints and progress",
    )
    encoder: str | None = _setting(
        None, "learn this pre-trained encoder's sentence embeddings (minilm, or a folder as for train "
        "--encoder) instead of masked-language modelling: one text per line, each its own example; "
        "steps only", group="model",
    )

    def __post_init__(self):
        if self.mixing not in PRETRAIN_MIXINGS:
            raise SettingsError(f"mixing must be one of {', '.join(PRETRAIN_MIXINGS)} for pre-training; "
                                f"got {self.mixing!r}")
        if (self.steps is None) == (self.hours is None):
            raise SettingsError("give exactly one of steps and hours (the length of the pre-training run)")
        if self.steps is not None:
            _integer("steps", self.steps, 1)
        hours = self.hours
        is_number = isinstance(hours, (int, float)) and not isinstance(hours, bool)
        if hours is not None and not (is_number and 0 < hours < math.inf):  # NaN fails too
            raise SettingsError(f"hours must be a number > 0; got {hours!r}")
        _integer("log_every", self.log_every, 1)
        if self.encoder is not None and self.steps is None:
            raise SettingsError("pre-training from an encoder (--encoder) takes --steps, not --hours")
        unknown = sorted(set(self.tokenizer) - set(TOKENIZER_KEYS))
        if unknown:
            raise SettingsError(f"tokenizer: unknown setting(s) {unknown}; known: {list(TOKENIZER_KEYS)}")
        TokenizerConfig(**self.tokenizer)  # checks the values (TokenizerError names the setting)
        # Only choices that differ from TokenizerConfig's defaults: {"lowercase": True} == {}.
        # (A flag's default depends on the rules: compare with the chosen rules' own defaults.)
        defaults = TokenizerConfig(rules=self.tokenizer.get("rules", TokenizerConfig().rules))
        chosen = {key: value for key, value in self.tokenizer.items()
                  if key == "rules" and value != TokenizerConfig().rules or getattr(defaults, key) != value}
        object.__setattr__(self, "tokenizer", chosen)
        object.__setattr__(self, "backbone_overrides", dict(self.backbone_overrides))
        # The shared checks (preset, sizes, rates, hybrid layers, tokenizer values) are TrainSettings'.
        hybrid = self.as_train_settings()
        object.__setattr__(self, "num_attention_layers", hybrid.num_attention_layers)

    def as_train_settings(self, **changes: Any) -> TrainSettings:
        """The `TrainSettings` with this model, tokenizer and optimiser (for shared checks)."""
        values = {name: getattr(self, name) for name in _SHARED_FIELDS}
        values.update({key: value for key, value in self.tokenizer.items() if key in _TRAIN_FIELDS})
        values.update(tokenizer_rules=self.tokenizer_config().rules)
        values.update(changes)
        return TrainSettings(**values)

    def tokenizer_config(self) -> TokenizerConfig:
        return TokenizerConfig(**self.tokenizer, sequence_length=self.sequence_length)


_TRAIN_FIELDS = {field.name for field in dataclasses.fields(TrainSettings)}
# The model and optimiser fields both settings have (`encoder` means another objective here).
_SHARED_FIELDS = [field.name for field in dataclasses.fields(PretrainSettings)
                  if field.name in _TRAIN_FIELDS and field.name != "encoder"]
