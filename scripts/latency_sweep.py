"""Latency sweep: FNet (RFFT2D and DFT mixing), the Transformer twin, Hybrid, the FF-only floor and the
bag-of-embeddings baseline, random-initialized, batch 1, 1 thread, fp32 / int8 / dynamic, lengths 64-4096.

    PYTHONPATH=. .venv/bin/python scripts/latency_sweep.py              # the whole sweep (hours here)
    PYTHONPATH=. .venv/bin/python scripts/latency_sweep.py --quick      # mini at 128 only, 1 repeat
    PYTHONPATH=. .venv/bin/python scripts/latency_sweep.py --report     # the report from finished cells

Latency does not depend on the weights, so the models (`KINDS`; FF-only: the mixing sublayer removed,
what FNet would cost if mixing were free) are built untrained with fixed seeds at a preset's sizes. Per
preset and length ("group"), every kind x mode is converted by the export pipeline's own code
(`fnet_keras.export.convert`: what `fnet-keras export` would ship; in a child process per group, so
TensorFlow's memory goes back after each) into runs/latency/models/, then all of the group's models are
timed together with the package's bench (`fnet_keras.edge.bench.benchmark`: interleaved rounds, one
process), `--repeats` times per clock. Each repeat's bench is saved under runs/latency/bench/ and a rerun
skips what is there (resume), so an interrupted sweep loses one group repeat at most. Peak memory per
model is measured in the first repeat (a fresh process per model, `os.wait4`).

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
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from experiment import ROOT, command_line, write_results  # noqa: E402 (puts ROOT on sys.path)

from fnet_keras.atomic import utc_timestamp, write_bytes_atomic, write_text_atomic  # noqa: E402
from fnet_keras.presets import MODEL_KINDS, get_preset, is_power_of_two  # noqa: E402
from fnet_keras.report_tables import markdown_table, ms  # noqa: E402

# The sweep's kinds: name -> (`fnet_keras.presets.MODEL_KINDS` mixing, FourierMixing method traced).
KINDS = {"fnet-rfft": ("fourier", "rfft"), "fnet-dft": ("fourier", "dft"), "transformer": ("attention", None),
         "hybrid": ("hybrid", "rfft"), "ff-only": ("none", None), "bag-of-embeddings": ("bag", None)}
VOCABULARY_SIZE, NUM_CLASSES = 8000, 2
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
# The targets: numerator / denominator (kind, mode) at a length, and a "min" or "max" bound.
TARGETS = (
    (("transformer", "fp32"), ("fnet-rfft", "fp32"), 128, 1.5, "min"),
    (("transformer", "fp32"), ("fnet-rfft", "fp32"), 512, 1.9, "min"),
    (("transformer", "fp32"), ("fnet-rfft", "fp32"), 2048, 3.2, "min"),
    (("fnet-rfft", "fp32"), ("ff-only", "fp32"), 128, 1.15, "max"),
    (("fnet-rfft", "fp32"), ("ff-only", "fp32"), 2048, 1.30, "max"),
    (("fnet-rfft", "int8"), ("fnet-rfft", "fp32"), 128, 0.70, "max"),
)
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
    parser.add_argument("--kinds", default=",".join(KINDS))
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
    args.presets, args.modes, args.kinds, args.clocks = (
        value.split(",") for value in (args.presets, args.modes, args.kinds, args.clocks))
    args.lengths = [int(value) for value in args.lengths.split(",")]
    if unknown := [kind for kind in args.kinds if kind not in KINDS]:
        parser.error(f"unknown model kind {unknown[0]!r}; known: {', '.join(KINDS)}")
    return args


def say(line: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {line}", flush=True)


def supports(kind: str, length: int) -> bool:
    """Whether the kind runs at this length (RFFT2D: powers of two only)."""
    return KINDS[kind][1] != "rfft" or is_power_of_two(length)


def group_models(kinds, modes, length) -> list[tuple[str, str]]:
    """(kind, mode) pairs measured at `length`: RFFT2D at powers of two; from LONG, fp32 and int8."""
    return [(kind, mode) for mode in modes if length < LONG or mode in ("fp32", "int8")
            for kind in kinds if supports(kind, length)]


def model_path(work: Path, preset: str, length: int, kind: str, mode: str) -> Path:
    return work / "models" / f"{preset}-{length}" / f"{kind}-{mode}.tflite"


def failure_path(model: Path) -> Path:
    return model.with_suffix(".failed.json")


def write_failure(model: Path, kind: str, mode: str, reason: str) -> None:
    write_text_atomic(failure_path(model), json.dumps({"kind": kind, "mode": mode, "reason": reason[:400]}))


def bench_prefix(work: Path, preset: str, length: int, clock: str, repeat: int) -> Path:
    return work / "bench" / f"{preset}-{length}-{clock}-r{repeat}"


def recipe_for(kind: str, mode: str, sequence_length: int):
    """The export recipe of a kind in a mode; Hybrid takes DFT where RFFT2D cannot go (as export's auto)."""
    from fnet_keras.export.recipes import Recipe

    mixing, method = KINDS[kind]
    return Recipe(mode, "dft" if mixing == "hybrid" and not is_power_of_two(sequence_length) else method)


def build_model(kind: str, preset: str, sequence_length: int, seed: int = 0):
    """The random-initialized classifier of `kind` at `preset`'s sizes and a fixed length; positions get a
    learned embedding up to `max(preset max_sequence_length, sequence_length)`."""
    import keras

    from fnet_keras.models import BagOfEmbeddingsClassifier, TextClassifier

    keras.utils.set_random_seed(seed)
    mixing = KINDS[kind][0]
    if not MODEL_KINDS[mixing].backbone:
        return BagOfEmbeddingsClassifier(vocabulary_size=VOCABULARY_SIZE, num_classes=NUM_CLASSES,
                                         sequence_length=sequence_length)
    return TextClassifier.from_preset(
        preset, vocabulary_size=VOCABULARY_SIZE, num_classes=NUM_CLASSES, mixing=mixing,
        sequence_length=sequence_length, dropout=0.0,
        max_sequence_length=max(get_preset(preset)["max_sequence_length"], sequence_length),
        fourier_method=recipe_for(kind, "fp32", sequence_length).fourier_method or "auto",
    )


def calibration_ids(sequence_length: int, count: int, seed: int = 0) -> np.ndarray:
    """`count` rows of random token ids with padding after a random length (a quarter to all of it):
    the attention mask's calibrated range comes from padded positions."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, VOCABULARY_SIZE, size=(count, sequence_length), dtype=np.int32)
    lengths = rng.integers(max(1, sequence_length // 4), sequence_length + 1, size=count)
    ids[np.arange(sequence_length)[None, :] >= lengths[:, None]] = 0
    return ids


def convert_group(work: str, preset: str, length: int, pairs: list[tuple[str, str]]) -> list[str]:
    """Converts the missing models of a group; a failure is written next to where the model would be."""
    import keras

    from fnet_keras.export.convert import convert, write_saved_model

    lines, built = [], {}
    count = CALIBRATION["long" if length >= LONG else "short"]
    calibration = calibration_ids(length, count)
    for kind, mode in pairs:
        path = model_path(Path(work), preset, length, kind, mode)
        if path.is_file() or failure_path(path).is_file():
            continue
        started = time.perf_counter()
        try:
            if kind not in built:
                keras.backend.clear_session()
                built = {kind: build_model(kind, preset, length)}
            recipe = recipe_for(kind, mode, length)
            with tempfile.TemporaryDirectory(prefix="fnet-keras-latency-") as workdir:
                saved = write_saved_model(built[kind], length, recipe, Path(workdir))
                tflite = convert(saved, recipe, calibration if recipe.calibrated else None)
        except Exception as error:  # a row of the report, not the end of the sweep
            reason = f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
            write_failure(path, kind, mode, reason)
            lines.append(f"{preset} {length} {kind} {mode}: conversion FAILED ({reason})")
            continue
        write_bytes_atomic(path, tflite)
        lines.append(f"{preset} {length} {kind} {mode}: converted, {len(tflite) / 1e6:.1f} MB, "
                     f"{time.perf_counter() - started:.0f} s"
                     + (f" (int8 calibrated on {count} samples)" if mode == "int8" else ""))
    return lines


def bench_group(work: Path, preset: str, length: int, pairs, clocks, repeats) -> None:
    from fnet_keras.edge.bench import benchmark
    from fnet_keras.edge.errors import EdgeRuntimeError

    names = {model_path(work, preset, length, *pair): pair for pair in pairs}
    paths = [path for path in names if path.is_file() and not failure_path(path).is_file()]
    for repeat in range(repeats):
        for clock in clocks:
            prefix = bench_prefix(work, preset, length, clock, repeat)
            if prefix.with_suffix(".json").is_file() or not paths:
                continue
            memory = repeat == 0 and clock == clocks[0]
            say(f"{preset} {length}: bench repeat {repeat + 1}/{repeats}, clock {clock}, "
                f"{len(paths)} models, {RUNS[length]} runs each{', with memory' if memory else ''}")
            before, started = os.getloadavg(), time.perf_counter()
            while True:
                try:
                    result = benchmark(paths, runs=RUNS[length], warmup=WARMUP[length], memory=memory,
                                       memory_runs=MEMORY_RUNS[length], clock=clock)
                    break
                except EdgeRuntimeError as error:
                    # A model the runtime cannot run is a row of the report; the others are timed.
                    broken = next((path for path in paths if f" {path.stem}: " in str(error)), None)
                    if broken is None:
                        raise
                    write_failure(broken, *names[broken], f"failed to run: {error}")
                    paths.remove(broken)
                    say(f"{preset} {length} {' '.join(names[broken])}: FAILED to run ({error}); "
                        "timing the others")
                    if not paths:
                        return
            after = os.getloadavg()
            result.notes.append(f"load average before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}, "
                                f"after {' '.join(f'{value:.2f}' for value in after)}")
            result.save(prefix)
            load = {"before": before, "after": after}
            write_text_atomic(prefix.with_suffix(".load.json"), json.dumps(load))
            say(f"{preset} {length}: done in {time.perf_counter() - started:.0f} s; p50 ms "
                + ", ".join(f"{cell['model']} {cell['inference_p50'] / 1000:.2f}" for cell in result.cells))


def collect(work: Path, presets, lengths, kinds, modes, clocks):
    """Every finished bench as {(preset, length, clock): [repeat data, ...]} and the failures."""
    from fnet_keras.edge.bench_result import BenchmarkResult

    runs, failures = {}, []
    for preset in presets:
        for length in lengths:
            for kind, mode in group_models(kinds, modes, length):
                failed = failure_path(model_path(work, preset, length, kind, mode))
                if failed.is_file():
                    failures.append({"preset": preset, "length": length, **json.loads(failed.read_text())})
            for clock in clocks:
                found = []
                while (prefix := bench_prefix(work, preset, length, clock, len(found))).with_suffix(
                        ".json").is_file():
                    data = BenchmarkResult.load(prefix.with_suffix(".json")).to_dict()
                    load = prefix.with_suffix(".load.json")
                    found.append({**data, "load": json.loads(load.read_text()) if load.is_file() else None})
                if found:
                    runs[(preset, length, clock)] = found
    return runs, failures


def _cell(data, kind, mode):
    return next((cell for cell in data["cells"] if cell["model"] == f"{kind}-{mode}"), None)


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
        for name in sorted({cell["model"] for data in repeats for cell in data["cells"]}):
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
        for (kind, mode), (other, other_mode), length, bound, sense in TARGETS:
            for preset in args.presets:
                repeats = runs.get((preset, length, clock))
                if found := repeats and ratio(repeats, (kind, mode), (other, other_mode)):
                    same = mode == other_mode
                    met = found["median"] >= bound if sense == "min" else found["median"] <= bound
                    targets.append({
                        "preset": preset, "clock": clock,
                        "ratio": f"{kind} / {other}" if same else f"{kind} {mode} / {other_mode}",
                        "length": length, "mode": mode if same else f"{mode}/{other_mode}",
                        "target": f"{'>=' if sense == 'min' else '<='} {bound}", "met": met, **found,
                    })
    loads = [data["load"] for repeats in runs.values() for data in repeats if data.get("load")]
    return {
        "command": command_line("latency_sweep.py", prefix="PYTHONPATH=. .venv/bin/python"),
        "created_utc": utc_timestamp(),
        "device": next(iter(runs.values()))[0]["device"] if runs else None,
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
        "targets": targets, "cells": cells, "failures": failures, "profiles": profiles,
    }


def format_markdown(report) -> str:
    settings, device = report["settings"], report["device"] or {}
    runtime, load = device.get("runtime") or {}, report["load_average"]
    counts = sorted({len(cell["p50_us_repeats"]) for cell in report["cells"]}) or [0]
    lines = [
        "# Latency sweep: FNet, its Transformer twin, Hybrid, FF-only and bag of embeddings (LiteRT, CPU)",
        "",
        f"Report: `{report['command']}` (made by `scripts/latency_sweep.py`; {report['created_utc']}). "
        "Measured by:",
        "",
        *([f"- `{run['command']}` ({run['started_utc']} to {run['finished_utc'] or 'a stop before its end'}"
           + (f"; {run['note']})" if run.get("note") else ")") for run in report.get("measured_by", [])]
          or ["- (no measuring command logged in the work dir)"]),
        "",
        f"- device: {device.get('cpu_model')}, {device.get('cpu_count')} CPUs; "
        f"{runtime.get('name')} {runtime.get('version')}; python {device.get('python')}",
        "- random-initialized models (`scripts/latency_sweep.py`: vocabulary 8,000, 2 classes, "
        "MediaPipe layout, converted by the exporter's own code), batch 1, 1 thread, XNNPACK (the default "
        "delegate)",
        "- each group (preset x length) is timed together by `fnet_keras.edge.bench.benchmark` (interleaved "
        f"rounds) {counts[0] if counts[0] == counts[-1] else f'{counts[0]} to {counts[-1]}'} times per clock "
        "(each target's `repeats`; `p50_us_repeats` in the JSON); a latency is the median over repeats of "
        "each repeat's p50; a ratio is the median over repeats of the ratio of p50s within one interleaved "
        "run, with the repeats' min-max and the range of the per-round ratios; \"fastest runs' ratio\" is "
        "the median over repeats of the ratio of each model's fastest run (other processes only add time, "
        "so on a loaded machine it is the closer view of what the models cost alone; not the target's "
        "statistic)",
        "- clocks: `thread_cpu` is the CPU time of the timing thread (with one interpreter thread LiteRT and "
        "XNNPACK compute on it, so time given to other processes on this shared 2-core machine is left "
        "out; cache pollution by them is not); `wall` is wall-clock time (what a user waits on an idle "
        "device; here, with the load below, it mostly measures the other processes)",
        f"- load average (1 min) during the benches: {load['min_1min']:.1f} to {load['max_1min']:.1f} on "
        f"{device.get('cpu_count')} cores (a shared machine: other sessions' jobs ran beside)"
        if load["min_1min"] is not None else "- load average: -",
        f"- int8: post-training, calibrated on {settings['calibration_samples']['short']} random-id rows "
        f"({settings['calibration_samples']['long']} from length {settings['long_from']}); from length "
        f"{settings['long_from']} fp32 and int8 only; RFFT2D only at powers of two (384: no fnet-rfft; "
        f"Hybrid there uses DFT); peak memory: resident set of a fresh process that loads and runs only "
        f"that model, above a process that loads none",
        "",
        "## Targets (fp32 unless said; this machine)",
        "",
        *markdown_table(
            ("preset", "clock", "ratio", "length", "target", "median", "repeats", "their min-max",
             "per-round range", "met", "fastest runs' ratio"),
            [(t["preset"], t["clock"], t["ratio"], t["length"], t["target"], f"**{t['median']:.3f}**",
              len(t["repeats"]), f"{t['min']:.3f}-{t['max']:.3f}",
              f"{t['round_min']:.2f}-{t['round_max']:.2f}" if t["round_min"] is not None else "-",
              "yes" if t["met"] else "NO", f"{t['fastest_median']:.3f}") for t in report["targets"]],
            "lllrlrrlllr"),
    ]
    by_key = {(c["preset"], c["clock"], c["mode"], c["length"], c["kind"]): c for c in report["cells"]}
    kinds = settings["kinds"]

    def table(title, preset, clock, mode, value) -> list[str]:
        """A row per length with a cell of (preset, clock, mode): `value(cell)` per kind, or "-"."""
        found = {length: [by_key.get((preset, clock, mode, length, kind)) for kind in kinds]
                 for length in settings["lengths"]}
        rows = [(length, *(value(c) if c else "-" for c in found[length]))
                for length in sorted(found) if any(found[length])]
        return rows and ["", title, "", *markdown_table(("length", *kinds), rows, "r" * (1 + len(kinds)))]

    def memory(cell) -> str:
        above = cell["peak_rss_above_baseline_bytes"]
        return f"{'-' if above is None else f'{above / 1e6:.1f}'} ({cell['bytes'] / 1e6:.1f})"

    for preset in settings["presets"]:
        for clock in settings["clocks"]:
            for mode in settings["modes"]:
                lines += table(f"## {preset}, {mode}: p50 latency (ms, {clock})", preset, clock, mode,
                               lambda cell: _ms(cell["p50_us"]))
        for mode in settings["modes"]:
            lines += table(f"## {preset}, {mode}: peak memory above baseline (MB) and model size (MB)",
                           preset, settings["clocks"][0], mode, memory)
    if report.get("not_measured"):
        lines += ["", "## Cells not measured", "",
                  "Every other cell of the grid (presets x lengths x kinds x modes above) has a timing.", "",
                  *map(_cell_line, report["not_measured"])]
    if report["failures"]:
        lines += ["", "## Cells that failed (conversion, or the runtime refused to run them)", "",
                  *map(_cell_line, report["failures"])]
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


def _cell_line(cell) -> str:
    return f"- {cell['preset']} {cell['length']} {cell['kind']} {cell['mode']}: {cell['reason']}"


def _ms(microseconds: float) -> str:
    """Milliseconds with 4 significant digits at least 3 decimals (the bag of embeddings takes ~4 us)."""
    return ms(microseconds / 1000) if microseconds >= 1000 else f"{microseconds / 1000:.4g}"


def plot(report, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written, settings = [], report["settings"]
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
                color, marker = KIND_STYLE.get(kind, ("black", "."))
                latency = [(c["length"], c["p50_us"] / 1000) for c in cells]
                memory = [(c["length"], c["peak_rss_above_baseline_bytes"] / 1e6) for c in cells
                          if c["peak_rss_above_baseline_bytes"] is not None]
                for axis, points in ((axes[0][column], latency), (axes[1][column], memory)):
                    if points:
                        axis.plot(*zip(*points, strict=True), marker=marker, color=color, label=kind)
            for row, label in ((0, f"p50 latency (ms, {primary})"), (1, "peak memory above baseline (MB)")):
                axis = axes[row][column]
                axis.set_xscale("log", base=2)
                axis.set_yscale("log")
                axis.set(xlabel="sequence length (tokens)", ylabel=label, title=f"{preset}, {mode}")
                axis.grid(True, which="both", alpha=0.3)
            axes[0][column].legend(fontsize=8)
        figure.suptitle(f"LiteRT, batch 1, 1 thread, {platform.machine()} ({preset}, random weights)")
        figure.tight_layout()
        written.append(out.parent / f"{out.name}-{preset}.png")
        figure.savefig(written[-1], dpi=110)
        plt.close(figure)
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
            write_text_atomic(cache, json.dumps(profiles, indent=1))
    return profiles


def log_invocation(work: Path, started: str, finished: str | None = None) -> None:
    """Appends this measuring command to work/invocations.jsonl when it starts and when it finishes
    (a report lists every command behind it, also one that was stopped)."""
    work.mkdir(parents=True, exist_ok=True)
    record = {"command": command_line("latency_sweep.py", prefix="PYTHONPATH=. .venv/bin/python"),
              "started_utc": started, "finished_utc": finished}
    with open(work / "invocations.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")


def invocations(work: Path) -> list[dict]:
    """The logged commands, one per (command, start); `finished_utc` None for one that did not finish."""
    path = work / "invocations.jsonl"
    merged = {}
    for line in path.read_text().splitlines() if path.is_file() else []:
        if line.strip():
            record = json.loads(line)
            key = (record["command"], record["started_utc"])
            merged[key] = {**merged.get(key, {}), **{k: v for k, v in record.items() if v is not None}}
    return [{"finished_utc": None, **record} for record in merged.values()]


def not_measured(args, runs, failures) -> list[dict]:
    """Every (preset, length, kind, mode) of the asked grid without a timing, and why."""
    failed = {(f["preset"], f["length"], f["kind"], f["mode"]) for f in failures}
    missing = []
    for preset in args.presets:
        for length in args.lengths:
            for mode in args.modes:
                for kind in args.kinds:
                    if (kind, mode) not in group_models([kind], [mode], length):
                        reason = ("RFFT2D needs a power-of-two length" if not supports(kind, length)
                                  else f"from length {LONG} only fp32 and int8 are in the sweep")
                    elif (preset, length, kind, mode) in failed or any(
                            _cell(data, kind, mode) for clock in args.clocks
                            for data in runs.get((preset, length, clock), [])):
                        continue  # a failure is listed with its error
                    else:
                        reason = "not run (time)"
                    missing.append({"preset": preset, "length": length, "kind": kind, "mode": mode,
                                    "reason": reason})
    return missing


def main(argv=None) -> int:
    args = parse_args(argv)
    work, started = args.work_dir, utc_timestamp()
    if not args.report:
        log_invocation(work, started)
        groups = [(preset, length) for preset in args.presets for length in args.lengths]
        for number, (preset, length) in enumerate(groups, 1):
            pairs = group_models(args.kinds, args.modes, length)
            paths = [model_path(work, preset, length, *pair) for pair in pairs]
            missing = [pair for pair, path in zip(pairs, paths, strict=True)
                       if not path.is_file() and not failure_path(path).is_file()]
            say(f"group {number}/{len(groups)}: {preset} at {length}: {len(pairs)} models"
                + (f", converting {len(missing)}" if missing else ", all converted"))
            if missing:
                # A fresh spawned process per group: TensorFlow's memory is returned when it exits.
                context = multiprocessing.get_context("spawn")
                with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                    for line in pool.submit(convert_group, str(work), preset, length, missing).result():
                        say(line)
            bench_group(work, preset, length, pairs, args.clocks, args.repeats)
        log_invocation(work, started, utc_timestamp())
    profiles = {} if args.no_profile else profile_models(work, args.presets, args.lengths)
    runs, failures = collect(work, args.presets, args.lengths, args.kinds, args.modes, args.clocks)
    if not runs:
        say("nothing measured yet")
        return 1
    report = build_report(args, runs, failures, profiles)
    report["measured_by"] = invocations(work)
    report["not_measured"] = not_measured(args, runs, failures)
    write_results(args.out, report, format_markdown(report))
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
