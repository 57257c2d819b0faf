"""argparse value types shared by the subcommands (no TensorFlow: the edge CLI uses them)."""

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
