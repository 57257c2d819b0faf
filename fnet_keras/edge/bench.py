"""`fnet-keras bench`: latency, memory, delegate and ops of LiteRT models on this device, TF-free.

`benchmark()` times each model (a bundle or any .tflite) at each thread count in one process,
after one untimed load and run, so no cell pays the process's one-time start-up costs (LiteRT's
benchmark_model, one model per process, counts them in its Init). One inference time is one
`invoke()` on inputs set beforehand, as benchmark_model times it. With two or more models the
counted runs and the texts are interleaved, the order rotated round by round, so the noise of a
shared machine spreads over all models. Every run's thread-CPU time is kept beside the timed
clock: with 1 thread the model computes on the timing thread, so on a loaded machine that ratio
is the one to trust. Peak memory: `fnet_keras.edge.bench_memory`; the result and its fields:
`fnet_keras.edge.bench_result`; the command line: `fnet-keras bench` (`fnet_keras.cli.models`).
"""

from __future__ import annotations

import argparse
import gc
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fnet_keras.argtypes import positive_int
from fnet_keras.data.errors import DataError
from fnet_keras.data.files import physical_lines
from fnet_keras.edge import model_ops
from fnet_keras.edge.bench_memory import measure_peak_memory, memory_supported
from fnet_keras.edge.bench_result import BenchmarkResult
from fnet_keras.edge.bench_session import (
    CLOCK_THREAD_CPU,
    CLOCK_WALL,
    CLOCKS,
    TimedModel,
    default_round_runs,
    interleaved_schedule,
    load_target,
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
from fnet_keras.edge.runtime import detect_runtime
from fnet_keras.errors import LocatedError

DEFAULT_RUNS, DEFAULT_WARMUP, DEFAULT_MEMORY_RUNS = 100, 10, 10


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
    progress: Callable[[str], None] | None = None,
) -> BenchmarkResult:
    """Benchmarks each model at each thread count (module docstring).

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
        BundleError: a model cannot be read or loaded. DataError: the texts file. EdgeRuntimeError:
            no interpreter, or an inference failed. BenchUsageError: settings out of range or clashing.

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
    names = unique_names([target.name for target in targets], [target.path for target in targets])
    for target, name in zip(targets, names, strict=True):
        target.name = name
    settings = {
        "threads": threads, "runs": runs, "warmup": warmup, "round_runs": round_runs,
        "memory_runs": memory_runs if memory and memory_supported() else None, "texts": texts_source,
        "text_count": len(text_list), "seed": seed, "timed": "invoke", "clock": clock,
        "percentile_method": PERCENTILE_METHOD, "std": STD_KIND,
        "min_runs": {f"p{q}": min_runs_for_percentile(q) for q in PERCENTILES},
    }
    notes: list[str] = []
    entries = [_describe_model(target, runtime_info, notes) for target in targets]
    for target in targets if text_list else ():
        if target.bundle is None:
            notes.append(f"{target.name}: no end-to-end latency (a bare .tflite has no tokenizer)")

    load_before = current_load()
    # One untimed load and run first: the process's one-time costs (code paged in, libraries set
    # up) would otherwise land in the first cell's init and first inference only.
    TimedModel(targets[0], runtime_info, threads[0], seed).invoke_us()
    cells, comparisons = [], []
    for thread_count in threads:
        thread_cells, comparison = _time_models(
            targets, entries, runtime_info, thread_count, settings, text_list, say, len(cells)
        )
        cells += thread_cells
        comparisons += [comparison] if comparison else []
    load = MachineLoad.peak(load_before, current_load())
    if load.warning():
        notes.append(load.warning())

    baseline = None
    if settings["memory_runs"]:
        baseline = _measure_memory(cells, targets, runtime_info, memory_runs, seed, say)
    elif memory:
        notes.append("peak memory not measured: it needs os.wait4 and os.posix_spawn (POSIX)")
    else:
        notes.append("peak memory not measured (turned off)")
    for q in PERCENTILES:
        needed = min_runs_for_percentile(q)
        if runs < needed:
            notes.append(f"p{q} not reported: {runs} counted runs, it needs at least {needed}")
        if 0 < len(text_list) < needed:
            notes.append(f"end-to-end p{q} not reported: {len(text_list)} texts, it needs at least {needed}")
    return BenchmarkResult.measured(
        settings=settings, device=describe_device(runtime_info), load=load.to_dict(),
        memory_baseline=baseline, models=entries, cells=cells, comparisons=comparisons, notes=notes,
    )


def _check_settings(models, threads, runs, warmup, round_runs, memory_runs, clock) -> None:
    if not models:
        raise BenchUsageError("no models to benchmark")
    if not threads:
        raise BenchUsageError("no thread counts")
    counts = {"runs": runs, "warmup": warmup, "round_runs": round_runs, "memory_runs": memory_runs}
    checks = [(f"{name} must be an integer", value) for name, value in counts.items()]
    for what, value in checks + [("thread counts must be integers", value) for value in threads]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BenchUsageError(f"{what} >= 1, got {value!r}")
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
    """The texts, and how the report names them: a UTF-8 file's non-blank lines (bad bytes replaced)."""
    if texts is None:
        return [], None
    if not isinstance(texts, (str, os.PathLike)):
        text_list = list(texts)
        if not text_list or not all(isinstance(text, str) for text in text_list):
            raise DataError("texts must be a non-empty list of strings")
        return text_list, "(texts given in code)"
    try:
        data = Path(texts).read_bytes()
    except OSError as error:
        raise DataError(f"cannot read the texts file: {error.strerror}", texts) from None
    text_list = [line for _, line in physical_lines(data.decode("utf-8", "replace")) if line.strip()]
    if not text_list:
        raise DataError("the texts file holds no text (one text per line)", texts)
    return text_list, os.fspath(texts)


