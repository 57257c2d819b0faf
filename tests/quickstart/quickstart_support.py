"""Helpers of the quickstart tests: running `fnet-keras quickstart` as a user does."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from support import REPO_ROOT


@dataclasses.dataclass(frozen=True)
class QuickstartRun:
    """One finished `fnet-keras quickstart` command and what it left behind."""

    out: Path
    returncode: int
    stdout: str
    stderr: str
    report: dict  # report.json as this command wrote it

    @property
    def progress(self) -> list[str]:
        return self.stderr.splitlines()


def run_quickstart(*args, timeout: int = 600) -> subprocess.CompletedProcess:
    """`python -m fnet_keras quickstart ARGS` (what `fnet-keras quickstart` runs) in a subprocess."""
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "fnet_keras", "quickstart", *map(str, args)],
        capture_output=True, text=True, env=environment, cwd=REPO_ROOT, timeout=timeout,
    )


def finished(out: Path, completed: subprocess.CompletedProcess) -> QuickstartRun:
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
