"""`QuickstartRow`, `QuickstartResult`: the quickstart's table, its report files and its plot. No TensorFlow.

`QuickstartResult.format()` is what the command prints; `.save()` writes report.md, report.json,
report.png (matplotlib, when installed) and the benchmark's bench.json/.md into the output
directory.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fnet_keras.atomic import atomic_output, write_text_atomic
from fnet_keras.edge.bench_result import BenchmarkResult
from fnet_keras.presets import FNET_AND_TWIN, MODEL_KINDS
from fnet_keras.provenance import Provenance
from fnet_keras.quickstart.out_dir import FORMAT, QuickstartDir
from fnet_keras.quickstart.sizes import QUANTIZED_MODE
from fnet_keras.report_tables import markdown_table, percent

SCHEMA_VERSION = 1
MIB = 1024 * 1024
SPEEDUP_VS_TWIN = "FNet speed-up vs twin"  # the Transformer twin's median over FNet's, in the row's mode
# The model's fp32 median over its median in the row's mode.
SPEEDUP_VS_FP32 = f"{QUANTIZED_MODE} speed-up vs fp32"
PLOT_MISSING = "matplotlib is not installed, so no plot was drawn (pip install matplotlib, then run again)"


@dataclasses.dataclass
class QuickstartRow:
    """One exported model: accuracy, size and speed.

    Attributes:
        model: what reports call it ("FNet", "Transformer twin").
        mixing: its token mixing ("fourier", "attention").
        mode: "fp32" or "dynamic" (`sizes.MODES`).
        recipe: the export recipe kept (e.g. "dynamic-rfft").
        run_dir: the training run it was exported from.
        bundle_dir: the bundle, or None when the parity gate failed.
        accuracy: the bundle's accuracy (LiteRT) on the accuracy split, or None without a bundle.
        keras_accuracy: the Keras model's accuracy on the same split (metrics.json).
        model_bytes, bundle_bytes: model.tflite's size and the whole bundle's (None without a bundle).
        parity: the export's parity-gate figures (`ParityResult.to_dict()`).
        p50_ms: median latency of one inference here (None without a bundle).
    """

    model: str
    mixing: str
    mode: str
    recipe: str
    run_dir: Path
    bundle_dir: Path | None
    accuracy: float | None
    keras_accuracy: float
    model_bytes: int | None
    bundle_bytes: int | None
    parity: dict[str, Any]
    p50_ms: float | None = None

    @property
    def name(self) -> str:
        return f"{self.model} {self.mode}"

    @property
    def passed(self) -> bool:
        return bool(self.parity["passed"])

    def gate_failure(self) -> str:
        parity, thresholds = self.parity, self.parity["thresholds"]
        text = (
            f"{self.name}: parity gate failed ({self.recipe}: top-label agreement "
            f"{100 * parity['agreement']:.2f}%, needs {100 * thresholds['agreement']:g}%"
        )
        if thresholds.get("max_abs_probability_diff") is not None:
            text += (
                f"; max |Δp| {parity['max_abs_probability_diff']:.2e}, needs <= "
                f"{thresholds['max_abs_probability_diff']:g}"
            )
        return text + ")"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model,
            "mixing": self.mixing,
            "mode": self.mode,
            "recipe": self.recipe,
            "run_dir": str(self.run_dir),
            "bundle_dir": None if self.bundle_dir is None else str(self.bundle_dir),
            "accuracy": self.accuracy,
            "keras_accuracy": self.keras_accuracy,
            "model_bytes": self.model_bytes,
            "bundle_bytes": self.bundle_bytes,
            "p50_ms": self.p50_ms,
            "parity": self.parity,
        }


@dataclasses.dataclass
class QuickstartResult(Provenance):
    """What a quickstart trained, exported and measured.

    Attributes:
        out_dir: the output directory.
        data: what the models were trained on, in words.
        accuracy_split: "test", or "dev" when the data has no labelled test split.
        accuracy_examples: texts in that split.
        sequence_length: the models' length (every text is padded to it).
        rows: one per model and mode, FNet first within each mode.
        benchmark: the interleaved benchmark of the bundles (None when no bundle passed its gate).
        stage_seconds: wall-clock seconds of each stage this run carried out, in order.
        total_seconds: wall-clock seconds of the whole quickstart (TensorFlow start-up included).
        reused_seconds: stages an earlier run in the same directory carried out and this one reused
            (a finished training run, passing bundles): stage -> the seconds it took then, as that
            run's report recorded them (None when no report recorded it).
        plan: the data and the training settings (what quickstart.json records).
        notes: facts worth reading (reuse, held-out dev, ...).
        created, package_version, command: its `Provenance` (keyword-only).
    """

    out_dir: Path
    data: str
    accuracy_split: str
    accuracy_examples: int
    sequence_length: int
    rows: list[QuickstartRow]
    benchmark: BenchmarkResult | None
    stage_seconds: dict[str, float]
    total_seconds: float
    plan: dict[str, Any]
    notes: list[str]
    reused_seconds: dict[str, float | None] = dataclasses.field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether every model passed its parity gate in every mode."""
        return all(row.passed for row in self.rows)

    @property
    def failures(self) -> list[str]:
        return [row.gate_failure() for row in self.rows if not row.passed]

    @property
    def modes(self) -> list[str]:
        return list(dict.fromkeys(row.mode for row in self.rows))

    def row(self, mixing: str, mode: str) -> QuickstartRow:
        for row in self.rows:
            if row.mixing == mixing and row.mode == mode:
                return row
        raise KeyError(f"no row for {mixing} {mode}")

    def speedup(self, mode: str) -> float | None:
        """The Transformer twin's median over FNet's in `mode` (None when either was not timed).

        Taken on the thread-CPU clock where the benchmark measured it (`ratio_clock`).
        """
        return self._ratio(self.row("attention", mode), self.row("fourier", mode))

    def quantization_speedup(self, mixing: str, mode: str = QUANTIZED_MODE) -> float | None:
        """A model's fp32 median over its `mode` median: what quantizing gained (None if not timed)."""
        if mode == "fp32" or "fp32" not in self.modes or mode not in self.modes:
            return None
        return self._ratio(self.row(mixing, "fp32"), self.row(mixing, mode))

    @property
    def ratio_clock(self) -> str:
        """The clock the speed-ups are taken on: "thread_cpu" where the benchmark measured it, else "wall"."""
        timed = [row for row in self.rows if row.p50_ms is not None]
        if self.benchmark is None or len(timed) < 2:
            return "wall"
        return (self.benchmark.ratio(timed[1].name, timed[0].name) or (None, "wall"))[1]

    @property
    def load(self):
        """The machine's load while the bundles were timed (`MachineLoad`), or None."""
        return None if self.benchmark is None else self.benchmark.machine_load

    def _ratio(self, slower: QuickstartRow, faster: QuickstartRow) -> float | None:
        if slower.p50_ms is None or faster.p50_ms is None:
            return None
        if self.benchmark is not None:
            ratio = self.benchmark.ratio(slower.name, faster.name)
            return None if ratio is None else ratio[0]
        return slower.p50_ms / faster.p50_ms

    @property
    def paths(self) -> dict[str, Path]:
        directory = QuickstartDir(self.out_dir)
        return {
            "report_md": directory.report_md,
            "report_json": directory.report_json,
            "plot": directory.plot,
            "bench_json": Path(f"{directory.bench_prefix}.json"),
            "bench_md": Path(f"{directory.bench_prefix}.md"),
        }

    def latency_settings(self) -> str:
        if self.benchmark is None:
            return "not measured (no bundle passed its gate)"
        data = self.benchmark.to_dict()
        settings, device = data["settings"], data["device"]
        runtime = device["runtime"] or {"name": "unknown", "version": ""}
        load = self.load
        clock = "thread-CPU" if self.ratio_clock == "thread_cpu" else "wall-clock"
        return (
            f"p50 of one inference, batch 1, {settings['threads'][0]} thread, {settings['runs']} runs per "
            f"model interleaved, {runtime['name']} {runtime['version']} on {device['cpu_model']} "
            f"({device['cpu_count']} CPUs); "
            + (f"{load.describe()} while timing; " if load is not None else "")
            + f"speed-ups are ratios of {clock} medians"
        )

    def load_warning(self) -> str | None:
        """The warning to show when the machine was overloaded while timing (None otherwise)."""
        load = self.load
        return None if load is None else load.warning()

    def table_rows(self) -> list[list[str]]:
        """The table's cells: a header, then one row per model and mode."""
        accuracy = f"{self.accuracy_split} accuracy"
        cells = [[
            "model", "mode", accuracy, "bundle size", "p50 latency", SPEEDUP_VS_TWIN, SPEEDUP_VS_FP32
        ]]
        for mode in self.modes:
            speedup = self.speedup(mode)
            for mixing in ("fourier", "attention"):
                row = self.row(mixing, mode)
                quantized = self.quantization_speedup(mixing, mode)
                cells.append([
                    row.model,
                    row.mode,
                    "-" if row.accuracy is None else f"{100 * row.accuracy:.1f}%",
                    "gate failed" if row.bundle_bytes is None else f"{row.bundle_bytes / MIB:.2f} MiB",
                    "-" if row.p50_ms is None else f"{row.p50_ms:.2f} ms",
                    f"{speedup:.2f}x" if mixing == "fourier" and speedup is not None else "",
                    "" if quantized is None else f"{quantized:.2f}x",
                ])
        return cells

    def format(self) -> str:
        """What the command prints: the table, the time taken and the report's paths."""
        cells = self.table_rows()
        widths = [max(len(row[column]) for row in cells) for column in range(len(cells[0]))]
        right = {2, 3, 4, 5, 6}
        lines = [
            f"fnet-keras quickstart: {self.rows[0].model} vs {self.rows[1].model} (tiny, length "
            f"{self.sequence_length})",
            f"data: {self.data}",
            f"accuracy: each bundle in LiteRT on the {self.accuracy_split} split "
            f"({self.accuracy_examples:,} texts)",
            f"latency: {self.latency_settings()}",
            *([f"WARNING: {self.load_warning()}"] if self.load_warning() else []),
            "",
        ]
        for number, row in enumerate(cells):
            line = "  ".join(
                cell.rjust(width) if column in right else cell.ljust(width)
                for column, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
            lines.append(line.rstrip())
            if number == 0:
                lines.append("  ".join("-" * width for width in widths))
        lines.append("")
        lines.append(f"took {_duration(self.total_seconds)} ({self._stage_summary(self.stage_seconds)})")
        if self.reused_seconds:
            lines.append(f"reused from the earlier run here: {self._reused_summary()}")
        lines.extend(f"FAILED: {failure}" for failure in self.failures)
        paths = self.paths
        lines.append(f"report: {paths['report_md']}")
        lines.append(f"        {paths['report_json']}")
        lines.append(f"        {paths['plot']}" if paths["plot"].is_file() else f"plot: {PLOT_MISSING}")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _stage_summary(stage_seconds: dict[str, float]) -> str:
        groups: dict[str, float] = {}
        for stage, seconds in stage_seconds.items():
            group = stage.split(" ")[0]
            groups[group] = groups.get(group, 0.0) + seconds
        return ", ".join(f"{group} {_duration(seconds)}" for group, seconds in groups.items())

    def _reused_summary(self) -> str:
        return ", ".join(
            f"{stage} {'(time not recorded)' if seconds is None else _duration(seconds)}"
            for stage, seconds in self.reused_seconds.items()
        )

    def all_stage_seconds(self) -> dict[str, float]:
        """Every stage's seconds: the reused ones as the earlier run took them, then this run's."""
        known = {stage: seconds for stage, seconds in self.reused_seconds.items() if seconds is not None}
        return {**known, **self.stage_seconds}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": f"{FORMAT}-report",
            "schema_version": SCHEMA_VERSION,
            **self.provenance_dict(),
            "out_dir": str(self.out_dir),
            "data": self.data,
            "accuracy_split": self.accuracy_split,
            "accuracy_examples": self.accuracy_examples,
            "sequence_length": self.sequence_length,
            "rows": [row.to_dict() for row in self.rows],
            "speedup": {mode: self.speedup(mode) for mode in self.modes},
            "quantization_speedup": {
                row.model: {mode: self.quantization_speedup(row.mixing, mode) for mode in self.modes[1:]}
                for row in self.rows if row.mode == self.modes[0]
            },
            "speedup_clock": self.ratio_clock,
            "latency": self.latency_settings(),
            "load": None if self.load is None else self.load.to_dict(),
            "passed": self.passed,
            "failures": self.failures,
            "stage_seconds": {
                stage: round(seconds, 1) for stage, seconds in self.all_stage_seconds().items()
            },
            "reused_stages": list(self.reused_seconds),
            "total_seconds": round(self.total_seconds, 1),
            "plan": self.plan,
            "notes": list(self.notes),
            "files": {name: str(path) for name, path in self.paths.items()},
        }

    def to_markdown(self) -> str:
        cells = self.table_rows()
        lines = [
            "# fnet-keras quickstart",
            "",
            f"- {self.provenance_line()}"
            + (f": `{self.command}`" if self.command else ""),
            f"- data: {self.data}",
            f"- models: `tiny` FNet (Fourier mixing) and its Transformer twin (the same blocks with "
            f"attention), trained from scratch at length {self.sequence_length}",
            f"- accuracy: each bundle run in LiteRT on the {self.accuracy_split} split "
            f"({self.accuracy_examples:,} texts)",
            f"- latency: {self.latency_settings()}; the whole benchmark is in {self.paths['bench_md'].name}",
            *([f"- **warning**: {self.load_warning()}"] if self.load_warning() else []),
            f"- took {_duration(self.total_seconds)}: "
            + ", ".join(f"{stage} {_duration(seconds)}" for stage, seconds in self.stage_seconds.items()),
            *([f"- reused from the earlier run here: {self._reused_summary()}"]
              if self.reused_seconds else []),
            "",
            *markdown_table(cells[0], cells[1:], "llrrrrr"),
            "",
            "## Bundles",
            "",
        ]
        bundles = [
            [row.model, row.mode, row.recipe, percent(row.keras_accuracy), percent(row.accuracy),
             percent(row.parity["agreement"]), f"{row.parity['max_abs_probability_diff']:.2e}",
             "pass" if row.passed else "FAIL", "-" if row.model_bytes is None else f"{row.model_bytes:,}",
             "-" if row.bundle_dir is None else _relative(row.bundle_dir, self.out_dir)]
            for row in self.rows
        ]
        lines += markdown_table(
            ["model", "mode", "recipe", "Keras accuracy", "bundle accuracy", "top-label agreement",
             "max abs Δp", "gate", "model.tflite bytes", "bundle"], bundles, "lllrrrrlrl")
        if self.failures:
            lines += ["", "## Failed", "", *(f"- {failure}" for failure in self.failures)]
        if self.notes:
            lines += ["", "## Notes", "", *(f"- {note}" for note in self.notes)]
        lines += ["", "## Settings", "", "```json", json.dumps(self.plan, indent=2), "```"]
        return "\n".join(lines) + "\n"

    def save(self) -> dict[str, Path]:
        """Writes report.md, report.json, report.png (without matplotlib: none, and the report says
        so) and bench.json/.md into `out_dir`; returns the paths written."""
        paths = self.paths
        written = {}
        if self.benchmark is not None:
            bench_prefix = QuickstartDir(self.out_dir).bench_prefix
            written["bench_json"], written["bench_md"] = self.benchmark.save(bench_prefix)
        if draw_plot(self, paths["plot"]):
            written["plot"] = paths["plot"]
        else:
            paths["plot"].unlink(missing_ok=True)  # a previous run's plot would describe other bundles
            if PLOT_MISSING not in self.notes:
                self.notes.append(PLOT_MISSING)
        written["report_md"] = write_text_atomic(paths["report_md"], self.to_markdown())
        written["report_json"] = write_text_atomic(
            paths["report_json"], json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        )
        return written