def _describe_model(target, runtime, notes: list[str]) -> dict[str, Any]:
    ops = model_ops.read_ops(target.model_bytes, runtime=runtime, path=target.path)
    if ops.source == model_ops.SOURCE_INTERPRETER:
        notes.append(
            f"{target.name}: ops listed by the interpreter (no ai_edge_litert schema module installed): "
            f"main subgraph only"
        )
    return {
        **target.describe(), "inputs": [], "outputs": [],  # Filled in once the model is loaded.
        "ops": model_ops.op_counts(ops), "op_count": len(ops), "float_ops": model_ops.float_op_counts(ops),
        "custom_ops": model_ops.custom_op_counts(ops), "op_reader": ops.source,
    }


def _round(value: float) -> float:
    return round(value, 3)  # Nanosecond resolution in microseconds.


def _stats(values: list[float], prefix: str = "") -> dict[str, Any]:
    stats = LatencyStats.of(values).to_dict(prefix)
    return {key: _round(value) if isinstance(value, float) else value for key, value in stats.items()}


def _time_models(targets, entries, runtime, threads, settings, texts, say, done):
    """Every model's cell at one thread count, and their comparison (None for one model)."""
    runs, warmup, clock = settings["runs"], settings["warmup"], settings["clock"]
    say(f"{threads} thread(s): loading and warming up {len(targets)} model(s)")
    sessions, warmups = [], []
    for target, entry in zip(targets, entries, strict=True):
        session = TimedModel(target, runtime, threads, settings["seed"])
        if target.bundle is not None and texts:
            session.check_text_inputs()
        entry["inputs"] = [spec.describe() for spec in session.specs]
        entry["outputs"] = session.outputs
        sessions.append(session)
        warmups.append([_round(session.invoke_us(clock)) for _ in range(warmup)])
    schedule = interleaved_schedule(len(targets), runs, settings["round_runs"])
    rounds = schedule[-1][0] + 1
    # (wall, thread-CPU) microseconds of each counted run, per model and round; read after the loop.
    timings = [[[] for _ in range(rounds)] for _ in targets]
    with_texts = [index for index, target in enumerate(targets) if target.bundle is not None and texts]
    text_timings = {index: [] for index in with_texts}  # (tokenize, inference) microseconds per text
    say(f"{threads} thread(s): {runs} counted runs per model in {rounds} round(s)")
    gc_was_enabled = gc.isenabled()
    gc.disable()  # A collection inside a timed run would be charged to the model.
    try:
        for round_index, model, count in schedule:
            session, timed = sessions[model], timings[model][round_index]
            for _ in range(count):
                timed.append(session.invoke_both_us())
        if with_texts:
            say(f"{threads} thread(s): {len(texts)} texts end to end")
        for step, text in enumerate(texts):
            for position in rotated_order(len(with_texts), step):
                index = with_texts[position]
                text_timings[index].append(sessions[index].text_us(text))
    finally:
        if gc_was_enabled:
            gc.enable()
    # Rounds run in order, so each model's runs in the order run are its rounds' runs one after another.
    by_round = [[[_round(cpu_us if clock == CLOCK_THREAD_CPU else wall_us) for wall_us, cpu_us in timed]
                 for timed in model_timings] for model_timings in timings]
    samples = [[elapsed for values in model_rounds for elapsed in values] for model_rounds in by_round]
    cpu_samples = [[cpu_us for timed in model_timings for _, cpu_us in timed] for model_timings in timings]
    end_to_end = {  # tokenize, inference, total
        index: ([_round(tokenize) for tokenize, _ in timed], [_round(inference) for _, inference in timed],
                [_round(tokenize + inference) for tokenize, inference in timed])
        for index, timed in text_timings.items()
    }

    cells = []
    for index, (target, session, warm) in enumerate(zip(targets, sessions, warmups, strict=True)):
        cell = {
            "model": target.name,
            "threads": threads,
            "init": _round(session.init_us),
            "first_inference": warm[0],
            "warmup_avg": _round(sum(warm) / len(warm)),
            "warmup_count": len(warm),
            **_stats(samples[index], "inference_"),
            # With more threads the model computes on other threads too: the timing thread's CPU
            # time is then not its cost.
            "inference_cpu_p50": round(median(cpu_samples[index]), 3) if threads == 1 else None,
            "inference_samples": samples[index],
            # Medians of 3-decimal samples have at most 4 decimals: round off float noise only.
            "round_p50": [round(median(values), 4) for values in by_round[index]],
            # The default resolver's only delegate is XNNPACK; a DELEGATE node means it took part.
            "delegate": "XNNPACK" if session.delegate_partitions else "none",
            "delegate_partitions": session.delegate_partitions,
            "memory": None,
            "end_to_end": None,
        }
        if index in end_to_end:
            tokenize, inference, total = end_to_end[index]
            cell["end_to_end"] = {"text_count": len(total), "tokenize": _stats(tokenize),
                                  "inference": _stats(inference), "total": _stats(total)}
        cells.append(cell)
        say(
            f"[{done + len(cells)}/{len(targets) * len(settings['threads'])}] {target.name}, {threads} "
            f"thread(s): p50 {median(samples[index]):.1f} us, init {session.init_us:.0f} us, "
            f"delegate {cell['delegate']}"
        )
    if len(targets) == 1:
        return cells, None
    reference, reference_cpu = median(samples[0]), cells[0]["inference_cpu_p50"]
    reference_rounds = [median(values) for values in by_round[0]]
    reference_total = median(end_to_end[0][2]) if 0 in end_to_end else None
    ratios = []
    for index in range(1, len(targets)):
        cpu = cells[index]["inference_cpu_p50"]
        round_ratios = [median(values) / base
                        for values, base in zip(by_round[index], reference_rounds, strict=True)]
        total_ratio = None
        if reference_total and index in end_to_end:
            total_ratio = median(end_to_end[index][2]) / reference_total
        ratios.append({
            "model": targets[index].name,
            "p50_ratio": median(samples[index]) / reference,
            "round_ratio": spread(round_ratios),
            "end_to_end_p50_ratio": total_ratio,
            "cpu_p50_ratio": cpu / reference_cpu if cpu is not None and reference_cpu else None,
        })
    return cells, {"threads": threads, "reference": targets[0].name, "models": ratios}


