"""ListOps at long lengths: FNet against its Transformer twin (training speed, memory, accuracy in set time).

1. Speed: training steps of the `tiny` classifier (AdamW as `fnet-keras train` builds it, FourierMixing
   "auto", i.e. FFT) at each length on random ListOps-vocabulary ids (a step's cost does not depend on
   them), FNet and the twin interleaved (A B, then B A next repeat). Each cell is its own child process
   under an address-space limit (RLIMIT_AS): running out of memory is a result row, and the peak RSS is
   that child's alone (`os.wait4`).
2. Accuracy: `fnet_keras.training.fit` on generated ListOps (LRA's generator, the length range cut to fit),
   FNet then the twin, each stopped by the same wall-clock budget from the start of training (dev scoring
   counts too); the epoch best on dev is kept and scored once on test.

Resumable: every finished cell is stored in STATE (default runs/listops_report/state.json) and skipped on a
rerun; delete a cell's entry (or the file) to measure it again. Writes OUT.json, OUT.md and OUT.png (default
docs/results/listops).

    nice -n 10 python scripts/listops_report.py      # all of it (about 40 min here)
    python scripts/listops_report.py --quick         # smoke run: short lengths, 20 s budgets (minutes)
    python scripts/listops_report.py --report-only   # rewrite OUT.md/.json/.png from STATE
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from experiment import ROOT, Cells, command_line, run_child, write_results  # noqa: E402 (puts ROOT on sys.path)

from fnet_keras.atomic import atomic_output  # noqa: E402
from fnet_keras.data.listops import NUM_CLASSES, listops_vocabulary, write_listops  # noqa: E402
from fnet_keras.presets import FNET_AND_TWIN as MIXINGS  # noqa: E402
from fnet_keras.presets import MODEL_KINDS  # noqa: E402
from fnet_keras.report_tables import markdown_table  # noqa: E402

GIB = 1024**3
RESULT_PREFIX = "CELL_RESULT "
# Text in a failed child's stderr that says an allocation failed (TensorFlow's allocator, C++, Python).
OOM_MARKERS = (
    "OOM when allocating", "ResourceExhausted", "std::bad_alloc", "MemoryError",
    "Cannot allocate memory", "out of memory",
    # protobuf's serializer fails only when it cannot allocate the output (tracing a graph near the limit).
    "Failed to serialize proto",
)
# The accuracy cells' ListOps: LRA's generator settings with the length range cut to fit the sequence
# length ([CLS] and [SEP] take two places).
ACCURACY_MIN_LENGTH = 200
RATIO_KEYS = ("fnet_over_twin_steps_per_second", "fnet_over_twin_fastest_step", "twin_over_fnet_peak_rss")


def speed_cells(lengths, repeats, batch_size, preset, warmup_steps, timed_steps, timed_seconds,
                backbone_overrides=None) -> list[dict]:
    """The speed cells in run order: per repeat, per length, FNet and the twin, the order of the two
    alternating between repeats (A B, B A, ...) so drift in the machine's load hits both."""
    return [{"kind": "speed", "mixing": mixing, "length": length, "repeat": repeat, "batch_size": batch_size,
             "preset": preset, "warmup_steps": warmup_steps, "timed_steps": timed_steps,
             "timed_seconds": timed_seconds, "backbone_overrides": dict(backbone_overrides or {})}
            for repeat in range(repeats) for length in lengths
            for mixing in (MIXINGS if repeat % 2 == 0 else MIXINGS[::-1])]


def cell_key(cell: dict) -> str:
    if cell["kind"] == "speed":
        return f"speed/{cell['mixing']}/{cell['length']}/{cell['repeat']}"
    return f"accuracy/{cell['mixing']}/{cell['length']}/lr{cell['settings']['learning_rate']:g}"


