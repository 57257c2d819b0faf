"""Builds the demo bundle that ships in the package: a `tiny` FNet on SST-2, MediaPipe-ready.

    .venv/bin/python export/demo_model.py --from runs/pareto-sst2/tiny-fnet-distilled-1x   # the shipped one
    .venv/bin/python export/demo_model.py            (or: make demo-model; about 15 min on 2 idle cores)

`--from RUN` takes any finished run as it is (the shipped bundle is the tiny FNet distilled from the
MiniLM teacher by `scripts/pareto.py`). Without it, trains `fnet-keras train --data ../shared/data/sst2
--preset tiny --sequence-length 64 --seed 0` into `--run` (a finished run with the same settings is
reused, a started one resumed). Exports it in `--mode` (default dynamic: the fastest mode that passes
the gate on trained models, docs/results/quantization.md) through the parity gate, times it here
(`fnet_keras.edge.bench`, 1 thread, with the SST-2 test sentences for end-to-end latency), writes the
test accuracy and the p50 latencies into bundle.json's notes, and installs the bundle as
`fnet_keras/demo/sst2` (package data: `fnet-keras classify
TEXT` and `fnet-keras bench` use it when no model is given; the web demo serves it). The figures go
to docs/results/demo_model.md too. Exit code 2 on bad input, 1 when the bundle is over the size limit.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout: the package beside this folder

from fnet_keras.atomic import install_directory, write_synced, write_text_atomic  # noqa: E402
from fnet_keras.demo import DEMO_BUNDLE  # noqa: E402
from fnet_keras.errors import FnetKerasError, LocatedError  # noqa: E402

SST2 = Path("..") / "shared" / "data" / "sst2"  # relative to the repository root, as commands are shown
SETTINGS = {"preset": "tiny", "sequence_length": 64, "seed": 0}  # the from-scratch SST-2 run of the README
MAX_BYTES = 5 * 1024 * 1024  # package data stays small: the limit
BENCH_RUNS = 200
SST2_LABEL_NAMES = {"0": "negative", "1": "positive"}  # SST-2's labels are 0/1; a demo shows words


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SST2, help="SST-2 directory (default %(default)s)")
    parser.add_argument("--run", type=Path, default=REPO / "runs" / "demo-model" / "sst2-tiny",
                        help="run directory: trained here, or reused when finished (default %(default)s)")
    parser.add_argument("--from", dest="source", type=Path,
                        help="a finished run to ship as it is (no training, any settings)")
    parser.add_argument("--mode", default="dynamic", choices=("fp32", "fp16", "dynamic", "int8"),
                        help="bundle mode (default %(default)s)")
    parser.add_argument("--out", type=Path, default=DEMO_BUNDLE,
                        help="bundle directory (default %(default)s)")
    parser.add_argument("--results", type=Path, default=REPO / "docs" / "results" / "demo_model.md")
    parser.add_argument("--runs", type=int, default=BENCH_RUNS, help="timed runs (default %(default)s)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "export/demo_model.py", *(sys.argv[1:] if argv is None else argv)])
    try:
        return _build(args, command)
    except FnetKerasError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code


def _build(args: argparse.Namespace, command: str) -> int:
    from fnet_keras.quiet import load_tensorflow

    def say(message: str) -> None:
        print(f"demo-model: {message}", file=sys.stderr, flush=True)

    test_file = args.data / "test.tsv"
    if not test_file.is_file():
        raise LocatedError("no SST-2 test split here (give --data DIR)", test_file)
    from fnet_keras.training import TrainSettings
    from fnet_keras.training.ensure import ensure_run, plan_run  # TF-free: bad input is refused first

    def check(recorded: TrainSettings) -> None:
        differing = {k: getattr(recorded, k) for k, v in SETTINGS.items() if getattr(recorded, k) != v}
        if differing:
            raise LocatedError(f"was trained with {differing}, not {SETTINGS}: give another --run", args.run)

    if args.source is not None:
        from fnet_keras.training.run_dir import RunDir

        if not RunDir(args.source).is_finished():
            raise LocatedError("not a finished run (no metrics.json)", args.source)
        args.run = args.source
    action = "reuse" if args.source is not None else plan_run(TrainSettings(**SETTINGS), args.run,
                                                              check=check)
    say("loading TensorFlow")
    load_tensorflow()
    from fnet_keras.data.readers import read_split
    from fnet_keras.edge.bench import benchmark
    from fnet_keras.export.ensure import ensure_bundles

    if action == "reuse":
        say(f"reusing the finished run {args.run}")
    else:
        say(f"training {args.run} (tiny FNet on {args.data})")
    if args.source is not None:
        from fnet_keras.training.run_dir import RunDir

        run = RunDir(args.source).load()
    else:
        run = ensure_run(TrainSettings(**SETTINGS), args.data, args.run, check=check, verbose=2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Staged beside --out, so the final step is one rename on the same file system.
    with tempfile.TemporaryDirectory(prefix=".demo-model-", dir=args.out.parent) as scratch:
        staged = Path(scratch) / "bundles"
        say(f"exporting {args.mode} through the parity gate")
        renames = SST2_LABEL_NAMES if sorted(run.labels) == sorted(SST2_LABEL_NAMES) else None
        report = ensure_bundles(run, (args.mode,), staged, name="SST-2 sentiment, tiny FNet (demo)",
                                rename_labels=renames, progress=say)
        if report.failed_modes:
            from fnet_keras.export import ParityGateError

            raise ParityGateError(report)
        bundle = staged / args.mode
        size = sum(path.stat().st_size for path in bundle.iterdir() if path.is_file())
        if size > MAX_BYTES:
            say(f"the bundle is {size / 1e6:.2f} MB, over the {MAX_BYTES / 1e6:.2f} MB limit of package data")
            return 1
        texts = read_split(test_file, "test").texts  # the package's reader: columns by header
        say(f"timing it here: {args.runs} runs, 1 thread, and end to end on {len(texts)} test sentences")
        result = benchmark([bundle], runs=args.runs, texts=texts, progress=say)
        cell = result.cells[0]
        mode = report.mode(args.mode)
        p50_ms = cell["inference_p50"] / 1000
        total_ms = cell["end_to_end"]["total"]["p50"] / 1000
        device = result.device
        runtime = device.get("runtime") or {"name": "unknown runtime", "version": ""}
        machine = (f"{device['cpu_model']} ({device['cpu_count']} CPUs), "
                   f"{runtime['name']} {runtime['version']}")
        manifest_path = bundle / "bundle.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        teacher = (run.distillation or {}).get("teacher")
        text = (run.distillation or {}).get("text")
        manifest["notes"] = [
            *manifest.get("notes", []),
            *([f"distilled from the fine-tuned {teacher.get('encoder') or teacher.get('preset')} teacher "
               f"(test accuracy {100 * teacher['test_accuracy']:.2f}%)"
               + (f" over the training text and {text.get('documents'):,} transfer texts" if text else "")]
              if teacher else []),
            f"p50 latency {p50_ms:.3f} ms (model), {total_ms:.3f} ms end to end with tokenization; batch 1, "
            f"1 thread, {machine.strip()}",
            f"made by {command}",
        ]
        write_synced(manifest_path, (json.dumps(manifest, indent=2) + "\n").encode())
        install_directory(bundle, args.out)
    summary = [
        f"# The demo bundle (`{os.path.relpath(args.out, REPO)}`)",
        "",
        f"Command: `{command}`",
        "",
        f"- run: {os.path.relpath(run.path, REPO)}"
        + (f", distilled from {run.distillation['teacher'].get('encoder') or 'a run'} "
           f"(teacher test accuracy {100 * run.distillation['teacher']['test_accuracy']:.2f}%)"
           if run.distillation else f" (`fnet-keras train --data {args.data} --preset tiny --sequence-length "
           f"64 --seed 0`, defaults otherwise)"),
        f"- {args.mode} recipe: {mode.recipe}; parity gate: top-label agreement "
        f"{100 * mode.parity.agreement:.2f}% on {mode.parity.examples} texts",
        f"- test accuracy (SST-2 GLUE dev, 872 sentences): Keras {100 * report.keras_test_accuracy:.2f}%, "
        f"{args.mode} bundle {100 * mode.test_accuracy:.2f}% "
        f"(`fnet-keras evaluate {os.path.relpath(args.out, REPO)} --data {test_file}`)",
        f"- size: {size / 1e6:.2f} MB (model.tflite with its metadata, vocab.txt, labels.txt, bundle.json)",
        f"- p50 latency here: {p50_ms:.3f} ms model, {total_ms:.3f} ms end to end (tokenize + infer), "
        f"batch 1, 1 thread; {machine.strip()}"
        + (f"; {result.machine_load.describe()} while timing" if result.machine_load else ""),
        "",
    ]
    write_text_atomic(args.results, "\n".join(summary))
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
