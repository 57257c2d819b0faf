"""The `fnet-keras` command line: argument parsing only, each subcommand calls one library function.

Importing this module imports no TensorFlow (the TF-free edge runtime runs `fnet-keras` too):
each subcommand imports what it needs when it runs. A subcommand is a `Subcommand` entry in
`SUBCOMMANDS`: its name, a one-line help, `add_arguments(parser)` and `run(args) -> int`.
`fnet-keras evaluate` picks the evaluator of its target from `EVALUATE_TARGETS`: a run
directory (Keras) or a bundle (the TF-free edge runtime).

User errors (bad data, settings or paths: `ValueError` and its subclasses `DataError`,
`TokenizerError`, `RunDirError`, and `OSError`) print `error: <message>` on stderr and exit
with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

USER_ERROR_EXIT = 2
# Options of `train` that are `TrainSettings` fields (None when not given on the command line).
SETTING_OPTIONS = (
    "preset", "mixing", "num_attention_layers", "sequence_length", "vocabulary_size", "lowercase",
    "strip_accents", "split_on_cjk", "epochs", "batch_size", "learning_rate", "warmup_fraction", "decay",
    "weight_decay", "dropout", "patience", "seed", "fourier_method",
)


@dataclass(frozen=True)
class Subcommand:
    """One `fnet-keras NAME ...` subcommand."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _quiet_tensorflow() -> None:
    # Before TensorFlow is imported: keep its C++ start-up chatter out of the output.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _add_column_arguments(parser) -> None:
    for role in ("text", "label"):
        parser.add_argument(f"--{role}-column",
                            help=f"{role} column name or 0-based index (default: from the header)")


# --- train ------------------------------------------------------------------------------

def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.training import settings  # plain Python: the choices live there

    parser.add_argument("--data", help="data directory (train/dev/test files) or a training file")
    parser.add_argument("--out", help="run directory (default: runs/PRESET-MIXING)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last finished epoch")
    model = parser.add_argument_group("model")
    model.add_argument("--preset", help="model size: tiny, mini, small, medium, base, large (default mini)")
    model.add_argument("--mixing", choices=settings.MIXINGS,
                       help="token mixing (default fourier; attention = the Transformer twin)")
    model.add_argument("--num-attention-layers", type=int,
                       help="attention blocks on top for hybrid (default 1)")
    model.add_argument("--sequence-length", type=int, help="tokens per example (default 128)")
    model.add_argument("--vocabulary-size", type=int, help="WordPiece vocabulary size bound (default 8000)")
    model.add_argument("--dropout", type=float, help="dropout rate (default 0.1)")
    model.add_argument("--fourier-method", choices=settings.FOURIER_METHODS,
                       help="how Fourier mixing is computed in training (default auto)")
    model.add_argument("--backbone-override", action="append", default=[], metavar="KEY=VALUE",
                       help="replace a preset size, e.g. hidden_dim=64 (repeatable)")
    tokenizer = parser.add_argument_group("tokenizer")
    for flag in ("lowercase", "strip-accents", "split-on-cjk"):
        tokenizer.add_argument(f"--{flag}", action=argparse.BooleanOptionalAction, help="(default on)")
    optimization = parser.add_argument_group("optimization")
    optimization.add_argument("--epochs", type=int, help="maximum epochs (default 3)")
    optimization.add_argument("--batch-size", type=int, help="global batch size (default 64)")
    optimization.add_argument("--learning-rate", type=float, help="peak AdamW learning rate (default 5e-4)")
    optimization.add_argument("--warmup-fraction", type=float, help="share of steps warming up (default 0.1)")
    optimization.add_argument("--decay", choices=settings.DECAYS,
                              help="decay after warmup (default linear)")
    optimization.add_argument("--weight-decay", type=float, help="AdamW weight decay (default 0.01)")
    optimization.add_argument("--patience", type=int,
                              help="stop after this many epochs without better dev accuracy; 0: never "
                                   "(default 2)")
    optimization.add_argument("--seed", type=int, help="random seed (default 0)")
    optimization.add_argument("--strategy", choices=settings.STRATEGIES, default="default",
                              help="tf.distribute strategy; multiworker reads TF_CONFIG")
    _add_column_arguments(parser.add_argument_group("data columns"))
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _run_train(args: argparse.Namespace) -> int:
    from fnet_keras.data import load_dataset
    from fnet_keras.training.settings import HOLDOUT_SEED

    given = {name: getattr(args, name) for name in SETTING_OPTIONS if getattr(args, name) is not None}
    if args.patience == 0:
        given["patience"] = None  # no early stopping
    if args.backbone_override:
        given["backbone_overrides"] = dict(_key_value(item) for item in args.backbone_override)
    # Read the data before TensorFlow loads: a data error then costs no start-up time.
    dataset = None
    if args.data is not None:
        dataset = load_dataset(args.data, text_column=args.text_column, label_column=args.label_column,
                               holdout_seed=HOLDOUT_SEED)
    _quiet_tensorflow()
    from fnet_keras.training import RunDir, TrainSettings
    from fnet_keras.training.trainer import fit

    defaults = TrainSettings()
    preset, mixing = given.get("preset", defaults.preset), given.get("mixing", defaults.mixing)
    out = args.out or str(Path("runs") / f"{preset}-{mixing}")
    recorded = RunDir(out).load().settings if args.resume and RunDir(out).has_started() else None
    settings = recorded.replace(**given) if recorded else TrainSettings(**given)
    if dataset is None and recorded is None:
        raise ValueError("--data is required (except with --resume on a started run)")
    result = fit(dataset, out, settings, resume=args.resume, strategy=args.strategy,
                 verbose=_progress_verbosity(args.quiet))
    test = result.test_metrics
    print(f"run directory: {result.run_dir}")
    print(f"best epoch {result.best_epoch} of {len(result.history)}"
          f"{' (stopped early)' if result.stopped_early else ''}: "
          f"dev accuracy {result.dev_metrics['accuracy']:.4f}"
          + (f", test accuracy {test['accuracy']:.4f}" if test else ", no labelled test split"))
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _progress_verbosity(quiet: bool) -> int:
    # Keras' live progress bar on a terminal; one line per epoch into a file or pipe.
    return 0 if quiet else 1 if sys.stdout.isatty() else 2