def draw_plot(result: QuickstartResult, path: Path) -> bool:
    """Draws the p50 latency and the accuracy of each bundle into `path` (PNG); False without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = result.modes
    colors = dict(zip(FNET_AND_TWIN, ("#1f77b4", "#ff7f0e"), strict=True))
    models = [(name, MODEL_KINDS[name].title, color) for name, color in colors.items()]
    figure, (latency_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.38
    for offset, (mixing, label, color) in zip((-width / 2, width / 2), models, strict=True):
        rows = [result.row(mixing, mode) for mode in modes]
        positions = [index + offset for index in range(len(modes))]
        latency_axes.bar(positions, [row.p50_ms or 0.0 for row in rows], width, label=label, color=color)
        accuracy_axes.bar(
            positions, [100 * (row.accuracy or 0.0) for row in rows], width, label=label, color=color
        )
    for index, mode in enumerate(modes):
        speedup = result.speedup(mode)
        if speedup is not None:
            top = max(result.row(mixing, mode).p50_ms for mixing, _, _ in models)
            latency_axes.annotate(f"FNet {speedup:.2f}x faster", (index, top), ha="center", va="bottom",
                                  xytext=(0, 4), textcoords="offset points", fontsize=9)
    for axes, title in (
        (latency_axes, "p50 latency (ms), LiteRT, 1 thread"),
        (accuracy_axes, f"{result.accuracy_split} accuracy (%)"),
    ):
        axes.set_xticks(range(len(modes)), modes)
        axes.set_title(title, fontsize=10)
        axes.legend(fontsize=8, loc="lower right" if axes is accuracy_axes else "upper left")
        axes.margins(y=0.15)
    accuracy_axes.set_ylim(0, 100)
    figure.suptitle(f"fnet-keras quickstart: tiny models at length {result.sequence_length}", fontsize=11)
    figure.tight_layout()
    with atomic_output(path) as temp:
        figure.savefig(temp, format="png", dpi=100)
    plt.close(figure)
    return True


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)


def rows_in_order(rows: Sequence[QuickstartRow]) -> list[QuickstartRow]:
    """Mode by mode, FNet first."""
    order = {"fourier": 0, "attention": 1}
    modes = list(dict.fromkeys(row.mode for row in rows))
    return sorted(rows, key=lambda row: (modes.index(row.mode), order.get(row.mixing, 2)))
