"""Which LiteRT interpreter runs a bundle: detection, and the compatibility rules, written down once.

- `ai_edge_litert` (preferred): version `MIN_AI_EDGE_LITERT` or newer runs every quantization.
- `tflite_runtime` (fallback; its last release is 2.14 and it imports only with numpy < 2): runs
  TF 2.21's fp32, fp16 and int8 models, but not dynamic-range ones (`_DYNAMIC_REASON`).

The exporter records the rules in bundle.json's `runtime` field (`runtime_requirements`); the loader
enforces them (`check_runtime`) before it hands any bytes to an interpreter.
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
RUNTIME_NAMES = (AI_EDGE_LITERT, TFLITE_RUNTIME)  # in order of preference
MIN_AI_EDGE_LITERT = "2.3.0"
MIN_TFLITE_RUNTIME = "2.14.0"
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
        """Whether the interpreter checks a flatbuffer before using it: ai_edge_litert raises on a bad
        file, tflite_runtime 2.14 crashes (SIGSEGV) on a truncated or scrambled one."""
        return self.name == AI_EDGE_LITERT

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
        except Exception as error:  # tflite_runtime under numpy 2 fails with ImportError or AttributeError
            first_line = (str(error).strip().splitlines() or ["no message"])[0]
            problems.append(f"{candidate}: {type(error).__name__}: {first_line}")
            continue
        try:
            version = importlib.metadata.version(candidate.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            version = str(getattr(importlib.import_module(candidate), "__version__", "unknown"))
        return RuntimeInfo(candidate, version, module)
    raise EdgeRuntimeError(
        "no usable LiteRT interpreter (" + "; ".join(problems) + "): install one with "
        "`pip install ai-edge-litert numpy`"
    )


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
    """Refuses (BundleError, naming bundle.json `path`) a bundle of this quantization ("fp32", ...)
    and validated `runtime` field (`runtime_requirements`) that the named interpreter package
    ("ai_edge_litert" or "tflite_runtime") and version cannot run."""
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
    """Runs `code` in a new Python with `args` (output captured) that imports fnet_keras and the
    interpreter from where this process found them (its `sys.path`), for a model that must be tried
    or measured apart from this process (a crash or the peak memory stays there). Raises
    `subprocess.TimeoutExpired` after `timeout` seconds."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(entry for entry in sys.path if entry)},
    )
