"""`ExportReport`: the figures of one `fnet-keras export`, printable and saved next to the bundles."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from fnet_keras.atomic import write_text_atomic
from fnet_keras.export.mode_report import ModeReport

REPORT_NAME = "export_report"


@dataclasses.dataclass
class ExportReport:
    """Every mode's size, ops, parity and test accuracy against the Keras model.

    Attributes:
        run_dir: the training run exported.
        out_dir: where the bundles (one subdirectory per mode) and the report go.
        modes: one `ModeReport` per quantization, in the order asked.
        keras_test_accuracy: the Keras model's accuracy on the labelled test split, or None.
        test_examples: size of that split (0 if there is none).
        parity_split: the split the gate compared on ("dev") and `parity_examples` its size.
        data_source: where the data came from (the run's record or `--data`).
        notes: facts worth reading (held-out dev, unlabelled test, float ops left in int8).
        created: ISO-8601 UTC time; package_version: the exporter's version.
        command: the command line, if the CLI ran it.
    """

    run_dir: Path
    out_dir: Path
    modes: list[ModeReport]
    keras_test_accuracy: float | None
    test_examples: int
    parity_split: str
    parity_examples: int
    data_source: str
    notes: list[str]
    created: str
    package_version: str
    command: str | None = None

    @property
    def passed(self) -> bool:
        return all(mode.parity.passed for mode in self.modes)

    def mode(self, quantization: str) -> ModeReport:
        for mode in self.modes:
            if mode.quantization == quantization:
                return mode
        raise KeyError(quantization)

    def size_ratio(self, mode: ModeReport) -> float | None:
        """`mode`'s size over the fp32 model's, or None when fp32 was not exported."""
        fp32 = [other for other in self.modes if other.quantization == "fp32"]
        return mode.size_bytes / fp32[0].size_bytes if fp32 else None

    def to_dict(self) -> dict[str, Any]:
        modes = []
        for mode in self.modes:
            entry = mode.to_dict()
            ratio = self.size_ratio(mode)
            entry["size_ratio_to_fp32"] = None if ratio is None else round(ratio, 4)
            if mode.test_accuracy is not None and self.keras_test_accuracy is not None:
                entry["test_accuracy_delta_points"] = round(
                    100 * (mode.test_accuracy - self.keras_test_accuracy), 3
                )
            modes.append(entry)
        return {
            "command": self.command,
            "run_dir": str(self.run_dir),
            "out_dir": str(self.out_dir),
            "created": self.created,
            "package_version": self.package_version,
            "data_source": self.data_source,
            "parity": {"split": self.parity_split, "examples": self.parity_examples},
            "keras": {"test_accuracy": self.keras_test_accuracy, "test_examples": self.test_examples},
            "passed": self.passed,
            "modes": modes,
            "notes": list(self.notes),
        }

    def format_table(self) -> str:
        """The per-mode summary as a markdown table."""
        rows = [
            "| mode | mixing | bytes | × fp32 | ops | float ops | argmax agree | max abs Δlogit "
            "| test acc | Δ vs Keras (pts) | gate |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for mode in self.modes:
            ratio = self.size_ratio(mode)
            float_ops = sum(mode.float_ops.values()) if mode.quantization == "int8" else "-"
            accuracy = "-" if mode.test_accuracy is None else f"{100 * mode.test_accuracy:.2f}%"
            delta = (
                "-"
                if mode.test_accuracy is None or self.keras_test_accuracy is None
                else f"{100 * (mode.test_accuracy - self.keras_test_accuracy):+.2f}"
            )
            rows.append(
                f"| {mode.quantization} | {mode.mixing} | {mode.size_bytes:,} | "
                f"{'-' if ratio is None else f'{ratio:.3f}'} | {mode.op_count} | {float_ops} | "
                f"{100 * mode.parity.argmax_agreement:.2f}% | {mode.parity.max_abs_logit_diff:.2e} | "
                f"{accuracy} | {delta} | {'pass' if mode.parity.passed else 'FAIL'} |"
            )
        return "\n".join(rows)

    def format(self) -> str:
        """The whole report as markdown: header, table, thresholds, ops per mode, notes."""
        keras = (
            "no labelled test split"
            if self.keras_test_accuracy is None
            else f"{100 * self.keras_test_accuracy:.2f}% on {self.test_examples} test examples"
        )
        lines = [
            f"# Export of {self.run_dir}",
            "",
        ]
        if self.command:
            lines += ["```", self.command, "```", ""]
        lines += [
            f"- bundles: {self.out_dir} (one directory per mode)",
            f"- data: {self.data_source}",
            f"- Keras model: {keras}",
            f"- parity gate: LiteRT (batch 1) vs Keras on {self.parity_examples} "
            f"{self.parity_split} examples",
            f"- result: {'all gates passed' if self.passed else 'GATE FAILED: nothing written'}",
            f"- created {self.created} by fnet-keras {self.package_version}",
            "",
            self.format_table(),
            "",
            "Gate thresholds: "
            + "; ".join(
                f"{mode.quantization}: agreement >= {100 * mode.parity.thresholds['argmax_agreement']:g}%"
                + (
                    f", max abs Δlogit <= {mode.parity.thresholds['max_abs_logit_diff']:g}"
                    if mode.parity.thresholds["max_abs_logit_diff"] is not None
                    else ""
                )
                for mode in self.modes
            ),
            "",
        ]
        for mode in self.modes:
            ops = ", ".join(f"{name} {count}" for name, count in mode.ops.items())
            lines.append(f"- {mode.quantization} ops ({mode.op_count}): {ops}")
            if mode.quantization == "int8":
                float_ops = ", ".join(f"{name} {count}" for name, count in mode.float_ops.items()) or "none"
                on_path = ", ".join(f"{name} {count}" for name, count in mode.float_matmul_fft_ops.items())
                lines.append(f"  - float ops left: {float_ops}")
                lines.append(f"  - float on the matmul/FFT path: {on_path or 'none'}")
        if self.notes:
            lines += ["", "Notes:"] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.format()

    def save(self, directory: str | os.PathLike | None = None) -> tuple[Path, Path]:
        """Writes export_report.md and export_report.json into `directory` (default: out_dir)."""
        directory = Path(self.out_dir if directory is None else directory)
        directory.mkdir(parents=True, exist_ok=True)
        markdown = directory / f"{REPORT_NAME}.md"
        json_path = directory / f"{REPORT_NAME}.json"
        write_text_atomic(markdown, self.format())
        write_text_atomic(json_path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return markdown, json_path


