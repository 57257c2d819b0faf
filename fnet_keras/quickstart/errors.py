"""The quickstart's error: a request it cannot carry out as given (exit code 2)."""

from __future__ import annotations

from fnet_keras.errors import LocatedError


class QuickstartError(LocatedError):
    """Bad quickstart input, reported as `path: reason`: an unusable --out, an unknown size, options that
    apply only to --data given without it."""