def run_cell(cell: dict, memory_limit_bytes: int | None, timeout_seconds: float) -> dict:
    """Runs `cell` in a child Python (`run_child`: its own address-space limit, None for none) and returns
    the child's report plus its `peak_rss_mib`, `wall_seconds`, `exit`, the limit and the load average
    before and after. `status` is "ok", "out_of_memory" (the child reported a failed allocation, or died
    with one in its stderr), "timed_out" or "failed" (with the stderr's tail)."""
    load_before = os.getloadavg()
    child = run_child([sys.executable, str(Path(__file__).resolve()), "--cell", json.dumps(cell)],
                      timeout_seconds, memory_limit_bytes)
    reported = [line.removeprefix(RESULT_PREFIX) for line in child.stdout.splitlines()
                if line.startswith(RESULT_PREFIX)]
    result = json.loads(reported[-1]) if reported else {}
    if child.timed_out:
        result["status"] = "timed_out"
    elif "status" not in result:
        marker = next((m for m in OOM_MARKERS if m in child.stderr), None)
        result["status"] = "out_of_memory" if marker else "failed"
        result["detail"] = marker or "\n".join(child.stderr.strip().splitlines()[-5:])
    return {**result, "peak_rss_mib": round(child.peak_rss_bytes / 2**20, 1),
            "wall_seconds": round(child.wall_seconds, 1), "exit": child.exit,
            "memory_limit_gib": None if memory_limit_bytes is None else memory_limit_bytes / GIB,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()]}


# The child side: runs one cell and prints its result (TensorFlow loads here only).


def _vm_status() -> dict:
    """This process's peak address space and peak resident memory (MiB), as the kernel counts them."""
    status = dict(line.partition(":")[::2] for line in Path("/proc/self/status").read_text().splitlines())
    return {key: round(int(status[name].split()[0]) / 1024, 1) if name in status else None
            for key, name in (("vm_peak_mib", "VmPeak"), ("vm_hwm_mib", "VmHWM"))}


def child_main(cell: dict) -> int:
    import tensorflow as tf

    after_import = _vm_status()
    try:
        result = measure_speed(cell) if cell["kind"] == "speed" else train_for_budget(cell)
        result["status"] = "ok"
    except (tf.errors.ResourceExhaustedError, MemoryError) as error:
        lines = str(error).strip().splitlines() or [type(error).__name__]
        # TensorFlow's message starts "Graph execution error:"; the line that says what failed names OOM.
        detail = next((line for line in lines if "OOM" in line), lines[0])
        result = {"status": "out_of_memory", "detail": detail.strip()[:300]}
    result.update({"after_import": after_import, **_vm_status()})
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


def measure_speed(cell: dict) -> dict:
    """The classifier and optimizer `fnet-keras train` builds (AdamW with warm-up and linear decay, no
    weight decay on biases/LayerNorm/embeddings, the default learning rate, weight decay and dropout; the
    position table grown to fit the length), `warmup_steps` untimed training steps (tracing), then timed
    steps until `timed_steps` are done or `timed_seconds` have passed (at least 2)."""
    import keras
    import numpy as np

    from fnet_keras.models import TextClassifier
    from fnet_keras.presets import get_preset
    from fnet_keras.text.vocabulary import SPECIAL_TOKENS
    from fnet_keras.training import TrainSettings
    from fnet_keras.training.schedule import NO_WEIGHT_DECAY, WarmupDecay

    length, batch_size, defaults = cell["length"], cell["batch_size"], TrainSettings()
    vocabulary_size = len(listops_vocabulary())
    keras.utils.set_random_seed(0)
    model = TextClassifier.from_preset(
        cell["preset"], vocabulary_size, NUM_CLASSES, mixing=cell["mixing"], sequence_length=length,
        dropout=defaults.dropout, fourier_method=defaults.fourier_method,
        **{"max_sequence_length": max(length, get_preset(cell["preset"])["max_sequence_length"]),
           **cell["backbone_overrides"]})
    total = 1000
    schedule = WarmupDecay(defaults.learning_rate, defaults.warmup_steps(total), total, defaults.decay)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=defaults.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    optimizer.build(model.trainable_variables)

    rng = np.random.default_rng(cell["repeat"])
    token_ids = rng.integers(len(SPECIAL_TOKENS), vocabulary_size, size=(batch_size, length), dtype=np.int32)
    labels = rng.integers(0, NUM_CLASSES, size=(batch_size,), dtype=np.int32)
    start = time.perf_counter()
    for _ in range(cell["warmup_steps"]):
        model.train_on_batch(token_ids, labels)
    warmup_seconds = time.perf_counter() - start
    step_seconds = []
    timed_start = time.perf_counter()
    while len(step_seconds) < cell["timed_steps"] and (
        len(step_seconds) < 2 or time.perf_counter() - timed_start < cell["timed_seconds"]
    ):
        step_start = time.perf_counter()
        model.train_on_batch(token_ids, labels)
        step_seconds.append(time.perf_counter() - step_start)
    median = statistics.median(step_seconds)
    return {
        "parameters": model.count_params(),
        "warmup_seconds": round(warmup_seconds, 3),
        "step_seconds": [round(s, 5) for s in step_seconds],
        "median_step_seconds": round(median, 5),
        "steps_per_second": round(1 / median, 4),
        "tokens_per_second": round(batch_size * length / median, 1),
    }


