"""Peak resident memory of a process that loads one model and nothing else, measured per process.

Each measurement starts a fresh Python that imports the edge runtime, loads the model the way
`LiteRTModel` does (bytes in memory, `model_content`), allocates its tensors, fills its inputs
(`bench_session.synthetic_inputs`), runs a few inferences and exits. Its peak resident set
size comes from `os.wait4` on that one process, not from `RUSAGE_CHILDREN`, which reports
the largest child so far.

Why a launcher: on Linux a process's ru_maxrss survives `execve` and includes the resident
size of the process it was spawned from (measured here: a 10 MiB child of a 500 MiB parent
reported 524 MiB through wait4, while its own /proc VmHWM said 10.6 MiB). So the bench does
not spawn the measured process itself: it starts a small launcher (a bare Python with only
`os`, `sys` and `json`), which spawns the measured process and waits for it with `os.wait4`.
The measured figure then includes at most the launcher's own few MiB, well below any Python
that imports numpy and an interpreter. On Linux the measured process also reports its own
`VmHWM` from /proc/self/status (the peak of its post-exec address space) as a cross-check.

A baseline process that imports the same modules and loads no model gives the interpreter's
own footprint, so `peak - baseline` is what the model adds. Needs POSIX (`os.wait4`,
`os.posix_spawn`); elsewhere `memory_supported()` is False and the report says so.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from fnet_keras.edge.errors import EdgeRuntimeError
from fnet_keras.edge.runtime import RuntimeInfo, run_python_child

# Seconds one measured process may take (import, load, a few inferences).
MEMORY_TIMEOUT_SECONDS = 600

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


def _maxrss_bytes(ru_maxrss: int) -> int:
    # Linux and the BSDs report KiB; macOS reports bytes.
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024


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
        child = [
            "-c",
            _MEASURED_PROCESS,
            runtime.name,
            model_path,
            str(threads),
            str(runs if model_bytes is not None else 0),
            str(seed),
            str(vocabulary_size or 0),
        ]
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
    return PeakMemory(_maxrss_bytes(launched["ru_maxrss"]), report["vm_hwm_bytes"], report["runs"])


def own_vm_hwm_bytes() -> int | None:
    """This process's peak resident size since exec (Linux /proc/self/status VmHWM), else None."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+)\s*kB", status, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def run_measured_process(argv: list[str]) -> None:
    """The measured process: load (or not), allocate, fill inputs, run, report VmHWM on stdout."""
    from fnet_keras.edge.bench_session import input_specs, synthetic_inputs
    from fnet_keras.edge.runtime import detect_runtime

    runtime_name, model_path, threads, runs, seed, vocabulary_size = argv
    runtime = detect_runtime(runtime_name)  # Imports the interpreter, for the baseline too.
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
    print(json.dumps({"vm_hwm_bytes": own_vm_hwm_bytes(), "runs": int(runs)}))
