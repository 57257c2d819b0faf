"""Pre-training speed: FNet against its Transformer twin, and how long the vocabulary takes to learn.

1. Learns the WordPiece vocabulary on the whole text (keras-hub, as `fnet-keras pretrain` does)
   and times it, then tokenizes every document and cuts the windows (timed too).
2. Builds the masked-LM model of each preset x mixing (`--presets`, `--mixings`) with
   pre-training's own loop (`PretrainLoop`: the same step, data pipeline and masks), runs
   `--warmup` steps each (tracing), then `--rounds` rounds of `--steps` steps per model,
   interleaved (the order alternates each round), and reports steps/s per round and the median.

    nice -n 10 python scripts/pretrain_speed.py                        # IMDB unsup, batch 64, length 256
    python scripts/pretrain_speed.py --documents 2000 --rounds 2 --steps 3 --out runs/speed-smoke

Writes OUT.json and OUT.md (default docs/results/pretrain_speed). Load on the machine skews
absolute numbers; the interleaving keeps the ratios fair. Data: Maas et al. 2011 (IMDB).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
UNSUP = ROOT / ".." / "shared" / "data" / "imdb" / "unsup.txt.gz"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", default=str(UNSUP), help="a .txt/.txt.gz file, one document per line")
    parser.add_argument("--documents", type=int, help="use only the first N documents")
    parser.add_argument("--vocabulary-size", type=int, default=8000)
    parser.add_argument("--sequence-length", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--presets", nargs="+", default=["tiny", "mini"])
    parser.add_argument("--mixings", nargs="+", default=["fourier", "attention"])
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per model (tracing)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per model per round")
    parser.add_argument("--out", default=str(ROOT / "docs" / "results" / "pretrain_speed"))
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    from fnet_keras.text import TokenizerConfig
    from fnet_keras.text.learn import learn_vocabulary
    from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
    from fnet_keras.training.pretrain import PretrainLoop, build_masked_lm
    from fnet_keras.training.pretrain_data import cut_windows, read_documents, tokenize_documents
    from fnet_keras.training.pretrain_settings import PretrainSettings

    documents = read_documents([args.text])
    texts = documents.texts[: args.documents] if args.documents else documents.texts
    words = sum(len(text.split()) for text in texts)
    print(f"{len(texts)} documents, {words} whitespace-separated words", flush=True)
    config = TokenizerConfig(sequence_length=args.sequence_length)
    start = time.perf_counter()
    vocabulary = learn_vocabulary(texts, args.vocabulary_size, config)
    vocabulary_seconds = time.perf_counter() - start
    print(f"vocabulary: {len(vocabulary)} tokens in {vocabulary_seconds:.1f} s", flush=True)
    start = time.perf_counter()
    pieces = tokenize_documents(make_tf_tokenizer(vocabulary, config), texts)
    windows = cut_windows(pieces, args.sequence_length)
    tokenize_seconds = time.perf_counter() - start
    print(f"windows: {windows.summary()} in {tokenize_seconds:.1f} s", flush=True)

    strategy = tf.distribute.get_strategy()
    loops = {}
    for preset in args.presets:
        for mixing in args.mixings:
            settings = PretrainSettings(preset=preset, mixing=mixing, sequence_length=args.sequence_length,
                                        batch_size=args.batch_size, steps=10**6, seed=0)
            keras.utils.set_random_seed(0)
            model, optimizer = build_masked_lm(settings, len(vocabulary))
            loop = PretrainLoop(strategy, model, optimizer, settings, windows, len(vocabulary))
            batches = iter(loop.dataset(0))
            start = time.perf_counter()
            for step in range(args.warmup):
                [float(value) for value in loop.step(batches, step)]
            name = f"{preset}-{mixing}"
            loops[name] = (loop, batches, model.count_params())
            print(f"{name}: {model.count_params():,} parameters, warm-up {time.perf_counter() - start:.1f} s",
                  flush=True)

    rates = {name: [] for name in loops}
    step_numbers = dict.fromkeys(loops, args.warmup)
    for round_number in range(args.rounds):
        names = list(loops) if round_number % 2 == 0 else list(reversed(loops))
        for name in names:
            loop, batches, _ = loops[name]
            start = time.perf_counter()
            for _ in range(args.steps):
                [float(value) for value in loop.step(batches, step_numbers[name])]
                step_numbers[name] += 1
            rates[name].append(args.steps / (time.perf_counter() - start))
            print(f"round {round_number + 1}: {name} {rates[name][-1]:.3f} steps/s", flush=True)

    medians = {name: statistics.median(values) for name, values in rates.items()}
    # FNet / twin within each round (the same load on both), then the median over rounds.
    ratios = {
        preset: [fnet / twin for fnet, twin in zip(rates[f"{preset}-fourier"], rates[f"{preset}-attention"],
                                                   strict=True)]
        for preset in args.presets if f"{preset}-fourier" in rates and f"{preset}-attention" in rates
    }
    results = {
        "command": " ".join(shlex.quote(part) for part in ["python", sys.argv[0], *sys.argv[1:]]),
        "machine": {"processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                    "load_average_at_end": os.getloadavg(), "tensorflow": tf.__version__},
        "text": args.text, "documents": len(texts), "words": words,
        "vocabulary": {"size": len(vocabulary), "seconds": vocabulary_seconds},
        "windows": windows.summary(), "tokenize_seconds": tokenize_seconds,
        "batch_size": args.batch_size, "sequence_length": args.sequence_length,
        "steps_per_round": args.steps, "rounds": args.rounds,
        "parameters": {name: parameters for name, (_, _, parameters) in loops.items()},
        "steps_per_second": rates, "median_steps_per_second": medians,
        "fnet_over_twin_per_round": ratios,
        "fnet_over_twin_median": {preset: statistics.median(values) for preset, values in ratios.items()},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Pre-training speed (masked LM), FNet vs Transformer twin",
        "",
        f"`{results['command']}`",
        "",
        f"{len(texts):,} documents ({words:,} words) of `{Path(args.text).name}`; WordPiece vocabulary of "
        f"{len(vocabulary):,} tokens learned in {vocabulary_seconds:.0f} s; tokenized and cut into "
        f"{len(windows):,} windows of up to {args.sequence_length - 2} pieces in {tokenize_seconds:.0f} s.",
        "",
        f"Batch {args.batch_size} windows, length {args.sequence_length}, AdamW, dropout 0.1; {args.rounds} "
        f"interleaved rounds of {args.steps} steps after {args.warmup} warm-up steps; "
        f"{results['machine']['cpus']} CPUs, load average at the end {os.getloadavg()[0]:.1f}.",
        "",
        "| model | parameters | steps/s (median) | per round |",
        "|---|---|---|---|",
    ]
    for name in loops:
        per_round = ", ".join(f"{rate:.3f}" for rate in rates[name])
        lines.append(f"| {name} | {results['parameters'][name]:,} | {medians[name]:.3f} | {per_round} |")
    for preset, values in ratios.items():
        per_round = ", ".join(f"{value:.2f}" for value in values)
        lines += ["", f"{preset}: FNet runs {statistics.median(values):.2f}x the steps per second of its "
                      f"Transformer twin (median of the per-round ratios {per_round})."]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
