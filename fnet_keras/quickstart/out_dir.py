"""The quickstart's output directory: its layout, and what a run does with a previous one. No TensorFlow.

    OUT/
      quickstart.json   what this directory is: the plan (data, sizes, settings); written first
      data/             the generated ListOps data (built-in data only)
      fnet/             the FNet's training run (`fnet_keras.training.run_dir`), bundles/fp32|dynamic in it
      transformer/      the Transformer twin's
      bench.json/.md    the benchmark of the four bundles (`fnet_keras.edge.bench`)
      report.md/.json   the summary; report.png its plot

A previous quickstart's OUT with the same plan is continued (finished runs and passing bundles reused,
an unfinished run resumed); with another plan, or `fresh`, the entries above are deleted first, and
anything else that is not empty is refused, nothing touched.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from fnet_keras.atomic import write_text_atomic
from fnet_keras.quickstart.errors import QuickstartError

FORMAT = "fnet-keras-quickstart"
FORMAT_VERSION = 1
MARKER_NAME = "quickstart.json"
RUN_NAMES = {"fourier": "fnet", "attention": "transformer"}  # the run directories, by mixing
FILES = {"report_md": "report.md", "report_json": "report.json", "plot": "report.png",
         "bench_json": "bench.json", "bench_md": "bench.md"}


class QuickstartDir:
    """Paths and state of one quickstart output directory `path` (need not exist yet)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.marker, self.data = self.path / MARKER_NAME, self.path / "data"
        self.files = {key: self.path / name for key, name in FILES.items()}

    def run_dir(self, mixing: str) -> Path:
        return self.path / RUN_NAMES[mixing]

    def recorded_plan(self) -> dict[str, Any] | None:
        """The plan a previous quickstart recorded here, or None when the directory is new or empty; a
        `QuickstartError` when `path` is a file, or a non-empty directory without a readable marker."""
        if self.path.exists() and not self.path.is_dir():
            raise QuickstartError("exists and is not a directory; choose another --out", self.path)
        if not self.path.is_dir() or not any(self.path.iterdir()):
            return None
        if not self.marker.is_file():
            raise QuickstartError(
                f"is not empty and is not a quickstart's output (no {MARKER_NAME}); nothing was touched: "
                f"choose a new or empty --out",
                self.path,
            )
        try:
            recorded = json.loads(self.marker.read_text(encoding="utf-8"))
            is_ours = recorded.get("format") == FORMAT and isinstance(recorded.get("plan"), dict)
        except (OSError, UnicodeDecodeError, ValueError, AttributeError) as error:
            raise QuickstartError(
                f"cannot read it ({type(error).__name__}: {error}); nothing was touched: choose another "
                f"--out or delete the directory",
                self.marker,
            ) from None
        if not is_ours:
            raise QuickstartError(
                f"is not a quickstart record (format {recorded.get('format')!r}); nothing was touched: "
                f"choose another --out",
                self.marker,
            )
        if recorded.get("format_version") != FORMAT_VERSION:
            return {}  # an older layout: never equal to a plan, so it starts clean
        return recorded["plan"]

    def start_clean(self) -> None:
        """Deletes what a previous quickstart wrote here."""
        for entry in (self.marker, self.data, *map(self.run_dir, RUN_NAMES), *self.files.values()):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.exists() or entry.is_symlink():
                entry.unlink()

    def write_marker(self, plan: dict[str, Any], package_version: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        record = {"format": FORMAT, "format_version": FORMAT_VERSION, "package_version": package_version,
                  "plan": plan}
        write_text_atomic(self.marker, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
