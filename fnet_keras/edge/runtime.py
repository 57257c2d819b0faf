"""Which LiteRT interpreter runs a bundle: detection, and the compatibility rules, written down once.

Two interpreter packages can run a bundle:
- `ai_edge_litert` (preferred): version `MIN_AI_EDGE_LITERT` or newer runs every quantization.
- `tflite_runtime` (fallback; its last release is 2.14 and it imports only with numpy < 2):
  runs TF 2.21's fp32, fp16 and int8 models, but not dynamic-range ones, whose
  FULLY_CONNECTED ops are version 12, a kernel version 2.14 does not have ("Didn't find op
  for builtin opcode 'FULLY_CONNECTED' version '12'").

The exporter records the rules in bundle.json's `runtime` field (`runtime_requirements`); the
loader enforces them (`check_runtime`) before it hands any bytes to an interpreter.

ai_edge_litert verifies a model's flatbuffer and raises on a bad one; tflite_runtime 2.14 does
not and crashes on a truncated or scrambled file, so `LiteRTModel` first loads such a model in a
child process (`RuntimeInfo.verifies_models`).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import os
import re
import subprocess
import sys
from types import ModuleType
from typing import Any

from fnet_keras.edge.errors import BundleError, EdgeRuntimeError

AI_EDGE_LITERT = "ai_edge_litert"
TFLITE_RUNTIME = "tflite_runtime"
RUNTIME_NAMES = (AI_EDGE_LITERT, TFLITE_RUNTIME)  # In order of preference.
MIN_AI_EDGE_LITERT = "2.3.0"
MIN_TFLITE_RUNTIME = "2.14.0"
_DISTRIBUTIONS = {AI_EDGE_LITERT: "ai-edge-litert", TFLITE_RUNTIME: "tflite-runtime"}
# ai_edge_litert runs the flatbuffer verifier on model bytes and raises ValueError on a bad
# file; tflite_runtime 2.14 does not, and a truncated or scrambled file crashes it (SIGSEGV).
_VERIFIES_MODELS = {AI_EDGE_LITERT: True, TFLITE_RUNTIME: False}
_DYNAMIC_REASON = (
    "tflite_runtime (last release 2.14) lacks the FULLY_CONNECTED version 12 kernel that TF 2.21 "
    "writes for dynamic-range models (\"Didn't find op for builtin opcode 'FULLY_CONNECTED' "
    "version '12'\")"
)


@dataclasses.dataclass(frozen=True)
class RuntimeInfo:
    """An importable LiteRT interpreter package.

    Attributes:
        name: "ai_edge_litert" or "tflite_runtime".
        version: its installed version, e.g. "2.3.0" ("unknown" if it has no metadata).
        module: its `interpreter` module (holds `Interpreter` and `OpResolverType`).
    """

    name: str
    version: str
    module: ModuleType = dataclasses.field(repr=False, compare=False)

    @property
    def verifies_models(self) -> bool:
        """Whether the interpreter checks a flatbuffer's structure itself before using it."""
        return _VERIFIES_MODELS[self.name]

    def describe(self) -> dict[str, str]:
        """`{"name": ..., "version": ...}` for reports and JSON output."""
        return {"name": self.name, "version": self.version}


def detect_runtime(name: str | None = None) -> RuntimeInfo:
    """The interpreter to use: `name` if given, else ai_edge_litert, else tflite_runtime.

    Raises:
        EdgeRuntimeError: none of the candidates imports; the message says why for each.
        ValueError: `name` is not one of `RUNTIME_NAMES`.
    """
    if name is not None and name not in RUNTIME_NAMES:
        raise ValueError(f"unknown LiteRT runtime {name!r}; known: {', '.join(RUNTIME_NAMES)}")
    problems = []
    for candidate in (name,) if name else RUNTIME_NAMES:
        try:
            module = importlib.import_module(f"{candidate}.interpreter")
        except Exception as error:  # tflite_runtime under numpy 2 fails with ImportError or AttributeError.
            first_line = (str(error).strip().splitlines() or ["no message"])[0]
            problems.append(f"{candidate}: {type(error).__name__}: {first_line}")
            continue
        return RuntimeInfo(candidate, _installed_version(candidate), module)
    raise EdgeRuntimeError(
        "no usable LiteRT interpreter (" + "; ".join(problems) + "): install one with "
        "`pip install ai-edge-litert numpy`"
    )


