"""External timers for `fnet-keras bench --tool ...`: LiteRT's own benchmarks, parsed into bench cells.

- `benchmark_model`: LiteRT's native binary, if it is on PATH (prebuilt binaries are published
  per platform; it builds with `bazel build -c opt //tflite/tools/benchmark:benchmark_model`).
  Its output is parsed from the lines its `BenchmarkLoggingListener` prints:
  `Inference timings in us: Init: I, First inference: F, Warmup (avg): W, Inference (avg): A`,
  the `count=N first=.. curr=.. min=.. max=.. avg=.. std=.. [p5=.. median=.. p95=..]` lines
  (warmup stats first, counted runs last) and, when it reports one, `Peak memory footprint
  (MB): init=.. overall=..`. The binary does not run on the machine this was written on, so
  the parser follows LiteRT's source and documentation and has not been run against real
  output.
- `litert-benchmark`: ai-edge-litert's Python script (`ai_edge_litert.tools.benchmark_litert_model`,
  ai-edge-litert >= 2.3), which times the CompiledModel API and writes a JSON summary. It
  fills integer inputs with random values in [-128, 127], so models that look up token ids
  (every text classifier) fail in GATHER with negative ids; it is a cross-check for models
  with float inputs only. It reports milliseconds rounded to 0.01 (so a model faster than
  5 us shows 0), and its std as a sample standard deviation; the cell holds microseconds and
  the std converted to the population one.

Each function returns one cell (`fnet_keras.edge.bench_result` field names) without
`model`, `threads`, per-run samples or round medians: tools report summaries only.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from fnet_keras.edge.errors import EdgeRuntimeError

BENCHMARK_MODEL = "benchmark_model"
LITERT_BENCHMARK = "litert-benchmark"
LITERT_BENCHMARK_MODULE = "ai_edge_litert.tools.benchmark_litert_model"
TOOL_TIMEOUT_SECONDS = 1800

_NUMBER = r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
_TIMINGS = re.compile(
    rf"Inference timings in us: Init: {_NUMBER}, First inference: {_NUMBER}, "
    rf"Warmup \(avg\): {_NUMBER}, Inference \(avg\): {_NUMBER}"
)
_STATS = re.compile(
    rf"count={_NUMBER} first={_NUMBER} curr={_NUMBER} min={_NUMBER} max={_NUMBER} avg={_NUMBER} std={_NUMBER}"
    rf"(?: p5={_NUMBER} median={_NUMBER} p95={_NUMBER})?"
)
_PEAK_MEMORY = re.compile(rf"Peak memory footprint \(MB\): init={_NUMBER} overall={_NUMBER}")
_DELEGATE_KERNELS = re.compile(r"XNNPACK delegate.*?w/ (\d+) delegate kernels")


class BenchToolError(EdgeRuntimeError):
    """An external benchmark tool is missing, failed, or printed nothing this parser recognizes."""


def find_benchmark_model() -> str:
    """The path of LiteRT's `benchmark_model` on PATH.

    Raises:
        BenchToolError: it is not on PATH (the message says where it comes from).
    """
    found = shutil.which(BENCHMARK_MODEL)
    if found is None:
        raise BenchToolError(
            f"--tool {BENCHMARK_MODEL}: LiteRT's native `{BENCHMARK_MODEL}` binary is not on PATH. Put a "
            f"prebuilt one for this platform on PATH, or build it from LiteRT's sources (bazel build -c opt "
            f"//tflite/tools/benchmark:benchmark_model); or leave out --tool to time with this package"
        )
    return found


def run_benchmark_model(
    binary: str, model_path: str, *, threads: int, runs: int, warmup: int
) -> dict[str, Any]:
    """Runs the binary on one model and parses its output (`parse_benchmark_model_output`)."""
    command = [
        binary,
        f"--graph={model_path}",
        f"--num_threads={threads}",
        f"--num_runs={runs}",
        f"--warmup_runs={warmup}",
        # Its defaults also run for at least 1 s (0.5 s of warmup); run exactly the counts asked for.
        "--min_secs=0",
        "--warmup_min_secs=0",
    ]
    output = _run_tool(command, BENCHMARK_MODEL)
    return parse_benchmark_model_output(output)


def parse_benchmark_model_output(output: str) -> dict[str, Any]:
    """A bench cell from benchmark_model's log (see the module docstring for the lines read).

    Raises:
        BenchToolError: no `Inference timings in us:` line.
    """
    timings = _TIMINGS.search(output)
    if timings is None:
        raise BenchToolError(
            f"{BENCHMARK_MODEL} printed no 'Inference timings in us:' line; its output ends with: "
            f"{output[-800:]}"
        )
    init, first, warmup_avg, inference_avg = (float(value) for value in timings.groups())
    stats = [match.groups() for match in _STATS.finditer(output[: timings.start()])]
    warmup_stats, counted = (stats[0], stats[-1]) if len(stats) >= 2 else (None, stats[-1] if stats else None)

    def number(groups, position):
        return None if groups is None or groups[position] is None else float(groups[position])

    partitions = _DELEGATE_KERNELS.search(output)
    delegate = "XNNPACK" if "XNNPACK delegate" in output else "unknown"
    peak = _PEAK_MEMORY.search(output)
    return {
        "init": init,
        "first_inference": first,
        "warmup_avg": warmup_avg,
        "warmup_count": None if warmup_stats is None else int(float(warmup_stats[0])),
        "inference_count": 0 if counted is None else int(float(counted[0])),
        "inference_avg": inference_avg,
        "inference_std": number(counted, 6),
        "inference_min": number(counted, 3),
        "inference_max": number(counted, 4),
        "inference_p50": number(counted, 8),
        "inference_p90": None,
        "inference_p99": None,
        "delegate": delegate,
        "delegate_partitions": int(partitions.group(1)) if partitions else None,
        "memory": None
        if peak is None
        else {
            "peak_rss_bytes": round(float(peak.group(2)) * 2**20),
            "above_baseline_bytes": None,
            "vm_hwm_bytes": None,
            "runs": None,
            "source": BENCHMARK_MODEL,
        },
    }


def check_litert_benchmark() -> None:
    """Raises BenchToolError if ai-edge-litert's benchmark script is not installed."""
    try:
        found = importlib.util.find_spec(LITERT_BENCHMARK_MODULE) is not None
    except ImportError:
        found = False
    if not found:
        raise BenchToolError(
            f"--tool {LITERT_BENCHMARK}: {LITERT_BENCHMARK_MODULE} is not installed (it ships with "
            f"ai-edge-litert >= 2.3: pip install -U ai-edge-litert)"
        )


