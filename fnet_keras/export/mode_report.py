"""`ModeReport`: what one quantization mode's export produced and measured."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from fnet_keras.export.parity import ParityResult
from fnet_keras.export.tflite_ops import MATMUL_FFT_OPS


@dataclasses.dataclass
class ModeReport:
    """One exported model: its recipe, size, ops, parity and test accuracy.

    Attributes:
        quantization: "fp32", "fp16", "dynamic" or "int8".
        mixing: FourierMixing method traced ("rfft", "dft", or "none").
        size_bytes: bytes of model.tflite.
        ops: op name -> count, from the flatbuffer.
        float_ops: int8 only: ops that still compute in float, name -> count ({} otherwise).
        parity: the gate's figures on the dev examples.
        test_accuracy: accuracy on the run's labelled test split, or None.
        test_examples: number of test examples scored (0 without a labelled test split).
        input, outputs: bundle.json's `input` and `outputs` objects.
        convert_seconds: wall time of tracing and conversion.
        tflite_bytes: the flatbuffer (not serialised into reports).
        bundle_dir: where the bundle was written, once it is.
    """

    quantization: str
    mixing: str
    size_bytes: int
    ops: dict[str, int]
    float_ops: dict[str, int]
    parity: ParityResult
    test_accuracy: float | None
    test_examples: int
    input: dict[str, Any]
    outputs: dict[str, Any]
    convert_seconds: float
    tflite_bytes: bytes = dataclasses.field(repr=False, default=b"")
    bundle_dir: Path | None = None

    @property
    def op_count(self) -> int:
        return sum(self.ops.values())

    @property
    def float_matmul_fft_ops(self) -> dict[str, int]:
        """The float ops on the matmul/FFT path (the int8 goal is none)."""
        return {name: count for name, count in self.float_ops.items() if name in MATMUL_FFT_OPS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantization": self.quantization,
            "mixing": self.mixing,
            "size_bytes": self.size_bytes,
            "op_count": self.op_count,
            "ops": dict(self.ops),
            "float_ops": dict(self.float_ops),
            "float_matmul_fft_ops": self.float_matmul_fft_ops,
            "parity": self.parity.to_dict(),
            "test_accuracy": self.test_accuracy,
            "test_examples": self.test_examples,
            "input": self.input,
            "outputs": self.outputs,
            "convert_seconds": round(self.convert_seconds, 3),
            "bundle_dir": None if self.bundle_dir is None else str(self.bundle_dir),
        }
