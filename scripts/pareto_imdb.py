"""IMDB accuracy against int8 latency: FNet, its Transformer twin, the hybrid (and the bag-of-embeddings
baseline once it is a model kind), at several sequence lengths, as a Pareto report.

Every candidate goes through the budget machinery (`fnet_keras.budget`): a run directory per
PRESET-MIXING-LENGTH under --runs-dir (a finished run is reused, an unfinished one resumed, a
missing one trained with the package's training defaults plus --vocabulary-size), an int8
export into the run's bundles/ (a passing one is reused; one that fails its parity gate is a
table row), then ONE interleaved benchmark of all bundles here: p50 of the model alone and p50
end to end (the bundle's pure-Python tokenizer + inference) over a seeded sample of dev reviews.
Writes pareto.md, pareto.json, pareto.png and the raw benchmark (pareto-bench.json/.md).

    nohup nice -n 10 python scripts/pareto_imdb.py > runs/pareto-imdb.log 2>&1 &   # the full grid
    python scripts/pareto_imdb.py --no-train          # the report from what is finished
    python scripts/pareto_imdb.py --quick             # smoke test on an IMDB slice, under runs/

Settings are chosen on dev only: the budget tables pick by dev accuracy; test accuracy is shown.
Data: Maas et al. 2011 (IMDB reviews). Model: Lee-Thorp et al. 2022 (FNet).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
IMDB = ROOT / ".." / "shared" / "data" / "imdb"
# The grid: tiny at three lengths for every kind, mini FNet and twin at 256. "bag" joins
# when fnet_keras.budget.MODEL_KINDS has it (the bag-of-embeddings baseline).
GRID = ("tiny:fourier,attention,hybrid,bag:128,256,512", "mini:fourier,attention:256")
QUICK_GRID = ("tiny:fourier,attention:128",)
QUICK_ROWS = {"train": 5000, "dev": 500, "test": 500}
QUICK_EPOCHS = 3
MARKERS = {"fourier": "o", "attention": "s", "hybrid": "^", "linear": "D", "bag": "x"}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=IMDB)
    parser.add_argument("--grid", action="append", metavar="PRESET:KINDS:LENGTHS",
                        help=f"a block of candidates (repeatable; default {' '.join(GRID)})")
    parser.add_argument("--quant", default="int8", help="bundle quantization (default int8)")
    parser.add_argument("--vocabulary-size", type=int, default=16000)
    parser.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                        help="another training setting for new runs (fnet-keras budget --setting)")
    parser.add_argument("--runs-dir", type=Path, help="default runs/pareto-imdb (quick: runs/pareto-quick)")
    parser.add_argument("--results-dir", type=Path, help="default docs/results (quick: the runs dir)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", type=Path, metavar="BENCH.json",
                        help="latencies measured on a target device (fnet-keras bench --json over the "
                        "bundles, matched by SHA-256) instead of timing here")
    parser.add_argument("--runs", type=int, default=200, help="counted runs per model (default 200)")
    parser.add_argument("--texts", type=int, default=300, help="dev reviews timed end to end (default 300)")
    parser.add_argument("--retry-failed-exports", action="store_true",
                        help="export again where the parity gate failed before (e.g. after an exporter fix)")
    parser.add_argument("--no-train", action="store_true",
                        help="report the finished, exported candidates only; list the others")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: {QUICK_ROWS} rows of IMDB, {QUICK_EPOCHS} epochs, grid "
                        f"{' '.join(QUICK_GRID)}")
    args = parser.parse_args(argv)
    args.grid = args.grid or list(QUICK_GRID if args.quick else GRID)
    args.runs_dir = args.runs_dir or ROOT / "runs" / ("pareto-quick" if args.quick else "pareto-imdb")
    args.results_dir = args.results_dir or (args.runs_dir if args.quick else ROOT / "docs" / "results")
    return args


def log(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def quick_data(source: Path, directory: Path, seed: int = 0) -> Path:
    """A seeded slice of each split (QUICK_ROWS), written once as JSONL (a rerun sees the same bytes)."""
    from fnet_keras.atomic import write_text_atomic
    from fnet_keras.data import find_split_files, read_split

    directory.mkdir(parents=True, exist_ok=True)
    for name, path in find_split_files(source).items():
        target = directory / f"{name}.jsonl"
        if target.exists():
            continue
        split = read_split(path, name)
        rows = sorted(random.Random(seed).sample(range(len(split)), min(QUICK_ROWS[name], len(split))))
        lines = "".join(
            json.dumps({"text": split.texts[i], "label": split.labels[i]}, ensure_ascii=False) + "\n"
            for i in rows
        )
        write_text_atomic(target, lines)
    return directory


def candidates(args, settings: dict) -> list:
    from fnet_keras.budget import MODEL_KINDS, candidate_grid

    grid = []
    for block in args.grid:
        try:
            preset, kinds, lengths = block.split(":")
            lengths = [int(length) for length in lengths.split(",")]
        except ValueError:
            raise SystemExit(f"--grid {block!r}: expected PRESET:KIND,KIND:LENGTH,LENGTH") from None
        kinds = kinds.split(",")
        missing = [kind for kind in kinds if kind not in MODEL_KINDS]
        if missing:
            log(f"note: model kind(s) {', '.join(missing)} not available in this fnet_keras (known: "
                f"{', '.join(MODEL_KINDS)}); left out")
        kinds = [kind for kind in kinds if kind in MODEL_KINDS]
        if kinds:
            grid += candidate_grid(args.runs_dir, [preset], kinds, lengths, settings)
    names = [candidate.name for candidate in grid]
    if len(set(names)) != len(names):
        raise SystemExit(f"the grid names a candidate twice: {names}")
    return grid


def run(args) -> dict:
    from fnet_keras.budget import measure_latencies, plan_candidates, prepare_candidates
    from fnet_keras.budget.candidates import settings_from_items
    from fnet_keras.budget.latency import load_profile, profile_latencies
    from fnet_keras.budget.runner import sample_texts
    from fnet_keras.data import load_dataset

    started = time.time()
    settings = {"vocabulary_size": args.vocabulary_size, **settings_from_items(args.setting)}
    if args.quick:
        settings.setdefault("epochs", QUICK_EPOCHS)
        args.data = quick_data(args.data, args.runs_dir / "data")
    grid = candidates(args, settings)
    log(f"{len(grid)} candidates in {args.runs_dir}: {', '.join(candidate.name for candidate in grid)}")
    plans = plan_candidates(grid, args.quant, retry_failed_exports=args.retry_failed_exports)
    for plan in plans:
        log(f"plan {plan.candidate.name}: {plan.describe()}")
    left_out = []
    if args.no_train:
        left_out = [plan.candidate.name for plan in plans if plan.needs_tensorflow]
        plans = [plan for plan in plans if not plan.needs_tensorflow]
        if left_out:
            log(f"--no-train: left out (unfinished or not exported): {', '.join(left_out)}")
    log(f"reading {args.data}")
    dataset = load_dataset(args.data)
    log(f"data: train {len(dataset.train):,}, dev {len(dataset.dev):,}, "
        f"test {0 if dataset.test is None else len(dataset.test):,} rows")
    rows = prepare_candidates(plans, dataset, args.quant, progress=log, verbose=2)
    timed = {row.name: row for row in rows if row.bundle_dir is not None}
    bench = None
    if timed and args.profile:
        log(f"latencies from the profile {args.profile}")
        bench = load_profile(args.profile)
    elif timed:
        texts = sample_texts(dataset.dev.texts, args.texts)
        log(f"benchmarking {len(timed)} {args.quant} bundle(s) interleaved: {args.runs} runs each, "
            f"{len(texts)} dev reviews end to end, {args.threads} thread(s)")
        bench = measure_latencies({name: row.bundle_dir for name, row in timed.items()}, threads=args.threads,
                                  runs=args.runs, texts=texts, progress=lambda line: log(f"bench: {line}"))
    if timed:
        latencies = profile_latencies(bench, {name: row.model_sha256 for name, row in timed.items()},
                                      args.threads, path=args.profile,
                                      bundles={name: row.bundle_dir for name, row in timed.items()})
        for name, latency in latencies.items():
            timed[name].latency = latency
    report = make_report(args, rows, bench, dataset, settings, left_out, time.time() - started)
    write_results(args, report, bench)
    return report


def history(run_dir: Path) -> list[dict]:
    return json.loads((run_dir / "history.json").read_text(encoding="utf-8"))


def make_report(args, budget_rows, bench, dataset, settings, left_out, seconds) -> dict:
    import fnet_keras
    from fnet_keras.training import TrainSettings

    tokenize = {}
    if bench is not None:
        for cell in bench.cells:
            if cell["end_to_end"]:
                tokenize[cell["model"]] = cell["end_to_end"]["tokenize"]["p50"] / 1000
    rows = []
    for row in budget_rows:
        entry = row.to_dict(float("inf"), "model")
        del entry["fits"]  # no budget here: the tables below take each p50 in turn
        epochs = history(row.candidate.run_dir)
        entry["tokenize_p50_ms"] = tokenize.get(row.name)
        entry["train_seconds"] = sum(record.get("seconds", 0.0) for record in epochs)
        entry["epochs_run"] = len(epochs)
        rows.append(entry)
    command = "python " + " ".join(shlex.quote(part) for part in [os.path.relpath(__file__, ROOT),
                                                                  *sys.argv[1:]])
    return {
        "title": f"IMDB: accuracy against {args.quant} p50 latency",
        "command": command,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "package_version": fnet_keras.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "bench_device": None if bench is None else bench.device,
        "data": {"source": os.path.relpath(args.data, ROOT), "train": len(dataset.train),
                 "dev": len(dataset.dev), "test": 0 if dataset.test is None else len(dataset.test)},
        "quantization": args.quant,
        "threads": args.threads,
        "latency_source": f"the profile {args.profile}" if args.profile else "measured here",
        "bench_runs": None if bench is None else bench.to_dict()["settings"]["runs"],
        "bench_texts": None if bench is None else bench.to_dict()["settings"]["text_count"],
        "settings": settings,
        "training_defaults": TrainSettings().to_dict(),
        "grid": list(args.grid),
        "left_out": left_out,
        "seconds": round(seconds, 1),
        "candidates": rows,
        "frontier": {on: frontier(rows, on) for on in ("model", "end-to-end")},
        "per_budget": {on: per_budget(rows, on) for on in ("model", "end-to-end")},
    }


def _p50(row: dict, on: str) -> float | None:
    return row["p50_model_ms"] if on == "model" else row["p50_end_to_end_ms"]


def frontier(rows: list[dict], on: str) -> list[dict]:
    """The budget's choices as the budget grows: each candidate that is the most accurate on dev within
    its own p50 (the Pareto front of dev accuracy against p50), with the budget range choosing it."""
    timed = sorted((row for row in rows if _p50(row, on) is not None), key=lambda row: _p50(row, on))
    front, best = [], None
    for row in timed:
        if best is None or row["dev_accuracy"] > best["dev_accuracy"]:
            front.append(row)
            best = row
    return [{"name": row["name"], "from_ms": _p50(row, on),
             "to_ms": _p50(front[index + 1], on) if index + 1 < len(front) else None,
             "dev_accuracy": row["dev_accuracy"], "test_accuracy": row["test_accuracy"]}
            for index, row in enumerate(front)]


def per_budget(rows: list[dict], on: str) -> list[dict]:
    """At each candidate's p50 taken as a budget: every kind's most accurate (dev) candidate within it."""
    timed = [row for row in rows if _p50(row, on) is not None]
    kinds = list(dict.fromkeys(row["mixing"] for row in timed))
    table = []
    for budget in sorted({_p50(row, on) for row in timed}):
        best = {}
        for kind in kinds:
            fitting = [row for row in timed if row["mixing"] == kind and _p50(row, on) <= budget]
            if fitting:
                pick = max(fitting, key=lambda row: (row["dev_accuracy"], -_p50(row, on)))
                best[kind] = {"name": pick["name"], "dev_accuracy": pick["dev_accuracy"],
                              "sequence_length": pick["sequence_length"]}
        table.append({"budget_ms": budget, "best": best})
    return table


def _percent(value) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _ms(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _runtime(device: dict) -> str:
    runtime = device.get("runtime") or {}
    return f"{runtime.get('name', 'unknown runtime')} {runtime.get('version', '')}".strip()


def markdown(report: dict) -> str:
    data = report["data"]
    lines = [
        f"# {report['title']}",
        "",
        "```",
        report["command"],
        "```",
        "",
        f"- data: {data['source']} (train {data['train']:,}, dev {data['dev']:,}, test {data['test']:,} "
        f"rows); choices by dev accuracy, test accuracy reported only",
        f"- training: the package defaults plus {json.dumps(report['settings'])}; each candidate's run is "
        f"PRESET-MIXING-LENGTH in the runs directory",
        f"- latency: {report['quantization']} bundles, {report['threads']} thread(s), "
        f"{report['latency_source']}: one interleaved benchmark of all of them ({report['bench_runs']} runs "
        f"each; end to end over "
        f"{report['bench_texts'] or 0} dev reviews: the bundle's pure-Python tokenizer plus inference)",
        f"- machine: {report['machine']}"
        + (f"; {report['bench_device']['cpu_model']}, {_runtime(report['bench_device'])}"
           if report["bench_device"] else ""),
        f"- fnet-keras {report['package_version']}, {report['created']} (this invocation: "
        f"{report['seconds'] / 60:.1f} min; training times per run below)",
        "",
    ]
    if report["left_out"]:
        lines += [f"Left out (not finished or not exported yet): {', '.join(report['left_out'])}.", ""]
    lines += [
        "## Candidates",
        "",
        "| model | preset | length | params | bundle bytes | dev acc | test acc | p50 model ms "
        "| p50 end-to-end ms | tokenize p50 ms | epochs | train min | export |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in report["candidates"]:
        train = f"{row['train_seconds'] / 60:.1f}"
        export = "failed: " + row["export_failure"] if row["export_failure"] else "passed"
        lines.append(
            f"| {row['model']} | {row['preset']} | {row['sequence_length']} | {row['parameters']:,} "
            f"| {'-' if row['bundle_bytes'] is None else format(row['bundle_bytes'], ',')} "
            f"| {_percent(row['dev_accuracy'])} | {_percent(row['test_accuracy'])} "
            f"| {_ms(row['p50_model_ms'])} | {_ms(row['p50_end_to_end_ms'])} | {_ms(row['tokenize_p50_ms'])} "
            f"| {row['epochs_run']} | {train} | {export} |"
        )
    for on, title in (("model", "model only"), ("end-to-end", "end to end")):
        lines += [
            "",
            f"## What a budget chooses ({title})",
            "",
            "The Pareto front of dev accuracy against p50: a budget in [from, to) chooses this model "
            "(`fnet-keras budget` would).",
            "",
            "| budget from ms | to ms | chosen | dev acc | test acc |",
            "|---:|---:|---|---:|---:|",
        ]
        if not report["frontier"][on]:
            lines.append("| - | - | (no candidate was timed) | - | - |")
        for point in report["frontier"][on]:
            lines.append(f"| {_ms(point['from_ms'])} | {_ms(point['to_ms'])} | {point['name']} "
                         f"| {_percent(point['dev_accuracy'])} | {_percent(point['test_accuracy'])} |")
        kinds = list(dict.fromkeys(kind for entry in report["per_budget"][on] for kind in entry["best"]))
        if kinds:
            lines += [
                "",
                f"Best dev accuracy of each model kind within a budget ({title}; the budgets are the "
                f"candidates' own p50s; cell: dev accuracy at length):",
                "",
                "| budget ms | " + " | ".join(kinds) + " |",
                "|---:|" + "---|" * len(kinds),
            ]
            for entry in report["per_budget"][on]:
                best = entry["best"]
                cells = [
                    f"{_percent(best[kind]['dev_accuracy'])} @ {best[kind]['sequence_length']}"
                    if kind in best else "-"
                    for kind in kinds
                ]
                lines.append(f"| {_ms(entry['budget_ms'])} | " + " | ".join(cells) + " |")
    lines += ["", "![accuracy against p50 latency](pareto.png)", ""]
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    """Dev and test accuracy (rows) against p50 model-only and end-to-end latency (columns), log x; one
    marker per model kind, a kind's lengths joined per preset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from fnet_keras.atomic import atomic_output

    rows = [row for row in report["candidates"] if row["p50_model_ms"] is not None]
    figure, axes = plt.subplots(2, 2, figsize=(12, 9), sharey="row", squeeze=False)
    for column, (on, title) in enumerate((("p50_model_ms", "model only"),
                                          ("p50_end_to_end_ms", "end to end (tokenization + inference)"))):
        for line, (metric, name) in enumerate((("dev_accuracy", "dev"), ("test_accuracy", "test"))):
            ax = axes[line][column]
            groups = {}
            for row in rows:
                if row[on] is not None and row[metric] is not None:
                    groups.setdefault((row["mixing"], row["preset"], row["model"]), []).append(row)
            for (kind, preset, model), group in groups.items():
                group.sort(key=lambda row: row["sequence_length"])
                ax.plot([row[on] for row in group], [100 * row[metric] for row in group],
                        marker=MARKERS.get(kind, "o"), linestyle="-" if preset == "tiny" else "--",
                        markersize=8 if preset == "tiny" else 11, label=f"{model} ({preset})")
                for row in group:
                    ax.annotate(str(row["sequence_length"]), (row[on], 100 * row[metric]),
                                textcoords="offset points", xytext=(5, 4), fontsize=8)
            ax.set_xscale("log")
            plain = FuncFormatter(lambda value, _: f"{value:g}")
            ax.xaxis.set_major_formatter(plain)
            ax.xaxis.set_minor_formatter(plain)
            ax.margins(x=0.08, y=0.08)
            ax.set_xlabel(f"{report['quantization']} p50 latency, {title} (ms, log scale)")
            ax.set_ylabel(f"{name} accuracy (%)")
            ax.grid(True, which="both", alpha=0.3)
            if line == 0 and column == 0 and groups:
                ax.legend(fontsize=8)
    figure.suptitle(f"{report['title']} ({report['threads']} thread(s); labels: sequence length)")
    figure.tight_layout()
    with atomic_output(path) as temp:
        figure.savefig(temp, dpi=110, format="png")
    plt.close(figure)


def write_results(args, report: dict, bench) -> None:
    from fnet_keras.atomic import write_text_atomic

    args.results_dir.mkdir(parents=True, exist_ok=True)
    document = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    write_text_atomic(args.results_dir / "pareto.json", document)
    write_text_atomic(args.results_dir / "pareto.md", markdown(report))
    plot(report, args.results_dir / "pareto.png")
    if bench is not None:
        bench.save(args.results_dir / "pareto-bench")
    log(f"wrote {args.results_dir / 'pareto.md'}, pareto.json, pareto.png and pareto-bench.json/.md")


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from fnet_keras.errors import FnetKerasError

    try:
        report = run(args)
    except FnetKerasError as error:
        log(f"error: {error}")
        return error.exit_code
    for row in report["candidates"]:
        log(f"{row['name']}: dev {_percent(row['dev_accuracy'])}, test {_percent(row['test_accuracy'])}, "
            f"p50 {_ms(row['p50_model_ms'])} ms model, {_ms(row['p50_end_to_end_ms'])} ms end to end"
            + (f", export failed: {row['export_failure']}" if row["export_failure"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
