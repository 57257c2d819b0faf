"""The parity gate: an exported model against the Keras model it came from, on the same texts.

Both sides give probabilities (the exported graph has the softmax inside; the Keras reference is
the softmax of its logits). A mode passes when the top label agrees on at least
`PARITY_THRESHOLDS[mode]["agreement"]` of the texts and, where a bound is set, the largest |Δp| is
within it; any NaN or infinite output fails. The labels of the texts play no part: the gate
measures agreement, not accuracy. The texts: `gate_texts`.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import numpy as np

from fnet_keras.export.errors import ExportError

PARITY_THRESHOLDS: dict[str, dict[str, float | None]] = {
    "fp32": {"agreement": 1.0, "max_abs_probability_diff": 1e-4},
    "fp16": {"agreement": 1.0, "max_abs_probability_diff": 1e-2},
    "dynamic": {"agreement": 0.98, "max_abs_probability_diff": None},
    "int8": {"agreement": 0.98, "max_abs_probability_diff": None},
}
GATE_ADVICE = {
    "fp32": "a float32 model should match; this points at a conversion problem worth reporting",
    "fp16": "export fp32 instead, or check the model for values outside float16's range",
    "dynamic": "try int8, or fp16",
    "int8": "raise --representative-samples (more calibration texts), try --fourier-method dft or rfft "
    "(the other int8 recipe), or use the dynamic mode",
}
MIN_PARITY_EXAMPLES = 500
DEFAULT_PARITY_EXAMPLES = 1000


@dataclasses.dataclass(frozen=True)
class ParityResult:
    """How closely an exported model follows the Keras model on the gate's `examples` texts: the
    fraction with the same top label (`agreement`), the largest and mean |Δp| over all probabilities,
    the mode's `thresholds` (`max_abs_probability_diff` None: not gated), and whether they hold."""

    examples: int
    agreement: float
    max_abs_probability_diff: float
    mean_abs_probability_diff: float
    thresholds: dict[str, float | None]
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        diff = self.max_abs_probability_diff
        return f"top-label agreement {100 * self.agreement:.2f}%, max |Δp| {diff:.2e}"


def compare_probabilities(exported: np.ndarray, reference: np.ndarray, mode: str) -> ParityResult:
    """The parity figures of `exported` against `reference` (both `(n, classes)` probabilities)."""
    exported = np.asarray(exported, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if exported.shape != reference.shape or exported.ndim != 2 or len(exported) == 0:
        raise ExportError(f"cannot compare outputs of shapes {exported.shape} and {reference.shape}")
    thresholds = dict(PARITY_THRESHOLDS[mode])
    finite = bool(np.all(np.isfinite(exported)))
    difference = np.abs(exported - reference) if finite else np.full(exported.shape, np.inf)
    agreement = float(np.mean(exported.argmax(axis=1) == reference.argmax(axis=1)))
    max_diff = float(difference.max())
    passed = finite and agreement >= thresholds["agreement"]
    if thresholds["max_abs_probability_diff"] is not None:
        passed = passed and max_diff <= thresholds["max_abs_probability_diff"]
    mean_diff = float(difference.mean())
    return ParityResult(len(exported), agreement, max_diff, mean_diff, thresholds, bool(passed))


@dataclasses.dataclass(frozen=True)
class GateTexts:
    """The texts the gate compares on, and where they came from."""

    texts: list[str]
    from_dev: int
    from_train: int

    def describe(self) -> str:
        parts = [f"{self.from_dev} dev"] + ([f"{self.from_train} training"] if self.from_train else [])
        return f"{len(self.texts)} texts ({' + '.join(parts)})"


def gate_texts(dev: list[str], train: list[str], count: int, seed: int) -> GateTexts:
    """`count` texts (`--parity-examples`, at least 500): dev's first, then training texts drawn with
    `seed` when dev is smaller; all there are, if fewer."""
    check_parity_examples(count)
    chosen = list(dev[:count])
    from_train = 0
    if len(chosen) < count and train:
        extra = random.Random(seed).sample(range(len(train)), min(count - len(chosen), len(train)))
        chosen += [train[index] for index in extra]
        from_train = len(extra)
    if not chosen:
        raise ExportError("the data has no texts: the parity gate has nothing to compare")
    return GateTexts(chosen, len(chosen) - from_train, from_train)


def check_parity_examples(count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < MIN_PARITY_EXAMPLES:
        raise ExportError(f"--parity-examples must be an integer >= {MIN_PARITY_EXAMPLES}, got {count!r}")
