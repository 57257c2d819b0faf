"""The fixed-budget report: test accuracy against p50 latency of exported bundles, from scratch and distilled.

    nohup nice python scripts/pareto.py > runs/pareto.log 2>&1 &     # trains what is missing, resumes
    python scripts/pareto.py --no-train                              # the report from finished cells

The recipe, each step resumable and reused on a rerun (runs/pareto-<data>/):
1. teacher: the pre-trained encoder (`--encoder`, default minilm) fine-tuned on `--teacher-rows`
   sampled training rows (`fnet-keras train --encoder`);
2. transfer set: `--copies` perturbed copies of every training text (`fnet-keras augment`), scored by
   the teacher once (its cache, shared by every student);
3. cells (CELLS, in order of importance): the bag of embeddings, tiny and mini FNet and the tiny
   Transformer twin from scratch (package defaults), and distilled over the training text plus one
   perturbed copy of each (1x) and 60,000 sentences of IMDB's unlabelled reviews (SST-2's test rows are
   sentences, its training rows mostly phrases); a tiny FNet also on the training text alone, with 1x
   only and with both copies (2x), for accuracy against the transfer set; the bag of embeddings
   distilled the same way, which shows what of the distilled FNet's gain needs no token mixing;
4. export of every cell to fp32 and dynamic-range bundles through the parity gate, then ONE interleaved
   benchmark of all bundles here (1 thread, batch 1);
5. teacher-dev: each cell's agreement with the teacher on 2,000 review sentences no transfer set holds,
   labelled by the teacher (`scripts/teacher_dev.py`).
Model choice is by teacher-dev: SST-2's dev split rewards fitting the training sentences and orders the
cells unlike test (docs/results/teacher.md); `--choose-on dev` where the dev split is held out (IMDB,
`make pareto-imdb`: its cells distil over the training reviews, with or without whole unlabelled ones).
Test accuracy is reported once. Writes docs/results/pareto.md/.json/.png (or --results-dir).
Data: SST-2 (Socher et al. 2013; GLUE, Wang et al. 2019). Teacher: all-MiniLM-L6-v2 (Apache-2.0).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / ".." / "shared" / "data"
# name -> (settings over the package defaults, transfer set: None (labels only), "train", "half", "full",
# "reviews"; whether it starts from the shipped general backbone, fnet_keras/backbones/tiny-en)
CELLS = {
    "tiny-fnet-distilled-1x": ({"preset": "tiny", "epochs": 3}, "half", False),
    "tiny-fnet-distilled-1x-reviews": ({"preset": "tiny", "epochs": 3}, "reviews", False),
    "tiny-fnet-backbone-distilled-1x-reviews": ({"preset": "tiny", "epochs": 3}, "reviews", True),
    "tiny-fnet-backbone-distilled-1x-reviews200k": ({"preset": "tiny", "epochs": 3}, "reviews200k", True),
    "tiny-fnet": ({"preset": "tiny"}, None, False),
    "tiny-fnet-backbone": ({"preset": "tiny"}, None, True),
    "bag": ({"mixing": "bag"}, None, False),
    "bag-distilled-1x-reviews": ({"mixing": "bag", "epochs": 3}, "reviews", False),
    "bag-distilled-train": ({"mixing": "bag", "epochs": 3}, "train", False),
    "tiny-twin-distilled-1x-reviews": (
        {"preset": "tiny", "mixing": "attention", "epochs": 3}, "reviews", False),
    "tiny-twin": ({"preset": "tiny", "mixing": "attention"}, None, False),
    "tiny-twin-distilled-train": ({"preset": "tiny", "mixing": "attention", "epochs": 3}, "train", False),
    "tiny-fnet-distilled-train": ({"preset": "tiny", "epochs": 3}, "train", False),
    "tiny-fnet-backbone-distilled-train": ({"preset": "tiny", "epochs": 3}, "train", True),
    "tiny-fnet-backbone-distilled-unsup10k": ({"preset": "tiny", "epochs": 3}, "unsup10k", True),
    "mini-fnet-distilled-1x-reviews": ({"preset": "mini", "epochs": 2}, "reviews", False),
    "mini-fnet": ({"preset": "mini"}, None, False),
    "tiny-fnet-distilled-2x": ({"preset": "tiny", "epochs": 3}, "full", False),
}
# Sentences of IMDB's unlabelled reviews per transfer set: SST-2's test rows are whole sentences.
REVIEW_SENTENCES = {"reviews": 60000, "reviews200k": 200000}
# Whole unlabelled reviews beside the training text (IMDB's test rows are reviews).
REVIEW_DOCUMENTS = {"unsup10k": 10000}
# The report's words for each transfer set; the table's "transfer rows" counts the texts of its file.
TRANSFER_SETS = {
    "train": "the training text alone",
    "half": "the training text and one perturbed copy of each (`fnet-keras augment`)",
    "full": "the training text and two perturbed copies of each",
    **{name: f"the training text, one perturbed copy of each and {count:,} review sentences"
       for name, count in REVIEW_SENTENCES.items()},
    **{name: f"the training text and {count:,} whole reviews (a seeded sample; its file holds the reviews)"
       for name, count in REVIEW_DOCUMENTS.items()},
}
MODES = ("fp32", "dynamic")
# What a budget chooses on: teacher-dev where every cell has it (a teacher exists), else the dev split.
CHOICE_TITLES = {"teacher_dev": "teacher-dev", "dev_accuracy": "dev"}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA / "sst2")
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--encoder", default="minilm")
    parser.add_argument("--teacher-rows", type=int, default=12000,
                        help="training rows the teacher fine-tunes on (default 12,000: 2 epochs, ~20 min)")
    parser.add_argument("--teacher-epochs", type=int, default=2)
    parser.add_argument("--choose-on", choices=("teacher-dev", "dev"), default="teacher-dev",
                        help="what a budget chooses by: teacher-dev (SST-2, whose dev split overlaps its "
                        "training rows) or the dev split (IMDB, whose dev reviews are held out)")
    parser.add_argument("--copies", type=int, default=2, help="perturbed copies per training text")
    parser.add_argument("--reviews", type=Path, default=DATA / "imdb" / "unsup.txt.gz",
                        help="unlabelled in-domain text whose sentences join the transfer set")
    parser.add_argument("--cells", default=",".join(CELLS), help="cells to build (default all)")
    parser.add_argument("--runs-dir", type=Path)
    parser.add_argument("--results-dir", type=Path, default=ROOT / "docs" / "results")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per bundle (default 200)")
    parser.add_argument("--no-train", action="store_true", help="report finished, exported cells only")
    args = parser.parse_args(argv)
    args.runs_dir = args.runs_dir or ROOT / "runs" / f"pareto-{args.data.name}"
    args.cells = [cell for cell in args.cells.split(",") if cell]
    unknown = sorted(set(args.cells) - set(CELLS))
    if unknown:
        parser.error(f"unknown cell(s) {unknown}; known: {', '.join(CELLS)}")
    return args


def log(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


def transfer_files(args, teacher_dir: Path) -> dict[str, Path]:
    """The transfer set's text files that the cells use: all copies, every other line of them (half the
    set), half the set with review sentences, and whole reviews alone."""
    from fnet_keras.atomic import atomic_output
    from fnet_keras.training.augment import write_transfer_text

    needed = {CELLS[cell][1] for cell in args.cells} - {None, "train"}
    files = {}
    for name, count in REVIEW_DOCUMENTS.items():
        if name not in needed:
            continue
        files[name] = args.runs_dir / f"transfer-{name}.txt.gz"
        if not files[name].is_file():
            import numpy as np

            from fnet_keras.data import read_documents

            log(f"writing {files[name]}: {count:,} reviews of {args.reviews}, sampled")
            reviews = read_documents(args.reviews).texts
            picked = sorted(np.random.default_rng(0).permutation(len(reviews))[:count])
            with atomic_output(files[name]) as temp, gzip.open(temp, "wt", encoding="utf-8") as file:
                file.writelines(reviews[i] + "\n" for i in picked)
    if not needed - set(REVIEW_DOCUMENTS):
        return files  # the training text alone needs no file
    full = args.runs_dir / f"transfer-{args.copies}x.txt.gz"
    half = args.runs_dir / f"transfer-{args.copies}x-half.txt.gz"
    if not full.is_file():
        log(f"writing the transfer set {full}")
        write_transfer_text(args.data, teacher_dir, full, args.copies, seed=0, say=log)
    if not half.is_file():
        with gzip.open(full, "rt", encoding="utf-8") as file:
            lines = file.readlines()[::2]
        with atomic_output(half) as temp, gzip.open(temp, "wt", encoding="utf-8") as file:
            file.writelines(lines)
    files.update(full=full, half=half)
    for name, count in REVIEW_SENTENCES.items():
        files[name] = args.runs_dir / f"transfer-1x-reviews{count // 1000}k.txt.gz"
        if files[name].is_file() or name not in needed:
            continue
        from fnet_keras.data import read_documents
        from fnet_keras.training.augment import sample_sentences

        log(f"writing {files[name]}: the 1x transfer set and {count:,} sentences of {args.reviews}")
        with gzip.open(half, "rt", encoding="utf-8") as file:
            lines = file.readlines()
        lines += [line + "\n" for line in sample_sentences(read_documents(args.reviews).texts, count)]
        with atomic_output(files[name]) as temp, gzip.open(temp, "wt", encoding="utf-8") as file:
            file.writelines(lines)
    return files


def build(args) -> None:
    from fnet_keras.export.ensure import ensure_bundles
    from fnet_keras.training import TrainSettings
    from fnet_keras.training.ensure import ensure_run

    length = args.sequence_length
    teacher = args.runs_dir / "teacher"
    distilling = any(CELLS[cell][1] for cell in args.cells)
    if distilling:
        settings = TrainSettings(encoder=args.encoder, sequence_length=length, train_rows=args.teacher_rows,
                                 epochs=args.teacher_epochs, batch_size=32, learning_rate=1e-4)
        teacher_run = ensure_run(settings, args.data, teacher, verbose=2,
                                 announce=lambda action: log(f"teacher: {action}"))
    transfer = transfer_files(args, teacher) if distilling else {}
    for name in args.cells:
        overrides, text, from_backbone = CELLS[name]
        settings, fit_options = TrainSettings(sequence_length=length, **overrides), {}
        if from_backbone:
            from fnet_keras.backbones import SHIPPED

            fit_options["init_from"] = SHIPPED
        if text is not None:  # recorded with the distillation defaults filled in
            settings = settings.with_distillation()
            fit_options.update(teacher=teacher, distill_text=transfer.get(text))
        run = ensure_run(settings, args.data, args.runs_dir / name, verbose=2,
                         announce=lambda action, name=name: log(f"{name}: {action}"), **fit_options)
        # A failed gate is a row of the report (ensure_bundles records it), not an error.
        ensure_bundles(run, MODES, run.path / "bundles", progress=lambda line: log(f"  {line}"))
    if distilling:
        # The teacher on the same axes, last (its export scores the test split with the encoder, ~40 min
        # for IMDB at 256); dynamic range only (its fp32 bundle is 90 MB).
        ensure_bundles(teacher_run, ("dynamic",), teacher / "bundles", progress=lambda line: log(f"  {line}"))


def teacher_dev_texts(args) -> tuple[list[str], list[str]] | None:
    """The teacher-dev sentences and the teacher's labels (written once to runs_dir/teacher-dev.tsv,
    every transfer set there kept out), or None before the teacher has finished."""
    from teacher_dev import main as write_teacher_dev

    from fnet_keras.data.readers import read_split

    path, teacher = args.runs_dir / "teacher-dev.tsv", args.runs_dir / "teacher"
    if not (teacher / "metrics.json").is_file():
        return None
    if not path.is_file():
        excluded = [arg for transfer in sorted(args.runs_dir.glob("transfer-*.txt.gz"))
                    for arg in ("--exclude", str(transfer))]
        write_teacher_dev(["--teacher", str(teacher), "--text", str(args.reviews), *excluded,
                           "--out", str(path)])
    split = read_split(path)
    return list(split.texts), list(split.labels)


def rows(args) -> list[dict]:
    from teacher_dev import predicted_labels

    from fnet_keras.export.report import ExportReport
    from fnet_keras.training.run_dir import RunDir, read_json

    dev_texts, dev_labels = (teacher_dev_texts(args) if args.choose_on == "teacher-dev" else None) or ([], [])
    found = []
    for name in ["teacher", *args.cells]:
        run_dir = args.runs_dir / name
        if not (run_dir / "metrics.json").is_file():
            continue
        run = RunDir(run_dir).load()
        metrics = read_json(run_dir / "metrics.json")
        modes = {}
        if (run_dir / "bundles" / "export_report.json").is_file():
            for mode in ExportReport.load(run_dir / "bundles").modes:
                modes[mode.mode] = {"passed": mode.passed, "bundle": str(run_dir / "bundles" / mode.mode),
                                    "agreement": mode.parity.agreement,
                                    "bytes": mode.size_bytes if mode.passed else None}
        transfer = (run.distillation or {}).get("text")
        agreement = None
        if dev_texts:  # the teacher labelled them: 100% by construction
            predicted = dev_labels if name == "teacher" else predicted_labels(run_dir, dev_texts)
            agreement = sum(a == b for a, b in zip(predicted, dev_labels, strict=True)) / len(dev_labels)
        found.append({
            "name": name,
            "preset": run.settings.encoder or ("-" if run.settings.mixing == "bag" else run.settings.preset),
            "mixing": run.settings.mixing,
            "distilled": run.distillation is not None,
            "backbone": "pretrained_dir" in (run.init or {}),  # an encoder run's init names the encoder
            "transfer_rows": None if transfer is None else transfer.get("documents"),
            "parameters": metrics["parameters"], "dev_accuracy": metrics["dev"]["accuracy"],
            "teacher_dev": agreement,
            "test_accuracy": (metrics.get("test") or {}).get("accuracy"),
            "epochs_run": metrics["epochs_run"],
            "train_seconds": sum(epoch.get("seconds", 0.0) for epoch in read_json(run_dir / "history.json")),
            "modes": modes,
        })
    return found


def measure(args, table: list[dict]):
    from fnet_keras.budget.latency import measure_latencies, profile_latencies
    from fnet_keras.training.pretrain_dir import file_sha256

    bundles = {f"{row['name']}/{mode}": entry["bundle"] for row in table
               for mode, entry in row["modes"].items() if entry["passed"]}
    if not bundles:
        return None
    log(f"benchmarking {len(bundles)} bundles interleaved, {args.runs} runs each, 1 thread")
    bench = measure_latencies(bundles, threads=1, runs=args.runs, progress=lambda line: log(f"bench: {line}"))
    shas = {name: file_sha256(Path(path) / "model.tflite") for name, path in bundles.items()}
    for name, latency in profile_latencies(bench, shas, 1).items():
        row_name, mode = name.split("/")
        next(row for row in table if row["name"] == row_name)["modes"][mode]["p50_ms"] = latency.model_ms
    return bench


def frontier(points: list[dict], on: str = "teacher_dev") -> list[dict]:
    """The budget's choices as it grows: each point more accurate (`on`) than every faster one."""
    front, best = [], None
    for point in sorted(points, key=lambda point: point["p50_ms"]):
        if best is None or point[on] > best[on]:
            front.append(point)
            best = point
    return front


