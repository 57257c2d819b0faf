"""`ModeReport`: what one mode's export produced and measured."""

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
        mode: "fp32", "fp16", "dynamic" or "int8".
        recipe: the recipe kept (`fnet_keras.export.recipes`), e.g. "int8-rfft".
        fourier_method: the FourierMixing method in the graph ("rfft", "dft" or None).
        size_bytes: bytes of model.tflite.
        ops: op name -> count, from the flatbuffer.
        float_ops: ops that still compute in float in a quantized model (its float islands).
        parity: the gate's figures.
        test_accuracy: accuracy on the run's labelled test split, or None.
        p50_ms: median latency measured here when recipes were compared by speed, else None.
        cpu_p50_ms: the median CPU time of the timing thread over the same runs (what the recipes are
            compared by: other processes barely touch it), or None.
        latency_load: the machine's load while timing (`fnet_keras.edge.machine_load.MachineLoad.to_dict()`),
            or None when nothing was timed.
        alternatives: the other recipes tried for this mode: name -> {"passed", "p50_ms", "cpu_p50_ms",
            "reason"}.
        tflite_bytes: the flatbuffer (not serialised into reports).
        loaded_model: the `LiteRTModel` the gate ran (the bundle writer reuses it).
        bundle_dir: where the bundle was written, once it is (None if the gate failed).
    """

    mode: str
    recipe: str
    fourier_method: str | None
    size_bytes: int
    ops: dict[str, int]
    float_ops: dict[str, int]
    parity: ParityResult
    test_accuracy: float | None
    p50_ms: float | None = None
    cpu_p50_ms: float | None = None
    latency_load: dict[str, Any] | None = None
    alternatives: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    tflite_bytes: bytes = dataclasses.field(repr=False, default=b"")
    loaded_model: Any = dataclasses.field(repr=False, default=None)
    bundle_dir: Path | None = None

    @property
    def passed(self) -> bool:
        return self.parity.passed

    @property
    def speed_ms(self) -> float | None:
        """The median recipes are compared by: thread-CPU where measured, else wall-clock."""
        return self.p50_ms if self.cpu_p50_ms is None else self.cpu_p50_ms

    @property
    def op_count(self) -> int:
        return sum(self.ops.values())

    @property
    def float_matmul_fft_ops(self) -> dict[str, int]:
        """The float ops on the matmul/FFT path (for int8-dft the goal is none)."""
        return {name: count for name, count in self.float_ops.items() if name in MATMUL_FFT_OPS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "recipe": self.recipe,
            "fourier_method": self.fourier_method,
            "size_bytes": self.size_bytes,
            "op_count": self.op_count,
            "ops": dict(self.ops),
            "float_ops": dict(self.float_ops),
            "parity": self.parity.to_dict(),
            "test_accuracy": self.test_accuracy,
            "p50_ms": self.p50_ms,
            "cpu_p50_ms": self.cpu_p50_ms,
            "latency_load": self.latency_load,
            "alternatives": self.alternatives,
            "bundle_dir": None if self.bundle_dir is None else str(self.bundle_dir),
        }
