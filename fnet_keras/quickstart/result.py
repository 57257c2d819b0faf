"""`QuickstartRow`, `QuickstartResult`: the quickstart's table (`format()`, what the command prints), its
report files and its plot (`save()`). No TensorFlow."""

from __future__ import annotations

import dataclasses
import json
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
PLOT_MISSING = "matplotlib is not installed, so no plot was drawn (pip install matplotlib, then run again)"


@dataclasses.dataclass(kw_only=True)
class QuickstartRow:
    """One exported model (`model`: "FNet" or "Transformer twin") in one `mode`, with the export `recipe`
    kept: the bundle's accuracy (LiteRT) beside the Keras model's on the same split, its sizes and p50
    here; `bundle_dir`, `accuracy`, the sizes and `p50_ms` are None when the parity gate failed.
    `parity` is the gate's figures (`ParityResult.to_dict()`)."""

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
    p50_ms: float | None = None
    parity: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.model} {self.mode}"

    @property
    def passed(self) -> bool:
        return bool(self.parity["passed"])

    def gate_failure(self) -> str:
        parity, thresholds = self.parity, self.parity["thresholds"]
        text = (f"{self.name}: parity gate failed ({self.recipe}: top-label agreement "
                f"{100 * parity['agreement']:.2f}%, needs {100 * thresholds['agreement']:g}%")
        if thresholds.get("max_abs_probability_diff") is not None:
            text += (f"; max |Δp| {parity['max_abs_probability_diff']:.2e}, needs <= "
                     f"{thresholds['max_abs_probability_diff']:g}")
        return text + ")"

    def to_dict(self) -> dict[str, Any]:
        bundle_dir = None if self.bundle_dir is None else str(self.bundle_dir)
        return {"name": self.name, **dataclasses.asdict(self), "run_dir": str(self.run_dir),
                "bundle_dir": bundle_dir}