def markdown(report: dict) -> str:
    from fnet_keras.report_tables import markdown_table, ms, percent

    lines = [f"# {report['title']}", "", "```", report["command"], "```", "", *report["facts"], ""]
    header = ["cell", "model", "distilled (transfer rows)", "params", "teacher-dev", "dev", "test",
              "fp32 p50 ms", "dynamic p50 ms", "dynamic bytes", "train min"]
    body = []
    for row in report["rows"]:
        fp32, dynamic = row["modes"].get("fp32", {}), row["modes"].get("dynamic", {})
        body.append([
            row["name"],
            (row["preset"] if row["name"] == "teacher" else f"{row['preset']} {row['mixing']}")
            + (" from the backbone" if row.get("backbone") else ""),
            ("yes" + (f" ({row['transfer_rows']:,})" if row["transfer_rows"] else " (train only)"))
            if row["distilled"] else "no",
            f"{row['parameters']:,}", percent(row["teacher_dev"]), percent(row["dev_accuracy"]),
            percent(row["test_accuracy"]),
            ms(fp32.get("p50_ms")), ms(dynamic.get("p50_ms")),
            "-" if dynamic.get("bytes") is None else f"{dynamic['bytes']:,}",
            f"{row['train_seconds'] / 60:.1f}",
        ])
    lines += ["## Cells", "", *markdown_table(header, body), "", "## What a budget chooses", "",
              "Each bundle that passed its gate is a point; a budget in [from, to) ms chooses the most "
              f"accurate point within it by {CHOICE_TITLES[report['choice']]}.", ""]
    fronts = (("frontier", None), ("test_frontier", "The front on test (for reading, not choosing)"))
    for key, title in fronts:
        front = report[key]
        if title:
            lines += ["", f"## {title}", ""]
        lines += markdown_table(
            ["from ms", "to ms", "chosen", CHOICE_TITLES[report["choice"]], "test"],
            [[ms(point["p50_ms"]), ms(front[i + 1]["p50_ms"]) if i + 1 < len(front) else "-", point["name"],
              percent(point[report["choice"]]), percent(point["test_accuracy"])]
             for i, point in enumerate(front)])
    lines += ["", "![test accuracy against p50 latency](pareto.png)", ""]
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fnet_keras.atomic import atomic_output

    figure, ax = plt.subplots(figsize=(8, 5.5))
    for point in report["points"]:
        marker = ("*" if point["name"].startswith("teacher") else "o" if point["mixing"] == "fourier"
                  else "s" if point["mixing"] == "attention" else "x")
        color = "tab:red" if point["distilled"] else "tab:green" if point.get("backbone") else "tab:blue"
        ax.scatter(point["p50_ms"], 100 * point["test_accuracy"], marker=marker, color=color)
        ax.annotate(point["name"], (point["p50_ms"], 100 * point["test_accuracy"]), fontsize=7,
                    textcoords="offset points", xytext=(4, 3))
    ax.set_xscale("log")
    ax.set_xlabel("p50 latency of the bundle, 1 thread, batch 1 (ms, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(report["title"] + "\n(red: distilled; green: from the backbone; o FNet, s Transformer twin, "
                 "x bag of embeddings, * the teacher)",
                 fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    with atomic_output(path) as temp:
        figure.savefig(temp, dpi=110, format="png")
    plt.close(figure)


def main(argv=None) -> int:
    from fnet_keras.atomic import write_text_atomic
    from fnet_keras.edge.machine_load import current_load
    from fnet_keras.errors import FnetKerasError

    args = parse_args(argv)
    started = time.time()
    try:
        if not args.no_train:
            build(args)
        table = rows(args)
        bench = measure(args, table)
    except FnetKerasError as error:
        log(f"error: {error}")
        return error.exit_code
    points = [dict(row, name=f"{row['name']} {mode}", p50_ms=entry["p50_ms"]) for row in table
              for mode, entry in row["modes"].items() if entry.get("p50_ms") is not None]
    load = current_load()
    finished = {row["name"] for row in table}
    report_left = [name for name in args.cells if name not in finished]
    choice = ("teacher_dev" if args.choose_on == "teacher-dev" and all(point["teacher_dev"] is not None
                                                                        for point in points)
              else "dev_accuracy")
    facts = [f"- data: {os.path.relpath(args.data, ROOT)}; choices by {CHOICE_TITLES[choice]}, "
             "test reported once"]
    if any(row["distilled"] for row in table):
        facts.append(
            f"- teacher: {args.encoder} fine-tuned on {args.teacher_rows:,} sampled training rows for "
            f"{args.teacher_epochs} epoch(s); the distilled cells' transfer sets (alpha 0.5, T 2): "
            + "; ".join(f"{kind}: {TRANSFER_SETS[kind]}" for kind in
                        dict.fromkeys(CELLS[row["name"]][1] for row in table if row["distilled"]))
            + f" (reviews: {os.path.relpath(args.reviews, ROOT)})")
    else:
        facts.append(f"- no distilled cells: no teacher in {os.path.relpath(args.runs_dir, ROOT)}/teacher")
    if any(row["backbone"] for row in table):
        facts.append(
            "- from the backbone: the cell starts from the general backbone shipped when it trained "
            "(fnet_keras/backbones/tiny-en, its hashes in the run's config.json; docs/results/backbone.md) "
            "instead of random weights")
    if choice == "teacher_dev":
        facts.append(
            f"- teacher-dev: agreement with the teacher on "
            f"{os.path.relpath(args.runs_dir, ROOT)}/teacher-dev.tsv, "
            f"sentences of {os.path.relpath(args.reviews, ROOT)} that no transfer set holds, labelled by the "
            "teacher (scripts/teacher_dev.py; the teacher's own is 100% by construction). It chooses because "
            "SST-2's dev split cannot: that is the rest of GLUE's training split, 88.6% of its rows occur "
            "inside a training row (docs/results/sst2.md), and it rewards fitting the training sentences "
            "(docs/results/teacher.md). Its sentences come from the reviews that the transfer sets sample, "
            "so it leans toward cells that saw more of them (200,000 against 60,000: +1.8 points, test "
            "-0.1). The second front below is test's, for reading only")
    facts += [
        f"- not finished this session (a rerun resumes them): {', '.join(report_left) or 'none'}",
        f"- latency: one interleaved benchmark here, 1 thread, batch 1, {args.runs} runs per bundle; "
        f"{load.describe()} after timing",
        f"- {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, this invocation "
        f"{(time.time() - started) / 60:.1f} min",
    ]
    report = {
        "title": f"{args.data.name}: test accuracy against p50 latency (length {args.sequence_length})",
        "command": "python " + " ".join(shlex.quote(part) for part in [os.path.relpath(__file__, ROOT),
                                                                       *sys.argv[1:]]),
        "facts": facts,
        "rows": table, "points": points, "choice": choice, "frontier": frontier(points, choice),
        "test_frontier": frontier(points, "test_accuracy"),
        "bench_device": None if bench is None else bench.device,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.results_dir / "pareto.json", json.dumps(report, indent=2, default=str) + "\n")
    write_text_atomic(args.results_dir / "pareto.md", markdown(report))
    if points:
        plot(report, args.results_dir / "pareto.png")
    log(f"wrote {args.results_dir / 'pareto.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