def run_litert_benchmark(model_path: str, *, threads: int, runs: int, warmup: int) -> dict[str, Any]:
    """Runs ai-edge-litert's benchmark script on one model and reads its JSON summary."""
    check_litert_benchmark()
    with tempfile.TemporaryDirectory(prefix="fnet-keras-bench-") as directory:
        summary = Path(directory) / "result.json"
        command = [
            sys.executable,
            "-m",
            LITERT_BENCHMARK_MODULE,
            f"--model={model_path}",
            f"--num_threads={threads}",
            f"--num_runs={runs}",
            f"--warmup_runs={warmup}",
            f"--result_json={summary}",
        ]
        output = _run_tool(command, LITERT_BENCHMARK)
        if not summary.is_file():
            raise BenchToolError(
                f"{LITERT_BENCHMARK} wrote no summary; its output ends with: {output[-800:]}"
            )
        return litert_benchmark_cell(json.loads(summary.read_text()))


def litert_benchmark_cell(summary: dict[str, Any]) -> dict[str, Any]:
    """A bench cell from the script's `--result_json` summary (milliseconds -> microseconds)."""
    latency = summary["latency"]
    count = int(latency["num_runs"])
    sample_std = float(latency["std_ms"]) * 1000
    return {
        "init": latency["init_ms"] * 1000,
        "first_inference": latency["warmup_first_ms"] * 1000,
        "warmup_avg": latency["warmup_avg_ms"] * 1000,
        "warmup_count": int(latency["num_warmup_runs"]),
        "inference_count": count,
        "inference_avg": latency["avg_ms"] * 1000,
        "inference_std": sample_std * math.sqrt((count - 1) / count) if count > 1 else 0.0,
        "inference_min": latency["min_ms"] * 1000,
        "inference_max": latency["max_ms"] * 1000,
        "inference_p50": latency["median_ms"] * 1000,
        "inference_p90": None,
        "inference_p99": None,
        "delegate": "unknown",
        "delegate_partitions": None,
        "memory": None,
    }


def _run_tool(command: list[str], name: str) -> str:
    try:
        completed = subprocess.run(command, capture_output=True, timeout=TOOL_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise BenchToolError(f"{name} did not finish within {TOOL_TIMEOUT_SECONDS} s") from None
    except OSError as error:
        raise BenchToolError(f"cannot run {name}: {error}") from None
    output = (completed.stdout + completed.stderr).decode("utf-8", "replace")
    if completed.returncode != 0:
        hint = ""
        if "gather index out of bounds" in output:
            hint = (
                f" ({name} fills integer inputs with random values in [-128, 127], which are not valid token "
                f"ids; it can time only models without id inputs)"
            )
        raise BenchToolError(
            f"{name} failed (exit {completed.returncode}){hint}; its output ends with: {output[-800:]}"
        )
    return output
