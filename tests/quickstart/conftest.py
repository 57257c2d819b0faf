"""Fixtures of the quickstart tests: the real small quickstart, run once per session as a user runs it.

`python -m fnet_keras quickstart` in a subprocess (real training, export, parity gates and
benchmark; stdout and stderr kept apart, as a terminal sees them), then the same command again
into the same --out, which continues it.
"""

from __future__ import annotations

import pytest
from quickstart_support import QuickstartRun, file_states, finished, run_quickstart


@pytest.fixture(scope="session")
def small_quickstart(tmp_path_factory) -> QuickstartRun:
    """`--size small` into a new directory: ListOps at length 32, both models, fp32 and dynamic (~1.5 min)."""
    out = tmp_path_factory.mktemp("quickstart") / "out"
    return finished(out, run_quickstart("--size", "small", "--out", out))


@pytest.fixture(scope="session")
def continued_quickstart(small_quickstart) -> tuple[QuickstartRun, dict, dict]:
    """The same command again into the same --out: (the second run, the training runs' file states
    before it, and after it)."""
    runs = [small_quickstart.out / name for name in ("fnet", "transformer")]
    before = {run.name: file_states(run) for run in runs}
    second = finished(small_quickstart.out, run_quickstart("--size", "small", "--out", small_quickstart.out))
    after = {run.name: file_states(run) for run in runs}
    return second, before, after
