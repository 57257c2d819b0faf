"""`BenchmarkResult`: what `fnet-keras bench` measured, as a versioned JSON document and a Markdown report.

The JSON document is what later tools read (latency sweeps, the budget tool). Times are
microseconds, memory bytes; a figure not measured, or that too few runs cannot support, is null.

- `schema`, `schema_version`: "fnet-keras-bench", 1; a reader refuses other versions. Additive
  changes (a new optional field) keep the version; renaming, removing or changing the meaning
  of a field bumps it.
- `created_utc` (when the run finished, "2026-11-30T03:21:00Z"); `tool`: "fnet-keras" (this
  package's timer; documents of earlier versions may say "benchmark_model" or
  "litert-benchmark", LiteRT's native and Python benchmarks); `time_unit` "us"; `memory_unit`
  "bytes".
- `settings`: `threads`, `runs` (counted runs per model and thread count), `warmup` (the first
  is the first inference), `round_runs` (runs per model per interleaving round), `memory_runs`
  (null when memory was not measured), `texts` (the texts file or null), `text_count`, `seed`
  (synthetic inputs), `timed` ("invoke"), `clock` (optional: "wall", the default, or
  "thread_cpu", the CPU time of the calling thread), `percentile_method` ("linear"), `std`
  ("population"), `min_runs` ({"p50": 2, "p90": 10, "p99": 100}: a percentile is null with
  fewer runs; `fnet_keras.edge.bench_stats`).
- `device`: `cpu_model`, `cpu_count`, `usable_cpus` (affinity), `machine`, `system`, `release`,
  `platform`, `memory_total_bytes`, `python`, `numpy`, `runtime` ({"name", "version"}).
- `load` (optional: older results lack it): {"load_1min" (the highest 1-minute load average
  before and after timing, or null), "cores" (usable CPUs), "overloaded" (load_1min > cores:
  wall-clock figures are inflated; a note says so)}; `fnet_keras.edge.machine_load`.
- `memory_baseline`: {"peak_rss_bytes", "vm_hwm_bytes"} of a process that imports the same
  modules and loads no model, or null.
- `models`, in command-line order (the first is the reference of every ratio): `name` (unique),
  `path`, `kind` ("bundle" or "tflite"), `bytes`, `sha256`, `quantization` and
  `sequence_length` (null for a .tflite), `inputs` ([{"name", "dtype", "shape", "role",
  "fill"}]), `outputs` ([{"name", "dtype", "shape"}]), `ops` (op name -> count, read from the
  file without any delegate), `op_count`, `float_ops`, `custom_ops`, `op_reader` ("schema" or
  "interpreter"; `fnet_keras.edge.model_ops`).
- `cells`, one per model and thread count: `model`, `threads`; LiteRT benchmark_model's
  figures under its names: `init` (load + allocate tensors, where the default delegate is
  applied; with "fnet-keras", in a process that already loaded and ran a model once),
  `first_inference`, `warmup_avg` (all warmup runs), `inference_avg`, `inference_std`; then
  `warmup_count`, `inference_count`, `inference_min`, `inference_max`, `inference_p50`,
  `inference_p90`, `inference_p99`; `inference_cpu_p50` (optional: median CPU time of the timing
  thread over the same runs, with 1 thread; else null); `inference_samples` (every counted run
  in the order run; empty from a tool); `round_p50` (median of each interleaving round; empty
  from a tool); `delegate` ("XNNPACK", "none", or "unknown") and `delegate_partitions`
  (DELEGATE nodes, or null); `memory`: null or {"peak_rss_bytes", "above_baseline_bytes",
  "vm_hwm_bytes", "runs", "source" ("wait4" or the tool's name)}; `end_to_end`: null or
  {"text_count", "tokenize", "inference", "total"}, each {"count", "avg", "std", "min", "max",
  "p50", "p90", "p99"} over the texts (tokenize: the bundle's pure-Python tokenizer; inference:
  inputs set, invoke, outputs read; total: their sum per text).
- `comparisons`, with two or more models, per thread count: {"threads", "reference" (the first
  model), "models": [{"model", "p50_ratio" (its inference_p50 / the reference's),
  "round_ratio" ({"min", "median", "max"} of the per-round median ratios, or null),
  "end_to_end_p50_ratio" (or null), "cpu_p50_ratio" (optional: the ratio of the thread-CPU
  medians, or null; the one to trust on a loaded machine)}]}.
- `notes`: strings (omitted percentiles, skipped measurements, caveats).
"""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path
from typing import Any

