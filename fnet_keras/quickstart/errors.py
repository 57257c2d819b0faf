"""The quickstart's error: a request it cannot carry out as given (exit code 2)."""

from __future__ import annotations

from fnet_keras.errors import LocatedError


class QuickstartError(LocatedError):
    """Bad quickstart input, reported as `path: reason` (`LocatedError`, exit code 2).

    Raised for an --out that is not empty and not a previous quickstart's output, a file where a
    directory is needed, an unknown size, and options that apply only to --data given without it.
    """
