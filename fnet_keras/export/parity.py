"""The parity gate: an exported model against the Keras model it came from, on the same texts.

Both sides give probabilities (format-2 models have the softmax in the graph; the Keras
reference is the softmax of the Keras logits). A mode passes when, on the gate's texts,

    fp32     the top label agrees on 100% of texts and max |Δp| <= 1e-4
    fp16     100% and max |Δp| <= 1e-2
    dynamic  >= 98% agreement
    int8     >= 98% agreement

(any NaN or infinite output fails). The texts: `parity_examples` of them (default 1000, at
least 500): the dev split first, then training texts drawn with the run's seed when dev is
smaller; a data set with fewer texts in all is gated on all of them, and the report says how
many came from where (`gate_texts`). The labels of these texts play no part: the gate measures
agreement, not accuracy.
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
# What to try when a mode fails its gate, by mode.
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
    """How closely an exported model follows the Keras model on the gate's texts.

    Attributes:
        examples: number of texts compared.
        agreement: fraction with the same top label.
        max_abs_probability_diff, mean_abs_probability_diff: over all probabilities of all texts.
        thresholds: the gate's thresholds (`max_abs_probability_diff` None: not gated).
        passed: whether both thresholds hold (a non-finite output fails).
    """

    examples: int
    agreement: float
    max_abs_probability_diff: float
    mean_abs_probability_diff: float
    thresholds: dict[str, float | None]
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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
    return ParityResult(
        examples=len(exported),
        agreement=agreement,
        max_abs_probability_diff=max_diff,
        mean_abs_probability_diff=float(difference.mean()),
        thresholds=thresholds,
        passed=bool(passed),
    )


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
    """`count` texts: dev's first, then training texts drawn with `seed` (all there are, if fewer)."""
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