from fnet_keras.atomic import utc_timestamp, write_text_atomic
from fnet_keras.edge.machine_load import MachineLoad
from fnet_keras.errors import LocatedError
from fnet_keras.report_tables import markdown_table, three_decimals

SCHEMA = "fnet-keras-bench"
SCHEMA_VERSION = 1
TIME_UNIT = "us"
MEMORY_UNIT = "bytes"
OWN_TOOL = "fnet-keras"
# Documents of earlier versions may name LiteRT's two benchmarks; they stay readable.
TOOLS = (OWN_TOOL, "benchmark_model", "litert-benchmark")
DELEGATES = ("XNNPACK", "none", "unknown")
STATS_FIELDS = ("count", "avg", "std", "min", "max", "p50", "p90", "p99")

_NUMBER = (int, float)
_NUMBER_OR_NULL, _INT_OR_NULL = (int, float, type(None)), (int, type(None))
_STR_OR_NULL, _OBJECT_OR_NULL = (str, type(None)), (dict, type(None))
_TOP = {
    "schema": str, "schema_version": int, "created_utc": str, "tool": str, "time_unit": str,
    "memory_unit": str, "settings": dict, "device": dict, "memory_baseline": _OBJECT_OR_NULL,
    "models": list, "cells": list, "comparisons": list, "notes": list,
}
_SETTINGS = {
    "threads": list, "runs": int, "warmup": int, "round_runs": _INT_OR_NULL, "memory_runs": _INT_OR_NULL,
    "texts": _STR_OR_NULL, "text_count": int, "seed": int, "timed": str, "percentile_method": str,
    "std": str, "min_runs": dict,
}
_DEVICE = {
    "cpu_model": str, "cpu_count": _INT_OR_NULL, "usable_cpus": _INT_OR_NULL, "machine": str,
    "system": str, "release": str, "platform": str, "memory_total_bytes": _INT_OR_NULL, "python": str,
    "numpy": str, "runtime": _OBJECT_OR_NULL,
}
_BASELINE = {"peak_rss_bytes": int, "vm_hwm_bytes": _INT_OR_NULL}
_LOAD = {"load_1min": _NUMBER_OR_NULL, "cores": _INT_OR_NULL, "overloaded": bool}
_MODEL = {
    "name": str, "path": str, "kind": str, "bytes": int, "sha256": str, "quantization": _STR_OR_NULL,
    "sequence_length": _INT_OR_NULL, "inputs": list, "outputs": list, "ops": dict, "op_count": int,
    "float_ops": dict, "custom_ops": dict, "op_reader": str,
}
_CELL = {
    "model": str, "threads": int, "init": _NUMBER_OR_NULL, "first_inference": _NUMBER_OR_NULL,
    "warmup_avg": _NUMBER_OR_NULL, "warmup_count": _INT_OR_NULL, "inference_count": int,
    "inference_avg": _NUMBER, "inference_std": _NUMBER_OR_NULL, "inference_min": _NUMBER_OR_NULL,
    "inference_max": _NUMBER_OR_NULL, "inference_p50": _NUMBER_OR_NULL, "inference_p90": _NUMBER_OR_NULL,
    "inference_p99": _NUMBER_OR_NULL, "inference_samples": list, "round_p50": list, "delegate": str,
    "delegate_partitions": _INT_OR_NULL, "memory": _OBJECT_OR_NULL, "end_to_end": _OBJECT_OR_NULL,
    "inference_cpu_p50": _NUMBER_OR_NULL,
}
_MEMORY = {
    "peak_rss_bytes": int, "above_baseline_bytes": _INT_OR_NULL, "vm_hwm_bytes": _INT_OR_NULL,
    "runs": _INT_OR_NULL, "source": str,
}
_STATS = {"count": int, **{name: _NUMBER_OR_NULL for name in STATS_FIELDS[1:]}}
_END_TO_END = {"text_count": int, "tokenize": dict, "inference": dict, "total": dict}
_COMPARISON = {"threads": int, "reference": str, "models": list}
_RATIO = {
    "model": str, "p50_ratio": _NUMBER_OR_NULL, "round_ratio": _OBJECT_OR_NULL,
    "end_to_end_p50_ratio": _NUMBER_OR_NULL, "cpu_p50_ratio": _NUMBER_OR_NULL,
}
# Fields added after schema version 1 was first written: checked where present.
_ADDED_LATER = {"inference_cpu_p50", "cpu_p50_ratio"}
_JSON_NAMES = {dict: "an object", list: "an array", str: "a string", int: "an integer", float: "a number"}


