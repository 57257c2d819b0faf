"""What the experiment scripts share: the package beside them, the command that made a result, resumable
cells, results written atomically, and a child process measured alone.

    from experiment import ROOT, command_line, train_cell, write_results   # scripts/ is on sys.path

Importing it puts the repository root on `sys.path`, so a script run as a file imports the package
beside it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def command_line(script: str, argv: list[str] | None = None, prefix: str = "python") -> str:
    """The command a report records: `prefix scripts/<script> <arguments>` (argv None: this process's)."""
    given = sys.argv[1:] if argv is None else argv
    return f"{prefix} " + shlex.join([f"scripts/{script}", *given])


def write_results(prefix: Path, record: dict[str, Any], markdown: str, indent: int = 1) -> None:
    """`<prefix>.json` (the record) and `<prefix>.md`, each written atomically, the folder made first."""
    from fnet_keras.atomic import write_text_atomic

    prefix.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=indent, ensure_ascii=False, default=str) + "\n"
    write_text_atomic(prefix.with_suffix(".json"), text)
    write_text_atomic(prefix.with_suffix(".md"), markdown)


class Cells:
    """Finished cells of a resumable experiment, stored as {"cells": {key: result}} in a JSON file after
    each one: a rerun skips what is stored (delete an entry, or the file, to measure it again)."""

    def __init__(self, path: Path):
        self.path = path
        self.state = json.loads(path.read_text()) if path.is_file() else {"cells": {}}

    @property
    def cells(self) -> dict[str, Any]:
        return self.state["cells"]

    def save(self) -> None:
        from fnet_keras.atomic import write_text_atomic

        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps(self.state, indent=1) + "\n")

    def put(self, key: str, result: dict[str, Any]) -> None:
        self.cells[key] = result
        self.save()


def train_cell(settings, data, run_dir: Path, no_train: bool = False, verbose: int = 2):
    """The finished run in `run_dir` (`ensure_run`: reused, resumed or trained); with `no_train`, None
    when it is not finished (nothing is trained)."""
    from fnet_keras.training.ensure import ensure_run, plan_run

    if no_train and plan_run(None, run_dir) != "reuse":
        return None
    return ensure_run(settings, data, run_dir, verbose=verbose)


@dataclasses.dataclass
class Child:
    """How a child process ended: its output, `peak_rss_bytes` (its own, from `os.wait4`),
    `wall_seconds`, `exit` ("code N" or "signal NAME") and whether it was killed for time."""

    stdout: str
    stderr: str
    peak_rss_bytes: int
    wall_seconds: float
    exit: str
    timed_out: bool


def run_child(argv: list[str], timeout: float, memory_limit_bytes: int | None = None,
              cwd: Path = ROOT) -> Child:
    """Runs `argv` in its own process group under `memory_limit_bytes` of address space (RLIMIT_AS; None:
    no limit), killing the group after `timeout` seconds. Its peak RSS is its alone (`os.wait4`), so the
    parent should not hold much memory itself (ru_maxrss survives exec)."""

    def limit_memory():
        os.setpgrp()  # its own process group, so a timeout kills the helpers it started too
        if memory_limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))

    with tempfile.TemporaryDirectory(prefix="experiment-child-") as scratch:
        stdout_path, stderr_path = Path(scratch) / "stdout", Path(scratch) / "stderr"
        with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
            start = time.monotonic()
            child = subprocess.Popen(argv, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
                                     preexec_fn=limit_memory, cwd=cwd)
            timed_out = False
            while True:
                pid, wait_status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() - start > timeout:
                    timed_out = True
                    os.killpg(child.pid, signal.SIGKILL)
                    pid, wait_status, usage = os.wait4(child.pid, 0)
                    break
                time.sleep(0.2)
            child.returncode = 0  # reaped by wait4: keep Popen from waiting again
            wall = time.monotonic() - start
        out_text, err_text = stdout_path.read_text(errors="replace"), stderr_path.read_text(errors="replace")
    if os.WIFSIGNALED(wait_status):
        exit_text = f"signal {signal.Signals(os.WTERMSIG(wait_status)).name}"
    else:
        exit_text = f"code {os.WEXITSTATUS(wait_status)}"
    peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return Child(out_text, err_text, peak, wall, exit_text, timed_out)
