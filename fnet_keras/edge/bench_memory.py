"""Peak resident memory of a process that loads one model and nothing else, measured per process.

Each measurement starts a fresh Python that imports the edge runtime, loads the model as
`LiteRTModel` does (bytes in memory), allocates and fills its inputs
(`bench_session.synthetic_inputs`), runs a few inferences and exits; its peak resident set size
comes from `os.wait4` on that one process (`RUSAGE_CHILDREN` reports the largest child so far).

Why a launcher: on Linux ru_maxrss survives `execve`, so a process spawned by this one would
report this one's size too (a 10 MiB child of a 500 MiB parent reads 524 MiB). A small launcher
(a bare Python with `os`, `sys` and `json`) spawns the measured process and waits for it, so the
figure includes at most the launcher's few MiB. On Linux the measured process also reports its own
/proc `VmHWM` as a cross-check. A baseline process that loads no model gives the interpreter's own
footprint: `peak - baseline` is what the model adds. Needs POSIX (`os.wait4`, `os.posix_spawn`);
elsewhere `memory_supported()` is False and the report says so.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from fnet_keras.edge.device_info import proc_bytes
from fnet_keras.edge.errors import EdgeRuntimeError
from fnet_keras.edge.runtime import RuntimeInfo, detect_runtime, run_python_child

MEMORY_TIMEOUT_SECONDS = 600  # for one measured process: import, load, a few inferences

# Spawns argv[1:] under this Python, collects its stdout, and reports its own rusage.
_LAUNCHER = r"""
import json, os, sys
read_end, write_end = os.pipe()
pid = os.posix_spawn(
    sys.executable, [sys.executable, *sys.argv[1:]], os.environ,
    file_actions=[(os.POSIX_SPAWN_DUP2, write_end, 1), (os.POSIX_SPAWN_CLOSE, read_end)],
)
os.close(write_end)
chunks = []
while chunk := os.read(read_end, 65536):
    chunks.append(chunk)
_, status, usage = os.wait4(pid, 0)
print(json.dumps({
    "exit_code": os.waitstatus_to_exitcode(status),
    "ru_maxrss": usage.ru_maxrss,
    "stdout": b"".join(chunks).decode("utf-8", "replace"),
}))
"""
# The measured process (the same imports with or without a model).
_MEASURED_PROCESS = (
    "import sys; from fnet_keras.edge.bench_memory import run_measured_process; "
    "run_measured_process(sys.argv[1:])"
)


@dataclasses.dataclass(frozen=True)
class PeakMemory:
    """The peak memory of one measured process.

    Attributes:
        peak_rss_bytes: ru_maxrss from `os.wait4`, in bytes.
        vm_hwm_bytes: the process's own /proc/self/status VmHWM in bytes (None off Linux).
        runs: inferences it ran (0 for the baseline).
    """

    peak_rss_bytes: int
    vm_hwm_bytes: int | None
    runs: int


def memory_supported() -> bool:
    """Whether this OS lets the bench measure one process's peak memory (`os.wait4`, `os.posix_spawn`)."""
    return hasattr(os, "wait4") and hasattr(os, "posix_spawn")


def measure_peak_memory(
    runtime: RuntimeInfo,
    model_bytes: bytes | None,
    *,
    threads: int = 1,
    runs: int = 10,
    seed: int = 0,
    vocabulary_size: int | None = None,
) -> PeakMemory:
    """Peak memory of a fresh process that loads `model_bytes` (None: nothing, the baseline) and runs it.

    Raises:
        EdgeRuntimeError: the OS cannot measure it, or the process failed (its stderr quoted).
    """
    if not memory_supported():
        raise EdgeRuntimeError(
            "measuring one process's peak memory needs os.wait4 and os.posix_spawn (POSIX)"
        )
    with tempfile.TemporaryDirectory(prefix="fnet-keras-bench-") as directory:
        model_path = ""
        if model_bytes is not None:
            model_path = str(Path(directory) / "model.tflite")
            Path(model_path).write_bytes(model_bytes)
        numbers = (threads, runs if model_bytes is not None else 0, seed, vocabulary_size or 0)
        child = ["-c", _MEASURED_PROCESS, runtime.name, model_path, *map(str, numbers)]
        try:
            completed = run_python_child(_LAUNCHER, child, MEMORY_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise EdgeRuntimeError(
                f"the memory measurement process did not finish within {MEMORY_TIMEOUT_SECONDS} s"
            ) from None
    stderr = completed.stderr.decode("utf-8", "replace").strip()
    try:
        launched = json.loads(completed.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise EdgeRuntimeError(
            f"the memory launcher failed (exit {completed.returncode}): {stderr[-500:]}"
        ) from None
    if launched["exit_code"] != 0:
        raise EdgeRuntimeError(
            f"the memory measurement process failed (exit {launched['exit_code']}): {stderr[-500:]}"
        )
    report = json.loads(launched["stdout"].strip().splitlines()[-1])
    kib = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes; Linux and the BSDs KiB
    return PeakMemory(launched["ru_maxrss"] * kib, report["vm_hwm_bytes"], report["runs"])


def run_measured_process(argv: list[str]) -> None:
    """The measured process: load (or not), allocate, fill inputs, run, report its own peak resident
    size since exec (Linux /proc/self/status VmHWM, else None) on stdout."""
    from fnet_keras.edge.bench_session import input_specs, synthetic_inputs

    runtime_name, model_path, threads, runs, seed, vocabulary_size = argv
    runtime = detect_runtime(runtime_name)  # imports the interpreter, for the baseline too
    if model_path:
        interpreter = runtime.module.Interpreter(
            model_content=Path(model_path).read_bytes(), num_threads=int(threads)
        )
        interpreter.allocate_tensors()
        specs = input_specs(interpreter, int(vocabulary_size) or None)
        for index, array in synthetic_inputs(specs, int(seed)).items():
            interpreter.set_tensor(index, array)
        for _ in range(int(runs)):
            interpreter.invoke()
    vm_hwm_bytes = proc_bytes(Path("/proc/self/status"), "VmHWM")
    print(json.dumps({"vm_hwm_bytes": vm_hwm_bytes, "runs": int(runs)}))