class BenchResultError(LocatedError):
    """A benchmark JSON document that does not follow the schema (names the field)."""


def validate_result(data: Any, path: str | os.PathLike | None = None) -> None:
    """Checks a document against the schema (module docstring); raises `BenchResultError` naming the field."""
    _check(isinstance(data, dict), f"expected a JSON object, found {type(data).__name__}", path)
    _check(data.get("schema") == SCHEMA, f"'schema' is {data.get('schema')!r}, expected {SCHEMA!r}", path)
    version = data.get("schema_version")
    _check(
        version == SCHEMA_VERSION and not isinstance(version, bool),
        f"schema_version {version!r} is not supported: this fnet_keras reads version {SCHEMA_VERSION}",
        path,
    )
    _fields(data, _TOP, "", path)
    _check(data["tool"] in TOOLS, f"'tool' is {data['tool']!r}, expected one of {list(TOOLS)}", path)
    _check(data["time_unit"] == TIME_UNIT, f"'time_unit' must be {TIME_UNIT!r}", path)
    _check(data["memory_unit"] == MEMORY_UNIT, f"'memory_unit' must be {MEMORY_UNIT!r}", path)
    threads = _fields(data["settings"], _SETTINGS, "settings.", path)["threads"]
    _check(
        bool(threads) and all(_is_int(count) and count >= 1 for count in threads),
        "'settings.threads' must be a non-empty list of integers >= 1",
        path,
    )
    _fields(data["device"], _DEVICE, "device.", path)
    if data.get("load") is not None:
        _fields(data["load"], _LOAD, "load.", path)
    if data["memory_baseline"] is not None:
        _fields(data["memory_baseline"], _BASELINE, "memory_baseline.", path)
    models = data["models"]
    names = [_fields(model, _MODEL, f"models[{at}].", path)["name"] for at, model in enumerate(models)]
    _check(bool(names), "'models' is empty", path)
    _check(len(set(names)) == len(names), f"model names are not unique: {names}", path)
    for index, cell in enumerate(data["cells"]):
        where = f"cells[{index}]."
        _fields(cell, _CELL, where, path)
        model = cell["model"]
        _check(model in names, f"'{where}model' {model!r} is not one of the models {names}", path)
        _check(cell["delegate"] in DELEGATES, f"'{where}delegate' must be one of {list(DELEGATES)}", path)
        samples = cell["inference_samples"]
        _check(all(isinstance(sample, _NUMBER) and not isinstance(sample, bool) for sample in samples),
               f"'{where}inference_samples' must hold numbers", path)
        if cell["memory"] is not None:
            _fields(cell["memory"], _MEMORY, where + "memory.", path)
        if cell["end_to_end"] is not None:
            _fields(cell["end_to_end"], _END_TO_END, where + "end_to_end.", path)
            for part in ("tokenize", "inference", "total"):
                _fields(cell["end_to_end"][part], _STATS, f"{where}end_to_end.{part}.", path)
    for index, comparison in enumerate(data["comparisons"]):
        where = f"comparisons[{index}]."
        _fields(comparison, _COMPARISON, where, path)
        _check(comparison["reference"] in names, f"'{where}reference' is not one of the models", path)
        for position, ratio in enumerate(comparison["models"]):
            _fields(ratio, _RATIO, f"{where}models[{position}].", path)
    _check(all(isinstance(note, str) for note in data["notes"]), "'notes' must hold strings", path)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(condition: bool, reason: str, path) -> None:
    if not condition:
        raise BenchResultError(reason, path)


def _fields(obj: Any, spec: dict[str, Any], where: str, path) -> dict[str, Any]:
    """`obj`, once it is an object holding every field of `spec` with a value of its kinds."""
    if not isinstance(obj, dict):
        raise BenchResultError(f"'{where.rstrip('.')}' must be a JSON object, found {obj!r:.80}", path)
    for key, kinds in spec.items():
        if key not in obj:
            if key in _ADDED_LATER:
                continue
            raise BenchResultError(f"missing field '{where}{key}'", path)
        value = obj[key]
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        wrong = not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)
        if wrong or (isinstance(value, float) and not math.isfinite(value)):
            kinds = tuple(kind for kind in kinds if kind is not int) if float in kinds else kinds
            expected = " or ".join(
                "null" if kind is type(None) else _JSON_NAMES.get(kind, kind.__name__) for kind in kinds
            )
            raise BenchResultError(f"field '{where}{key}' must be {expected}, found {value!r:.80}", path)
    return obj


