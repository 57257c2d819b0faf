"""Stage messages of long commands ("reading the data", "learning a vocabulary ..."): one line each
on stderr, so that stdout stays for results and a user sees what takes the time."""

from __future__ import annotations

import sys
from collections.abc import Callable


def stage_printer(verbose: str | int) -> Callable[[str], None]:
    """A `say(message)` that prints unless `verbose` is 0."""
    if verbose == 0:
        return lambda message: None
    return lambda message: print(message, file=sys.stderr, flush=True)
