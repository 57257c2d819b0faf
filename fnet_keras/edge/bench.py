"""`fnet-keras bench`: latency, memory, delegate and ops of LiteRT models on this device, TF-free.

`benchmark(models, threads=[1, 2], runs=100, warmup=10, texts="texts.txt")` measures, per
model (a bundle or any .tflite) and thread count:

- `init` (load + allocate tensors, where XNNPACK is applied), `first_inference`,
  `warmup_avg`, then mean, std and p50/p90/p99 of the counted runs (microseconds; LiteRT
  benchmark_model's names; statistics in `fnet_keras.edge.bench_stats`). One inference time
  is one `invoke()` on inputs set beforehand, as benchmark_model times it. The process loads
  and runs the first model once, untimed, before any cell, so every cell's init and first
  inference are those of a process past its one-time start-up costs (benchmark_model, one
  model per process, includes them in its Init);
- with two or more models, the counted runs are interleaved: in each round every model runs
  `round_runs` times, the order rotated round by round, all models loaded in one process; the
  report gives each model's median over the first model's, and the spread of that ratio
  across rounds (this machine is shared; interleaving spreads its noise over all models);
- with texts (bundles only), end-to-end latency per text: the bundle's pure-Python tokenizer,
  then inputs set + invoke + outputs read, reported separately and summed; texts are
  interleaved across models the same way;
- the peak resident memory of a fresh process that loads only that model and runs it
  (`fnet_keras.edge.bench_memory`), next to a baseline process that loads nothing;
- the thread-CPU median of the same runs beside the wall-clock figures (1 thread: the model
  computes on the timing thread), and ratios of both; on a loaded machine the thread-CPU ratio
  is the one to trust;
- the machine's load while timing (1-minute load average, usable cores; `fnet_keras.edge.
  machine_load`), with a note when the load exceeded the cores;
- the delegate that ran (XNNPACK or none: the DELEGATE nodes of the default resolver), the
  model's own op histogram (`fnet_keras.edge.model_ops`, read from the file without any
  delegate) and the device (`fnet_keras.edge.device_info`).

The result is a `BenchmarkResult` (`fnet_keras.edge.bench_result` documents the JSON schema);
`.save(prefix)` writes prefix.json and prefix.md.

Command line: `fnet-keras bench` (`fnet_keras.cli.models`); results on stdout (Markdown, or one
JSON object with --json), progress and notes on stderr.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
from collections.abc import Callable, Sequence
from typing import Any

from fnet_keras.argtypes import positive_int
from fnet_keras.data.errors import DataError
from fnet_keras.edge.bench_memory import PeakMemory, measure_peak_memory, memory_supported
from fnet_keras.edge.bench_result import (
    MEMORY_UNIT,
    OWN_TOOL,
    SCHEMA,
    SCHEMA_VERSION,
    TIME_UNIT,
    BenchmarkResult,
)
from fnet_keras.edge.bench_session import (
    CLOCK_THREAD_CPU,
    CLOCK_WALL,
    CLOCKS,
    BenchTarget,
    TimedModel,
    default_round_runs,
    interleaved_schedule,
    load_target,
    read_texts,
    rotated_order,
    unique_names,
)
from fnet_keras.edge.bench_stats import (
    PERCENTILE_METHOD,
    PERCENTILES,
    STD_KIND,
    LatencyStats,
    median,
    min_runs_for_percentile,
    spread,
)
from fnet_keras.edge.device_info import describe_device
from fnet_keras.edge.machine_load import MachineLoad, current_load
from fnet_keras.edge.model_ops import (
    SOURCE_INTERPRETER,
    custom_op_counts,
    float_op_counts,
    op_counts,
    read_ops,
)
from fnet_keras.edge.runtime import RuntimeInfo, detect_runtime
from fnet_keras.errors import LocatedError

TIMED = "invoke"
DEFAULT_RUNS, DEFAULT_WARMUP, DEFAULT_MEMORY_RUNS = 100, 10, 10
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
Progress = Callable[[str], None]


class BenchUsageError(LocatedError):
    """Settings that cannot be carried out as given (exit code 2)."""


def benchmark(
    models: Sequence[str | os.PathLike],
    *,
    threads: Sequence[int] = (1,),
    runs: int = DEFAULT_RUNS,
    warmup: int = DEFAULT_WARMUP,
    round_runs: int | None = None,
    texts: str | os.PathLike | Sequence[str] | None = None,
    memory: bool = True,
    memory_runs: int = DEFAULT_MEMORY_RUNS,
    runtime: str | None = None,
    seed: int = 0,
    clock: str = CLOCK_WALL,
    progress: Progress | None = None,
) -> BenchmarkResult:
    """Benchmarks each model at each thread count (see the module docstring for what is measured).

    Args:
        models: bundle directories or .zip files, or .tflite files; the first is the
            reference of every ratio.
        threads: interpreter thread counts to sweep.
        runs: counted runs per model and thread count.
        warmup: runs before counting (>= 1); the first is the first inference.
        round_runs: runs per model per interleaving round (default: about ten rounds).
        texts: a file with one text per line, or the texts themselves, for end-to-end
            latency (bundles only; bare .tflite models are skipped with a note).
        memory: measure peak memory in separate processes.
        memory_runs: inferences each memory process runs.
        runtime: "ai_edge_litert" or "tflite_runtime" (default: whichever is installed).
        seed: seed of the synthetic inputs.
        clock: what an inference time is: "wall" (wall-clock, default) or "thread_cpu" (CPU time of
            the calling thread; with 1 thread LiteRT computes there, so time taken by other
            processes on a shared machine is left out; needs threads == [1]). End-to-end times
            stay wall-clock.
        progress: called with one line per step (the CLI prints them on stderr).

    Raises:
        BundleError: a model cannot be read or loaded; DataError: the texts file.
        EdgeRuntimeError: no interpreter, or an inference failed.
        BenchUsageError: settings out of range or not supported together.

    Example:
        result = benchmark(["export/sst2-fp32", "export/sst2-int8"], threads=[1, 2], texts="texts.txt")
        result.cell("sst2-int8", 1)["inference_p50"]     # microseconds
        result.comparisons[0]["models"][0]["p50_ratio"]  # int8 median / fp32 median at 1 thread
        result.save("docs/results/bench-sst2")           # .json + .md
    """
    threads = list(threads)
    round_runs = default_round_runs(runs) if round_runs is None else round_runs
    _check_settings(models, threads, runs, warmup, round_runs, memory_runs, clock)
    say = progress or (lambda line: None)
    runtime_info = detect_runtime(runtime)
    text_list, texts_source = _texts(texts)
    targets = [load_target(path, runtime_info) for path in models]
    labels = unique_names([target.name for target in targets], [target.path for target in targets])
    for target, name in zip(targets, labels, strict=True):
        target.name = name
    notes: list[str] = []
    model_entries = [_describe_model(target, runtime_info, notes) for target in targets]

    load_before = current_load()
    cells, comparisons, sessions = _measure(
        targets, runtime_info, threads, runs, warmup, round_runs, text_list, seed, say, notes, clock
    )
    load = MachineLoad.peak(load_before, current_load())
    if load.warning():
        notes.append(load.warning())
    for entry, target in zip(model_entries, targets, strict=True):
        session = sessions.get(target.name) or TimedModel(target, runtime_info, 1, seed)
        entry["inputs"] = [spec.describe() for spec in session.specs]
        entry["outputs"] = session.outputs
    del sessions

    baseline = None
    if memory and memory_supported():
        baseline = _measure_memory(cells, targets, runtime_info, memory_runs, seed, say)
    elif memory:
        notes.append("peak memory not measured: it needs os.wait4 and os.posix_spawn (POSIX)")
    else:
        notes.append("peak memory not measured (turned off)")
    _percentile_notes(runs, len(text_list), notes)

    data = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": OWN_TOOL,
        "time_unit": TIME_UNIT,
        "memory_unit": MEMORY_UNIT,
        "settings": {
            "threads": threads,
            "runs": runs,
            "warmup": warmup,
            "round_runs": round_runs,
            "memory_runs": memory_runs if baseline is not None else None,
            "texts": texts_source,
            "text_count": len(text_list),
            "seed": seed,
            "timed": TIMED,
            "clock": clock,
            "percentile_method": PERCENTILE_METHOD,
            "std": STD_KIND,
            "min_runs": {f"p{q}": min_runs_for_percentile(q) for q in PERCENTILES},
        },
        "device": describe_device(runtime_info),
        "load": load.to_dict(),
        "memory_baseline": baseline,
        "models": model_entries,
        "cells": cells,
        "comparisons": comparisons,
        "notes": notes,
    }
    return BenchmarkResult(data)


def _check_settings(models, threads, runs, warmup, round_runs, memory_runs, clock) -> None:
    if not models:
        raise BenchUsageError("no models to benchmark")
    if not threads:
        raise BenchUsageError("no thread counts")
    for name, value in (
        ("runs", runs),
        ("warmup", warmup),
        ("round_runs", round_runs),
        ("memory_runs", memory_runs),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BenchUsageError(f"{name} must be an integer >= 1, got {value!r}")
    for value in threads:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BenchUsageError(f"thread counts must be integers >= 1, got {value!r}")
    if len(set(threads)) != len(threads):
        raise BenchUsageError(f"thread counts repeat: {threads}")
    if clock not in CLOCKS:
        raise BenchUsageError(f"unknown clock {clock!r}; known: {', '.join(CLOCKS)}")
    if clock == CLOCK_THREAD_CPU and threads != [1]:
        raise BenchUsageError(
            "clock 'thread_cpu' times the calling thread: it needs threads [1] "
            "(more interpreter threads compute on other threads)"
        )


def _texts(texts) -> tuple[list[str], str | None]:
    if texts is None:
        return [], None
    if isinstance(texts, (str, os.PathLike)):
        return read_texts(texts), os.fspath(texts)
    text_list = list(texts)
    if not text_list or not all(isinstance(text, str) for text in text_list):
        raise DataError("texts must be a non-empty list of strings")
    return text_list, "(texts given in code)"


def _describe_model(target: BenchTarget, runtime: RuntimeInfo, notes: list[str]) -> dict[str, Any]:
    ops = read_ops(target.model_bytes, runtime=runtime, path=target.path)
    if ops.source == SOURCE_INTERPRETER:
        notes.append(
            f"{target.name}: ops listed by the interpreter (no ai_edge_litert schema module installed): "
            f"main subgraph only"
        )
    return {
        **target.describe(),
        "inputs": [],
        "outputs": [],
        "ops": op_counts(ops),
        "op_count": len(ops),
        "float_ops": float_op_counts(ops),
        "custom_ops": custom_op_counts(ops),
        "op_reader": ops.source,
    }


def _round(value: float) -> float:
    return round(value, 3)  # Nanosecond resolution in microseconds.


def _measure(targets, runtime, threads, runs, warmup, round_runs, text_list, seed, say, notes, clock):
    """This package's timer: every model per thread count, interleaved; cells, comparisons, last sessions."""
    cells, comparisons, last_sessions = [], [], {}
    total = len(targets) * len(threads)
    text_targets = (
        [index for index, target in enumerate(targets) if target.bundle is not None] if text_list else []
    )
    if text_list:
        for target in targets:
            if target.bundle is None:
                notes.append(f"{target.name}: no end-to-end latency (a bare .tflite has no tokenizer)")
    # One untimed load and run first: the process's one-time costs (code paged in, libraries set
    # up) would otherwise land in the first cell's init and first inference only.
    TimedModel(targets[0], runtime, threads[0], seed).invoke_us()
    for thread_count in threads:
        say(f"{thread_count} thread(s): loading and warming up {len(targets)} model(s)")
        last_sessions.clear()  # The previous thread count's interpreters go before these load.
        sessions, warmups = [], []
        for target in targets:
            session = TimedModel(target, runtime, thread_count, seed, clock)
            if target.bundle is not None and text_list:
                session.check_text_inputs()
            sessions.append(session)
            warmups.append([_round(session.invoke_us()) for _ in range(warmup)])
        schedule = interleaved_schedule(len(targets), runs, round_runs)
        rounds = schedule[-1][0] + 1
        samples = [[] for _ in targets]
        # The thread-CPU time of every counted run as well (1 thread: the model computes on this
        # thread), so ratios can be taken on the clock that other processes barely touch.
        cpu_samples = [[] for _ in targets]
        by_round = [[[] for _ in range(rounds)] for _ in targets]
        say(f"{thread_count} thread(s): {runs} counted runs per model in {rounds} round(s)")
        gc_was_enabled = gc.isenabled()
        gc.disable()  # A collection inside a timed run would be charged to the model.
        try:
            for round_index, model_index, count in schedule:
                session = sessions[model_index]
                for _ in range(count):
                    wall_us, cpu_us = session.invoke_both_us()
                    elapsed = _round(cpu_us if clock == CLOCK_THREAD_CPU else wall_us)
                    samples[model_index].append(elapsed)
                    cpu_samples[model_index].append(cpu_us)
                    by_round[model_index][round_index].append(elapsed)
            end_to_end = {index: ([], [], []) for index in text_targets}
            if text_targets:
                say(f"{thread_count} thread(s): {len(text_list)} texts end to end")
            for step, text in enumerate(text_list):
                for position in rotated_order(len(text_targets), step):
                    index = text_targets[position]
                    tokenize_us, inference_us = sessions[index].text_us(text)
                    series = end_to_end[index]
                    series[0].append(_round(tokenize_us))
                    series[1].append(_round(inference_us))
                    series[2].append(_round(tokenize_us + inference_us))
        finally:
            if gc_was_enabled:
                gc.enable()
        thread_cells = []
        for index, (target, session) in enumerate(zip(targets, sessions, strict=True)):
            stats = LatencyStats.of(samples[index])
            cell = {
                "model": target.name,
                "threads": thread_count,
                "init": _round(session.init_us),
                "first_inference": warmups[index][0],
                "warmup_avg": _round(sum(warmups[index]) / len(warmups[index])),
                "warmup_count": len(warmups[index]),
                **{key: _maybe_round(value) for key, value in stats.to_dict("inference_").items()},
                "inference_cpu_p50": _cpu_p50(cpu_samples[index], thread_count),
                "inference_samples": samples[index],
                # Medians of 3-decimal samples have at most 4 decimals: round off float noise only.
                "round_p50": [round(median(values), 4) for values in by_round[index]],
                "delegate": session.delegate or "none",
                "delegate_partitions": session.delegate_partitions,
                "memory": None,
                "end_to_end": None,
            }
            if index in end_to_end:
                tokenize, inference, total_us = end_to_end[index]
                cell["end_to_end"] = {
                    "text_count": len(total_us),
                    "tokenize": _stats_dict(tokenize),
                    "inference": _stats_dict(inference),
                    "total": _stats_dict(total_us),
                }
            thread_cells.append(cell)
            say(
                f"[{len(cells) + len(thread_cells)}/{total}] {target.name}, {thread_count} thread(s): "
                f"p50 {median(samples[index]):.1f} us, init {session.init_us:.0f} us, "
                f"delegate {cell['delegate']}"
            )
        # Keep only the last interpreter of each model (its inputs and outputs go in the report).
        last_sessions = {target.name: session for target, session in zip(targets, sessions, strict=True)}
        del sessions, session
        cells += thread_cells
        if len(targets) > 1:
            comparison = _comparison(thread_count, targets, samples, by_round, end_to_end)
            for entry, cell in zip(comparison["models"], thread_cells[1:], strict=True):
                reference_cpu = thread_cells[0]["inference_cpu_p50"]
                entry["cpu_p50_ratio"] = (
                    cell["inference_cpu_p50"] / reference_cpu
                    if cell["inference_cpu_p50"] is not None and reference_cpu
                    else None
                )
            comparisons.append(comparison)
    return cells, comparisons, last_sessions