@dataclasses.dataclass
class QuickstartResult(Provenance):
    """What a quickstart trained, exported and measured: the accuracy split ("test", or "dev" when the
    data has no labelled test split) and its size, one row per model and mode (FNet first within each
    mode), the interleaved `benchmark` of the bundles (None when none passed its gate), the wall-clock
    seconds of each stage this run carried out and of the whole, and `reused_seconds`: the stages an
    earlier run here carried out and this one reused, with the seconds its report recorded (or None).
    `plan` is what quickstart.json records; `created`, `package_version`, `command` its `Provenance`."""

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
        """The Transformer twin's median over FNet's in `mode` (None when either was not timed)."""
        return self._ratio(self.row("attention", mode), self.row("fourier", mode))

    def quantization_speedup(self, mixing: str, mode: str = QUANTIZED_MODE) -> float | None:
        """A model's fp32 median over its `mode` median: what quantizing gained (None if not timed)."""
        if mode == "fp32" or "fp32" not in self.modes or mode not in self.modes:
            return None
        return self._ratio(self.row(mixing, "fp32"), self.row(mixing, mode))

    def _ratio(self, slower: QuickstartRow, faster: QuickstartRow) -> float | None:
        """On the benchmark's thread-CPU clock where it measured it (`BenchmarkResult.ratio`)."""
        if slower.p50_ms is None or faster.p50_ms is None:
            return None
        if self.benchmark is None:
            return slower.p50_ms / faster.p50_ms
        ratio = self.benchmark.ratio(slower.name, faster.name)
        return None if ratio is None else ratio[0]

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

    @property
    def paths(self) -> dict[str, Path]:
        return QuickstartDir(self.out_dir).files

    def latency_settings(self) -> str:
        if self.benchmark is None:
            return "not measured (no bundle passed its gate)"
        settings, device = self.benchmark.to_dict()["settings"], self.benchmark.device
        runtime = device["runtime"] or {"name": "unknown", "version": ""}
        clock = "thread-CPU" if self.ratio_clock == "thread_cpu" else "wall-clock"
        return (
            f"p50 of one inference, batch 1, {settings['threads'][0]} thread, {settings['runs']} runs per "
            f"model interleaved, {runtime['name']} {runtime['version']} on {device['cpu_model']} "
            f"({device['cpu_count']} CPUs); "
            + (f"{self.load.describe()} while timing; " if self.load is not None else "")
            + f"speed-ups are ratios of {clock} medians"
        )

    def table_rows(self) -> list[list[str]]:
        """The table's cells: a header, then one row per model and mode. The speed-ups: the twin's median
        over FNet's in the row's mode, and the model's fp32 median over its median in the row's mode."""
        cells = [["model", "mode", f"{self.accuracy_split} accuracy", "bundle size", "p50 latency",
                  "FNet speed-up vs twin", f"{QUANTIZED_MODE} speed-up vs fp32"]]
        for mode in self.modes:
            speedup = self.speedup(mode)
            for mixing in FNET_AND_TWIN:
                row, quantized = self.row(mixing, mode), self.quantization_speedup(mixing, mode)
                cells.append([
                    row.model, row.mode,
                    "-" if row.accuracy is None else f"{100 * row.accuracy:.1f}%",
                    "gate failed" if row.bundle_bytes is None else f"{row.bundle_bytes / 2**20:.2f} MiB",
                    "-" if row.p50_ms is None else f"{row.p50_ms:.2f} ms",
                    f"{speedup:.2f}x" if mixing == "fourier" and speedup is not None else "",
                    "" if quantized is None else f"{quantized:.2f}x",
                ])
        return cells

    def format(self) -> str:
        """What the command prints: the table, the time taken and the report's paths."""
        cells = self.table_rows()
        widths = [max(len(row[column]) for row in cells) for column in range(len(cells[0]))]
        warning = self.load and self.load.warning()
        lines = [
            f"fnet-keras quickstart: {self.rows[0].model} vs {self.rows[1].model} (tiny, length "
            f"{self.sequence_length})",
            f"data: {self.data}",
            f"accuracy: each bundle in LiteRT on the {self.accuracy_split} split "
            f"({self.accuracy_examples:,} texts)",
            f"latency: {self.latency_settings()}",
            *([f"WARNING: {warning}"] if warning else []),
            "",
        ]
        for number, row in enumerate(cells):  # the first two columns left-aligned, the figures right
            aligned = [cell.rjust(width) if column >= 2 else cell.ljust(width)
                       for column, (cell, width) in enumerate(zip(row, widths, strict=True))]
            lines.append("  ".join(aligned).rstrip())
            if number == 0:
                lines.append("  ".join("-" * width for width in widths))
        groups: dict[str, float] = {}  # "training fourier" and "training attention" count as "training"
        for stage, seconds in self.stage_seconds.items():
            groups[stage.split(" ")[0]] = groups.get(stage.split(" ")[0], 0.0) + seconds
        lines += ["", f"took {_duration(self.total_seconds)} ("
                  + ", ".join(f"{group} {_duration(seconds)}" for group, seconds in groups.items()) + ")"]
        if self.reused_seconds:
            lines.append(f"reused from the earlier run here: {self._reused_summary()}")
        lines.extend(f"FAILED: {failure}" for failure in self.failures)
        paths = self.paths
        lines += [f"report: {paths['report_md']}", f"        {paths['report_json']}",
                  f"        {paths['plot']}" if paths["plot"].is_file() else f"plot: {PLOT_MISSING}"]
        return "\n".join(lines) + "\n"

    def _reused_summary(self) -> str:
        return ", ".join(
            f"{stage} {'(time not recorded)' if seconds is None else _duration(seconds)}"
            for stage, seconds in self.reused_seconds.items()
        )

    def to_dict(self) -> dict[str, Any]:
        # The reused stages keep the seconds the earlier run took for them.
        reused = {stage: seconds for stage, seconds in self.reused_seconds.items() if seconds is not None}
        return {
            "schema": f"{FORMAT}-report", "schema_version": SCHEMA_VERSION, **self.provenance_dict(),
            "out_dir": str(self.out_dir), "data": self.data, "accuracy_split": self.accuracy_split,
            "accuracy_examples": self.accuracy_examples, "sequence_length": self.sequence_length,
            "rows": [row.to_dict() for row in self.rows],
            "speedup": {mode: self.speedup(mode) for mode in self.modes},
            "quantization_speedup": {
                row.model: {mode: self.quantization_speedup(row.mixing, mode) for mode in self.modes[1:]}
                for row in self.rows if row.mode == self.modes[0]
            },
            "speedup_clock": self.ratio_clock, "latency": self.latency_settings(),
            "load": None if self.load is None else self.load.to_dict(),
            "passed": self.passed, "failures": self.failures,
            "stage_seconds": {
                stage: round(seconds, 1) for stage, seconds in {**reused, **self.stage_seconds}.items()
            },
            "reused_stages": list(self.reused_seconds), "total_seconds": round(self.total_seconds, 1),
            "plan": self.plan, "notes": list(self.notes),
            "files": {name: str(path) for name, path in self.paths.items()},
        }

    def to_markdown(self) -> str:
        cells, warning = self.table_rows(), self.load and self.load.warning()
        lines = [
            "# fnet-keras quickstart",
            "",
            f"- {self.provenance_line()}" + (f": `{self.command}`" if self.command else ""),
            f"- data: {self.data}",
            f"- models: `tiny` FNet (Fourier mixing) and its Transformer twin (the same blocks with "
            f"attention), trained from scratch at length {self.sequence_length}",
            f"- accuracy: each bundle run in LiteRT on the {self.accuracy_split} split "
            f"({self.accuracy_examples:,} texts)",
            f"- latency: {self.latency_settings()}; the whole benchmark is in {self.paths['bench_md'].name}",
            *([f"- **warning**: {warning}"] if warning else []),
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
        paths, written = self.paths, {}
        if self.benchmark is not None:
            prefix = paths["bench_json"].with_suffix("")  # `save` writes PREFIX.json and PREFIX.md
            written["bench_json"], written["bench_md"] = self.benchmark.save(prefix)
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

    modes, width = result.modes, 0.38
    figure, (latency_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    colors = ("#1f77b4", "#ff7f0e")
    for offset, mixing, color in zip((-width / 2, width / 2), FNET_AND_TWIN, colors, strict=True):
        rows, label = [result.row(mixing, mode) for mode in modes], MODEL_KINDS[mixing].title
        positions = [index + offset for index in range(len(modes))]
        latency_axes.bar(positions, [row.p50_ms or 0.0 for row in rows], width, label=label, color=color)
        accuracy = [100 * (row.accuracy or 0.0) for row in rows]
        accuracy_axes.bar(positions, accuracy, width, label=label, color=color)
    for index, mode in enumerate(modes):
        speedup = result.speedup(mode)
        if speedup is not None:
            top = max(result.row(mixing, mode).p50_ms for mixing in FNET_AND_TWIN)
            latency_axes.annotate(f"FNet {speedup:.2f}x faster", (index, top), ha="center", va="bottom",
                                  xytext=(0, 4), textcoords="offset points", fontsize=9)
    titles = ("p50 latency (ms), LiteRT, 1 thread", f"{result.accuracy_split} accuracy (%)")
    for axes, title in zip((latency_axes, accuracy_axes), titles, strict=True):
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