def train_for_budget(cell: dict) -> dict:
    """`fit` on the cell's ListOps data, stopped once `budget_seconds` of wall clock have passed since
    training began (a callback that counts the steps run, too)."""
    import keras

    from fnet_keras.training import TrainSettings, fit

    class TimeBudget(keras.callbacks.Callback):
        steps, start, elapsed = 0, 0.0, 0.0

        def on_train_begin(self, logs=None):
            self.start = time.monotonic()

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            self.elapsed = time.monotonic() - self.start
            if self.elapsed >= cell["budget_seconds"]:
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            self.elapsed = time.monotonic() - self.start

    run_dir = Path(cell["run_dir"])
    if run_dir.exists():  # an unfinished attempt: fit wants a new directory
        shutil.rmtree(run_dir)
    budget = TimeBudget()
    result = fit(cell["data"], run_dir, TrainSettings(**cell["settings"]), callbacks=[budget], verbose=2)
    return {
        "dev_accuracy": result.dev_metrics["accuracy"],
        # Macro F1 shows a model that predicts one value for every row (F1 of one class over ten).
        "dev_macro_f1": result.dev_metrics["macro_f1"],
        "test_accuracy": result.test_metrics["accuracy"],
        "steps": budget.steps,
        "train_seconds": round(budget.elapsed, 1),
        "epochs_run": len(result.history),
        "best_epoch": result.best_epoch,
        "history": [{k: round(v, 4) for k, v in epoch.items() if isinstance(v, (int, float))}
                    for epoch in result.history],
        "parameters": result.model.count_params(),
    }


# The report, from the stored cells.


def baselines(data: Path) -> dict:
    """Accuracy without looking inside the lists, from the training split's counts: always the most
    frequent value ("majority"), and the most frequent value per outermost operator ("root operator")."""
    from fnet_keras.data import read_split

    def rows(split: str) -> list[tuple[str, int]]:  # (outermost operator, value)
        read = read_split(data / f"{split}.tsv", split)
        return [(text.split()[0], int(label)) for text, label in zip(read.texts, read.labels, strict=True)]

    def most_frequent(labels) -> int:  # ties: the smaller value
        counts = Counter(labels)
        return max(counts, key=lambda label: (counts[label], -label))

    train = rows("train")
    majority = most_frequent(label for _, label in train)
    guess = {root: most_frequent(label for r, label in train if r == root) for root in {r for r, _ in train}}
    result = {}
    for split in ("dev", "test"):
        scored = rows(split)
        result[split] = {
            "majority": sum(label == majority for _, label in scored) / len(scored),
            "root_operator": sum(label == guess.get(root, majority) for root, label in scored) / len(scored),
        }
    return result


