"""`PretrainSettings`: every choice that shapes a pre-training run, as plain data (no TensorFlow).

A pre-training directory records its settings in config.json; `--resume` reads them back and
refuses to continue under different ones (the strategy and the checkpoint intervals may change
between a run and its resumption: they do not change what is computed).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from fnet_keras.presets import PRETRAIN_MIXINGS
from fnet_keras.text.config import TokenizerConfig
from fnet_keras.training.settings import SettingsError, TrainSettings, check_known_settings

# TokenizerConfig fields a run chooses; sequence_length is the model's, set from `sequence_length`.
TOKENIZER_KEYS = tuple(
    field.name for field in dataclasses.fields(TokenizerConfig) if field.name != "sequence_length"
)


@dataclasses.dataclass(frozen=True)
class PretrainSettings:
    """Model, tokenizer, masking and optimisation settings of one pre-training run.

    Args:
        preset: model size, a key of `fnet_keras.models.PRESETS`.
        mixing: `"fourier"` (FNet), `"attention"` (its Transformer twin) or `"hybrid"`.
        num_attention_layers: attention blocks at the top for `"hybrid"` (default 1).
        sequence_length: packed length, [CLS] and [SEP] included. Fine-tune at this length
            or shorter: positions beyond it keep their random initial embeddings.
        vocabulary_size: upper bound of the learned WordPiece vocabulary.
        tokenizer: `TokenizerConfig` settings other than `sequence_length` (e.g.
            `{"strip_accents": False}`); unset ones take `TokenizerConfig`'s defaults, and
            values equal to a default are dropped (`{"lowercase": True}` is `{}`).
        steps: optimizer steps to run; or
        hours: a time budget in hours (exactly one of `steps` and `hours`). The learning rate
            schedule then runs on the training clock (elapsed / budget), which a resumed run
            continues.
        batch_size: global batch size, in windows (split across replicas by a strategy).
        learning_rate: peak learning rate of AdamW.
        warmup_fraction: share of the steps (or of the time budget) warming up linearly.
        decay: `"linear"` or `"cosine"` decay to 0 after the warmup.
        weight_decay: AdamW decoupled weight decay (not applied to biases, LayerNorm, embeddings).
        dropout: dropout of the backbone.
        seed: seeds the weights, dropout, the order of the windows and every mask.
        fourier_method: `FourierMixing` method used in training.
        backbone_overrides: preset values to replace, e.g. `{"hidden_dim": 32}` for tests.
        log_every: steps per history record (mean loss and masked accuracy over them).
    """

    preset: str = "mini"
    mixing: str = "fourier"
    num_attention_layers: int | None = None
    sequence_length: int = 256
    vocabulary_size: int = 8000
    tokenizer: dict[str, Any] = dataclasses.field(default_factory=dict)
    steps: int | None = None
    hours: float | None = None
    batch_size: int = 64
    learning_rate: float = 5e-4
    warmup_fraction: float = 0.05
    decay: str = "linear"
    weight_decay: float = 0.01
    dropout: float = 0.1
    seed: int = 0
    fourier_method: str = "auto"
    backbone_overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    log_every: int = 50

    def __post_init__(self):
        if self.mixing not in PRETRAIN_MIXINGS:
            raise SettingsError(f"mixing must be one of {', '.join(PRETRAIN_MIXINGS)} for pre-training; "
                             f"got {self.mixing!r}")
        if (self.steps is None) == (self.hours is None):
            raise SettingsError("give exactly one of steps and hours (the length of the pre-training run)")
        if self.steps is not None:
            _positive_int("steps", self.steps)
        hours = self.hours
        is_number = isinstance(hours, (int, float)) and not isinstance(hours, bool)
        if hours is not None and not (is_number and 0 < hours < math.inf):  # NaN fails too
            raise SettingsError(f"hours must be a number > 0; got {hours!r}")
        _positive_int("log_every", self.log_every)
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
        values = dict(
            preset=self.preset, mixing=self.mixing, num_attention_layers=self.num_attention_layers,
            sequence_length=self.sequence_length, vocabulary_size=self.vocabulary_size,
            batch_size=self.batch_size, learning_rate=self.learning_rate,
            warmup_fraction=self.warmup_fraction,
            decay=self.decay, weight_decay=self.weight_decay, dropout=self.dropout, seed=self.seed,
            fourier_method=self.fourier_method, backbone_overrides=self.backbone_overrides,
            tokenizer_rules=self.tokenizer_config().rules,
            **{key: value for key, value in self.tokenizer.items() if key in _TRAIN_TOKENIZER_FIELDS},
        )
        values.update(changes)
        return TrainSettings(**values)

    def tokenizer_config(self) -> TokenizerConfig:
        return TokenizerConfig(**self.tokenizer, sequence_length=self.sequence_length)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PretrainSettings:
        check_known_settings(cls, data, "pre-training")
        return cls(**data)

    def replace(self, **changes: Any) -> PretrainSettings:
        return dataclasses.replace(self, **changes)

    def differences(self, other: PretrainSettings) -> list[str]:
        """`"name: self value != other value"` for each setting that differs."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [f"{name}: {mine[name]!r} != {theirs[name]!r}" for name in mine if mine[name] != theirs[name]]


# TrainSettings' tokenizer flags; any other TokenizerConfig field is checked by TokenizerConfig itself.
_TRAIN_TOKENIZER_FIELDS = tuple(
    field.name for field in dataclasses.fields(TrainSettings) if field.name in TOKENIZER_KEYS
)


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SettingsError(f"{name} must be an integer at least 1; got {value!r}")