def _cpu_p50(cpu_samples: list[float], thread_count: int) -> float | None:
    """The thread-CPU median, where it is the model's cost: with 1 thread (more compute elsewhere too)."""
    return round(median(cpu_samples), 3) if thread_count == 1 and cpu_samples else None


def _maybe_round(value):
    return _round(value) if isinstance(value, float) else value


def _stats_dict(values: list[float]) -> dict[str, Any]:
    return {key: _maybe_round(value) for key, value in LatencyStats.of(values).to_dict().items()}


def _comparison(thread_count, targets, samples, by_round, end_to_end) -> dict[str, Any]:
    reference = median(samples[0])
    reference_rounds = [median(values) for values in by_round[0]]
    reference_total = median(end_to_end[0][2]) if 0 in end_to_end else None
    entries = []
    for index in range(1, len(targets)):
        round_ratios = [
            median(values) / base for values, base in zip(by_round[index], reference_rounds, strict=True)
        ]
        total_ratio = None
        if reference_total and index in end_to_end:
            total_ratio = median(end_to_end[index][2]) / reference_total
        entries.append(
            {
                "model": targets[index].name,
                "p50_ratio": median(samples[index]) / reference,
                "round_ratio": spread(round_ratios),
                "end_to_end_p50_ratio": total_ratio,
            }
        )
    return {"threads": thread_count, "reference": targets[0].name, "models": entries}