def _order(mixing: str) -> int:
    return MIXINGS.index(mixing) if mixing in MIXINGS else len(MIXINGS)


def _dev_rank(row: dict) -> tuple[float, float]:
    """Dev accuracy, ties broken by the lower dev loss of the epoch kept."""
    history = row.get("history") or []
    kept = history[row["best_epoch"] - 1] if 0 < row.get("best_epoch", 0) <= len(history) else {}
    return row["dev_accuracy"], -kept.get("val_loss", 0.0)


def summarize(state: dict) -> dict:
    """The report's numbers from the stored cells: per mixing and length the median steps/s and tokens/s
    over repeats, the largest peak RSS, the outcome; per length FNet / twin (ratio of medians); the
    accuracy rows as they are, the learning rate best on dev marked."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for key, result in state["cells"].items():
        if key.startswith("speed/"):
            _, mixing, length, _ = key.split("/")
            groups.setdefault((mixing, int(length)), []).append(result)
    speed = []
    for (mixing, length), results in sorted(groups.items(), key=lambda kv: (kv[0][1], _order(kv[0][0]))):
        ok = [r for r in results if r["status"] == "ok"]
        row = {"mixing": mixing, "length": length, "runs": len(results), "ok_runs": len(ok),
               "statuses": sorted({r["status"] for r in results}),
               "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
               # TensorFlow's own share: the resident memory once it has loaded, before any model.
               "import_rss_mib": max(r.get("after_import", {}).get("vm_hwm_mib") or 0 for r in results),
               "memory_limit_gib": results[0].get("memory_limit_gib"),
               "batch_size": results[0].get("batch_size"),
               "failures": sorted({r["detail"] for r in results if r["status"] != "ok" and r.get("detail")})}
        if ok:
            rates = [r["steps_per_second"] for r in ok]
            row.update(steps_per_second=statistics.median(rates),
                       tokens_per_second=statistics.median(r["tokens_per_second"] for r in ok),
                       steps_per_second_range=[min(rates), max(rates)],
                       # A cell's fastest step is the least disturbed by other jobs: a second view.
                       fastest_steps_per_second=statistics.median(1 / min(r["step_seconds"]) for r in ok))
        speed.append(row)
    ratios = []
    for length in sorted({row["length"] for row in speed}):
        by_mixing = {row["mixing"]: row for row in speed if row["length"] == length}
        fnet, twin = by_mixing.get("fourier"), by_mixing.get("attention")
        both = fnet and twin and "steps_per_second" in fnet and "steps_per_second" in twin
        ratios.append({"length": length, **dict(zip(RATIO_KEYS, (
            fnet["steps_per_second"] / twin["steps_per_second"],
            fnet["fastest_steps_per_second"] / twin["fastest_steps_per_second"],
            twin["peak_rss_mib"] / fnet["peak_rss_mib"]) if both else (None,) * 3, strict=True))})
    accuracy = [dict(result, mixing=key.split("/")[1], length=int(key.split("/")[2]),
                     learning_rate=result["settings"]["learning_rate"])
                for key, result in state["cells"].items() if key.startswith("accuracy/")]
    accuracy.sort(key=lambda row: (row["length"], _order(row["mixing"]), -row["learning_rate"]))
    for row in accuracy:  # per model and length, the learning rate best on dev (test chooses nothing)
        rivals = [other for other in accuracy if other["status"] == "ok"
                  and (other["mixing"], other["length"]) == (row["mixing"], row["length"])]
        row["chosen_on_dev"] = row["status"] == "ok" and row is max(rivals, key=_dev_rank)
    cells = list(state["cells"].values())
    loads = [cell["load_before"][0] for cell in cells if cell.get("load_before")]
    import_peaks = [cell["after_import"]["vm_peak_mib"] for cell in cells if cell.get("after_import")]
    return {"speed": speed, "ratios": ratios, "accuracy": accuracy,
            "load_1min_range": [min(loads), max(loads)] if loads else None,
            "address_space_after_import_mib": max(import_peaks) if import_peaks else None}


def outcome_text(row: dict) -> str:
    """How a speed row ended, in words: "ok", "out of memory at 8 GiB", ..."""
    if row["ok_runs"]:
        return "ok" if row["ok_runs"] == row["runs"] else f"ok in {row['ok_runs']} of {row['runs']} runs"
    status = "/".join(row["statuses"])
    if status == "out_of_memory":
        limit = row.get("memory_limit_gib")
        return f"out of memory at {limit:g} GiB" if limit else "out of memory"
    return status.replace("_", " ")


def _title(mixing: str) -> str:
    return MODEL_KINDS[mixing].title if mixing in MIXINGS else mixing


def _number(value, digits=2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def render_markdown(summary: dict, meta: dict) -> str:
    lines = ["# ListOps at long lengths: FNet against its Transformer twin", ""]
    lines += ["Produced by:", "", "```", meta.get("command", ""), "```", ""]
    if meta.get("machine"):
        lines += [f"Machine: {meta['machine']}", ""]
    if summary.get("load_1min_range"):
        low, high = summary["load_1min_range"]
        lines += [f"1-minute load average when the cells started: {low:.1f} to {high:.1f}.", ""]
    if summary["speed"]:
        lines += ["## Training speed and peak memory", "", meta.get("speed_setup", ""), ""]
        if summary.get("address_space_after_import_mib"):
            lines += [f"RLIMIT_AS bounds address space, not resident memory: a child had reserved up to "
                      f"{summary['address_space_after_import_mib'] / 1024:.1f} GiB of address space once "
                      f"TensorFlow had loaded (VmPeak), before any model, so that much of the limit was gone "
                      f"before the cell began.", ""]
        lines += markdown_table(
            ["length", "model", "steps/s (median)", "tokens/s (median)", "steps/s range",
             "fastest step, steps/s", "peak RSS (MiB)", "of it, TF loaded (MiB)", "runs", "outcome"],
            [[row["length"], _title(row["mixing"]),
              _number(row.get("steps_per_second"), 3), _number(row.get("tokens_per_second"), 0),
              "{:.3f}–{:.3f}".format(*row["steps_per_second_range"]) if row.get("steps_per_second_range")
              else "—",
              _number(row.get("fastest_steps_per_second"), 3), f"{row['peak_rss_mib']:,.0f}",
              f"{row['import_rss_mib']:,.0f}", row["runs"], outcome_text(row)] for row in summary["speed"]],
            "rlrrrrrrrl")
        lines += [""] + markdown_table(
            ["length", "FNet / twin, steps/s (ratio of medians)", "FNet / twin, fastest step",
             "twin / FNet, peak RSS"],
            [[ratio["length"], *("—" if ratio[key] is None else f"{ratio[key]:.2f}×" for key in RATIO_KEYS)]
             for ratio in summary["ratios"]],
            "rrrr")
        for row in summary["speed"]:
            for detail in row["failures"]:
                lines += ["", f"{_title(row['mixing'])} at {row['length']}, {outcome_text(row)}: `{detail}`"]
        lines.append("")
    if summary["accuracy"]:
        lines += ["## Accuracy after the same wall-clock budget", "", meta.get("accuracy_setup", ""), ""]
        lines += markdown_table(
            ["model", "length", "learning rate", "budget (s)", "training seconds", "steps", "epochs (best)",
             "dev accuracy", "dev macro F1", "test accuracy", "outcome", "best on dev"],
            [[_title(row["mixing"]), row["length"], f"{row['learning_rate']:g}",
              _number(row.get("budget_seconds"), 0),
              *((_number(row.get("train_seconds"), 0), row.get("steps", "—"),
                 f"{row['epochs_run']} ({row['best_epoch']})", _number(row.get("dev_accuracy"), 4),
                 _number(row.get("dev_macro_f1"), 4), _number(row.get("test_accuracy"), 4))
                if row["status"] == "ok" else ["—"] * 6),
              row["status"].replace("_", " "), "✓" if row["chosen_on_dev"] else ""]
             for row in summary["accuracy"]],
            "lrrrrrlrrrll")
        if meta.get("baselines"):
            dev, test = meta["baselines"]["dev"], meta["baselines"]["test"]
            lines += ["", "Without reading the lists (from the training split's counts): the most frequent "
                      f"value scores {dev['majority']:.4f} on dev and {test['majority']:.4f} on test; the "
                      f"most frequent value for each outermost operator {dev['root_operator']:.4f} and "
                      f"{test['root_operator']:.4f}."]
        lines.append("")
    if meta.get("notes"):
        lines += ["## Notes", "", *[f"- {note}" for note in meta["notes"]], ""]
    return "\n".join(lines)


def plot(summary: dict, path: Path) -> None:
    """Tokens/s and peak RSS against length, one line per model; out-of-memory cells marked x."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (speed_axis, memory_axis) = plt.subplots(1, 2, figsize=(10, 4))
    for mixing, colour in zip(MIXINGS, ("tab:blue", "tab:orange"), strict=True):
        rows = [row for row in summary["speed"] if row["mixing"] == mixing]
        ok = [row for row in rows if "tokens_per_second" in row]
        label = _title(mixing)
        for axis, values in ((speed_axis, [r["tokens_per_second"] for r in ok]),
                             (memory_axis, [r["peak_rss_mib"] / 1024 for r in ok])):
            axis.plot([r["length"] for r in ok], values, "o-", color=colour, label=label)
        for row in (row for row in rows if "tokens_per_second" not in row):
            memory_axis.plot([row["length"]], [row["peak_rss_mib"] / 1024], "x", color=colour, markersize=10,
                             label=f"{label}: {outcome_text(row)}")
    for axis, title, unit in ((speed_axis, "training throughput", "tokens/s (median)"),
                              (memory_axis, "peak RSS of the training process", "GiB")):
        axis.set_xscale("log", base=2)
        axis.set_xlabel("sequence length")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    with atomic_output(path) as temp:
        figure.savefig(temp, dpi=110, format="png")
    plt.close(figure)


