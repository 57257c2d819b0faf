"""The budget tool's error: a request it cannot carry out as given (exit code 2)."""

from __future__ import annotations

from fnet_keras.errors import LocatedError


class BudgetError(LocatedError):
    """Bad budget input, reported as `path: reason`: a bad grid or option, a run directory holding another
    candidate's run, a profile that does not cover the candidates."""