def _measure_memory(cells, targets, runtime, memory_runs, seed, say) -> dict[str, Any]:
    """Fills each cell's `memory` from its own process; returns the baseline entry."""
    say("memory: baseline process (no model)")
    baseline = measure_peak_memory(runtime, None)
    by_name = {target.name: target for target in targets}
    for cell in cells:
        target = by_name[cell["model"]]
        say(f"memory: {cell['model']}, {cell['threads']} thread(s)")
        peak = measure_peak_memory(
            runtime,
            target.model_bytes,
            threads=cell["threads"],
            runs=memory_runs,
            seed=seed,
            vocabulary_size=target.vocabulary_size,
        )
        cell["memory"] = _memory_entry(peak, baseline)
    return {"peak_rss_bytes": baseline.peak_rss_bytes, "vm_hwm_bytes": baseline.vm_hwm_bytes}


def _memory_entry(peak: PeakMemory, baseline: PeakMemory) -> dict[str, Any]:
    return {
        "peak_rss_bytes": peak.peak_rss_bytes,
        "above_baseline_bytes": peak.peak_rss_bytes - baseline.peak_rss_bytes,
        "vm_hwm_bytes": peak.vm_hwm_bytes,
        "runs": peak.runs,
        "source": "wait4",
    }


def _percentile_notes(runs: int, text_count: int, notes: list[str]) -> None:
    for q in PERCENTILES:
        needed = min_runs_for_percentile(q)
        if runs < needed:
            notes.append(f"p{q} not reported: {runs} counted runs, it needs at least {needed}")
        if 0 < text_count < needed:
            notes.append(f"end-to-end p{q} not reported: {text_count} texts, it needs at least {needed}")


# Command line ----------------------------------------------------------------------------------


def thread_list(text: str) -> list[int]:
    """`--threads 1,2,4` -> [1, 2, 4] (argparse type)."""
    try:
        values = [positive_int(part.strip()) for part in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected thread counts like 1,2,4, got {text!r}") from None
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"thread counts repeat: {text!r}")
    return values
