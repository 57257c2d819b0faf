"""MediaPipe Tasks for Python, run in its own venv (`.venv-mediapipe`, made by `make mediapipe-venv`).

mediapipe 0.10.21 pins numpy<2 and protobuf 4.25, which cannot live beside TensorFlow 2.21, so tests
send it work as a Python script plus a JSON payload on stdin and read one JSON value back from its last
line of stdout. Without the venv a test skips, naming the path and the make target; in CI (`CI` set)
it fails instead, because CI's `make test` builds the venv.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
MEDIAPIPE_VENV = REPO_ROOT / ".venv-mediapipe"
MEDIAPIPE_PYTHON = MEDIAPIPE_VENV / "bin" / "python"


def mediapipe_python() -> Path:
    """The venv's interpreter; skips (fails in CI) when the venv is missing."""
    if not MEDIAPIPE_PYTHON.is_file():
        message = f"MediaPipe's venv {MEDIAPIPE_VENV} is missing: run `make mediapipe-venv`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return MEDIAPIPE_PYTHON


def run_in_mediapipe(script: str, payload: Any = None, timeout: float = 600) -> Any:
    """Runs `script` in the MediaPipe venv with `payload` as JSON on stdin; returns its last stdout line.

    The script reads `json.load(sys.stdin)` and prints its answer with `print(json.dumps(...))` last.
    """
    completed = subprocess.run(
        [str(mediapipe_python()), "-c", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    )
    assert completed.returncode == 0, f"MediaPipe script failed:\n{completed.stderr[-4000:]}"
    lines = completed.stdout.strip().splitlines()
    assert lines, f"MediaPipe script printed nothing:\n{completed.stderr[-4000:]}"
    return json.loads(lines[-1])
