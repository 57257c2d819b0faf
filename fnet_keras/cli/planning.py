"""`fnet-keras budget`, `quickstart` and `presets`: which model to make."""

from __future__ import annotations

import argparse
import contextlib
import sys

from fnet_keras.argtypes import add_column_arguments, positive_int
from fnet_keras.cli.common import UsageError, needs_tensorflow, print_json, say_unless, tell

# Ctrl-C in budget or quickstart: what a rerun of the same command does.
_RERUN_HINT = (
    "interrupted: run the same command again to continue{} (finished runs and passing bundles are reused, "
    "an unfinished run resumes from its last epoch)"
)

# --- budget -----------------------------------------------------------------------------


def _name_list(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def _length_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(dict.fromkeys(int(part) for part in text.split(",") if part.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _milliseconds(text: str) -> float:
    with contextlib.suppress(ValueError):
        if 0 < (value := float(text)) < float("inf"):  # not nan
            return value
    raise argparse.ArgumentTypeError(f"expected a positive number of milliseconds, got {text!r}")


def add_budget_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.budget import runner
    from fnet_keras.budget.candidates import MODEL_KINDS
    from fnet_keras.budget.latency import BUDGET_ON
    from fnet_keras.edge.manifest import MODES
    from fnet_keras.edge.runtime import RUNTIME_NAMES

    parser.add_argument(
        "--data", required=True,
        help="labelled data every candidate trains on; its dev split chooses (test is only reported)",
    )
    parser.add_argument("--latency-ms", type=_milliseconds, required=True, metavar="MS",
                        help="the budget: a p50 in milliseconds")
    parser.add_argument(
        "--budget-on", choices=BUDGET_ON, default="model",
        help="which p50 the budget applies to: one inference (model, default) or tokenization plus "
        "inference per dev text (end-to-end)",
    )
    parser.add_argument("--threads", type=positive_int, default=1, metavar="N",
                        help="interpreter threads (default 1)")
    parser.add_argument("--quant", choices=MODES, default=runner.DEFAULT_QUANTIZATION,
                        help=f"the bundles' quantization (default {runner.DEFAULT_QUANTIZATION})")
    grid = parser.add_argument_group("candidates (preset x kind x length, a run directory each)")
    grid.add_argument("--presets", type=_name_list, default=runner.DEFAULT_PRESETS, metavar="P,P",
                      help=f"presets (default {','.join(runner.DEFAULT_PRESETS)})")
    grid.add_argument(
        "--kinds", type=_name_list, default=runner.DEFAULT_MIXINGS, metavar="K,K",
        help=f"model kinds: {', '.join(MODEL_KINDS)} (default {','.join(runner.DEFAULT_MIXINGS)})",
    )
    grid.add_argument(  # the older name of --kinds
        "--mixings", type=_name_list, dest="kinds", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    grid.add_argument("--lengths", type=_length_list, default=runner.DEFAULT_LENGTHS, metavar="N,N",
                      help=f"sequence lengths (default {','.join(map(str, runner.DEFAULT_LENGTHS))})")
    grid.add_argument(
        "--runs-dir", metavar="DIR",
        help="the candidates' run directories PRESET-KIND-LENGTH: finished runs and passing bundles "
        "are reused, unfinished runs resumed (default runs/budget/DATA_NAME)",
    )
    grid.add_argument(
        "--setting", action="append", default=[], metavar="KEY=VALUE",
        help="a training setting for new runs, e.g. vocabulary_size=16000 or hidden_dim=64 (repeatable; "
        "reused runs must have it)",
    )
    grid.add_argument(
        "--retry-failed-exports", action="store_true",
        help="export again where the parity gate failed before (default: the recorded failure stands)",
    )
    latency = parser.add_argument_group("latency (measured here, interleaved, unless --profile)")
    latency.add_argument(
        "--profile", metavar="BENCH.json",
        help="latencies measured on the target device: the JSON of `fnet-keras bench --json` (or --save) "
        "over the candidates' bundles, matched by each model's SHA-256",
    )
    latency.add_argument("--runs", type=positive_int, default=runner.DEFAULT_RUNS, metavar="N",
                         help=f"counted runs per model here (default {runner.DEFAULT_RUNS})")
    latency.add_argument(
        "--texts", type=int, default=runner.DEFAULT_TEXTS, metavar="N",
        help=f"dev texts timed end to end here (default {runner.DEFAULT_TEXTS}; 0: model only)",
    )
    latency.add_argument("--runtime", choices=RUNTIME_NAMES, help="interpreter package for timing here")
    latency.add_argument(
        "--save-bench", metavar="PREFIX",
        help="write the latencies measured here as PREFIX.json and PREFIX.md (a bench result)",
    )
    add_column_arguments(parser.add_argument_group("data columns"))
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def run_budget(args: argparse.Namespace) -> int:
    from fnet_keras.budget.runner import run_budget
    from fnet_keras.training.settings import settings_from_items

    say = say_unless(args.quiet)
    args.interrupt_hint = _RERUN_HINT.format("")
    # Keras prints training progress on stdout; here stdout holds only the result.
    with contextlib.redirect_stdout(sys.stderr):
        result = run_budget(
            args.data, args.latency_ms, runs_dir=args.runs_dir, presets=args.presets, mixings=args.kinds,
            lengths=args.lengths, quantization=args.quant, threads=args.threads, budget_on=args.budget_on,
            profile=args.profile, settings=settings_from_items(args.setting), runs=args.runs,
            texts=args.texts, text_column=args.text_column, label_column=args.label_column,
            retry_failed_exports=args.retry_failed_exports, runtime=args.runtime,
            progress=lambda line: say(f"budget: {line}"), verbose=0 if args.quiet else 2,
            load_tensorflow=lambda: needs_tensorflow("budget"),
        )
    if args.save_bench:
        if result.latency_source["kind"] != "measured":
            tell("note: --save-bench: nothing was measured here (latencies from --profile)")
        else:
            json_path, markdown_path = result.benchmark.save(args.save_bench)
            tell(f"note: wrote {json_path} and {markdown_path}")
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.format(), end="")
    if result.choice is None:
        tell(f"error: {result.verdict()}")
        return 1
    return 0


# --- presets ----------------------------------------------------------------------------


def add_presets_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vocabulary-size", type=positive_int, default=8000, metavar="N",
                        help="vocabulary size the parameter counts assume (default 8000)")
    parser.add_argument("--classes", type=positive_int, default=2, metavar="N", help="labels (default 2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_presets(args: argparse.Namespace) -> int:
    from fnet_keras.presets import PRESETS, count_parameters, preset_table

    if args.classes < 2:
        raise UsageError(f"--classes must be at least 2, got {args.classes}")
    if args.json:
        print_json({
            name: {**preset, "parameters": {
                mixing: count_parameters(name, args.vocabulary_size, args.classes, mixing)
                for mixing in ("fourier", "attention", "hybrid")
            }}
            for name, preset in PRESETS.items()
        })
        return 0
    print(preset_table(args.vocabulary_size, args.classes))
    print()
    for name, preset in PRESETS.items():
        print(f"{name}: {preset['description']}")
    return 0


# --- quickstart ----------------------------------------------------------------------------


def add_quickstart_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.quickstart.runner import DEFAULT_OUT
    from fnet_keras.quickstart.sizes import SIZES

    parser.add_argument(
        "--data", metavar="DIR_OR_FILE",
        help="your labelled data: a directory of train/dev/test files (.tsv/.csv/.jsonl, optionally .gz), "
        "a folder per class, or one training file (default: ListOps expressions generated into OUT/data)",
    )
    parser.add_argument(
        "--out", metavar="DIR", default=str(DEFAULT_OUT),
        help=f"output directory: new, empty, or a previous quickstart's, which is continued with the same "
        f"data and settings and started clean otherwise (default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--size", choices=sorted(SIZES), default="default",
        help="default, or small: the same pipeline on less, shorter ListOps data (about a minute)",
    )
    parser.add_argument("--fresh", action="store_true",
                        help="start clean even where --out holds the same quickstart")
    user_data = parser.add_argument_group("with --data")
    user_data.add_argument(
        "--sequence-length", type=positive_int, metavar="N",
        help="the models' length (default: the power of two that holds 95%% of the training texts, at "
        "most 512)",
    )
    user_data.add_argument("--epochs", type=positive_int, metavar="N",
                           help="training epochs (default: the package's schedule)")
    add_column_arguments(user_data)
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def run_quickstart(args: argparse.Namespace) -> int:
    """Exit status 0 when every bundle passed its parity gate, 1 when one failed (the table shows them)."""
    from fnet_keras.quickstart.runner import quickstart

    args.interrupt_hint = _RERUN_HINT.format(f" in {args.out}")
    # Keras prints training progress on stdout; here stdout holds only the result.
    with contextlib.redirect_stdout(sys.stderr):
        result = quickstart(
            args.data, args.out, size=args.size, sequence_length=args.sequence_length, epochs=args.epochs,
            fresh=args.fresh, text_column=args.text_column, label_column=args.label_column,
            progress=say_unless(args.quiet), verbose=0 if args.quiet else 1 if sys.stderr.isatty() else 2,
            load_tensorflow=lambda: needs_tensorflow("quickstart"), command=args.command,
        )
        result.save()
    print(result.format(), end="")
    for failure in result.failures:
        tell(f"error: {failure}")
    return 0 if result.passed else 1
