"""ListOps at long lengths: FNet against its Transformer twin (training speed, memory, accuracy in set time).

1. Speed: one training step of the `tiny` classifier (AdamW as `fnet-keras train` builds it, the
   package's own `FourierMixing` method "auto", i.e. FFT in TensorFlow) at each length, FNet and
   the twin interleaved (A B, then B A next repeat). Every cell runs in its own child process under
   an address-space limit (RLIMIT_AS), so a cell that runs out of memory is a result row, and its
   peak RSS is that child's alone (`os.wait4`). Tokens are random ListOps-vocabulary ids: the
   cost of a step does not depend on the values.
2. Accuracy: `fnet_keras.training.fit` on generated ListOps (LRA's generator and settings, the
   length range cut to fit the sequence length), FNet then the twin, each stopped by the same
   wall-clock budget (counted from the start of training; dev scoring after each epoch counts
   too). The epoch kept is the best on dev; test is scored once, on that epoch.

Resumable: every finished cell is stored in STATE (default runs/listops_report/state.json) and
skipped on a rerun; delete a cell's entry (or the file) to measure it again.

    nice -n 10 python scripts/listops_report.py                  # all of it (about 40 min here)
    python scripts/listops_report.py --quick                     # smoke run: short lengths, seconds
    python scripts/listops_report.py --report-only               # rewrite OUT.md/.json/.png from STATE

Writes OUT.json, OUT.md and OUT.png (default docs/results/listops).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from experiment import ROOT, Cells, command_line, run_child, write_results  # noqa: E402 (puts ROOT on sys.path)

from fnet_keras.atomic import write_bytes_atomic  # noqa: E402
from fnet_keras.data.listops import LRA_LISTOPS, NUM_CLASSES, listops_vocabulary, write_listops  # noqa: E402
from fnet_keras.presets import FNET_AND_TWIN as MIXINGS  # noqa: E402
from fnet_keras.presets import MODEL_KINDS  # noqa: E402
from fnet_keras.report_tables import markdown_table  # noqa: E402

GIB = 1024**3
MIXING_NAMES = {name: MODEL_KINDS[name].title for name in MIXINGS}
RESULT_PREFIX = "CELL_RESULT "
# Text in a failed child's stderr that says an allocation failed (TensorFlow's allocator, C++, Python).
OOM_MARKERS = (
    "OOM when allocating", "ResourceExhausted", "std::bad_alloc", "MemoryError",
    "Cannot allocate memory", "out of memory",
)
# ListOps for the accuracy cells: LRA's generator settings (depth 9, 2-10 arguments, p=0.25) with
# the length range cut to fit the sequence length ([CLS] and [SEP] take two places).
ACCURACY_MIN_LENGTH = 200


# ----------------------------------------------------------------------------------------------
# Cells: what to run, in what order


def speed_cells(lengths, repeats, batch_size, preset, warmup_steps, timed_steps, timed_seconds,
                backbone_overrides=None) -> list[dict]:
    """The speed cells in run order: per repeat, per length, FNet and the twin, the order of the
    two alternating between repeats (A B, B A, ...) so drift in the machine's load hits both."""
    cells = []
    for repeat in range(repeats):
        for length in lengths:
            order = MIXINGS if repeat % 2 == 0 else MIXINGS[::-1]
            for mixing in order:
                cells.append({
                    "kind": "speed", "mixing": mixing, "length": length, "repeat": repeat,
                    "batch_size": batch_size, "preset": preset, "warmup_steps": warmup_steps,
                    "timed_steps": timed_steps, "timed_seconds": timed_seconds,
                    "backbone_overrides": dict(backbone_overrides or {}),
                })
    return cells


def cell_key(cell: dict) -> str:
    if cell["kind"] == "speed":
        return f"speed/{cell['mixing']}/{cell['length']}/{cell['repeat']}"
    return f"accuracy/{cell['mixing']}/{cell['length']}/lr{cell['settings']['learning_rate']:g}"


