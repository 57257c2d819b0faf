"""`ExportReport`: the figures of one export, printable and saved next to the bundles."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from fnet_keras.atomic import write_text_atomic
from fnet_keras.edge.machine_load import MachineLoad
from fnet_keras.edge.manifest import MANIFEST_NAME, MODES
from fnet_keras.export.errors import ExportError
from fnet_keras.export.mode_report import ModeReport
from fnet_keras.export.parity import GATE_ADVICE, ParityResult
from fnet_keras.provenance import Provenance
from fnet_keras.report_tables import markdown_table, ms, percent

REPORT_NAME = "export_report"
BUNDLES_DIR_NAME = "bundles"  # an export's default --out, inside the run directory


@dataclasses.dataclass
class ExportReport(Provenance):
    """Every mode's recipe, size, ops, parity and test accuracy against the Keras model.

    `run_dir` was exported into `out_dir` (one bundle directory per mode, and the report); `modes` are in
    the order asked. `keras_test_accuracy` is on the labelled test split of `test_examples` texts (None
    and 0 without one); `gate` says where the gate's texts came from (`GateTexts.describe()`),
    `data_source` where the data did (the run's record or `--data`); `notes`: facts worth reading.
    """

    run_dir: Path
    out_dir: Path
    modes: list[ModeReport]
    keras_test_accuracy: float | None
    test_examples: int
    gate: str
    data_source: str
    notes: list[str]

    @property
    def passed(self) -> bool:
        return all(mode.passed for mode in self.modes)

    @property
    def failed_modes(self) -> list[str]:
        return [mode.mode for mode in self.modes if not mode.passed]

    def mode(self, name: str) -> ModeReport:
        for mode in self.modes:
            if mode.mode == name:
                return mode
        raise KeyError(name)

    def size_ratio(self, mode: ModeReport) -> float | None:
        """`mode`'s size over the fp32 model's, or None when fp32 was not exported."""
        return self._over_fp32(mode, "size_bytes")

    def _over_fp32(self, mode: ModeReport, field: str) -> float | None:
        fp32 = next((other for other in self.modes if other.mode == "fp32"), None)
        value, base = getattr(mode, field), fp32 and getattr(fp32, field)
        return value / base if value and base else None

    def _accuracy_delta(self, mode: ModeReport) -> float | None:
        """`mode`'s test accuracy minus the Keras model's, in points, or None."""
        if mode.test_accuracy is None or self.keras_test_accuracy is None:
            return None
        return 100 * (mode.test_accuracy - self.keras_test_accuracy)

    def to_dict(self) -> dict[str, Any]:
        modes = []
        for mode in self.modes:
            ratio, delta = self.size_ratio(mode), self._accuracy_delta(mode)
            modes.append({**mode.to_dict(), "size_ratio_to_fp32": None if ratio is None else round(ratio, 4)})
            if delta is not None:
                modes[-1]["test_accuracy_delta_points"] = round(delta, 3)
        return {
            **self.provenance_dict(),
            "run_dir": str(self.run_dir), "out_dir": str(self.out_dir), "data_source": self.data_source,
            "gate": self.gate,
            "keras": {"test_accuracy": self.keras_test_accuracy, "test_examples": self.test_examples},
            "passed": self.passed, "failed_modes": self.failed_modes, "modes": modes,
            "notes": list(self.notes),
        }

    def gate_failure(self) -> str:
        """What `ParityGateError` says: the failed modes, what was written, what to try, the table."""
        failed, written = self.failed_modes, [mode.mode for mode in self.modes if mode.passed]
        advice = "; ".join(f"{mode}: {GATE_ADVICE[mode]}" for mode in failed)
        them = "it" if len(failed) == 1 else "them"
        return (
            f"parity gate failed for {', '.join(failed)}: no bundle written for {them}"
            + (f" ({', '.join(written)} written to {self.out_dir})" if written else "")
            + f". What to try: {advice}.\n\n{self.format_table()}"
        )

    def format_table(self) -> str:
        """The per-mode summary as a markdown table."""
        rows = [[
            mode.mode, mode.recipe, f"{mode.size_bytes:,}", _number(self.size_ratio(mode), ".3f"),
            mode.op_count, sum(mode.float_ops.values()) if mode.mode != "fp32" else "-",
            percent(mode.parity.agreement), f"{mode.parity.max_abs_probability_diff:.2e}",
            percent(mode.test_accuracy), _number(self._accuracy_delta(mode), "+.2f"), ms(mode.p50_ms),
            _number(self._over_fp32(mode, "speed_ms"), ".2f"),  # thread-CPU medians where measured
            "pass" if mode.passed else "FAIL",
        ] for mode in self.modes]
        header = ["mode", "recipe", "bytes", "× fp32", "ops", "float ops", "top-label agree", "max abs Δp",
                  "test acc", "Δ vs Keras (pts)", "p50 ms", "time × fp32", "gate"]
        return "\n".join(markdown_table(header, rows, "llrrrrrrrrrrl"))

    def format(self) -> str:
        """The whole report as markdown: header, table, thresholds, ops per mode, notes."""
        keras = "no labelled test split" if self.keras_test_accuracy is None else (
            f"{percent(self.keras_test_accuracy)} on {self.test_examples} test examples"
        )
        failed, written = self.failed_modes, [mode.mode for mode in self.modes if mode.passed]
        them = "it" if len(failed) == 1 else "them"
        result = "all gates passed" if self.passed else (
            f"GATE FAILED for {', '.join(failed)} (no bundle written for {them})"
            + (f"; written: {', '.join(written)}" if written else "")
        )
        thresholds = []
        for mode in self.modes:
            limits = mode.parity.thresholds
            agreement, max_diff = limits["agreement"], limits["max_abs_probability_diff"]
            thresholds.append(f"{mode.mode}: top-label agreement >= {100 * agreement:g}%"
                              + ("" if max_diff is None else f", max abs Δp <= {max_diff:g}"))
        lines = [f"# Export of {self.run_dir}", ""]
        if self.command:
            lines += ["```", self.command, "```", ""]
        lines += [
            f"- bundles: {self.out_dir} (one directory per mode)",
            f"- data: {self.data_source}",
            f"- Keras model: {keras}",
            f"- parity gate: LiteRT (batch 1) vs Keras probabilities on {self.gate}",
            f"- result: {result}",
            f"- {self.provenance_line()}",
            *self._latency_lines(),
            "",
            self.format_table(),
            "",
            f"Gate thresholds: {'; '.join(thresholds)}",
            "",
        ]
        for mode in self.modes:
            lines.append(f"- {mode.mode} ({mode.recipe}) ops ({mode.op_count}): {_counts(mode.ops)}")
            if mode.mode != "fp32" and mode.float_ops:
                lines.append(f"  - float ops: {_counts(mode.float_ops)}")
            lines += [f"  - also tried {name}: {alt['reason']}" for name, alt in mode.alternatives.items()]
        if self.failed_modes:
            lines += ["", "What to try:"] + [f"- {mode}: {GATE_ADVICE[mode]}" for mode in self.failed_modes]
        if self.notes:
            lines += ["", "Notes:"] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def _latency_lines(self) -> list[str]:
        """What the p50s mean, and the machine's load while timing (the highest, if timed more than once)."""
        loads = [MachineLoad.from_dict(mode.latency_load) for mode in self.modes if mode.latency_load]
        if not loads:
            return []
        load = MachineLoad.peak(*loads)
        return [
            f"- p50 ms: medians of one inference here (batch 1, 1 thread, the passing modes interleaved; "
            f"time × fp32 and recipe choices on the thread-CPU clock); {load.describe()} while timing"
        ] + ([f"- **warning**: {load.warning()}"] if load.warning() else [])

    __str__ = format

    @classmethod
    def load(cls, path: str | os.PathLike) -> ExportReport:
        """Reads back what `save` wrote: export_report.json, or the directory that holds it.

        Raises:
            ExportError: no report there, or one without each mode's name and gate verdict.
        """
        path = Path(path)
        path = path / f"{REPORT_NAME}.json" if path.is_dir() else path
        if not path.is_file():
            raise ExportError("no export report here", path)
        fields = {field.name for field in dataclasses.fields(ModeReport) if field.repr}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            modes = []
            for entry in data["modes"]:
                known = {key: value for key, value in entry.items() if key in fields}
                known["parity"] = ParityResult(**entry["parity"])
                known["bundle_dir"] = None if entry.get("bundle_dir") is None else Path(entry["bundle_dir"])
                modes.append(ModeReport(**known))
            keras = data["keras"]
            report = cls(
                run_dir=Path(data["run_dir"]), out_dir=Path(data["out_dir"]), modes=modes,
                keras_test_accuracy=keras["test_accuracy"], test_examples=keras["test_examples"],
                gate=data["gate"], data_source=data["data_source"], notes=list(data["notes"]),
                created=data["created"], package_version=data["package_version"], command=data.get("command"),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise ExportError(f"unreadable export report ({type(error).__name__}: {error})", path) from None
        if not all(isinstance(mode.mode, str) and isinstance(mode.parity.passed, bool) for mode in modes):
            raise ExportError("an export report without each mode's name and gate verdict", path)
        return report

    def save(self, directory: str | os.PathLike | None = None) -> tuple[Path, Path]:
        """Writes export_report.md and export_report.json into `directory` (default: out_dir)."""
        directory = Path(self.out_dir if directory is None else directory)
        directory.mkdir(parents=True, exist_ok=True)
        document = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        return (write_text_atomic(directory / f"{REPORT_NAME}.md", self.format()),
                write_text_atomic(directory / f"{REPORT_NAME}.json", document))


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def check_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Refuses, before any work, an `out_dir` that is not absent, empty, or (overwrite) a previous export."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError("exists and is not a directory; choose another --out", out_dir)
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    if not overwrite:
        raise ExportError(
            "is not empty; choose another --out, or pass --overwrite to replace the previous export there",
            out_dir,
        )
    foreign = sorted(entry.name for entry in out_dir.iterdir() if not _is_export_output(entry))
    if foreign:
        raise ExportError(
            f"holds files an export did not write ({', '.join(foreign[:5])}); not replacing them: "
            f"choose another --out",
            out_dir,
        )


def _is_export_output(entry: Path) -> bool:
    if entry.name in (f"{REPORT_NAME}.md", f"{REPORT_NAME}.json"):
        return entry.is_file()
    if entry.suffix == ".zip" and entry.stem in MODES:
        return entry.is_file()
    return entry.is_dir() and entry.name in MODES and (entry / MANIFEST_NAME).is_file()
