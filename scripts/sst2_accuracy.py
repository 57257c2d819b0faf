"""SST-2 from scratch: FNet against its Transformer twin (and the hybrid), accuracy and step time.

Trains every preset x mixing on ../shared/data/sst2 with the same seed and settings (model
chosen on dev.tsv, accuracy reported on test.tsv = the GLUE SST-2 dev split), then times
training steps in an interleaved A/B benchmark, and writes docs/results/sst2.{md,json}.
Runs go to runs/sst2/PRESET-MIXING and are resumed if the script is run again (a finished
run is only read back), so a killed experiment continues where it stopped.

    python scripts/sst2_accuracy.py                       # the full experiment (~2.5 h on 2 cores)
    python scripts/sst2_accuracy.py --no-train            # tables from the finished runs only
    python scripts/sst2_accuracy.py --quick               # smoke test: 2,000 rows, results under runs/

Data: Socher et al. 2013 (SST); Wang et al. 2019 (GLUE). Model: Lee-Thorp et al. 2021 (FNet).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from experiment import ROOT, command_line, train_cell, write_results  # noqa: E402

from fnet_keras.report_tables import markdown_table  # noqa: E402

SST2 = ROOT / ".." / "shared" / "data" / "sst2"
TARGETS = {"mini_test_accuracy": 0.82, "tiny_test_accuracy": 0.80, "fnet_over_twin_accuracy": 0.95,
           "mini_step_time_ratio": 0.70}
QUICK_ROWS = {"train": 2000, "dev": 500}
BENCHMARK_VARIANTS = {  # name: (mixing, fourier_method)
    "fnet-fft": ("fourier", "fft"),
    "fnet-rfft": ("fourier", "rfft"),
    "fnet-dft": ("fourier", "dft"),
    "twin": ("attention", "auto"),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", nargs="+", default=["tiny", "mini"])
    parser.add_argument("--mixings", nargs="+", default=["fourier", "attention", "hybrid"],
                        choices=["fourier", "attention", "hybrid", "linear"])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--patience", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--vocabulary-size", type=int, default=8000)
    parser.add_argument("--fourier-method", default="auto", choices=["auto", "fft", "dft", "rfft"],
                        help="FourierMixing method used in training")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=SST2)
    parser.add_argument("--out-dir", type=Path, help="runs go here (default runs/sst2, or runs/sst2-quick)")
    parser.add_argument("--results-dir", type=Path,
                        help="sst2.md and sst2.json go here (default docs/results; with --quick, --out-dir)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke mode: {QUICK_ROWS['train']} training and {QUICK_ROWS['dev']} dev rows")
    parser.add_argument("--benchmark-rounds", type=int, help="interleaved rounds (default 5; quick 2)")
    parser.add_argument("--benchmark-steps", type=int, help="steps per model per round (default 20; quick 5)")
    parser.add_argument("--skip-benchmark", action="store_true")
    parser.add_argument("--no-train", action="store_true",
                        help="report the finished runs only; list unfinished ones instead of training them")
    args = parser.parse_args(argv)
    args.out_dir = args.out_dir or ROOT / "runs" / ("sst2-quick" if args.quick else "sst2")
    args.results_dir = args.results_dir or (args.out_dir if args.quick else ROOT / "docs" / "results")
    args.benchmark_rounds = args.benchmark_rounds or (2 if args.quick else 5)
    args.benchmark_steps = args.benchmark_steps or (5 if args.quick else 20)
    return args


def quick_data(source: Path, directory: Path, seed: int) -> Path:
    """A seeded sample of train and dev (test whole) written as a data directory."""
    from fnet_keras.atomic import write_text_atomic
    from fnet_keras.data import find_split_files, read_split

    directory.mkdir(parents=True, exist_ok=True)
    for name, path in find_split_files(source).items():
        target = directory / f"{name}.tsv"
        if target.exists():  # a resumed run must see the same bytes
            continue
        split = read_split(path, name)
        rows = list(range(len(split)))
        if name in QUICK_ROWS:
            rows = sorted(random.Random(seed).sample(rows, QUICK_ROWS[name]))
        lines = "".join(f"{split.texts[i]}\t{split.labels[i]}\n" for i in rows)
        write_text_atomic(target, "sentence\tlabel\n" + lines)
    return directory


def training_pool(train_texts: list[str]) -> str:
    # Spaces on both sides make containment whole-word ("good" is not inside "goodness").
    return "\n".join(f" {text.strip()} " for text in train_texts)


def seen_in(pool: str, texts: list[str]) -> list[bool]:
    """Whether each text occurs, word for word, inside a training text (an empty text always does)."""
    return [not text.strip() or f" {text.strip()} " in pool for text in texts]


def unseen_dev_file(data: Path, directory: Path) -> tuple[Path, int, int, int, int]:
    """Writes the dev rows whose text does not occur, word for word, inside any training row.

    SST-2's train and dev files are a random split of one pool of phrases, and a phrase's
    sub-phrases are in the pool too, so most dev rows were seen (inside longer phrases) in
    training. The rows left are mostly whole sentences, like test.tsv: a fairer dev figure.

    Returns:
        (path of the written TSV, its row count, the dev row count, test rows seen in
        training, the test row count).
    """
    from fnet_keras.atomic import write_text_atomic
    from fnet_keras.data import find_split_files, read_split

    files = find_split_files(data)
    train, dev = read_split(files["train"], "train"), read_split(files["dev"], "dev")
    test = read_split(files["test"], "test") if "test" in files else None
    pool = training_pool(train.texts)
    keep = [i for i, seen in enumerate(seen_in(pool, dev.texts)) if not seen]
    test_seen = sum(seen_in(pool, test.texts)) if test else 0
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "dev_unseen.tsv"
    write_text_atomic(
        target, "sentence\tlabel\n" + "".join(f"{dev.texts[i]}\t{dev.labels[i]}\n" for i in keep))
    return target, len(keep), len(dev), test_seen, len(test) if test else 0


def train_all(args, data: Path) -> list[dict]:
    from fnet_keras.training import RunDir, TrainSettings, evaluate
    from fnet_keras.training.run_dir import read_json

    rows = []
    for preset in args.presets:
        for mixing in args.mixings:
            settings = TrainSettings(
                preset=preset, mixing=mixing, sequence_length=args.sequence_length,
                vocabulary_size=args.vocabulary_size, epochs=args.epochs, batch_size=args.batch_size,
                learning_rate=args.learning_rate, dropout=args.dropout, patience=args.patience,
                seed=args.seed, fourier_method=args.fourier_method if mixing != "attention" else "auto",
            )
            run_dir = args.out_dir / f"{preset}-{mixing}"
            print(f"== {preset} {mixing} -> {run_dir}", flush=True)
            if train_cell(settings, data, run_dir, no_train=args.no_train) is None:
                print(f"== {preset} {mixing}: not finished, left out (--no-train)", flush=True)
                args.unfinished.append(f"{preset} {mixing} (`{os.path.relpath(run_dir, ROOT)}`)")
                continue
            history, metrics = read_json(RunDir(run_dir).history), read_json(RunDir(run_dir).metrics)
            unseen = evaluate(run_dir, args.unseen_dev[0])
            train_seconds = sum(record["train_seconds"] for record in history)
            steps = sum(record["steps"] for record in history)
            rows.append({
                "preset": preset,
                "mixing": mixing,
                "run_dir": os.path.relpath(run_dir, ROOT),
                "test_accuracy": metrics["test"]["accuracy"],
                "test_macro_f1": metrics["test"]["macro_f1"],
                "dev_accuracy": metrics["dev"]["accuracy"],
                "dev_unseen_accuracy": unseen["accuracy"],
                "parameters": metrics["parameters"],
                "best_epoch": metrics["best_epoch"],
                "epochs_run": len(history),
                "stopped_early": metrics["stopped_early"],
                "dev_accuracy_per_epoch": [record["val_accuracy"] for record in history],
                "seconds_per_epoch": statistics.mean(record["seconds"] for record in history),
                "train_seconds_per_epoch": train_seconds / len(history),
                "seconds_per_step": train_seconds / steps,
            })
    return rows


def benchmark(args, preset: str) -> dict:
    """Training step times of FNet (three Fourier methods) and its twin, interleaved in rounds."""
    import keras

    from fnet_keras.training import TrainSettings, build_classifier

    rng = np.random.default_rng(args.seed)
    token_ids = rng.integers(5, args.vocabulary_size, (args.batch_size, args.sequence_length)).astype("int32")
    labels = rng.integers(0, 2, (args.batch_size,)).astype("int32")
    from fnet_keras.layers.fourier_mixing import is_power_of_two
    from fnet_keras.models import get_preset

    power_of_two = is_power_of_two(args.sequence_length) and is_power_of_two(get_preset(preset)["hidden_dim"])
    models = {}
    for name, (mixing, method) in BENCHMARK_VARIANTS.items():
        if method == "rfft" and not power_of_two:
            continue  # RFFT2D needs power-of-two sequence length and width
        keras.utils.set_random_seed(args.seed)
        settings = TrainSettings(preset=preset, mixing=mixing, fourier_method=method,
                                 sequence_length=args.sequence_length, batch_size=args.batch_size,
                                 learning_rate=args.learning_rate, dropout=args.dropout)
        models[name] = build_classifier(settings, args.vocabulary_size, 2, steps_per_epoch=1000)
        for _ in range(3):  # trace and warm up
            models[name].train_on_batch(token_ids, labels)
    times = {name: [] for name in models}
    round_medians = {name: [] for name in models}
    for _ in range(args.benchmark_rounds):
        for name, model in models.items():
            steps = []
            for _ in range(args.benchmark_steps):
                start = time.perf_counter()
                model.train_on_batch(token_ids, labels)  # returns numpy logs: the step has finished
                steps.append(time.perf_counter() - start)
            times[name] += steps
            round_medians[name].append(statistics.median(steps) * 1e3)
    result = {
        name: {"median_ms": statistics.median(times[name]) * 1e3, "round_medians_ms": round_medians[name],
               "parameters": models[name].count_params()}
        for name in models
    }
    twin = result["twin"]["median_ms"]
    for name in models:
        result[name]["ratio_to_twin"] = result[name]["median_ms"] / twin
    return result


def report(args, rows: list[dict], bench: dict, command: str, seconds: float) -> tuple[str, dict]:
    import keras
    import tensorflow as tf

    import fnet_keras

    by_key = {(row["preset"], row["mixing"]): row for row in rows}
    checks = {}
    for preset, key in (("mini", "mini_test_accuracy"), ("tiny", "tiny_test_accuracy")):
        if (preset, "fourier") in by_key:
            value = by_key[(preset, "fourier")]["test_accuracy"]
            checks[f"FNet {preset} test accuracy >= {TARGETS[key]:.2f}"] = (value, value >= TARGETS[key])
        if (preset, "fourier") in by_key and (preset, "attention") in by_key:
            fnet, twin = by_key[(preset, "fourier")], by_key[(preset, "attention")]
            ratio = fnet["test_accuracy"] / twin["test_accuracy"]
            label = f"FNet {preset} accuracy / twin >= {TARGETS['fnet_over_twin_accuracy']}"
            checks[label] = (ratio, ratio >= TARGETS["fnet_over_twin_accuracy"])
    if "mini" in bench:
        method = "fft" if args.fourier_method == "auto" else args.fourier_method
        ratio = bench["mini"][f"fnet-{method}"]["ratio_to_twin"]
        checks[f"FNet mini step time / twin <= {TARGETS['mini_step_time_ratio']} (fnet-{method})"] = (
            ratio, ratio <= TARGETS["mini_step_time_ratio"])
    record = {
        "command": command,
        "quick": args.quick,
        "seconds": seconds,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": {
            "fnet_keras": fnet_keras.__version__, "tensorflow": tf.__version__, "keras": keras.__version__,
        },
        "settings": {key: getattr(args, key) for key in (
            "epochs", "patience", "batch_size", "sequence_length", "learning_rate", "dropout",
            "vocabulary_size", "fourier_method", "seed")},
        "runs": rows,
        "dev_unseen_rows": {"rows": args.unseen_dev[1], "dev_rows": args.unseen_dev[2],
                            "test_rows_seen": args.unseen_dev[3], "test_rows": args.unseen_dev[4],
                            "rule": "text not found word for word inside any training text"},
        "step_time_benchmark": {
            "batch_size": args.batch_size, "sequence_length": args.sequence_length,
            "rounds": args.benchmark_rounds, "steps_per_round": args.benchmark_steps, "presets": bench,
        },
        "targets": {name: {"value": value, "met": met} for name, (value, met) in checks.items()},
    }
    title = "# SST-2 from scratch: FNet, its Transformer twin, and the hybrid"
    data_name = os.path.relpath(args.data, ROOT)
    lines = [
        title + (" (QUICK SMOKE RUN)" if args.quick else ""),
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {record['machine']['platform']}, {record['machine']['cpus']} CPUs; TensorFlow "
        f"{tf.__version__}, Keras {keras.__version__}, fnet-keras {fnet_keras.__version__}. Total time "
        f"{seconds / 60:.1f} min.",
        "",
        f"Data: SST-2 (Socher et al. 2013) as shipped by GLUE (Wang et al. 2019), `{data_name}`"
        + (f", sampled to {QUICK_ROWS['train']} train / {QUICK_ROWS['dev']} dev rows" if args.quick else "")
        + ". Models trained from scratch (no pre-training); the epoch is chosen on dev.tsv, accuracy is "
        "reported on test.tsv (the GLUE SST-2 dev split, 872 sentences).",
        "",
        f"Settings (all runs): seed {args.seed}, up to {args.epochs} epochs with early stopping on dev "
        f"accuracy (patience {args.patience}), batch {args.batch_size}, "
        f"sequence length {args.sequence_length}, "
        f"WordPiece vocabulary <= {args.vocabulary_size}, AdamW peak learning rate {args.learning_rate} with "
        f"10% linear warmup then linear decay, weight decay 0.01, dropout {args.dropout}, Fourier method "
        f"`{args.fourier_method}`. Hybrid = attention in the top block only.",
        "",
        *markdown_table(
            ["preset", "mixing", "test acc.", "test macro-F1", "dev acc.", "dev acc. (unseen rows)",
             "best epoch / run", "parameters", "train s/epoch", "ms/step (training)", "run dir"],
            [[row["preset"], row["mixing"], f"{row['test_accuracy'] * 100:.1f}%",
              f"{row['test_macro_f1'] * 100:.1f}", f"{row['dev_accuracy'] * 100:.1f}%",
              f"{row['dev_unseen_accuracy'] * 100:.1f}%", f"{row['best_epoch']} / {row['epochs_run']}",
              f"{row['parameters']:,}", f"{row['train_seconds_per_epoch']:.0f}",
              f"{row['seconds_per_step'] * 1e3:.1f}", f"`{row['run_dir']}`"] for row in rows]),
    ]
    _, unseen_rows, dev_rows, test_seen, test_rows = args.unseen_dev
    lines += [
        "",
        "Why dev is far above test: dev.tsv and train.tsv are a random split of one pool of SST-2 phrases, "
        "which holds the sentences' sub-phrases as well as the sentences, so "
        f"{dev_rows - unseen_rows:,} of the "
        f"{dev_rows:,} dev rows ({(dev_rows - unseen_rows) / dev_rows:.1%}) occur word for word inside a "
        f"training row. *dev acc. (unseen rows)* scores only the other {unseen_rows:,} (mostly whole "
        "sentences, like test.tsv); their sub-phrases were still seen in training, so it too is above "
        f"test. Of test.tsv's {test_rows:,} sentences (other reviews' sentences, whose phrases are not in "
        f"the pool) {test_seen:,} occur inside a training row, which is why no dev figure predicts the test "
        "figure well. Epochs are still chosen on the whole dev.tsv, as the data's "
        "protocol says.",
    ]
    if args.unfinished:
        lines += ["", "Not finished, so not in the table (rerun without `--no-train` to resume them): "
                  + ", ".join(args.unfinished) + "."]
    lines += [
        "",
        "ms/step (training) is the training time of all epochs over their steps (tracing included), measured "
        "as the runs went, so it is exposed to whatever else ran on the machine (other runs included); the "
        "interleaved "
        "benchmark below is the fairer comparison.",
    ]
    if bench:
        lines += [
            "",
            f"## Training step time, interleaved (batch {args.batch_size}, length {args.sequence_length})",
            "",
            "Each model runs `train_on_batch` on the same batch (AdamW, as in training): "
            f"{args.benchmark_rounds} rounds, each giving every model {args.benchmark_steps} steps in turn, "
            "after 3 warm-up steps. "
            "Median over all steps; the ratio is of medians.",
            "",
            *markdown_table(
                ["preset", "model", "median ms/step", "per-round medians (ms)", "ratio to twin"],
                [[preset, name, f"{values['median_ms']:.1f}",
                  ", ".join(f"{value:.1f}" for value in values["round_medians_ms"]),
                  f"{values['ratio_to_twin']:.2f}"]
                 for preset, variants in bench.items() for name, values in variants.items()]),
        ]
    if checks:
        lines += ["", "## Targets", "", *markdown_table(
            ["target", "value", "met"],
            [[name, f"{value:.3f}", "yes" if met else "NO"] for name, (value, met) in checks.items()])]
    lines += [
        "",
        "References: Socher et al., 2013, Recursive Deep Models for Semantic Compositionality Over a "
        "Sentiment Treebank; Wang et al., 2019, GLUE; Lee-Thorp et al., 2021, FNet: Mixing Tokens with "
        "Fourier Transforms (arXiv 2105.03824).",
    ]
    return "\n".join(lines) + "\n", record


def main(argv=None) -> int:
    args = parse_args(argv)
    args.unfinished = []
    if not args.data.is_dir():
        print(f"error: SST-2 data not found at {args.data}", file=sys.stderr)
        return 2
    command = command_line("sst2_accuracy.py", argv)
    start = time.perf_counter()
    data = quick_data(args.data, args.out_dir / "data", args.seed) if args.quick else args.data
    args.unseen_dev = unseen_dev_file(data, args.out_dir / "diagnostics")
    rows = train_all(args, data)
    bench = {}
    if not args.skip_benchmark:
        for preset in args.presets:
            print(f"== step-time benchmark: {preset}", flush=True)
            bench[preset] = benchmark(args, preset)
    markdown, record = report(args, rows, bench, command, time.perf_counter() - start)
    write_results(args.results_dir / "sst2", record, markdown, indent=2)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
