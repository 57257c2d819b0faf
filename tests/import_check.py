"""Which heavy packages a statement imports, checked in a fresh interpreter (this one has them all)."""

import subprocess
import sys
from pathlib import Path

TENSORFLOW_STACK = ("tensorflow", "keras", "keras_hub", "tensorflow_text")
REPO_ROOT = Path(__file__).resolve().parents[1]


def packages_loaded_by(statements: str, packages=TENSORFLOW_STACK) -> list[str]:
    """The `packages` (top-level names) in sys.modules after `statements` run in a new Python."""
    code = (
        f"import sys\n{statements}\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(packages)!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return eval(result.stdout.strip().splitlines()[-1])  # a printed list of names