def write_report(state: dict, meta: dict, out: Path) -> dict:
    """OUT.json (the summary, the settings and every cell), OUT.md and OUT.png."""
    summary = summarize(state)
    write_results(out, {"meta": meta, "summary": summary, "cells": state["cells"]},
                  render_markdown(summary, meta))
    if summary["speed"]:
        plot(summary, out.with_suffix(".png"))
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--cell", help=argparse.SUPPRESS)  # internal: run one cell (the child)
    add("--quick", action="store_true", help="smoke run: lengths 64 128, one repeat, 20 s budgets, small "
        "data; its own state and output under runs/listops_report/quick")
    add("--lengths", type=int, nargs="+", default=[512, 1024, 2048, 4096])
    add("--batch-size", type=int, default=8, help="speed cells' batch size")
    add("--preset", default="tiny")
    add("--repeats", type=int, default=3)
    add("--warmup-steps", type=int, default=2, help="untimed steps per speed cell")
    add("--timed-steps", type=int, default=8, help="timed steps per speed cell, at most")
    add("--timed-seconds", type=float, default=20.0, help="stop timing a speed cell after this long (at "
        "least 2 steps)")
    add("--memory-limit-gib", type=float, default=8.0, help="address-space limit per cell")
    add("--cell-timeout", type=float, default=300.0, help="seconds until a cell is killed")
    add("--accuracy-length", type=int, default=512)
    add("--budget-seconds", type=float, default=420.0, help="training wall clock per model")
    add("--accuracy-batch-size", type=int, default=32)
    add("--accuracy-epochs", type=int, default=4, help="epochs the learning-rate schedule is planned for "
        "(the budget stops sooner)")
    add("--learning-rates", type=float, nargs="+", default=[2e-3, 5e-4], help="peak learning rates tried "
        "for each model (the best on dev is kept)")
    add("--warmup-fraction", type=float, default=0.05)
    add("--train", type=int, default=4000)
    add("--dev", type=int, default=500)
    add("--test", type=int, default=1000)
    add("--skip-speed", action="store_true")
    add("--skip-accuracy", action="store_true")
    add("--report-only", action="store_true", help="only rewrite the report from STATE")
    add("--state", help="default runs/listops_report/state.json (quick: quick/state.json)")
    add("--out", help="default docs/results/listops (quick: under runs/listops_report/quick)")
    args = parser.parse_args(argv)
    if args.cell:
        return child_main(json.loads(args.cell))
    work, out = ROOT / "runs" / "listops_report", ROOT / "docs" / "results" / "listops"
    if args.quick:
        work = work / "quick"
        out = work / "listops"
        args.lengths, args.repeats, args.timed_steps, args.timed_seconds = [64, 128], 1, 3, 5.0
        args.accuracy_length, args.budget_seconds, args.train, args.dev, args.test = 64, 20.0, 300, 100, 100
        args.learning_rates = args.learning_rates[:1]
    stored = Cells(Path(args.state) if args.state else work / "state.json")
    out = Path(args.out) if args.out else out
    data = work / f"data-{args.accuracy_length}"
    limit = int(args.memory_limit_gib * GIB)

    def run_and_store(cell, timeout):
        key = cell_key(cell)
        if key in stored.cells:
            print(f"{key}: stored, skipped", flush=True)
            return
        print(f"{key}: running", flush=True)
        result = {**cell, **run_cell(cell, limit, timeout)}
        stored.put(key, result)
        shown = {k: result[k] for k in ("status", "steps_per_second", "tokens_per_second", "peak_rss_mib",
                                        "dev_accuracy", "test_accuracy", "steps", "detail") if k in result}
        print(f"{key}: {shown}", flush=True)

    if not args.report_only and not args.skip_speed:
        failed: set[tuple[str, int]] = set()
        for cell in speed_cells(args.lengths, args.repeats, args.batch_size, args.preset, args.warmup_steps,
                                args.timed_steps, args.timed_seconds):
            group = (cell["mixing"], cell["length"])
            if group in failed:  # out of memory or time once: repeating costs minutes and shows the same
                continue
            run_and_store(cell, args.cell_timeout)
            if stored.cells[cell_key(cell)]["status"] in ("out_of_memory", "timed_out"):
                failed.add(group)
    if not args.report_only and not args.skip_accuracy:
        if not (data / "listops.json").is_file():  # LRA's generator settings, the lengths cut to fit
            write_listops(data, train=args.train, dev=args.dev, test=args.test, seed=0,
                          min_length=min(ACCURACY_MIN_LENGTH, args.accuracy_length // 4),
                          max_length=args.accuracy_length - 2)
        for learning_rate in args.learning_rates:
            for mixing in MIXINGS:
                settings = {"preset": args.preset, "sequence_length": args.accuracy_length,
                            "batch_size": args.accuracy_batch_size, "epochs": args.accuracy_epochs,
                            "learning_rate": learning_rate, "dropout": 0.0,
                            "warmup_fraction": args.warmup_fraction, "patience": None,
                            "vocabulary_size": 100, "seed": 0, "mixing": mixing}
                run_dir = work / f"accuracy-{mixing}-{args.accuracy_length}-lr{learning_rate:g}"
                cell = {"kind": "accuracy", "mixing": mixing, "length": args.accuracy_length,
                        "budget_seconds": args.budget_seconds, "data": str(data), "run_dir": str(run_dir),
                        "settings": settings,
                        "data_settings": json.loads((data / "listops.json").read_text())}
                run_and_store(cell, args.budget_seconds * 3 + 600)
    meta = report_meta(args, argv)
    if (data / "train.tsv").is_file():
        meta["baselines"] = baselines(data)
    summary = write_report(stored.state, meta, out)
    print(json.dumps(summary["ratios"], indent=1))
    print(f"wrote {out.with_suffix('.md')}, .json, .png")
    return 0


NOTES = [
    "Speed cells feed random ids of the ListOps vocabulary at full length (no padding), so the twin attends "
    "over every position and FNet mixes every position; a step's cost does not depend on the ids.",
    "A cell 'out of memory' failed an allocation under the limit (TensorFlow's ResourceExhaustedError, or a "
    "C++ bad_alloc in its stderr); its peak RSS is what it reached before failing. Such a cell is not "
    "repeated.",
    "The machine was shared (load average above, on 2 cores): absolute figures are pessimistic and noisy; "
    "FNet and the twin were interleaved and the ratios are of medians, so drift hits both. The steps/s range "
    "column shows the spread over repeats.",
    "Accuracy steps are counted by the time-budget callback (the run's history.json records the planned "
    "steps per epoch). The clock starts when Keras starts training (after reading, tokenizing and building, "
    "which are not counted) and 'training seconds' runs until training ended: past the budget by the last "
    "step and the dev scoring of the cut epoch. The first epoch includes tracing, for both models. The "
    "training settings (dropout 0, batch 32, learning rate 2e-3) come from earlier sanity runs of a tiny "
    "FNet on ListOps at length 64, compared on dev; here 5e-4 (fnet-keras train's default) was tried too and "
    "each model's rate is the one best on dev. Test chose nothing.",
]


def report_meta(args, argv) -> dict:
    return {
        "command": command_line("listops_report.py", argv),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores shared with other "
                   f"jobs (the load average before and after each cell is in the JSON), Python "
                   f"{platform.python_version()}",
        "speed_setup": (
            f"`{args.preset}` preset, batch {args.batch_size}, one training step = forward, backward and "
            f"AdamW update (`model.train_on_batch`, compiled as `fnet-keras train` compiles: no XLA on CPU), "
            f"FourierMixing method `auto` (FFT). {args.warmup_steps} untimed steps, then up to "
            f"{args.timed_steps} timed steps or {args.timed_seconds:g} s; the median step time gives "
            f"steps/s (and the fastest step, the least disturbed by other jobs, a second estimate). Each "
            f"cell is its own process under an address-space limit of {args.memory_limit_gib:g} GiB "
            f"(RLIMIT_AS); peak RSS is that process's (os.wait4), TensorFlow's own share included (next "
            f"column). FNet and twin interleaved, {args.repeats} repeats (a cell that ran out of memory or "
            f"time is not repeated)."
        ),
        "notes": NOTES,
        "accuracy_setup": (
            f"`fnet_keras.training.fit`, `{args.preset}` preset, sequence length {args.accuracy_length}, "
            f"batch {args.accuracy_batch_size}, AdamW peak learning rate "
            f"{' or '.join(f'{rate:g}' for rate in args.learning_rates)} ({args.warmup_fraction:g} "
            f"warm-up, linear decay planned over {args.accuracy_epochs} epochs, which neither model "
            f"finished), dropout 0, on {args.train:,} / {args.dev:,} / {args.test:,} generated ListOps "
            f"expressions (LRA's generator: depth ≤ 9, 2–10 arguments, p = 0.25; lengths "
            f"{min(ACCURACY_MIN_LENGTH, args.accuracy_length // 4)}–{args.accuracy_length - 2} symbols, "
            f"seed 0). Each model trains until {args.budget_seconds:g} s of wall clock have passed since "
            f"training began (dev scoring after each epoch counts), then the epoch best on dev is kept and "
            f"scored on test; of the learning rates, the one whose run is best on dev (ties: lower dev loss) "
            f"is marked. One run at a time: per learning rate, FNet then the twin."
        ),
    }


if __name__ == "__main__":
    sys.exit(main())
