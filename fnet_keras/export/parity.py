"""Running an exported model in LiteRT and the parity gate against the Keras model.

Thresholds per quantization (argmax agreement with the Keras logits on the same token ids,
and the largest absolute logit difference where it is meaningful):
  fp32     100% and <= 1e-3      (only float reassociation separates them)
  fp16     100% and <= 5e-2      (float16 weights)
  dynamic  >= 98%                (int8 weights: logits move, decisions should not)
  int8     >= 98%
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from fnet_keras.edge.litert_model import dequantize
from fnet_keras.export.convert import INPUT_NAME, OUTPUT_NAME, SIGNATURE_KEY
from fnet_keras.export.errors import ExportError

PARITY_THRESHOLDS: dict[str, dict[str, float | None]] = {
    "fp32": {"argmax_agreement": 1.0, "max_abs_logit_diff": 1e-3},
    "fp16": {"argmax_agreement": 1.0, "max_abs_logit_diff": 5e-2},
    "dynamic": {"argmax_agreement": 0.98, "max_abs_logit_diff": None},
    "int8": {"argmax_agreement": 0.98, "max_abs_logit_diff": None},
}
MIN_PARITY_EXAMPLES = 500


@dataclasses.dataclass(frozen=True)
class ParityResult:
    """How closely an exported model follows the Keras model on the gate examples.

    Attributes:
        examples: number of examples compared.
        argmax_agreement: fraction with the same predicted class.
        max_abs_logit_diff, mean_abs_logit_diff: over all logits of all examples.
        thresholds: the gate's thresholds (`max_abs_logit_diff` None: not gated).
        passed: whether both thresholds hold (a NaN logit fails).
    """

    examples: int
    argmax_agreement: float
    max_abs_logit_diff: float
    mean_abs_logit_diff: float
    thresholds: dict[str, float | None]
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_bundle_dict(self) -> dict[str, Any]:
        """The bundle.json `parity` object (the spec's keys)."""
        keys = ("examples", "argmax_agreement", "max_abs_logit_diff", "thresholds", "passed")
        return {key: getattr(self, key) for key in keys}


def compare_logits(exported: np.ndarray, reference: np.ndarray, quantization: str) -> ParityResult:
    """The parity figures of `exported` against `reference` (both `(n, classes)`)."""
    exported = np.asarray(exported, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if exported.shape != reference.shape or exported.ndim != 2 or len(exported) == 0:
        raise ExportError(f"cannot compare logits of shapes {exported.shape} and {reference.shape}")
    thresholds = dict(PARITY_THRESHOLDS[quantization])
    difference = np.abs(exported - reference)
    agreement = float(np.mean(exported.argmax(axis=1) == reference.argmax(axis=1)))
    max_diff = float(difference.max())
    finite = bool(np.all(np.isfinite(exported)))
    passed = finite and agreement >= thresholds["argmax_agreement"]
    if thresholds["max_abs_logit_diff"] is not None:
        passed = passed and max_diff <= thresholds["max_abs_logit_diff"]
    return ParityResult(
        examples=len(exported),
        argmax_agreement=agreement,
        max_abs_logit_diff=max_diff if finite else float("inf"),
        mean_abs_logit_diff=float(difference.mean()) if finite else float("inf"),
        thresholds=thresholds,
        passed=bool(passed),
    )


class _Runner:
    """The model's `serving_default` signature in the LiteRT interpreter, one example at a time."""

    def __init__(self, tflite_bytes: bytes):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise ExportError(
                "the parity gate runs the exported model with ai_edge_litert, which is not installed "
                "(pip install 'fnet-keras[edge]')"
            ) from None
        try:
            self.interpreter = Interpreter(model_content=bytes(tflite_bytes), num_threads=1)
            signatures = self.interpreter.get_signature_list()
        except (RuntimeError, ValueError) as error:
            raise ExportError(f"LiteRT cannot load the exported model: {error}") from None
        expected = {SIGNATURE_KEY: {"inputs": [INPUT_NAME], "outputs": [OUTPUT_NAME]}}
        if signatures != expected:
            raise ExportError(f"the exported model's signatures are {signatures}, expected {expected}")
        self.runner = self.interpreter.get_signature_runner(SIGNATURE_KEY)
        self.input = self.runner.get_input_details()[INPUT_NAME]
        self.output = self.runner.get_output_details()[OUTPUT_NAME]

    def logits(self, token_ids: np.ndarray) -> np.ndarray:
        """float32 `(n, classes)` logits (an int8 output is dequantized)."""
        token_ids = np.asarray(token_ids, dtype=np.int32)
        rows = [self.runner(**{INPUT_NAME: row[None, :]})[OUTPUT_NAME][0] for row in token_ids]
        logits = np.stack(rows) if rows else np.zeros((0, int(self.output["shape"][-1])))
        if self.output["dtype"] == np.int8:
            return dequantize(logits, *self.output["quantization"])
        return logits.astype(np.float32)

    def io_spec(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """bundle.json's `input` and `outputs` objects, read from the interpreter."""
        model_input = {
            "name": INPUT_NAME,
            "dtype": np.dtype(self.input["dtype"]).name,
            "shape": [int(size) for size in self.input["shape"]],
        }
        output = {
            "dtype": np.dtype(self.output["dtype"]).name,
            "shape": [int(size) for size in self.output["shape"]],
        }
        if self.output["dtype"] == np.int8:
            scale, zero_point = self.output["quantization"]
            output["quantization"] = {"scale": float(scale), "zero_point": int(zero_point)}
        return model_input, {OUTPUT_NAME: output}


def tflite_runner(tflite_bytes: bytes) -> _Runner:
    """Loads an exported model in LiteRT (default CPU delegates, 1 thread); checks its signature."""
    return _Runner(tflite_bytes)