class BenchmarkResult:
    """A benchmark run's figures: `to_dict()` (the JSON document), `format()` (Markdown), `save()`.

    Args:
        data: a document following the schema (module docstring); validated.

    Example:
        result = benchmark(["export/fp32", "export/int8"], threads=[1, 2])
        print(result.format())
        result.save("docs/results/bench-tiny")   # bench-tiny.json + bench-tiny.md
        BenchmarkResult.load("docs/results/bench-tiny.json").cell("fp32", 1)["inference_p50"]
    """

    def __init__(self, data: dict[str, Any], path: str | os.PathLike | None = None):
        validate_result(data, path)
        self._data = data

    @classmethod
    def measured(cls, **sections: Any) -> BenchmarkResult:
        """A document of this package's timer, finished now: the header fields, then `sections` in order."""
        header = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "created_utc": utc_timestamp(),
                  "tool": OWN_TOOL, "time_unit": TIME_UNIT, "memory_unit": MEMORY_UNIT}
        return cls({**header, **sections})

    @classmethod
    def load(cls, path: str | os.PathLike) -> BenchmarkResult:
        """Reads and validates a saved JSON document."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise BenchResultError(f"cannot read: {error.strerror}", path) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise BenchResultError(f"not valid JSON: {error.msg}", path, error.lineno) from None
        return cls(data, path)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the JSON document."""
        return copy.deepcopy(self._data)

    @property
    def models(self) -> list[dict[str, Any]]:
        return self._data["models"]

    @property
    def cells(self) -> list[dict[str, Any]]:
        return self._data["cells"]

    @property
    def comparisons(self) -> list[dict[str, Any]]:
        return self._data["comparisons"]

    @property
    def device(self) -> dict[str, Any]:
        return self._data["device"]

    @property
    def notes(self) -> list[str]:
        return self._data["notes"]

    @property
    def machine_load(self) -> MachineLoad | None:
        """The machine's load while timing (None in results saved before it was recorded)."""
        return MachineLoad.from_dict(self._data.get("load"))

    def ratio(self, model: str, reference: str, threads: int = 1) -> tuple[float, str] | None:
        """`model`'s median over `reference`'s, and the clock it was taken on.

        The thread-CPU medians when both cells have one ("thread_cpu": what the models cost, nearly
        free of other processes), else the p50s of the timed clock (`settings.clock`); None when a
        median is missing.
        """
        cell, base = self.cell(model, threads), self.cell(reference, threads)
        if cell.get("inference_cpu_p50") is not None and base.get("inference_cpu_p50"):
            return cell["inference_cpu_p50"] / base["inference_cpu_p50"], "thread_cpu"
        if cell["inference_p50"] is None or not base["inference_p50"]:
            return None
        return cell["inference_p50"] / base["inference_p50"], self._data["settings"].get("clock") or "wall"

    def cell(self, model: str, threads: int) -> dict[str, Any]:
        """The cell of one model (by name) and thread count; KeyError if there is none."""
        for cell in self.cells:
            if cell["model"] == model and cell["threads"] == threads:
                return cell
        raise KeyError(f"no cell for model {model!r} at {threads} thread(s)")

    def save(self, path_prefix: str | os.PathLike) -> tuple[Path, Path]:
        """Writes `<prefix>.json` and `<prefix>.md` (each atomically); returns their paths."""
        prefix = os.fspath(path_prefix)
        document = json.dumps(self._data, indent=1, ensure_ascii=False) + "\n"
        return write_text_atomic(prefix + ".json", document), write_text_atomic(prefix + ".md", self.format())

    def format(self) -> str:
        """The report as Markdown: device, settings, latency table, ratios, end to end, memory, ops, notes."""
        data = self._data
        settings, device, load = data["settings"], data["device"], self.machine_load
        runtime = device["runtime"] or {"name": "unknown", "version": ""}
        if load is None:
            load_words = "not recorded"
        else:
            overloaded = " (**overloaded**: wall-clock figures inflated, see the notes)"
            load_words = load.describe() + (overloaded if load.overloaded else "")
        interleaved = len(self.models) > 1 and settings["round_runs"]
        clock = "CPU time of the timing thread" if settings.get("clock") == "thread_cpu" else "wall-clock"
        lines = [
            "# fnet-keras bench",
            "",
            f"- device: {device['cpu_model']}, {device['cpu_count']} CPUs ({device['usable_cpus']} usable), "
            f"{device['system']} {device['release']} {device['machine']}, {device['python']}",
            f"- runtime: {runtime['name']} {runtime['version']}; timed by {data['tool']}; "
            f"{data['created_utc']}",
            f"- load while timing: {load_words}",
            f"- {settings['runs']} counted runs after {settings['warmup']} warmup runs per model and "
            f"thread count"
            + (f", models interleaved in rounds of {settings['round_runs']} runs" if interleaved else ""),
            f"- times in microseconds ({clock}); percentiles by {settings['percentile_method']} "
            f"interpolation, shown only with enough runs (p90 >= {settings['min_runs']['p90']}, "
            f"p99 >= {settings['min_runs']['p99']}); std is the {settings['std']} standard deviation",
            "",
            "## Latency (us)",
            "",
        ]
        figures = ("init", "first_inference", "warmup_avg", "inference_avg", "inference_std",
                   "inference_p50", "inference_p90", "inference_p99")
        lines += markdown_table(
            ["model", "threads", "delegate", "init", "first", "warmup avg", "avg", "std", "p50", "p90",
             "p99"],
            [[cell["model"], cell["threads"], _delegate(cell), *(_us(cell[key]) for key in figures)]
             for cell in self.cells],
            "lrlrrrrrrrr",
        )
        if self.comparisons:
            lines += ["", f"## Ratios of medians (relative to {self.comparisons[0]['reference']})", ""]
            lines += markdown_table(
                ["threads", "model", "p50 ratio", "thread-CPU p50 ratio",
                 "per-round ratio min / median / max", "end-to-end p50 ratio"],
                [[comparison["threads"], ratio["model"], three_decimals(ratio["p50_ratio"]),
                  three_decimals(ratio.get("cpu_p50_ratio")), _spread(ratio["round_ratio"]),
                  three_decimals(ratio["end_to_end_p50_ratio"])]
                 for comparison in self.comparisons for ratio in comparison["models"]],
                "rlrrlr",
            )
        end_to_end = [cell for cell in self.cells if cell["end_to_end"]]
        if end_to_end:
            texts = f"{settings['text_count']} texts from {settings['texts']}"
            lines += ["", f"## End to end ({texts}; us per text)", ""]
            lines += markdown_table(
                ["model", "threads", "tokenize p50", "inference p50", "total p50", "total p90", "total avg"],
                [[cell["model"], cell["threads"], *(_us(cell["end_to_end"][part][stat]) for part, stat in (
                    ("tokenize", "p50"), ("inference", "p50"), ("total", "p50"), ("total", "p90"),
                    ("total", "avg")))] for cell in end_to_end],
                "lrrrrrr",
            )
        with_memory = [cell for cell in self.cells if cell["memory"]]
        if with_memory:
            baseline = data["memory_baseline"]
            lines += ["", "## Peak memory (MiB)", ""]
            if baseline:
                lines += [f"A process that loads no model: {_mib(baseline['peak_rss_bytes'])} MiB.", ""]
            lines += markdown_table(
                ["model", "threads", "peak RSS", "above baseline", "source"],
                [[cell["model"], cell["threads"], _mib(cell["memory"]["peak_rss_bytes"]),
                  _mib(cell["memory"]["above_baseline_bytes"]), cell["memory"]["source"]]
                 for cell in with_memory],
                "lrrrl",
            )
        lines += ["", "## Models", ""]
        lines += markdown_table(
            ["model", "path", "kind", "bytes", "ops", "most frequent ops"],
            [[model["name"], model["path"], model["kind"], model["bytes"], model["op_count"],
              ", ".join(f"{name} {count}" for name, count in list(model["ops"].items())[:6])]
             for model in self.models],
            "lllrrl",
        )
        if data["notes"]:
            lines += ["", "## Notes", "", *(f"- {note}" for note in data["notes"])]
        return "\n".join(lines) + "\n"


def _us(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def _delegate(cell: dict[str, Any]) -> str:
    partitions = cell["delegate_partitions"]
    return cell["delegate"] + (f" ({partitions} partition{'s' * (partitions > 1)})" if partitions else "")


def _spread(rounds: dict[str, float] | None) -> str:
    if rounds is None:
        return "-"
    return " / ".join(three_decimals(rounds[key]) for key in ("min", "median", "max"))


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.1f}"
