"""What the `fnet-keras` subcommand modules share: the usage error, the subcommand record, progress
output and the TensorFlow gate (nothing here imports TensorFlow)."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fnet_keras.argtypes import positive_int
from fnet_keras.errors import LocatedError

USAGE_ERROR = 2
INTERRUPTED = 130
# stdout closed by its reader (`| head`): quiet, with the shell's status for death by SIGPIPE (128 + 13),
# as `yes | head` reports for `yes`.
BROKEN_PIPE = 141
TRAIN_EXTRA = "pip install 'fnet-keras[train]'"


class UsageError(LocatedError):
    """A command line that cannot be carried out as given (exit code 2)."""


@dataclasses.dataclass(frozen=True)
class Subcommand:
    """One `fnet-keras NAME ...` subcommand.

    Attributes:
        name, help: as shown by `fnet-keras --help`.
        add_arguments: adds its arguments to its parser.
        run: carries it out from the parsed arguments; returns the exit status.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def tell(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def require_training_extra(command: str) -> None:
    """Refuses, with the install command, a TensorFlow-side subcommand in an edge-only install."""
    missing = [
        name for name in ("tensorflow", "keras", "keras_hub") if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise UsageError(
            f"`fnet-keras {command}` needs TensorFlow, Keras and keras-hub ({', '.join(missing)} "
            f"not installed): {TRAIN_EXTRA}"
        )


def needs_tensorflow(command: str) -> None:
    """`require_training_extra`, then TensorFlow loaded quietly."""
    require_training_extra(command)
    from fnet_keras.quiet import load_tensorflow

    load_tensorflow()


def add_interpreter_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.edge.runtime import RUNTIME_NAMES

    parser.add_argument(
        "--threads", type=positive_int, metavar="N",
        help="CPU threads: the LiteRT interpreter's for a bundle (default 1), TensorFlow's for "
        "a run directory (default: all)",
    )
    parser.add_argument(
        "--runtime", choices=RUNTIME_NAMES,
        help="LiteRT interpreter package for a bundle (default: ai_edge_litert if installed)",
    )


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


def say_unless(quiet: bool) -> Callable[[str], None]:
    return (lambda message: None) if quiet else tell


def set_tensorflow_threads(threads: int) -> None:
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already started in this process (a library caller, not the CLI)
        if tf.config.threading.get_intra_op_parallelism_threads() != threads:
            tell(f"note: --threads {threads} not applied: TensorFlow already started in this process")


def checked_target_kind(path: Path) -> str:
    """ "bundle" or "run" (`fnet_keras.target_kind`) for an existing path; a UsageError naming it
    otherwise."""
    from fnet_keras import target_kind

    kind = target_kind(path)
    if kind is not None:
        return kind
    if path.suffix.lower() == ".tflite" and path.is_file():
        raise UsageError(
            "a .tflite alone holds no vocabulary or labels to classify or score text with: give its bundle "
            "(the directory or .zip holding model.tflite, vocab.txt, labels.txt, bundle.json)",
            path,
        )
    if not path.exists():
        raise UsageError("no such run directory or bundle", path)
    raise UsageError("neither a run directory (config.json) nor a bundle (bundle.json)", path)
