"""Latency sweep: FNet (RFFT2D and DFT mixing), the Transformer twin, Hybrid, the FF-only floor and the
bag-of-embeddings baseline, random-initialized, batch 1, 1 thread, fp32 / int8 / dynamic, lengths 64-4096.

    PYTHONPATH=. .venv/bin/python scripts/latency_sweep.py              # the whole sweep (hours here)
    PYTHONPATH=. .venv/bin/python scripts/latency_sweep.py --quick      # mini at 128 only, 1 repeat
    PYTHONPATH=. .venv/bin/python scripts/latency_sweep.py --report     # the report from finished cells

Per preset and length ("group"), every kind x mode is converted by the export pipeline's own code
(`scripts/latency_models.py`; in a child process per group, so TensorFlow's memory goes back
after each) into runs/latency/models/, then all of the group's models are timed together with the
package's bench (`fnet_keras.edge.bench.benchmark`: interleaved rounds, one process), `--repeats`
times per clock. Each repeat's bench is saved under runs/latency/bench/ and a rerun skips what is
there (resume), so an interrupted sweep loses one group repeat at most. Peak memory per model is
measured in the first repeat (a fresh process per model, `os.wait4`).

Ratios are ratios of medians within one interleaved run; a target ratio is the median of the
repeats' ratios, with their min and max (and the range of the per-round ratios). Two clocks: the
CPU time of the timing thread (`thread_cpu`; with one interpreter thread LiteRT computes there, so
other processes on this shared machine mostly drop out) and wall-clock time. Each bench records the
load average before and after. Writes docs/results/latency.md, latency.json, latency-<preset>.png,
and per-op profiles of the models behind the targets (`scripts/op_profile.py`).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import multiprocessing
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"  # its helper modules, latency_models and op_profile (also when loaded by path)
for path in (ROOT, SCRIPTS):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from latency_models import MODEL_KINDS, model_kind  # noqa: E402 (TF-free)

PRESETS = ("mini", "tiny")
MODES = ("fp32", "int8", "dynamic")
# The target lengths first, so a partial sweep answers the targets.
LENGTHS = (128, 512, 2048, 64, 256, 384, 1024, 4096)
LONG = 2048  # from here: fp32 and int8 only, a small int8 calibration set
CALIBRATION = {"short": 32, "long": 4}
CLOCKS = ("thread_cpu", "wall")
# Counted runs per model by length (about ten interleaving rounds where runs allow).
RUNS = {64: 100, 128: 100, 256: 60, 384: 40, 512: 40, 1024: 20, 2048: 10, 4096: 5}
WARMUP = {64: 5, 128: 5, 256: 3, 384: 3, 512: 3, 1024: 2, 2048: 2, 4096: 1}
MEMORY_RUNS = {64: 5, 128: 5, 256: 3, 384: 3, 512: 3, 1024: 2, 2048: 1, 4096: 1}
# The targets (fp32): (numerator kind, denominator kind, length, bound, "min" or "max").
TARGETS = (
    ("transformer", "fnet-rfft", 128, 1.5, "min"),
    ("transformer", "fnet-rfft", 512, 1.9, "min"),
    ("transformer", "fnet-rfft", 2048, 3.2, "min"),
    ("fnet-rfft", "ff-only", 128, 1.15, "max"),
    ("fnet-rfft", "ff-only", 2048, 1.30, "max"),
)
INT8_TARGET = ("fnet-rfft", 128, 0.70)  # int8 / fp32 latency of FNet at 128: at most
# The models behind the targets, and the int8 cells that surprise (FF-only and the twin slower in int8).
PROFILED = (("mini", 128, "fp32", ("fnet-rfft", "transformer", "ff-only")),
            ("mini", 128, "int8", ("fnet-rfft", "ff-only")),
            ("mini", 512, "fp32", ("fnet-rfft", "transformer", "ff-only")),
            ("mini", 512, "int8", ("transformer",)),
            ("mini", 2048, "fp32", ("fnet-rfft", "ff-only")))
KIND_STYLE = {
    "fnet-rfft": ("tab:blue", "o"), "fnet-dft": ("tab:cyan", "v"), "transformer": ("tab:red", "s"),
    "hybrid": ("tab:purple", "^"), "ff-only": ("tab:gray", "D"), "bag-of-embeddings": ("tab:green", "x"),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    parser.add_argument("--kinds", default=",".join(MODEL_KINDS))
    parser.add_argument("--repeats", type=int, default=3, help="interleaved benches per group and clock")
    parser.add_argument("--clocks", default=",".join(CLOCKS))
    parser.add_argument("--work-dir", type=Path, default=ROOT / "runs" / "latency")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "latency",
                        help="report prefix: .md, .json, -<preset>.png")
    parser.add_argument("--report", action="store_true", help="only write the report from finished cells")
    parser.add_argument("--no-profile", action="store_true", help="skip the per-op profiles")
    parser.add_argument("--quick", action="store_true", help="mini at 128, fp32 and int8, 1 repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.presets, args.lengths, args.modes, args.repeats = "mini", "128", "fp32,int8", 1
    args.presets = args.presets.split(",")
    args.modes = args.modes.split(",")
    args.lengths = [int(value) for value in args.lengths.split(",")]
    args.kinds = [model_kind(name).name for name in args.kinds.split(",")]
    args.clocks = args.clocks.split(",")
    return args


def say(line: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {line}", flush=True)


# Planning ---------------------------------------------------------------------------------------


def group_models(kinds, modes, length) -> list[tuple[str, str]]:
    """(kind, mode) pairs measured at `length`: RFFT2D at powers of two; from LONG, fp32 and int8."""
    pairs = []
    for mode in modes:
        if length >= LONG and mode not in ("fp32", "int8"):
            continue
        for kind in kinds:
            if MODEL_KINDS[kind].supports(length):
                pairs.append((kind, mode))
    return pairs


def model_path(work: Path, preset: str, length: int, kind: str, mode: str) -> Path:
    return work / "models" / f"{preset}-{length}" / f"{kind}-{mode}.tflite"


def failure_path(work: Path, preset: str, length: int, kind: str, mode: str) -> Path:
    return model_path(work, preset, length, kind, mode).with_suffix(".failed.json")


def bench_prefix(work: Path, preset: str, length: int, clock: str, repeat: int) -> Path:
    return work / "bench" / f"{preset}-{length}-{clock}-r{repeat}"


# Conversion (child process) ---------------------------------------------------------------------


def convert_group(work: str, preset: str, length: int, pairs: list[tuple[str, str]]) -> list[str]:
    """Converts the missing models of a group; a failure is written next to where the model would be."""
    import keras
    from latency_models import build_model, calibration_ids, convert_model

    from fnet_keras.atomic import write_bytes_atomic, write_text_atomic

    lines = []
    count = CALIBRATION["long" if length >= LONG else "short"]
    calibration = calibration_ids(length, count)
    built = {}
    for kind, mode in pairs:
        path = model_path(Path(work), preset, length, kind, mode)
        failed = failure_path(Path(work), preset, length, kind, mode)
        if path.is_file() or failed.is_file():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        try:
            if kind not in built:
                keras.backend.clear_session()
                built = {kind: build_model(kind, preset, length)}
            tflite = convert_model(built[kind], kind, length, mode, calibration)
        except Exception as error:  # a row of the report, not the end of the sweep
            reason = f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
            write_text_atomic(failed, json.dumps({"kind": kind, "mode": mode, "reason": reason}))
            lines.append(f"{preset} {length} {kind} {mode}: conversion FAILED ({reason})")
            continue
        write_bytes_atomic(path, tflite)
        lines.append(
            f"{preset} {length} {kind} {mode}: converted, {len(tflite) / 1e6:.1f} MB, "
            f"{time.perf_counter() - started:.0f} s"
            + (f" (int8 calibrated on {count} samples)" if mode == "int8" else "")
        )
    return lines


def run_in_child(function, *args):
    """`function(*args)` in a fresh spawned process (TensorFlow's memory is returned when it exits)."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


# Benchmarking -----------------------------------------------------------------------------------


def bench_group(work: Path, preset: str, length: int, pairs, clocks, repeats) -> None:
    from fnet_keras.edge.bench import benchmark
    from fnet_keras.edge.errors import EdgeRuntimeError

    names = {model_path(work, preset, length, kind, mode): (kind, mode) for kind, mode in pairs}
    paths = [path for path, (kind, mode) in names.items()
             if path.is_file() and not failure_path(work, preset, length, kind, mode).is_file()]
    for repeat in range(repeats):
        for clock in clocks:
            prefix = bench_prefix(work, preset, length, clock, repeat)
            if prefix.with_suffix(".json").is_file() or not paths:
                continue
            memory = repeat == 0 and clock == clocks[0]
            say(f"{preset} {length}: bench repeat {repeat + 1}/{repeats}, clock {clock}, "
                f"{len(paths)} models, {RUNS[length]} runs each{', with memory' if memory else ''}")
            load_before = os.getloadavg()
            started = time.perf_counter()
            while True:
                try:
                    result = benchmark(
                        paths, runs=RUNS[length], warmup=WARMUP[length], memory=memory,
                        memory_runs=MEMORY_RUNS[length], clock=clock,
                    )
                    break
                except EdgeRuntimeError as error:
                    # A model the runtime cannot run is a row of the report; the others are timed.
                    broken = next((path for path in paths if f" {path.stem}: " in str(error)), None)
                    if broken is None:
                        raise
                    kind, mode = names[broken]
                    _write_failure(work, preset, length, kind, mode, f"failed to run: {error}")
                    paths.remove(broken)
                    say(f"{preset} {length} {kind} {mode}: FAILED to run ({error}); timing the others")
                    if not paths:
                        return
            data = result.to_dict()
            data["notes"].append(
                f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
                f"after {' '.join(f'{value:.2f}' for value in os.getloadavg())}"
            )
            prefix.parent.mkdir(parents=True, exist_ok=True)
            type(result)(data).save(prefix)
            _write_load(prefix, load_before, os.getloadavg())
            p50 = {cell["model"]: cell["inference_p50"] for cell in data["cells"]}
            say(f"{preset} {length}: done in {time.perf_counter() - started:.0f} s; p50 ms "
                + ", ".join(f"{name} {value / 1000:.2f}" for name, value in p50.items()))


def _write_failure(work: Path, preset: str, length: int, kind: str, mode: str, reason: str) -> None:
    from fnet_keras.atomic import write_text_atomic

    write_text_atomic(failure_path(work, preset, length, kind, mode),
                      json.dumps({"kind": kind, "mode": mode, "reason": reason[:400]}))


def _write_load(prefix: Path, before, after) -> None:
    from fnet_keras.atomic import write_text_atomic

    write_text_atomic(prefix.with_suffix(".load.json"), json.dumps({"before": before, "after": after}))


# Report -----------------------------------------------------------------------------------------


def collect(work: Path, presets, lengths, kinds, modes, clocks):
    """Every finished bench as {(preset, length, clock): [repeat data, ...]} and the failures."""
    from fnet_keras.edge.bench_result import BenchmarkResult

    runs, failures = {}, []
    for preset in presets:
        for length in lengths:
            for kind, mode in group_models(kinds, modes, length):
                failed = failure_path(work, preset, length, kind, mode)
                if failed.is_file():
                    failures.append({"preset": preset, "length": length, **json.loads(failed.read_text())})
            for clock in clocks:
                repeat, found = 0, []
                while bench_prefix(work, preset, length, clock, repeat).with_suffix(".json").is_file():
                    prefix = bench_prefix(work, preset, length, clock, repeat)
                    data = BenchmarkResult.load(prefix.with_suffix(".json")).to_dict()
                    load = prefix.with_suffix(".load.json")
                    data["load"] = json.loads(load.read_text()) if load.is_file() else None
                    found.append(data)
                    repeat += 1
                if found:
                    runs[(preset, length, clock)] = found
    return runs, failures


def _cell(data, kind, mode):
    for cell in data["cells"]:
        if cell["model"] == f"{kind}-{mode}":
            return cell
    return None


def ratio(repeats, numerator, denominator):
    """Median over repeats of p50(numerator)/p50(denominator), their min/max, and the per-round range.

    Also `fastest_median`: the median over repeats of the ratio of each model's fastest run. Other
    processes only ever add time, so on a loaded machine the fastest runs are the closest to what
    the models cost on their own (a second view, not the target's statistic).
    """
    values, rounds, fastest = [], [], []
    for data in repeats:
        a, b = _cell(data, *numerator), _cell(data, *denominator)
        if a is None or b is None:
            continue
        values.append(a["inference_p50"] / b["inference_p50"])
        fastest.append(min(a["inference_samples"]) / min(b["inference_samples"]))
        rounds += [x / y for x, y in zip(a["round_p50"], b["round_p50"], strict=True) if y]
    if not values:
        return None
    return {
        "median": statistics.median(values), "min": min(values), "max": max(values),
        "repeats": values, "round_min": min(rounds) if rounds else None,
        "round_max": max(rounds) if rounds else None, "fastest_median": statistics.median(fastest),
    }


def build_report(args, runs, failures, profiles):
    cells = []
    for (preset, length, clock), repeats in sorted(runs.items()):
        names = {cell["model"] for data in repeats for cell in data["cells"]}
        for name in sorted(names):
            kind, mode = name.rsplit("-", 1)
            values = [c["inference_p50"] for data in repeats if (c := _cell(data, kind, mode))]
            first = _cell(repeats[0], kind, mode)
            model = next(m for m in repeats[0]["models"] if m["name"] == name)
            memory = first["memory"] if first else None
            cells.append({
                "preset": preset, "length": length, "kind": kind, "mode": mode, "clock": clock,
                "p50_us": statistics.median(values), "p50_us_repeats": values,
                "bytes": model["bytes"], "ops": model["op_count"], "float_ops": model["float_ops"],
                "peak_rss_above_baseline_bytes": memory["above_baseline_bytes"] if memory else None,
                "peak_rss_bytes": memory["peak_rss_bytes"] if memory else None,
            })
    targets = []
    for clock in args.clocks:
        for numerator, denominator, length, bound, sense in TARGETS:
            for preset in args.presets:
                repeats = runs.get((preset, length, clock))
                if not repeats:
                    continue
                found = ratio(repeats, (numerator, "fp32"), (denominator, "fp32"))
                if found:
                    met = found["median"] >= bound if sense == "min" else found["median"] <= bound
                    targets.append({
                        "preset": preset, "clock": clock, "ratio": f"{numerator} / {denominator}",
                        "length": length, "mode": "fp32",
                        "target": f"{'>=' if sense == 'min' else '<='} {bound}", "met": met, **found,
                    })
        kind, length, bound = INT8_TARGET
        for preset in args.presets:
            repeats = runs.get((preset, length, clock))
            found = repeats and ratio(repeats, (kind, "int8"), (kind, "fp32"))
            if found:
                targets.append({
                    "preset": preset, "clock": clock, "ratio": f"{kind} int8 / fp32", "length": length,
                    "mode": "int8/fp32", "target": f"<= {bound}", "met": found["median"] <= bound, **found,
                })
    loads = [data["load"] for repeats in runs.values() for data in repeats if data.get("load")]
    device = next(iter(runs.values()))[0]["device"] if runs else None
    return {
        "command": command_line(),
        "created_utc": utc_now(),
        "device": device,
        "settings": {
            "presets": args.presets, "modes": args.modes, "lengths": args.lengths, "kinds": args.kinds,
            "repeats": args.repeats, "clocks": args.clocks, "runs": RUNS, "warmup": WARMUP,
            "memory_runs": MEMORY_RUNS, "calibration_samples": CALIBRATION, "long_from": LONG,
            "batch": 1, "threads": 1,
        },
        "load_average": {
            "min_1min": min((min(load["before"][0], load["after"][0]) for load in loads), default=None),
            "max_1min": max((max(load["before"][0], load["after"][0]) for load in loads), default=None),
        },
        "targets": targets,
        "cells": cells,
        "failures": failures,
        "profiles": profiles,
    }


def format_markdown(report) -> str:
    settings, device = report["settings"], report["device"] or {}
    primary = settings["clocks"][0]
    lines = [
        "# Latency sweep: FNet, its Transformer twin, Hybrid, FF-only and bag of embeddings (LiteRT, CPU)",
        "",
        f"Report: `{report['command']}` (made by `scripts/latency_sweep.py`; {report['created_utc']}). "
        "Measured by:",
        "",
        *([_invocation_line(run) for run in report.get("measured_by", [])]
          or ["- (no measuring command logged in the work dir)"]),
        "",
        f"- device: {device.get('cpu_model')}, {device.get('cpu_count')} CPUs; "
        f"{(device.get('runtime') or {}).get('name')} {(device.get('runtime') or {}).get('version')}; "
        f"python {device.get('python')}",
        "- random-initialized models (`scripts/latency_models.py`: vocabulary 8,000, 2 classes, "
        "MediaPipe layout, converted by the exporter's own code), batch 1, 1 thread, XNNPACK (the default "
        "delegate)",
        f"- each group (preset x length) is timed together by `fnet_keras.edge.bench.benchmark` (interleaved "
        f"rounds) {_repeat_range(report)} times per clock (each target's `repeats`; `p50_us_repeats` in the "
        f"JSON); a latency is the median over repeats of each "
        f"repeat's p50; a ratio is the median over repeats of the ratio of p50s within one interleaved run, "
        f"with the repeats' min-max and the range of the per-round ratios; \"fastest runs' ratio\" is the "
        f"median over repeats of the ratio of each model's fastest run (other processes only add time, so on "
        f"a loaded machine it is the closer view of what the models cost alone; not the target's statistic)",
        "- clocks: `thread_cpu` is the CPU time of the timing thread (with one interpreter thread LiteRT and "
        "XNNPACK compute on it, so time given to other processes on this shared 2-core machine is left "
        "out; cache pollution by them is not); `wall` is wall-clock time (what a user waits on an idle "
        "device; here, with the load below, it mostly measures the other processes)",
        f"- load average (1 min) during the benches: {report['load_average']['min_1min']:.1f} to "
        f"{report['load_average']['max_1min']:.1f} on {device.get('cpu_count')} cores (a shared machine: "
        f"other sessions' jobs ran beside)"
        if report["load_average"]["min_1min"] is not None else "- load average: -",
        f"- int8: post-training, calibrated on {settings['calibration_samples']['short']} random-id rows "
        f"({settings['calibration_samples']['long']} from length {settings['long_from']}); from length "
        f"{settings['long_from']} fp32 and int8 only; RFFT2D only at powers of two (384: no fnet-rfft; "
        f"Hybrid there uses DFT); peak memory: resident set of a fresh process that loads and runs only "
        f"that model, above a process that loads none",
        "",
        "## Targets (fp32 unless said; this machine)",
        "",
        "| preset | clock | ratio | length | target | median | repeats | their min-max | per-round range "
        "| met | fastest runs' ratio |",
        "|---|---|---|---:|---|---:|---:|---|---|---|---:|",
    ]
    for target in report["targets"]:
        rounds = (f"{target['round_min']:.2f}-{target['round_max']:.2f}"
                  if target["round_min"] is not None else "-")
        lines.append(
            f"| {target['preset']} | {target['clock']} | {target['ratio']} | {target['length']} | "
            f"{target['target']} | **{target['median']:.3f}** | {len(target['repeats'])} | "
            f"{target['min']:.3f}-{target['max']:.3f} | "
            f"{rounds} | {'yes' if target['met'] else 'NO'} | {target['fastest_median']:.3f} |"
        )
    by_key = {}
    for cell in report["cells"]:
        by_key[(cell["preset"], cell["clock"], cell["mode"], cell["length"], cell["kind"])] = cell
    kinds = settings["kinds"]
    for preset in settings["presets"]:
        for clock in settings["clocks"]:
            for mode in settings["modes"]:
                rows = [length for length in settings["lengths"]
                        if any((preset, clock, mode, length, kind) in by_key for kind in kinds)]
                if not rows:
                    continue
                lines += ["", f"## {preset}, {mode}: p50 latency (ms, {clock})", "",
                          "| length | " + " | ".join(kinds) + " |", "|---:|" + "---:|" * len(kinds)]
                for length in sorted(rows):
                    values = []
                    for kind in kinds:
                        cell = by_key.get((preset, clock, mode, length, kind))
                        values.append(_ms(cell["p50_us"]) if cell else "-")
                    lines.append(f"| {length} | " + " | ".join(values) + " |")
        for mode in settings["modes"]:
            rows = [length for length in settings["lengths"]
                    if any((preset, primary, mode, length, kind) in by_key for kind in kinds)]
            if not rows:
                continue
            lines += ["", f"## {preset}, {mode}: peak memory above baseline (MB) and model size (MB)", "",
                      "| length | " + " | ".join(kinds) + " |", "|---:|" + "---:|" * len(kinds)]
            for length in sorted(rows):
                values = []
                for kind in kinds:
                    cell = by_key.get((preset, primary, mode, length, kind))
                    if cell is None:
                        values.append("-")
                        continue
                    memory = cell["peak_rss_above_baseline_bytes"]
                    values.append(f"{memory / 1e6:.1f} ({cell['bytes'] / 1e6:.1f})" if memory is not None
                                  else f"- ({cell['bytes'] / 1e6:.1f})")
                lines.append(f"| {length} | " + " | ".join(values) + " |")
    if report.get("not_measured"):
        lines += ["", "## Cells not measured", "",
                  "Every other cell of the grid (presets x lengths x kinds x modes above) has a timing.", ""]
        for cell in report["not_measured"]:
            lines.append(
                f"- {cell['preset']} {cell['length']} {cell['kind']} {cell['mode']}: {cell['reason']}"
            )
    if report["failures"]:
        lines += ["", "## Cells that failed (conversion, or the runtime refused to run them)", ""]
        for failure in report["failures"]:
            lines.append(f"- {failure['preset']} {failure['length']} {failure['kind']} {failure['mode']}: "
                         f"{failure['reason']}")
    if report["profiles"]:
        lines += ["", "## Per-op profiles", "",
                  "Each op timed alone in a single-op model fed the values it sees in the whole model "
                  "(`scripts/op_profile.py`; median of 30 invokes in CPU time of the calling "
                  "thread, the fixed invoke cost subtracted); the sum misses cross-op fusion and partition "
                  "hand-overs, so compare shares."]
        for name, profile in report["profiles"].items():
            lines += ["", f"### {name}", "", profile["markdown"]]
    lines += ["", "Plots: " + ", ".join(f"`latency-{preset}.png`" for preset in settings["presets"]), ""]
    return "\n".join(lines)


def _repeat_range(report) -> str:
    counts = sorted({len(cell["p50_us_repeats"]) for cell in report["cells"]}) or [0]
    return f"{counts[0]}" if counts[0] == counts[-1] else f"{counts[0]} to {counts[-1]}"


def _invocation_line(run: dict) -> str:
    end = run["finished_utc"] or "a stop before its end"
    note = f"; {run['note']}" if run.get("note") else ""
    return f"- `{run['command']}` ({run['started_utc']} to {end}{note})"


def _ms(microseconds: float) -> str:
    """Milliseconds with 4 significant digits at least 3 decimals (the bag of embeddings takes ~4 us)."""
    milliseconds = microseconds / 1000
    return f"{milliseconds:.3f}" if milliseconds >= 1 else f"{milliseconds:.4g}"


def plot(report, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    settings = report["settings"]
    primary = settings["clocks"][0]
    for preset in settings["presets"]:
        modes = [mode for mode in settings["modes"]
                 if any(c["preset"] == preset and c["mode"] == mode for c in report["cells"])]
        if not modes:
            continue
        figure, axes = plt.subplots(2, len(modes), figsize=(5 * len(modes), 8), squeeze=False)
        for column, mode in enumerate(modes):
            for kind in settings["kinds"]:
                cells = sorted((c for c in report["cells"] if c["preset"] == preset and c["mode"] == mode
                                and c["kind"] == kind and c["clock"] == primary), key=lambda c: c["length"])
                if not cells:
                    continue
                color, marker = KIND_STYLE.get(kind, ("black", "."))
                lengths = [c["length"] for c in cells]
                axes[0][column].plot(lengths, [c["p50_us"] / 1000 for c in cells], marker=marker,
                                     color=color, label=kind)
                memory = [(c["length"], c["peak_rss_above_baseline_bytes"] / 1e6) for c in cells
                          if c["peak_rss_above_baseline_bytes"] is not None]
                if memory:
                    axes[1][column].plot(*zip(*memory, strict=True), marker=marker, color=color, label=kind)
            for row, label in ((0, f"p50 latency (ms, {primary})"), (1, "peak memory above baseline (MB)")):
                axis = axes[row][column]
                axis.set_xscale("log", base=2)
                axis.set_yscale("log")
                axis.set_xlabel("sequence length (tokens)")
                axis.set_ylabel(label)
                axis.set_title(f"{preset}, {mode}")
                axis.grid(True, which="both", alpha=0.3)
            axes[0][column].legend(fontsize=8)
        figure.suptitle(f"LiteRT, batch 1, 1 thread, {platform.machine()} ({preset}, random weights)")
        figure.tight_layout()
        path = out.parent / f"{out.name}-{preset}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written


def profile_models(work: Path, presets, lengths) -> dict:
    from op_profile import profile_ops

    cache = work / "profiles.json"
    profiles = json.loads(cache.read_text()) if cache.is_file() else {}
    for preset, length, mode, kinds in PROFILED:
        if preset not in presets or length not in lengths:
            continue
        for kind in kinds:
            name = f"{preset} {kind} {mode} at {length}"
            path = model_path(work, preset, length, kind, mode)
            if name in profiles or not path.is_file():
                continue
            say(f"per-op profile: {name}")
            profile = profile_ops(path.read_bytes(), runs=30)
            profiles[name] = {**profile.to_dict(), "markdown": profile.format(top=12)}
            from fnet_keras.atomic import write_text_atomic

            write_text_atomic(cache, json.dumps(profiles, indent=1))
    return profiles


def log_invocation(work: Path, started: str, finished: str | None = None) -> None:
    """Appends this measuring command to work/invocations.jsonl when it starts and when it finishes
    (a report lists every command behind it, also one that was stopped)."""
    work.mkdir(parents=True, exist_ok=True)
    record = {"command": command_line(), "started_utc": started, "finished_utc": finished}
    with open(work / "invocations.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")


def invocations(work: Path) -> list[dict]:
    """The logged commands, one per (command, start); `finished_utc` None for one that did not finish."""
    path = work / "invocations.jsonl"
    if not path.is_file():
        return []
    merged = {}
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            key = (record["command"], record["started_utc"])
            merged[key] = {**merged.get(key, {}), **{k: v for k, v in record.items() if v is not None}}
    return [{"finished_utc": None, **record} for record in merged.values()]


def command_line() -> str:
    return "PYTHONPATH=. .venv/bin/python " + shlex.join(["scripts/latency_sweep.py", *sys.argv[1:]])


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def not_measured(args, runs, failures) -> list[dict]:
    """Every (preset, length, kind, mode) of the asked grid without a timing, and why."""
    failed = {(f["preset"], f["length"], f["kind"], f["mode"]) for f in failures}
    missing = []
    for preset in args.presets:
        for length in args.lengths:
            for mode in args.modes:
                for kind in args.kinds:
                    if (kind, mode) not in group_models([kind], [mode], length):
                        reason = (
                            "RFFT2D needs a power-of-two length" if not MODEL_KINDS[kind].supports(length)
                            else f"from length {LONG} only fp32 and int8 are in the sweep"
                        )
                    elif (preset, length, kind, mode) in failed:
                        continue  # listed with its conversion error
                    elif not any(_cell(data, kind, mode) for clock in args.clocks
                                 for data in runs.get((preset, length, clock), [])):
                        reason = "not run (time)"
                    else:
                        continue
                    missing.append({"preset": preset, "length": length, "kind": kind, "mode": mode,
                                    "reason": reason})
    return missing


def main(argv=None) -> int:
    args = parse_args(argv)
    work = args.work_dir
    started = utc_now()
    if not args.report:
        log_invocation(work, started)
        groups = [(preset, length) for preset in args.presets for length in args.lengths]
        for number, (preset, length) in enumerate(groups, 1):
            pairs = group_models(args.kinds, args.modes, length)
            missing = [pair for pair in pairs if not model_path(work, preset, length, *pair).is_file()
                       and not failure_path(work, preset, length, *pair).is_file()]
            say(f"group {number}/{len(groups)}: {preset} at {length}: {len(pairs)} models"
                + (f", converting {len(missing)}" if missing else ", all converted"))
            if missing:
                for line in run_in_child(convert_group, str(work), preset, length, missing):
                    say(line)
            bench_group(work, preset, length, pairs, args.clocks, args.repeats)
        log_invocation(work, started, utc_now())
    profiles = {} if args.no_profile else profile_models(work, args.presets, args.lengths)
    runs, failures = collect(work, args.presets, args.lengths, args.kinds, args.modes, args.clocks)
    if not runs:
        say("nothing measured yet")
        return 1
    report = build_report(args, runs, failures, profiles)
    report["measured_by"] = invocations(work)
    report["not_measured"] = not_measured(args, runs, failures)
    from fnet_keras.atomic import write_text_atomic

    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out.with_suffix(".json"), json.dumps(report, indent=1) + "\n")
    write_text_atomic(args.out.with_suffix(".md"), format_markdown(report))
    for path in plot(report, args.out):
        say(f"wrote {path}")
    say(f"wrote {args.out.with_suffix('.md')} and .json")
    for target in report["targets"]:
        say(f"{target['preset']} {target['clock']} {target['ratio']} at {target['length']}: "
            f"{target['median']:.3f} ({target['min']:.3f}-{target['max']:.3f}) target {target['target']}: "
            f"{'met' if target['met'] else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
