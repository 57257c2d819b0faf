"""`ModeReport`: what one mode's export produced and measured."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from fnet_keras.export.parity import ParityResult
from fnet_keras.export.tflite_ops import MATMUL_FFT_OPS


@dataclasses.dataclass
class ModeReport:
    """One exported model: its recipe (`fnet_keras.export.recipes`), size, ops (by name; `float_ops`: those
    still computing in float when quantized), parity and test accuracy. `p50_ms` is the median latency
    measured here (batch 1, 1 thread), `cpu_p50_ms` the timing thread's median CPU time over the same runs
    (what recipes are compared by: other processes barely touch it), `latency_load` the machine's load
    (`MachineLoad.to_dict()`); None where nothing was timed. `alternatives`: the other recipes tried,
    name -> {"passed", "p50_ms", "cpu_p50_ms", "reason"}. `tflite_bytes` (not serialised) and
    `loaded_model` (the `LiteRTModel` the gate ran) go to the bundle writer; `bundle_dir` is where the
    bundle was written (None if the gate failed)."""

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
            "mode": self.mode, "recipe": self.recipe, "fourier_method": self.fourier_method,
            "size_bytes": self.size_bytes, "op_count": self.op_count, "ops": dict(self.ops),
            "float_ops": dict(self.float_ops), "parity": self.parity.to_dict(),
            "test_accuracy": self.test_accuracy, "p50_ms": self.p50_ms, "cpu_p50_ms": self.cpu_p50_ms,
            "latency_load": self.latency_load, "alternatives": self.alternatives,
            "bundle_dir": None if self.bundle_dir is None else str(self.bundle_dir),
        }
