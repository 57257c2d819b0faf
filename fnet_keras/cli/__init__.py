"""The `fnet-keras` command line: parse, call one library function, print.

    fnet-keras [--verbose] SUBCOMMAND ...      (also: python -m fnet_keras)

Each subcommand's flags (`add_NAME_arguments`) and run (`run_NAME`) live in `training` (train,
pretrain, augment, listops), `models` (export, evaluate, classify, bench) or `planning` (budget,
quickstart, presets); what they share in `common`. Importing this package imports no TensorFlow:
the edge install (numpy + LiteRT) runs `classify`, `evaluate BUNDLE`, `bench` and `presets`; the
TensorFlow-side subcommands check their arguments first (a bad preset, an occupied --out) and only
then load TensorFlow, quietly (`fnet_keras.quiet`).

One error handler: an `FnetKerasError` (naming the file and value at fault) prints `error: <message>`
on stderr and exits with its `exit_code` (2 for bad input, 1 for a failed check such as the parity
gate or a missing interpreter); an `OSError` exits 2; anything else is a bug and keeps its
traceback. Results go to stdout, progress (Keras' epoch lines included) and notes to stderr. A
stdout closed by its reader (`| head`) ends the command quietly with 141 (128 + SIGPIPE); Ctrl-C
prints how to continue and exits 130 at once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
from collections.abc import Sequence

from fnet_keras.cli import models, planning, training
from fnet_keras.cli.common import BROKEN_PIPE, INTERRUPTED, USAGE_ERROR, UsageError
from fnet_keras.cli.models import decode_replacing
from fnet_keras.cli.training import pretrain_settings_from_args
from fnet_keras.errors import FnetKerasError

__all__ = [
    "UsageError", "build_parser", "decode_replacing", "main", "parse_args", "pretrain_settings_from_args",
]

# name -> (the module holding add_NAME_arguments and run_NAME, the help `fnet-keras --help` shows)
SUBCOMMANDS = {
    "quickstart": (planning, "the whole pipeline in one command: a tiny FNet and its Transformer twin "
                   "trained (built-in ListOps or --data), exported to fp32 and dynamic (int8 weights) "
                   "through the parity gate, timed here"),
    "train": (training, "train a classifier into a run directory"),
    "pretrain": (training, "pre-train a backbone on unlabelled text: masked-language modelling, or a "
                 "pre-trained encoder's sentence embeddings (--encoder)"),
    "augment": (training, "write a transfer set for distillation: perturbed copies of the training text "
                "(Tang et al. 2019)"),
    "listops": (training, "write a ListOps data set (Long Range Arena's nested MAX/MIN/MED/SM expressions)"),
    "evaluate": (models, "score a run directory or a bundle on labelled data"),
    "export": (models, "quantize and export a run to LiteRT bundles (builtin ops, parity-gated, "
               "MediaPipe-ready)"),
    "classify": (models, "classify texts with a bundle or a run directory"),
    "bench": (models, "time bundles or .tflite models on this device (latency, memory, ops)"),
    "budget": (planning, "choose the most accurate model whose p50 latency fits a budget (trains, exports, "
               "times)"),
    "presets": (planning, "list the model presets: sizes, parameters, what each is for"),
}


def build_parser() -> argparse.ArgumentParser:
    from fnet_keras import __version__

    parser = argparse.ArgumentParser(prog="fnet-keras", description="FNet text classifiers for edge devices.")
    parser.add_argument("--version", action="version", version=f"fnet-keras {__version__}")
    parser.add_argument("--verbose", action="store_true",
                        help="show the libraries' own start-up and conversion logging")
    subparsers = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    for name, (module, help_text) in SUBCOMMANDS.items():
        subparser = subparsers.add_parser(name, help=help_text, description=help_text)
        getattr(module, f"add_{name}_arguments")(subparser)
        subparser.set_defaults(run=getattr(module, f"run_{name}"))
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
        # Descriptor 1 to /dev/null, so that output still buffered is not written to the closed pipe
        # again at exit ("Exception ignored ... BrokenPipeError").
        with contextlib.suppress(OSError, ValueError, AttributeError):  # no real stdout (a test's capture)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return BROKEN_PIPE
    except (FnetKerasError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code if isinstance(error, FnetKerasError) else USAGE_ERROR
    except KeyboardInterrupt:
        print(getattr(args, "interrupt_hint", None) or "interrupted", file=sys.stderr)
        if argv is None:  # main owns the process (the console script, python -m fnet_keras)
            # Everything a command writes is atomic, finished or abandoned as the interrupt unwound it
            # (run directories keep their last finished epoch): skip the interpreter's teardown of
            # TensorFlow (seconds to tens of seconds after training, with nothing to show).
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    stream.flush()
            os._exit(INTERRUPTED)
        return INTERRUPTED