def _measure_memory(cells, targets, runtime, memory_runs, seed, say) -> dict[str, Any]:
    """Fills each cell's `memory` from its own process; returns the baseline entry."""
    say("memory: baseline process (no model)")
    baseline = measure_peak_memory(runtime, None)
    by_name = {target.name: target for target in targets}
    for cell in cells:
        target = by_name[cell["model"]]
        say(f"memory: {cell['model']}, {cell['threads']} thread(s)")
        peak = measure_peak_memory(
            runtime, target.model_bytes, threads=cell["threads"], runs=memory_runs, seed=seed,
            vocabulary_size=target.vocabulary_size,
        )
        cell["memory"] = {
            "peak_rss_bytes": peak.peak_rss_bytes,
            "above_baseline_bytes": peak.peak_rss_bytes - baseline.peak_rss_bytes,
            "vm_hwm_bytes": peak.vm_hwm_bytes, "runs": peak.runs, "source": "wait4",
        }
    return {"peak_rss_bytes": baseline.peak_rss_bytes, "vm_hwm_bytes": baseline.vm_hwm_bytes}


def thread_list(text: str) -> list[int]:
    """`--threads 1,2,4` -> [1, 2, 4] (argparse type)."""
    try:
        values = [positive_int(part.strip()) for part in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected thread counts like 1,2,4, got {text!r}") from None
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"thread counts repeat: {text!r}")
    return values
