"""What the `fnet-keras` subcommand modules share: exit codes, the usage error, progress output and the
TensorFlow gate (nothing here imports TensorFlow)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from typing import Any

from fnet_keras.errors import LocatedError

USAGE_ERROR = 2
INTERRUPTED = 130
# stdout closed by its reader (`| head`): quiet, with the shell's status for death by SIGPIPE (128 + 13),
# as `yes | head` reports for `yes`.
BROKEN_PIPE = 141


class UsageError(LocatedError):
    """A command line that cannot be carried out as given (exit code 2)."""


def tell(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def say_unless(quiet: bool) -> Callable[[str], None]:
    return (lambda message: None) if quiet else tell


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


def require_training_extra(command: str) -> None:
    """Refuses, with the install command, a TensorFlow-side subcommand in an edge-only install."""
    missing = [name for name in ("tensorflow", "keras", "keras_hub") if not importlib.util.find_spec(name)]
    if missing:
        raise UsageError(
            f"`fnet-keras {command}` needs TensorFlow, Keras and keras-hub ({', '.join(missing)} "
            f"not installed): pip install 'fnet-keras[train]'"
        )


def needs_tensorflow(command: str, say: Callable[[str], None] | None = None) -> None:
    """`say`s so, then `require_training_extra` and TensorFlow loaded quietly."""
    if say is not None:
        say("loading TensorFlow")
    require_training_extra(command)
    from fnet_keras.quiet import load_tensorflow

    load_tensorflow()
