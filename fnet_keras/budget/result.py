"""`BudgetRow`, `BudgetResult` and `choose`: the table behind a budget choice, and the choice (no TF)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fnet_keras.budget.candidates import Candidate
from fnet_keras.budget.latency import Latency
from fnet_keras.edge.machine_load import MachineLoad
from fnet_keras.report_tables import markdown_table, ms, percent

SCHEMA = "fnet-keras-budget"
SCHEMA_VERSION = 1
_ON = {"model": "model only", "end-to-end": "end to end, tokenization included"}


@dataclasses.dataclass
class BudgetRow:
    """One candidate in one mode: its run's metrics (dev accuracy chooses; test is reported, never
    used), its bundle (None when the export failed, `export_failure` says why) with model.tflite's
    bytes and SHA-256 (how a profile's models are matched), its `Latency` once timed, and, where
    `prepare_candidates` made it, its `mode` and that mode's `ModeReport` (None when the export failed
    before its gate; neither is in `to_dict()`)."""

    candidate: Candidate
    parameters: int
    dev_accuracy: float
    test_accuracy: float | None
    bundle_dir: Path | None
    model_bytes: int | None
    bundle_bytes: int | None
    model_sha256: str | None
    export_failure: str | None = None
    latency: Latency | None = None
    mode: str | None = None
    export: Any = None

    @property
    def name(self) -> str:
        return self.candidate.name

    def p50(self, budget_on: str) -> float | None:
        return None if self.latency is None else self.latency.of(budget_on)

    def fits(self, budget_ms: float, budget_on: str) -> bool | None:
        """Whether its p50 is within the budget; None when it has no latency (a failed export)."""
        p50 = self.p50(budget_on)
        return None if p50 is None else p50 <= budget_ms

    def to_dict(self, budget_ms: float, budget_on: str) -> dict[str, Any]:
        candidate, latency = self.candidate, self.latency
        return {
            "name": self.name, "preset": candidate.preset, "mixing": candidate.kind.name,
            "model": candidate.kind.title, "sequence_length": candidate.sequence_length,
            "run_dir": str(candidate.run_dir),
            "bundle_dir": None if self.bundle_dir is None else str(self.bundle_dir),
            "parameters": self.parameters, "model_bytes": self.model_bytes, "bundle_bytes": self.bundle_bytes,
            "model_sha256": self.model_sha256, "dev_accuracy": self.dev_accuracy,
            "test_accuracy": self.test_accuracy,
            "p50_model_ms": None if latency is None else latency.model_ms,
            "p50_end_to_end_ms": None if latency is None else latency.end_to_end_ms,
            "export_failure": self.export_failure, "fits": self.fits(budget_ms, budget_on),
        }


def choose(rows: Sequence[BudgetRow], budget_ms: float, budget_on: str = "model") -> BudgetRow | None:
    """The most accurate row on dev whose p50 fits the budget; ties go to the lower p50, then the earlier
    row. None when nothing fits. Test accuracy plays no part."""
    fitting = [(index, row) for index, row in enumerate(rows) if row.fits(budget_ms, budget_on)]
    if not fitting:
        return None
    return min(fitting, key=lambda entry: (-entry[1].dev_accuracy, entry[1].p50(budget_on), entry[0]))[1]


@dataclasses.dataclass
class BudgetResult:
    """Every candidate's row (grid order), the budget (a p50 in ms, on "model" or "end-to-end"), and
    where the latencies come from: `latency_source` {"kind": "measured", "profile" or "none", "path",
    "device", "runtime", "runs", "text_count", "load" (`MachineLoad.to_dict()` or None)} and the
    `benchmark` itself."""

    rows: list[BudgetRow]
    budget_ms: float
    budget_on: str
    threads: int
    quantization: str
    latency_source: dict[str, Any]
    benchmark: Any = None

    @property
    def choice(self) -> BudgetRow | None:
        return choose(self.rows, self.budget_ms, self.budget_on)

    @property
    def fastest(self) -> BudgetRow | None:
        """The row with the lowest p50 (None if no row has one)."""
        timed = [row for row in self.rows if row.p50(self.budget_on) is not None]
        return min(timed, key=lambda row: row.p50(self.budget_on)) if timed else None

    def verdict(self) -> str:
        """One sentence: the choice, or why there is none (with the fastest candidate's p50)."""
        on = _ON[self.budget_on]
        choice = self.choice
        if choice is not None:
            test = "" if choice.test_accuracy is None else f", test {percent(choice.test_accuracy)}"
            return (
                f"chosen: {choice.name} ({choice.candidate.kind.title}, {choice.candidate.preset}, length "
                f"{choice.candidate.sequence_length}): dev accuracy {percent(choice.dev_accuracy)}{test}; "
                f"p50 {choice.p50(self.budget_on):.3f} ms {on} within {self.budget_ms:g} ms; bundle "
                f"{choice.bundle_dir}"
            )
        quickest = self.fastest
        if quickest is None:
            return (
                f"no candidate could be timed: every {self.quantization} export failed, so nothing fits "
                f"{self.budget_ms:g} ms"
            )
        return (
            f"no candidate fits p50 <= {self.budget_ms:g} ms ({on}, {self.threads} thread(s)): the fastest, "
            f"{quickest.name}, takes {quickest.p50(self.budget_on):.3f} ms"
        )

    def to_dict(self) -> dict[str, Any]:
        choice, quickest = self.choice, self.fastest
        return {
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "budget_ms": self.budget_ms,
            "budget_on": self.budget_on, "threads": self.threads, "quantization": self.quantization,
            "latency_source": dict(self.latency_source),
            "candidates": [row.to_dict(self.budget_ms, self.budget_on) for row in self.rows],
            "choice": None if choice is None else choice.name,
            "fastest": None if quickest is None else quickest.name,
            "message": self.verdict(),
        }

    def format_table(self) -> str:
        """The whole table as Markdown, the choice marked."""
        choice = self.choice
        rows = []
        for row in self.rows:
            candidate, latency = row.candidate, row.latency
            fits = row.fits(self.budget_ms, self.budget_on)
            if row.export_failure is not None:
                verdict = f"export failed ({row.export_failure.split(':')[0]})"
            elif fits is None:
                verdict = "not timed"
            else:
                verdict = ("yes" if fits else "no") + (" (chosen)" if row is choice else "")
            rows.append([
                row.name, candidate.preset, candidate.kind.name, candidate.sequence_length,
                *("-" if count is None else f"{count:,}" for count in (row.parameters, row.bundle_bytes)),
                percent(row.dev_accuracy), percent(row.test_accuracy),
                ms(latency and latency.model_ms), ms(latency and latency.end_to_end_ms), verdict,
            ])
        header = ["candidate", "preset", "mixing", "length", "params", "bundle bytes", "dev acc",
                  "test acc (not used)", "p50 model ms", "p50 end-to-end ms", f"fits {self.budget_ms:g} ms?"]
        return "\n".join(markdown_table(header, rows, "lllrrrrrrrl"))

    def format(self) -> str:
        """Header, table, failed exports, verdict."""
        source = self.latency_source
        if source.get("kind") == "profile":
            where = f"from the profile {source.get('path')} ({source.get('device') or 'device not recorded'})"
        elif source.get("kind") == "measured":
            where = f"measured here ({source.get('device') or 'this machine'})"
        else:
            where = "not measured (no bundle to time)"
        load = MachineLoad.from_dict(source.get("load"))
        if source.get("kind") in ("profile", "measured"):
            where += f"; {'load not recorded' if load is None else load.describe()} while timing"
        warning = None if load is None else load.warning()
        lines = [
            f"Latency budget: p50 <= {self.budget_ms:g} ms {_ON[self.budget_on]}, {self.quantization} "
            f"bundles, {self.threads} thread(s); latencies {where}.",
            *([f"WARNING: {warning}"] if warning else []),
            "The choice: the highest dev accuracy among the candidates that fit (ties: the faster); test "
            "accuracy is shown, never used.",
            "",
            self.format_table(),
            "",
        ]
        failures = [f"- {row.name}: export failed: {row.export_failure}"
                    for row in self.rows if row.export_failure]
        lines += [*failures, *([""] if failures else []), self.verdict()]
        return "\n".join(lines) + "\n"