# ----------------------------------------------------------------------------------------------
# The parent side: one child process per cell


def run_cell(cell: dict, memory_limit_bytes: int | None, timeout_seconds: float) -> dict:
    """Runs `cell` in a child Python under `memory_limit_bytes` of address space (None: no limit)
    and returns its result: the child's own report plus `peak_rss_mib` (the child's peak resident
    memory, from `os.wait4`), `wall_seconds`, `exit` and the load average before and after.

    `status` is "ok", "out_of_memory" (the child reported a failed allocation, or died with one in
    its stderr), "timed_out" (killed after `timeout_seconds`) or "failed" (with the stderr's tail).
    """

    load_before = os.getloadavg()
    child = run_child([sys.executable, str(Path(__file__).resolve()), "--cell", json.dumps(cell)],
                      timeout_seconds, memory_limit_bytes)
    out_text, err_text = child.stdout, child.stderr
    reported = [line[len(RESULT_PREFIX):] for line in out_text.splitlines() if line.startswith(RESULT_PREFIX)]
    result = json.loads(reported[-1]) if reported else {}
    if child.timed_out:
        result["status"] = "timed_out"
    elif "status" not in result:
        marker = next((m for m in OOM_MARKERS if m in err_text), None)
        result["status"] = "out_of_memory" if marker else "failed"
        result["detail"] = marker or "\n".join(err_text.strip().splitlines()[-5:])
    result.update({
        "peak_rss_mib": round(child.peak_rss_bytes / 2**20, 1),
        "wall_seconds": round(child.wall_seconds, 1),
        "exit": child.exit,
        "memory_limit_gib": None if memory_limit_bytes is None else memory_limit_bytes / GIB,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    })
    return result


# ----------------------------------------------------------------------------------------------
# The child side: runs one cell and prints its result (TensorFlow loads here only)


def _vm_status() -> dict:
    """This process's peak address space and peak resident memory, as the kernel counts them."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmPeak", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)  # kB -> MiB
    return {"vm_peak_mib": fields.get("VmPeak"), "vm_hwm_mib": fields.get("VmHWM")}


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


def build_training_model(preset, mixing, length, vocabulary_size, backbone_overrides, batch_size):
    """The classifier and optimizer `fnet-keras train` builds (`build_classifier`: AdamW with warm-up
    and linear decay, no weight decay on biases/LayerNorm/embeddings, the default learning rate,
    weight decay and dropout), at any length: the position table grows to fit."""
    import keras

    from fnet_keras.models import TextClassifier
    from fnet_keras.presets import get_preset
    from fnet_keras.training import TrainSettings
    from fnet_keras.training.schedule import NO_WEIGHT_DECAY, WarmupDecay

    defaults = TrainSettings()
    overrides = dict(backbone_overrides)
    overrides.setdefault("max_sequence_length", max(length, get_preset(preset)["max_sequence_length"]))
    keras.utils.set_random_seed(0)
    model = TextClassifier.from_preset(
        preset, vocabulary_size, NUM_CLASSES, mixing=mixing, sequence_length=length,
        dropout=defaults.dropout, fourier_method=defaults.fourier_method, **overrides,
    )
    total = 1000
    schedule = WarmupDecay(defaults.learning_rate, defaults.warmup_steps(total), total, defaults.decay)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=defaults.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    optimizer.build(model.trainable_variables)
    return model


def measure_speed(cell: dict) -> dict:
    """`warmup_steps` untimed training steps (tracing), then timed steps until `timed_steps` are done
    or `timed_seconds` have passed (at least 2)."""
    import numpy as np

    from fnet_keras.text.vocabulary import SPECIAL_TOKENS

    length, batch_size = cell["length"], cell["batch_size"]
    vocabulary_size = len(listops_vocabulary())
    model = build_training_model(cell["preset"], cell["mixing"], length, vocabulary_size,
                                 cell["backbone_overrides"], batch_size)
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


class TimeBudget:
    """A Keras callback (built on first use, so this module loads without Keras) that stops training
    once `seconds` of wall clock have passed since training began, counting the steps run."""

    def __new__(cls, seconds):
        import keras

        class _TimeBudget(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seconds, self.steps, self.start, self.elapsed = seconds, 0, None, 0.0

            def on_train_begin(self, logs=None):
                self.start = time.monotonic()

            def on_train_batch_end(self, batch, logs=None):
                self.steps += 1
                self.elapsed = time.monotonic() - self.start
                if self.elapsed >= self.seconds:
                    self.model.stop_training = True

            def on_train_end(self, logs=None):
                self.elapsed = time.monotonic() - self.start

        return _TimeBudget()


def train_for_budget(cell: dict) -> dict:
    """`fit` on the cell's ListOps data for at most `budget_seconds` of training wall clock."""
    from fnet_keras.training import TrainSettings, fit

    run_dir = Path(cell["run_dir"])
    if run_dir.exists():  # an unfinished attempt: fit wants a new directory
        shutil.rmtree(run_dir)
    settings = TrainSettings(**cell["settings"])
    budget = TimeBudget(cell["budget_seconds"])
    result = fit(cell["data"], run_dir, settings, callbacks=[budget], verbose=2)
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


