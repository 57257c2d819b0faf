"""`fnet-keras quickstart`: its arguments and its run, for `fnet_keras.cli` (parsing and printing only).

    fnet-keras quickstart [--data DIR_OR_FILE] [--out DIR] [--size default|small] [--fresh]

Progress (one line per stage, Keras' training progress) goes to stderr; the table and the report's
paths to stdout. Exit status 0 when every bundle passed its parity gate, 1 when one failed (the
table shows the rest), 2 for bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from typing import Any

from fnet_keras.argtypes import add_column_arguments, positive_int

EXIT_OK, EXIT_GATE_FAILED = 0, 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the quickstart's arguments to `parser`."""
    from fnet_keras.quickstart.runner import DEFAULT_OUT
    from fnet_keras.quickstart.sizes import SIZES

    parser.add_argument(
        "--data",
        metavar="DIR_OR_FILE",
        help="your labelled data: a directory of train/dev/test files (.tsv/.csv/.jsonl, optionally .gz), "
        "a folder per class, or one training file (default: ListOps expressions generated into OUT/data)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=str(DEFAULT_OUT),
        help=f"output directory: new, empty, or a previous quickstart's, which is continued with the same "
        f"data and settings and started clean otherwise (default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--size",
        choices=sorted(SIZES),
        default="default",
        help="default, or small: the same pipeline on less, shorter ListOps data (about a minute)",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="start clean even where --out holds the same quickstart"
    )
    user_data = parser.add_argument_group("with --data")
    user_data.add_argument(
        "--sequence-length",
        type=positive_int,
        metavar="N",
        help="the models' length (default: the power of two that holds 95%% of the training texts, at "
        "most 512)",
    )
    user_data.add_argument(
        "--epochs", type=positive_int, metavar="N", help="training epochs (default: the package's schedule)"
    )
    add_column_arguments(user_data)
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def run(args: argparse.Namespace, load_tensorflow: Callable[[], Any] | None = None) -> int:
    """Runs the quickstart from parsed arguments: progress on stderr, the table and paths on stdout.

    Args:
        args: from a parser that `add_arguments` filled.
        load_tensorflow: how TensorFlow is loaded (default `fnet_keras.quiet.load_tensorflow`).
    """
    from fnet_keras.quickstart.runner import quickstart

    def say(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    args.interrupt_hint = (
        f"interrupted: run the same command again to continue in {args.out} (finished runs and passing "
        f"bundles are reused, an unfinished run resumes from its last epoch)"
    )
    # Keras prints training progress on stdout; here stdout holds only the result.
    with contextlib.redirect_stdout(sys.stderr):
        result = quickstart(
            args.data,
            args.out,
            size=args.size,
            sequence_length=args.sequence_length,
            epochs=args.epochs,
            fresh=args.fresh,
            text_column=args.text_column,
            label_column=args.label_column,
            progress=say,
            verbose=0 if args.quiet else 1 if sys.stderr.isatty() else 2,
            load_tensorflow=load_tensorflow,
            command=getattr(args, "command", None),
        )
        result.save()
    print(result.format(), end="")
    for failure in result.failures:
        print(f"error: {failure}", file=sys.stderr)
    return EXIT_OK if result.passed else EXIT_GATE_FAILED