def _installed_version(name: str) -> str:
    try:
        return importlib.metadata.version(_DISTRIBUTIONS[name])
    except importlib.metadata.PackageNotFoundError:
        return str(getattr(importlib.import_module(name), "__version__", "unknown"))


def parse_version(version: str) -> tuple[int, ...]:
    """The leading numeric release parts: "2.14.0" -> (2, 14, 0), "2.3.0rc1" -> (2, 3, 0), "unknown" -> ()."""
    parts = []
    for part in version.split("."):
        digits = re.match(r"\d+", part)
        if not digits:
            break
        parts.append(int(digits.group()))
        if digits.end() != len(part):
            break
    return tuple(parts)


def runtime_requirements(quantization: str) -> dict[str, Any]:
    """bundle.json's `runtime` field for a bundle of this quantization."""
    runs_on_tflite_runtime = quantization != "dynamic"
    note = (
        f"ai_edge_litert >= {MIN_AI_EDGE_LITERT} runs it; tflite_runtime >= {MIN_TFLITE_RUNTIME} too"
        if runs_on_tflite_runtime
        else f"needs ai_edge_litert >= {MIN_AI_EDGE_LITERT}: {_DYNAMIC_REASON}"
    )
    return {"min_ai_edge_litert": MIN_AI_EDGE_LITERT, "tflite_runtime": runs_on_tflite_runtime, "note": note}


def check_runtime(
    quantization: str,
    requirements: dict[str, Any],
    runtime_name: str,
    runtime_version: str,
    path: str | None = None,
) -> None:
    """Refuses (BundleError) a bundle that the named interpreter package and version cannot run.

    Args:
        quantization: the bundle's mode ("fp32", "fp16", "dynamic" or "int8").
        requirements: bundle.json's validated `runtime` field (`runtime_requirements`).
        runtime_name: "ai_edge_litert" or "tflite_runtime".
        runtime_version: its version string.
        path: the bundle.json named in errors.
    """
    found = parse_version(runtime_version)
    if runtime_name == AI_EDGE_LITERT:
        needed = requirements["min_ai_edge_litert"]
        if found < parse_version(needed):
            raise BundleError(
                f"this {quantization} bundle needs ai_edge_litert >= {needed} (runtime.min_ai_edge_litert), "
                f"but ai_edge_litert {runtime_version} is installed: pip install -U ai-edge-litert",
                path,
            )
        return
    if runtime_name != TFLITE_RUNTIME:
        raise ValueError(f"unknown LiteRT runtime {runtime_name!r}; known: {', '.join(RUNTIME_NAMES)}")
    fix = f"install ai-edge-litert >= {requirements['min_ai_edge_litert']} (pip install ai-edge-litert)"
    if quantization == "dynamic":
        raise BundleError(
            f"a dynamic-range bundle cannot run on tflite_runtime {runtime_version}: {_DYNAMIC_REASON}; "
            f"{fix}, or export it as fp32, fp16 or int8",
            path,
        )
    if not requirements["tflite_runtime"]:
        note = requirements.get("note") or "no reason recorded"
        raise BundleError(
            f"the exporter marked this {quantization} bundle as not runnable on tflite_runtime "
            f"(runtime.tflite_runtime is false: {note}); {fix}",
            path,
        )
    if found < parse_version(MIN_TFLITE_RUNTIME):
        raise BundleError(
            f"tflite_runtime {runtime_version} is too old for TF 2.21 models "
            f"(needs >= {MIN_TFLITE_RUNTIME}); {fix}",
            path,
        )


def run_python_child(code: str, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Runs `code` in a new Python process with `args` (output captured), importing fnet_keras and
    the interpreter package from where this process found them (its `sys.path`): used where a
    model must be tried or measured apart from this process (a crash or the peak memory stays
    there). Raises `subprocess.TimeoutExpired` after `timeout` seconds."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(entry for entry in sys.path if entry)},
    )
