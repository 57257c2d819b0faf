"""The quickstart's output directory: its layout, and what a run does with a previous one. No TensorFlow.

    OUT/
      quickstart.json   what this directory is: the plan (data, sizes, settings); written first
      data/             the generated ListOps data (built-in data only)
      fnet/             the FNet's training run (`fnet_keras.training.run_dir`), bundles/fp32|dynamic in it
      transformer/      the Transformer twin's
      bench.json/.md    the benchmark of the four bundles (`fnet_keras.edge.bench`)
      report.md/.json   the summary; report.png its plot

Running into an existing OUT:
- empty or absent: a new quickstart;
- a previous quickstart's output with the same plan (same data and settings): it continues;
  finished training runs and passing bundles are reused, an unfinished run resumes from its last
  epoch, and the benchmark and report are made again;
- a previous quickstart's output with another plan (other --data or size), or with `fresh`:
  the entries above are deleted and it starts clean (anything else in OUT is left alone);
- anything else that is not empty: refused, nothing touched.
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
REPORT_STEM = "report"
BENCH_STEM = "bench"
# The model kinds' run directories, by mixing.
RUN_NAMES = {"fourier": "fnet", "attention": "transformer"}


class QuickstartDir:
    """Paths and state of one quickstart output directory.

    Args:
        path: the directory (need not exist yet).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    marker = property(lambda self: self.path / MARKER_NAME)
    data = property(lambda self: self.path / "data")
    report_md = property(lambda self: self.path / f"{REPORT_STEM}.md")
    report_json = property(lambda self: self.path / f"{REPORT_STEM}.json")
    plot = property(lambda self: self.path / f"{REPORT_STEM}.png")
    bench_prefix = property(lambda self: self.path / BENCH_STEM)

    def run_dir(self, mixing: str) -> Path:
        return self.path / RUN_NAMES[mixing]

    def owned_entries(self) -> list[Path]:
        """Everything a quickstart writes here (what starting clean deletes)."""
        names = [
            MARKER_NAME, "data", *RUN_NAMES.values(), f"{BENCH_STEM}.json", f"{BENCH_STEM}.md",
            f"{REPORT_STEM}.md", f"{REPORT_STEM}.json", f"{REPORT_STEM}.png",
        ]
        return [self.path / name for name in names]

    def recorded_plan(self) -> dict[str, Any] | None:
        """The plan a previous quickstart recorded here, or None when the directory is new or empty.

        Raises:
            QuickstartError: `path` is a file, or a non-empty directory that is not a quickstart's
                output (no readable quickstart.json).
        """
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
        for entry in self.owned_entries():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.exists() or entry.is_symlink():
                entry.unlink()

    def write_marker(self, plan: dict[str, Any], package_version: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        record = {"format": FORMAT, "format_version": FORMAT_VERSION, "package_version": package_version,
                  "plan": plan}
        write_text_atomic(self.marker, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
