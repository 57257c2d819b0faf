"""Fixtures of the quickstart tests: the real small quickstart, run once per session as a user runs it.

`python -m fnet_keras.quickstart` in a subprocess (real training, export, parity gates and
benchmark; stdout and stderr kept apart, as a terminal sees them), then the same command again
into the same --out, which continues it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO_ROOT


@dataclasses.dataclass(frozen=True)
class QuickstartRun:
    """One finished `python -m fnet_keras.quickstart` command and what it left behind."""

    out: Path
    returncode: int
    stdout: str
    stderr: str
    report: dict  # report.json as this command wrote it

    @property
    def progress(self) -> list[str]:
        return self.stderr.splitlines()


def run_quickstart(*args, timeout: int = 600) -> subprocess.CompletedProcess:
    """`python -m fnet_keras.quickstart ARGS` in a subprocess, from the repository root."""
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "fnet_keras.quickstart", *map(str, args)],
        capture_output=True, text=True, env=environment, cwd=REPO_ROOT, timeout=timeout,
    )


def _finished(out: Path, completed: subprocess.CompletedProcess) -> QuickstartRun:
    report_path = out / "report.json"
    assert report_path.is_file(), f"no report.json (exit {completed.returncode}):\n{completed.stderr[-4000:]}"
    return QuickstartRun(
        out, completed.returncode, completed.stdout, completed.stderr, json.loads(report_path.read_text())
    )


def file_states(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime in ns) of every file under `root`, by relative path: what a reuse must not change."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*")) if path.is_file()
    }


@pytest.fixture(scope="session")
def small_quickstart(tmp_path_factory) -> QuickstartRun:
    """`--size small` into a new directory: ListOps at length 32, both models, fp32 and int8 (~1.5 min)."""
    out = tmp_path_factory.mktemp("quickstart") / "out"
    return _finished(out, run_quickstart("--size", "small", "--out", out))


@pytest.fixture(scope="session")
def continued_quickstart(small_quickstart) -> tuple[QuickstartRun, dict, dict]:
    """The same command again into the same --out: (the second run, the training runs' file states
    before it, and after it)."""
    runs = [small_quickstart.out / name for name in ("fnet", "transformer")]
    before = {run.name: file_states(run) for run in runs}
    second = _finished(small_quickstart.out, run_quickstart("--size", "small", "--out", small_quickstart.out))
    after = {run.name: file_states(run) for run in runs}
    return second, before, after
