"""The budget tool's error: a request it cannot carry out as given (exit code 2)."""

from __future__ import annotations

from fnet_keras.errors import LocatedError


class BudgetError(LocatedError):
    """Bad budget input, reported as `path: reason` (`LocatedError`, exit code 2).

    Raised for an empty or unknown candidate set, a run directory holding another candidate's
    run, and a latency profile that does not cover the candidates (another model set, another
    thread count, no end-to-end figures).
    """