# ----------------------------------------------------------------------------------------------
# State (resumable) and the report


def read_split(path: Path) -> list[tuple[str, int]]:
    """The rows of a `write_listops` TSV (`text<TAB>label`, a header line)."""
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return [(text, int(label)) for text, label in (row.rsplit("\t", 1) for row in rows)]


def baselines(data: Path) -> dict:
    """Accuracy without looking inside the lists, from the training split's counts: always the most
    frequent value ("majority"), and the most frequent value per outermost operator ("root operator")."""
    train = read_split(data / "train.tsv")
    counts: dict[int, int] = {}
    by_root: dict[str, dict[int, int]] = {}
    for text, label in train:
        counts[label] = counts.get(label, 0) + 1
        root = by_root.setdefault(text.split()[0], {})
        root[label] = root.get(label, 0) + 1
    majority = max(counts, key=lambda label: (counts[label], -label))
    guess = {root: max(tally, key=lambda label: (tally[label], -label)) for root, tally in by_root.items()}
    result = {}
    for split in ("dev", "test"):
        rows = read_split(data / f"{split}.tsv")
        result[split] = {
            "majority": sum(label == majority for _, label in rows) / len(rows),
            "root_operator": sum(label == guess.get(text.split()[0], majority) for text, label in rows)
            / len(rows),
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
    """The report's numbers from the stored cells: per mixing and length the median steps/s and
    tokens/s over repeats, the largest peak RSS, the outcome; per length FNet / twin (ratio of
    medians); the accuracy rows as they are."""
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
            row["steps_per_second"] = statistics.median(r["steps_per_second"] for r in ok)
            row["tokens_per_second"] = statistics.median(r["tokens_per_second"] for r in ok)
            row["steps_per_second_range"] = [min(r["steps_per_second"] for r in ok),
                                             max(r["steps_per_second"] for r in ok)]
            # A cell's fastest step is the least disturbed by other jobs: a second view on a busy machine.
            row["fastest_steps_per_second"] = statistics.median(1 / min(r["step_seconds"]) for r in ok)
        speed.append(row)
    ratios = []
    for length in sorted({row["length"] for row in speed}):
        by_mixing = {row["mixing"]: row for row in speed if row["length"] == length}
        fnet, twin = by_mixing.get("fourier"), by_mixing.get("attention")
        if fnet and twin and "steps_per_second" in fnet and "steps_per_second" in twin:
            speedup = fnet["steps_per_second"] / twin["steps_per_second"]
            fastest = fnet["fastest_steps_per_second"] / twin["fastest_steps_per_second"]
            ratios.append({"length": length, "fnet_over_twin_steps_per_second": speedup,
                           "fnet_over_twin_fastest_step": fastest,
                           "twin_over_fnet_peak_rss": twin["peak_rss_mib"] / fnet["peak_rss_mib"]})
        else:
            ratios.append({"length": length, "fnet_over_twin_steps_per_second": None,
                           "fnet_over_twin_fastest_step": None, "twin_over_fnet_peak_rss": None})
    accuracy = [dict(result, mixing=key.split("/")[1], length=int(key.split("/")[2]))
                for key, result in state["cells"].items() if key.startswith("accuracy/")]
    for row in accuracy:
        row["learning_rate"] = row["settings"]["learning_rate"]
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
    status = row["statuses"][0] if len(row["statuses"]) == 1 else "/".join(row["statuses"])
    if status == "out_of_memory":
        limit = row.get("memory_limit_gib")
        return f"out of memory at {limit:g} GiB" if limit else "out of memory"
    return status.replace("_", " ")


def epochs_text(row: dict) -> str:
    return f"{row['epochs_run']} ({row['best_epoch']})"


def _number(value, digits=2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def render_markdown(summary: dict, meta: dict) -> str:
    lines = ["# ListOps at long lengths: FNet against its Transformer twin", ""]
    lines += [meta.get("intro", ""), ""] if meta.get("intro") else []
    lines += ["Produced by:", "", "```", meta.get("command", ""), "```", ""]
    if meta.get("machine"):
        lines += [f"Machine: {meta['machine']}", ""]
    if summary.get("load_1min_range"):
        low, high = summary["load_1min_range"]
        lines += [f"1-minute load average when the cells started: {low:.1f} to {high:.1f}.", ""]
    if summary["speed"]:
        room = summary.get("address_space_after_import_mib")
        lines += ["## Training speed and peak memory", "", meta.get("speed_setup", ""), ""]
        if room:
            lines += [f"RLIMIT_AS bounds address space, not resident memory: a child had reserved up to "
                      f"{room / 1024:.1f} GiB of address space once TensorFlow had loaded (VmPeak), before "
                      f"any model, so that much of the limit was gone before the cell began.", ""]
        lines += markdown_table(
            ["length", "model", "steps/s (median)", "tokens/s (median)", "steps/s range",
             "fastest step, steps/s", "peak RSS (MiB)", "of it, TF loaded (MiB)", "runs", "outcome"],
            [[row["length"], MIXING_NAMES.get(row["mixing"], row["mixing"]),
              _number(row.get("steps_per_second"), 3), _number(row.get("tokens_per_second"), 0),
              "—" if not row.get("steps_per_second_range")
              else "{:.3f}–{:.3f}".format(*row["steps_per_second_range"]),
              _number(row.get("fastest_steps_per_second"), 3), f"{row['peak_rss_mib']:,.0f}",
              f"{row['import_rss_mib']:,.0f}", row["runs"], outcome_text(row)] for row in summary["speed"]],
            "rlrrrrrrrl")
        lines += [""] + markdown_table(
            ["length", "FNet / twin, steps/s (ratio of medians)", "FNet / twin, fastest step",
             "twin / FNet, peak RSS"],
            [[ratio["length"], *("—" if x is None else f"{x:.2f}×" for x in (
                ratio["fnet_over_twin_steps_per_second"], ratio.get("fnet_over_twin_fastest_step"),
                ratio["twin_over_fnet_peak_rss"]))] for ratio in summary["ratios"]],
            "rrrr")
        for row in summary["speed"]:
            for detail in row.get("failures", []):
                lines += ["", f"{MIXING_NAMES.get(row['mixing'], row['mixing'])} at {row['length']}, "
                              f"{outcome_text(row)}: `{detail}`"]
        lines.append("")
    if summary["accuracy"]:
        lines += ["## Accuracy after the same wall-clock budget", "", meta.get("accuracy_setup", ""), ""]
        lines += markdown_table(
            ["model", "length", "learning rate", "budget (s)", "training seconds", "steps", "epochs (best)",
             "dev accuracy", "dev macro F1", "test accuracy", "outcome", "best on dev"],
            [[MIXING_NAMES.get(row["mixing"], row["mixing"]), row["length"], f"{row['learning_rate']:g}",
              _number(row.get("budget_seconds"), 0),
              *((_number(row.get("train_seconds"), 0), row.get("steps", "—"), epochs_text(row),
                 _number(row.get("dev_accuracy"), 4), _number(row.get("dev_macro_f1"), 4),
                 _number(row.get("test_accuracy"), 4)) if row["status"] == "ok" else ["—"] * 6),
              row["status"].replace("_", " "), "✓" if row["chosen_on_dev"] else ""]
             for row in summary["accuracy"]],
            "lrrrrrlrrrll")
        if meta.get("baselines"):
            base = meta["baselines"]
            dev, test = base["dev"], base["test"]
            lines += ["", "Without reading the lists (from the training split's counts): the most frequent "
                      f"value scores {dev['majority']:.4f} on dev and {test['majority']:.4f} on test; the "
                      f"most frequent value for each outermost operator {dev['root_operator']:.4f} and "
                      f"{test['root_operator']:.4f}."]
        lines.append("")
    for heading in ("notes",):
        if meta.get(heading):
            lines += ["## Notes", "", *[f"- {note}" for note in meta[heading]], ""]
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
        failed = [row for row in rows if "tokens_per_second" not in row]
        label = MIXING_NAMES[mixing]
        speed_axis.plot([r["length"] for r in ok], [r["tokens_per_second"] for r in ok], "o-", color=colour,
                        label=label)
        memory_axis.plot([r["length"] for r in ok], [r["peak_rss_mib"] / 1024 for r in ok], "o-",
                         color=colour, label=label)
        for row in failed:
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
    with tempfile.NamedTemporaryFile(suffix=".png") as temp:
        figure.savefig(temp.name, dpi=110)
        write_bytes_atomic(path, Path(temp.name).read_bytes())
    plt.close(figure)


def write_report(state: dict, meta: dict, out: Path) -> dict:
    """OUT.json (the summary, the settings and every cell), OUT.md and OUT.png."""
    summary = summarize(state)
    everything = {"meta": meta, "summary": summary, "cells": state["cells"]}
    write_results(out, everything, render_markdown(summary, meta))
    if summary["speed"]:
        plot(summary, out.with_suffix(".png"))
    return summary


# ----------------------------------------------------------------------------------------------


def accuracy_settings(args, learning_rate) -> dict:
    return {"preset": args.preset, "sequence_length": args.accuracy_length,
            "batch_size": args.accuracy_batch_size, "epochs": args.accuracy_epochs,
            "learning_rate": learning_rate, "dropout": 0.0, "warmup_fraction": args.warmup_fraction,
            "patience": None, "vocabulary_size": 100, "seed": 0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", help=argparse.SUPPRESS)  # internal: run one cell (the child)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: lengths 64 128, one repeat, 20 s budgets, small data; "
                             "its own state and output under runs/listops_report/quick")
    parser.add_argument("--lengths", type=int, nargs="+", default=[512, 1024, 2048, 4096])
    parser.add_argument("--batch-size", type=int, default=8, help="speed cells' batch size")
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup-steps", type=int, default=2, help="untimed steps per speed cell")
    parser.add_argument("--timed-steps", type=int, default=8, help="timed steps per speed cell, at most")
    parser.add_argument("--timed-seconds", type=float, default=20.0,
                        help="stop timing a speed cell after this long (at least 2 steps)")
    parser.add_argument("--memory-limit-gib", type=float, default=8.0, help="address-space limit per cell")
    parser.add_argument("--cell-timeout", type=float, default=300.0, help="seconds until a cell is killed")
    parser.add_argument("--accuracy-length", type=int, default=512)
    parser.add_argument("--budget-seconds", type=float, default=420.0, help="training wall clock per model")
    parser.add_argument("--accuracy-batch-size", type=int, default=32)
    parser.add_argument("--accuracy-epochs", type=int, default=4,
                        help="epochs the learning-rate schedule is planned for (the budget stops sooner)")
    parser.add_argument("--learning-rates", type=float, nargs="+", default=[2e-3, 5e-4],
                        help="peak learning rates tried for each model (the best on dev is kept)")
    parser.add_argument("--warmup-fraction", type=float, default=0.05)
    parser.add_argument("--train", type=int, default=4000)
    parser.add_argument("--dev", type=int, default=500)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--report-only", action="store_true", help="only rewrite the report from STATE")
    parser.add_argument("--state", help="default runs/listops_report/state.json (quick: quick/state.json)")
    parser.add_argument("--out", help="default docs/results/listops (quick: under runs/listops_report/quick)")
    args = parser.parse_args(argv)
    if args.cell:
        return child_main(json.loads(args.cell))
    work = ROOT / "runs" / "listops_report"
    if args.quick:
        work = work / "quick"
        args.lengths, args.repeats, args.timed_steps, args.timed_seconds = [64, 128], 1, 3, 5.0
        args.accuracy_length, args.budget_seconds, args.train, args.dev, args.test = 64, 20.0, 300, 100, 100
        args.learning_rates = args.learning_rates[:1]
    state_path = Path(args.state) if args.state else work / "state.json"
    default_out = work / "listops" if args.quick else ROOT / "docs" / "results" / "listops"
    out = Path(args.out) if args.out else default_out
    stored = Cells(state_path)
    state = stored.state
    limit = int(args.memory_limit_gib * GIB)

    def run_and_store(cell, timeout):
        key = cell_key(cell)
        if key in state["cells"]:
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
            if state["cells"][cell_key(cell)]["status"] in ("out_of_memory", "timed_out"):
                failed.add(group)
    if not args.report_only and not args.skip_accuracy:
        data = work / f"data-{args.accuracy_length}"
        if not (data / "listops.json").is_file():
            config = LRA_LISTOPS.__class__(
                min_length=min(ACCURACY_MIN_LENGTH, args.accuracy_length // 4),
                max_length=args.accuracy_length - 2, max_depth=LRA_LISTOPS.max_depth,
                max_args=LRA_LISTOPS.max_args, operator_probability=LRA_LISTOPS.operator_probability)
            write_listops(data, train=args.train, dev=args.dev, test=args.test, config=config, seed=0)
        for learning_rate in args.learning_rates:
            for mixing in MIXINGS:
                cell = {"kind": "accuracy", "mixing": mixing, "length": args.accuracy_length,
                        "budget_seconds": args.budget_seconds, "data": str(data),
                        "run_dir": str(work / f"accuracy-{mixing}-{args.accuracy_length}"
                                                     f"-lr{learning_rate:g}"),
                        "settings": {**accuracy_settings(args, learning_rate), "mixing": mixing},
                        "data_settings": json.loads((data / "listops.json").read_text())}
                run_and_store(cell, args.budget_seconds * 3 + 600)
    for key, cell in state["cells"].items():  # cells stored before dev macro F1 was: from the run's metrics
        metrics = Path(cell.get("run_dir", "")) / "metrics.json"
        if key.startswith("accuracy/") and "dev_macro_f1" not in cell and metrics.is_file():
            cell["dev_macro_f1"] = json.loads(metrics.read_text())["dev"]["macro_f1"]
            stored.save()
    meta = report_meta(args, argv)
    data = work / f"data-{args.accuracy_length}"
    if (data / "train.tsv").is_file():
        meta["baselines"] = baselines(data)
    summary = write_report(state, meta, out)
    print(json.dumps(summary["ratios"], indent=1))
    print(f"wrote {out.with_suffix('.md')}, .json, .png")
    return 0


def report_meta(args, argv) -> dict:
    return {
        "command": command_line("listops_report.py", argv),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores shared with other "
                   f"jobs (the load average before and after each cell is in the JSON), Python "
                   f"{platform.python_version()}",
        "speed_setup": (
            f"`{args.preset}` preset, batch {args.batch_size}, one training step = forward, backward and "
            f"AdamW update (`model.train_on_batch`, compiled as `fnet-keras train` compiles: no XLA on "
            f"CPU), FourierMixing method `auto` (FFT). {args.warmup_steps} untimed steps, then up to "
            f"{args.timed_steps} timed steps or {args.timed_seconds:g} s; the median step time gives "
            f"steps/s (and the fastest step, the least disturbed by other jobs, a second "
            f"estimate). Each cell is its own process under an address-space limit of "
            f"{args.memory_limit_gib:g} GiB (RLIMIT_AS); peak RSS is that process's (os.wait4), "
            f"TensorFlow's own share included (next column). FNet and twin interleaved, "
            f"{args.repeats} repeats (a cell that ran out of memory or time is not repeated)."
        ),
        "notes": [
            "Speed cells feed random ids of the ListOps vocabulary at full length (no padding), so the twin "
            "attends over every position and FNet mixes every position; a step's cost does not depend on "
            "the ids.",
            "A cell 'out of memory' failed an allocation under the limit (TensorFlow's "
            "ResourceExhaustedError, or a C++ bad_alloc in its stderr); its peak RSS is what it reached "
            "before failing. Such a cell is not repeated.",
            "The machine was shared (load average above, on 2 cores): absolute figures are pessimistic "
            "and noisy; FNet and the twin were interleaved and the ratios are of medians, so drift hits "
            "both. The steps/s range column shows the spread over repeats.",
            "Accuracy steps are counted by the time-budget callback (the run's history.json records the "
            "planned steps per epoch). The clock starts when Keras starts training (after reading, "
            "tokenizing and building, which are not counted) and 'training seconds' runs until training "
            "ended: past the budget by the last step and the dev scoring of the cut epoch. The first "
            "epoch includes tracing, for both models. The training "
            "settings (dropout 0, batch 32, learning rate 2e-3) come from earlier sanity runs of a tiny "
            "FNet on ListOps at length 64, compared on dev; here 5e-4 (fnet-keras train's default) was "
            "tried too and each model's rate is the one best on dev. Test chose nothing.",
        ],
        "accuracy_setup": (
            f"`fnet_keras.training.fit`, `{args.preset}` preset, sequence length {args.accuracy_length}, "
            f"batch {args.accuracy_batch_size}, AdamW peak learning rate "
            f"{' or '.join(f'{rate:g}' for rate in args.learning_rates)} "
            f"({args.warmup_fraction:g} warm-up, linear decay planned over {args.accuracy_epochs} epochs, "
            f"which neither model finished), dropout 0, on {args.train:,} / {args.dev:,} / {args.test:,} "
            f"generated ListOps expressions (LRA's generator: depth ≤ 9, 2–10 arguments, p = 0.25; "
            f"lengths {min(ACCURACY_MIN_LENGTH, args.accuracy_length // 4)}–{args.accuracy_length - 2} "
            f"symbols, seed 0). Each model trains until {args.budget_seconds:g} s of wall clock have "
            f"passed since training began (dev scoring after each epoch counts), then the epoch best on "
            f"dev is kept and scored on test; of the learning rates, the one whose run is best on dev "
            f"(ties: lower dev loss) is marked. One run at a time: per learning rate, FNet then the twin."
        ),
    }


if __name__ == "__main__":
    sys.exit(main())
