"""argparse value types and flags shared by the subcommands (no TensorFlow: the edge CLI uses them)."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An integer >= 1; argparse turns the ArgumentTypeError into `error: ...` and exit 2."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def add_column_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """--text-column and --label-column, for every subcommand that reads labelled data."""
    for role in ("text", "label"):
        parser.add_argument(
            f"--{role}-column",
            help=f"{role} column: a name, or a 0-based index for a file without a header "
            f"(default: from the header)",
        )