def _key_value(item: str) -> tuple[str, Any]:
    key, separator, value = item.partition("=")
    if not separator or not key:
        raise ValueError(f"--backbone-override expects KEY=VALUE, got {item!r}")
    try:
        return key, int(value)
    except ValueError:
        try:
            return key, float(value)
        except ValueError:
            raise ValueError(f"--backbone-override {item!r}: the value must be a number") from None


# --- evaluate ---------------------------------------------------------------------------

def _add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="RUN_DIR_OR_BUNDLE",
                        help="a run directory written by `fnet-keras train`, or a bundle directory/.zip "
                             "written by `fnet-keras export` (needs --data)")
    parser.add_argument("--data", help="labelled file or data directory (default: the run's own data)")
    parser.add_argument("--split", choices=("train", "dev", "test"),
                        help="split of a data directory or of the run's data (default test); "
                             "not with a file")
    _add_column_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object on stdout and nothing else")
    from fnet_keras.edge.cli import add_interpreter_arguments

    add_interpreter_arguments(parser.add_argument_group("bundles"))


def _is_bundle(path: Path) -> bool:
    from fnet_keras.edge.cli import is_bundle_path

    return is_bundle_path(path)


def _evaluate_bundle(args: argparse.Namespace) -> dict:
    from fnet_keras.edge.cli import evaluate_from_args

    return evaluate_from_args(args)


def _evaluate_run_dir(args: argparse.Namespace) -> dict:
    _quiet_tensorflow()
    from fnet_keras.training.evaluation import evaluate

    return evaluate(args.target, args.data, split=args.split, text_column=args.text_column,
                    label_column=args.label_column)


# (is_target(path), evaluate(args) -> metrics dict): the first target that matches is evaluated.
EVALUATE_TARGETS: list[tuple[Callable[[Path], bool], Callable[[argparse.Namespace], dict]]] = [
    (_is_bundle, _evaluate_bundle),
    (lambda path: (path / "config.json").is_file(), _evaluate_run_dir),
]


def _run_evaluate(args: argparse.Namespace) -> int:
    from fnet_keras.metrics import format_metrics

    target = Path(args.target)
    if not target.exists():
        raise FileNotFoundError(f"{target}: no such run directory or bundle")
    evaluators = [evaluate for is_target, evaluate in EVALUATE_TARGETS if is_target(target)]
    if not evaluators:
        raise ValueError(f"{target}: neither a run directory (config.json) nor a bundle (bundle.json)")
    # Anything a library prints goes to stderr, so that --json leaves stdout to the JSON.
    with contextlib.redirect_stdout(sys.stderr):
        metrics = evaluators[0](args)
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False))
    else:
        print(f"data: {metrics['data']}" + (f" ({metrics['split']} split)" if metrics["split"] else ""))
        print(format_metrics(metrics))
    return 0


# --- export, classify: thin wrappers over their packages' CLI functions -------------------

def _add_export_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.export.cli import add_arguments

    add_arguments(parser)


def _run_export(args: argparse.Namespace) -> int:
    _quiet_tensorflow()
    from fnet_keras.export.cli import run

    return run(args)


def _add_classify_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.edge.cli import add_classify_arguments

    add_classify_arguments(parser)


def _run_classify(args: argparse.Namespace) -> int:
    from fnet_keras.edge.cli import run_classify

    return run_classify(args)


# --- the command ------------------------------------------------------------------------

SUBCOMMANDS: list[Subcommand] = [
    Subcommand("train", "train a classifier into a run directory", _add_train_arguments, _run_train),
    Subcommand("evaluate", "score a run directory or a bundle on labelled data", _add_evaluate_arguments,
               _run_evaluate),
    Subcommand("export", "quantize and export a run to LiteRT bundles (builtin ops, parity-gated)",
               _add_export_arguments, _run_export),
    Subcommand("classify", "classify texts with a bundle (TF-free)", _add_classify_arguments,
               _run_classify),
]


def build_parser() -> argparse.ArgumentParser:
    from fnet_keras import __version__

    parser = argparse.ArgumentParser(prog="fnet-keras", description="FNet text classifiers for edge devices.")
    parser.add_argument("--version", action="version", version=f"fnet-keras {__version__}")
    subparsers = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    for subcommand in SUBCOMMANDS:
        subparser = subparsers.add_parser(subcommand.name, help=subcommand.help, description=subcommand.help)
        subcommand.add_arguments(subparser)
        subparser.set_defaults(run=subcommand.run)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras and args.subcommand == "classify":
        # `classify BUNDLE --json "text"`: argparse leaves texts after an option unparsed.
        from fnet_keras.edge.cli import merge_extra_texts

        extras = merge_extra_texts(args, extras)
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Runs `fnet-keras` with `argv` (default `sys.argv[1:]`); returns the exit status."""
    try:
        args = parse_args(argv)
    except SystemExit as exit_:  # argparse has printed usage or help
        return exit_.code if isinstance(exit_.code, int) else USER_ERROR_EXIT
    try:
        return args.run(args)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR_EXIT
    except RuntimeError as error:
        if not type(error).__module__.startswith("fnet_keras"):
            raise  # a bug, not a user's mistake: keep the traceback
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted (a training run continues from its last finished epoch with --resume)",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
