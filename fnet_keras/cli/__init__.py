"""The `fnet-keras` command line: parse, call one library function, print.

    fnet-keras [--verbose] SUBCOMMAND ...      (also: python -m fnet_keras)

Subcommands are `Subcommand` entries in `SUBCOMMANDS`; each one's flags and run live in `training`
(train, pretrain, augment, listops), `models` (export, evaluate, classify, bench) or `planning`
(budget, quickstart, presets), and what they share in `common`. Importing this package imports no
TensorFlow: the edge install (numpy + LiteRT) runs `classify`, `evaluate BUNDLE`, `bench` and
`presets`; the TensorFlow-side subcommands check their arguments first (a bad preset, an
occupied --out) and only then load TensorFlow, quietly (`fnet_keras.quiet`).

One error handler: an `FnetKerasError` (data, tokenizer, bundle, run-directory, settings and
export errors, all naming the file and value at fault) prints `error: <message>` on stderr and
exits with the error's `exit_code` (2 for bad input, 1 for a failed check such as the parity
gate or a missing interpreter); an `OSError` exits 2; anything else is a bug and keeps its
traceback. Results go to stdout, progress (Keras' epoch lines included) and notes to stderr. A
stdout closed by its reader (`| head`) ends the command quietly with 141 (128 + SIGPIPE); Ctrl-C
prints how to continue and exits 130 at once.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence

from fnet_keras.cli import models, planning, training
from fnet_keras.cli.common import BROKEN_PIPE, INTERRUPTED, USAGE_ERROR, Subcommand, UsageError
from fnet_keras.cli.models import decode_replacing
from fnet_keras.cli.training import pretrain_settings_from_args
from fnet_keras.errors import FnetKerasError

__all__ = [
    "UsageError", "build_parser", "decode_replacing", "main", "parse_args", "pretrain_settings_from_args",
]

# --- the command ------------------------------------------------------------------------

SUBCOMMANDS: list[Subcommand] = [
    Subcommand(
        "quickstart",
        "the whole pipeline in one command: a tiny FNet and its Transformer twin trained (built-in ListOps "
        "or --data), exported to fp32 and dynamic (int8 weights) through the parity gate, timed here",
        planning.add_quickstart_arguments, planning.run_quickstart,
    ),
    Subcommand(
        "train", "train a classifier into a run directory", training.add_train_arguments, training.run_train
    ),
    Subcommand(
        "pretrain", "pre-train a backbone on unlabelled text: masked-language modelling, or a "
        "pre-trained encoder's sentence embeddings (--encoder)",
        training.add_pretrain_arguments, training.run_pretrain,
    ),
    Subcommand(
        "augment",
        "write a transfer set for distillation: perturbed copies of the training text (Tang et al. 2019)",
        training.add_augment_arguments, training.run_augment,
    ),
    Subcommand(
        "listops", "write a ListOps data set (Long Range Arena's nested MAX/MIN/MED/SM expressions)",
        training.add_listops_arguments, training.run_listops,
    ),
    Subcommand(
        "evaluate", "score a run directory or a bundle on labelled data", models.add_evaluate_arguments,
        models.run_evaluate,
    ),
    Subcommand(
        "export", "quantize and export a run to LiteRT bundles (builtin ops, parity-gated, MediaPipe-ready)",
        models.add_export_arguments, models.run_export,
    ),
    Subcommand(
        "classify", "classify texts with a bundle or a run directory", models.add_classify_arguments,
        models.run_classify,
    ),
    Subcommand(
        "bench", "time bundles or .tflite models on this device (latency, memory, ops)",
        models.add_bench_arguments, models.run_bench,
    ),
    Subcommand(
        "budget", "choose the most accurate model whose p50 latency fits a budget (trains, exports, times)",
        planning.add_budget_arguments, planning.run_budget,
    ),
    Subcommand(
        "presets", "list the model presets: sizes, parameters, what each is for",
        planning.add_presets_arguments, planning.run_presets,
    ),
]


def build_parser() -> argparse.ArgumentParser:
    from fnet_keras import __version__

    parser = argparse.ArgumentParser(prog="fnet-keras", description="FNet text classifiers for edge devices.")
    parser.add_argument("--version", action="version", version=f"fnet-keras {__version__}")
    parser.add_argument(
        "--verbose", action="store_true", help="show the libraries' own start-up and conversion logging"
    )
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
        # `classify BUNDLE --json "text"`: argparse leaves words after an option unparsed.
        words = [extra for extra in extras if not extra.startswith("-") or extra == "-"]
        args.words = [*args.words, *words]
        extras = [extra for extra in extras if extra not in words]
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Runs `fnet-keras` with `argv` (default `sys.argv[1:]`); returns the exit status."""
    try:
        args = parse_args(argv)
    except SystemExit as exit_:  # argparse has printed usage or help
        return exit_.code if isinstance(exit_.code, int) else USAGE_ERROR
    # The command as given, the one record of it in reports (export_report, quickstart).
    args.command = shlex.join(["fnet-keras", *map(str, sys.argv[1:] if argv is None else argv)])
    from fnet_keras.quiet import VERBOSE_ENVIRONMENT, quiet_native_output

    if args.verbose:
        os.environ[VERBOSE_ENVIRONMENT] = "1"
    try:
        # Native library logging (TensorFlow, absl, LiteRT) stays out of the output; it is shown if a
        # command fails unexpectedly, and always with --verbose.
        with quiet_native_output(expected=(FnetKerasError, OSError, KeyboardInterrupt)):
            code = args.run(args)
            if sys.stdout is not None:
                sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return code
    except BrokenPipeError:
        _discard_stdout()
        return BROKEN_PIPE
    except FnetKerasError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print(getattr(args, "interrupt_hint", None) or "interrupted", file=sys.stderr)
        if argv is None:  # main owns the process (the console script, python -m fnet_keras)
            _exit_now(INTERRUPTED)
        return INTERRUPTED


def _exit_now(code: int) -> None:
    """Ends the process at once after Ctrl-C: everything the command writes is atomic and was finished or
    abandoned while the interrupt unwound it (run directories keep their last finished epoch), so the
    interpreter's teardown of TensorFlow (seconds after training, tens of seconds after a large one,
    with nothing to show) is skipped."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _discard_stdout() -> None:
    """Points descriptor 1 at /dev/null, so that output still buffered is not written to the closed pipe
    again at exit ("Exception ignored ... BrokenPipeError")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (a test's capture object)
        pass


if __name__ == "__main__":
    sys.exit(main())
