"""`run_budget`: train, export and time every candidate, then choose the most accurate one that fits.

Every stage resumes. `plan_candidates` decides without TensorFlow what each run directory
RUNS_DIR/PRESET-KIND-LENGTH needs (`fnet_keras.training.ensure.plan_run`,
`fnet_keras.export.ensure.plan_bundles`), refusing unusable ones before any work;
`prepare_candidates` trains or resumes the runs (`ensure_run`) and exports them (`ensure_bundles`),
a failed export being a row out of the choice. The bundles are then timed here, interleaved, or
read from a device's bench JSON, and `choose` picks the highest dev accuracy whose p50 fits. The
quickstart plans its two models through `plan_candidates` and `prepare_candidates` too.
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fnet_keras.budget.candidates import Candidate, candidate_grid
from fnet_keras.budget.errors import BudgetError
from fnet_keras.budget.latency import BUDGET_ON, check_threads, measure_latencies, profile_latencies
from fnet_keras.budget.result import BudgetResult, BudgetRow
from fnet_keras.data import Dataset, load_dataset
from fnet_keras.edge.bench_result import BenchmarkResult
from fnet_keras.edge.manifest import MANIFEST_NAME, MODEL_NAME, Manifest
from fnet_keras.export.ensure import BundlePlan, ensure_bundles, plan_bundles
from fnet_keras.export.mode_report import ModeReport
from fnet_keras.export.recipes import check_modes
from fnet_keras.presets import FNET_AND_TWIN
from fnet_keras.training.ensure import ensure_run, plan_run
from fnet_keras.training.run_dir import RunDir, read_json
from fnet_keras.training.settings import HOLDOUT_SEED

DEFAULT_PRESETS = ("tiny",)
DEFAULT_MIXINGS = (*FNET_AND_TWIN, "hybrid")
DEFAULT_LENGTHS = (128, 256, 512)
DEFAULT_QUANTIZATION = "int8"
DEFAULT_RUNS = 100
DEFAULT_TEXTS = 100
Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class CandidatePlan:
    """What a candidate still needs: `training` is `plan_run`'s "reuse", "resume" or "train"; `bundles`
    is `plan_bundles`' plan for `modes` (`export`: "reuse", "failed" before and not retried, or "export");
    `discard_unstarted`: a run directory without config.json is removed and trained anew."""

    candidate: Candidate
    training: str
    modes: tuple[str, ...]
    bundles: BundlePlan
    discard_unstarted: bool = False

    @property
    def export(self) -> str:
        return self.bundles.action

    @property
    def needs_tensorflow(self) -> bool:
        return self.training != "reuse" or self.export == "export"

    def describe(self) -> str:
        training = {"reuse": "finished run reused", "resume": "run to resume", "train": "run to train"}
        export = {"reuse": "bundle reused", "failed": "export failed before", "export": "to export"}
        return f"{training[self.training]}, {export[self.export]}"


def plan_candidates(
    candidates: Sequence[Candidate],
    modes: str | Sequence[str],
    *,
    retry_failed_exports: bool = False,
    discard_unstarted: bool = False,
) -> list[CandidatePlan]:
    """Each candidate's plan in `modes` (one or several: a row per candidate and mode). No TensorFlow.

    Raises:
        BudgetError: a run directory holds another candidate's run.
        RunDirError: a directory that is not a run and not empty, or an unreadable run.
        ExportError: an unreadable export report.
    """
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    plans = []
    for candidate in candidates:
        training = plan_run(candidate.settings, candidate.run_dir, check=candidate.check_recorded,
                            discard_unstarted=discard_unstarted)
        bundles = plan_bundles(candidate.run_dir, modes, retry_failed=retry_failed_exports,
                               fresh_run=training != "reuse")
        plans.append(CandidatePlan(candidate, training, modes, bundles, discard_unstarted))
    return plans


class Stages:
    """The progress lines of `prepare_candidates`, said before a run is reused, resumed or trained
    (`training`), after it was trained (`trained`), before or instead of an export (`exporting`, with
    the recorded failures when the plan is "failed"), after it (`exported`, failures by mode) and for an
    export refused for ops LiteRT lacks (`unsupported_ops`: every mode's failure, or raise). `where` is
    the candidate's place, "[2/3]". The quickstart overrides them with its own."""

    def __init__(self, progress: Progress | None = None):
        self.progress = progress or (lambda line: None)
        self._started = 0.0

    def say(self, line: str) -> None:
        self.progress(line)

    def training(self, where: str, plan: CandidatePlan) -> None:
        self._started = time.perf_counter()
        name, run_dir = plan.candidate.name, plan.candidate.run_dir
        if plan.training == "reuse":
            self.say(f"{where} {name}: finished run reused ({run_dir})")
        else:
            doing = "resuming the run" if plan.training == "resume" else "training"
            self.say(f"{where} {name}: {doing} in {run_dir}")

    def trained(self, where: str, plan: CandidatePlan, metrics: Mapping[str, Any]) -> None:
        self.say(f"{where} {plan.candidate.name}: trained ({time.perf_counter() - self._started:.0f} s)")

    def exporting(self, where: str, plan: CandidatePlan, failures: Mapping[str, str]) -> None:
        self._started = time.perf_counter()
        name, modes, out = plan.candidate.name, ", ".join(plan.modes), plan.bundles.out
        if plan.export == "export":
            self.say(f"{where} {name}: exporting {', '.join(plan.bundles.modes)} into {out}")
        elif plan.export == "reuse":
            shown = out / plan.modes[0] if len(plan.modes) == 1 else out
            self.say(f"{where} {name}: {modes} bundle{'s' * (len(plan.modes) > 1)} reused ({shown})")
        else:
            self.say(f"{where} {name}: {modes} export failed before ({'; '.join(failures.values())}); "
                     f"not retried")

    def exported(self, where: str, plan: CandidatePlan, failures: Mapping[str, str]) -> None:
        verdict = f"failed: {'; '.join(failures.values())}" if failures else "passed"
        self.say(f"{where} {plan.candidate.name}: export {verdict} "
                 f"({time.perf_counter() - self._started:.0f} s)")

    def unsupported_ops(self, error: Exception) -> str:
        return f"unsupported ops: {', '.join(error.ops) or error.reason}"


def prepare_candidates(
    plans: Sequence[CandidatePlan],
    dataset: Dataset,
    *,
    progress: Progress | Stages | None = None,
    verbose: str | int = 0,
    load_tensorflow: Callable[[], None] | None = None,
    export_options: Mapping[str, Any] | None = None,
) -> list[BudgetRow]:
    """Trains and exports what the plans ask for; one row per candidate and mode (without latency).

    `dataset` is what every candidate trains on (a reused run must have been trained on it);
    `load_tensorflow` is called once before the first training or export; `export_options` go to
    `fnet_keras.export.export_run` (e.g. `parity_examples`); `verbose` to `fit`.

    Raises:
        BudgetError: a reused run was trained on other data.
        DataError, RunDirError, ExportError: from training and export; a failed export is a row.
    """
    stages = progress if isinstance(progress, Stages) else Stages(progress)
    if load_tensorflow is not None and any(plan.needs_tensorflow for plan in plans):
        load_tensorflow()
    rows = []
    for number, plan in enumerate(plans, 1):
        candidate, where, out = plan.candidate, f"[{number}/{len(plans)}]", plan.bundles.out
        if plan.training == "reuse":
            _check_same_data(candidate.run_dir, dataset)
        stages.training(where, plan)
        if plan.training != "reuse":
            ensure_run(candidate.settings, dataset, candidate.run_dir, check=candidate.check_recorded,
                       discard_unstarted=plan.discard_unstarted, verbose=verbose)
        metrics = _metrics(candidate.run_dir)
        if plan.training != "reuse":
            stages.trained(where, plan, metrics)
        report = plan.bundles.report
        failures = _failures(report, plan.modes) if plan.export == "failed" else {}
        stages.exporting(where, plan, failures)
        if plan.export == "export":
            from fnet_keras.export import UnsupportedOpsError

            try:
                report = ensure_bundles(
                    candidate.run_dir, plan.bundles.modes, out, retry_failed=True,
                    fresh_run=plan.training != "reuse", progress=lambda line: stages.say(f"  export: {line}"),
                    **(export_options or {}),
                )
                failures = _failures(report, plan.modes)
            except UnsupportedOpsError as error:
                report, failures = None, dict.fromkeys(plan.modes, stages.unsupported_ops(error))
            stages.exported(where, plan, failures)
        for mode in plan.modes:
            bundle = None if mode in failures else out / mode
            rows.append(BudgetRow(
                candidate, metrics["parameters"], metrics["dev"]["accuracy"],
                (metrics.get("test") or {}).get("accuracy"), bundle,
                *(_bundle_sizes(bundle) if bundle else (None, None, None)),
                export_failure=failures.get(mode), mode=mode,
                export=None if report is None else report.mode(mode),
            ))
    return rows


def _failures(report, modes: Sequence[str]) -> dict[str, str]:
    """The asked modes that failed their gate in the `ExportReport`, with why."""
    return {mode: _gate_failure(report.mode(mode)) for mode in modes if mode in report.failed_modes}


def _gate_failure(mode: ModeReport) -> str:
    """"parity gate: int8 top-label agreement 63.85% (needs 98%)", then the other recipes tried."""
    parity, limit = mode.parity, mode.parity.thresholds.get("max_abs_probability_diff")
    text = (f"parity gate: {mode.recipe} top-label agreement {100 * parity.agreement:.2f}% "
            f"(needs {100 * parity.thresholds['agreement']:g}%)")
    if limit is not None:
        text += f", max |Δp| {parity.max_abs_probability_diff:.2e} (needs <= {limit:g})"
    others = (mode.alternatives or {}).items()
    return text + "".join(f"; also tried {name}: {entry['reason']}" for name, entry in others)


def _metrics(run_dir: Path) -> dict[str, Any]:
    path = RunDir(run_dir).metrics
    metrics = read_json(path)
    try:
        float(metrics["dev"]["accuracy"]), int(metrics["parameters"])
    except (KeyError, TypeError, ValueError):
        raise BudgetError("metrics.json lacks the dev accuracy or the parameter count", path) from None
    return metrics


def _bundle_sizes(bundle: Path) -> tuple[int, int, str]:
    """(model.tflite bytes, the whole bundle's bytes, model.tflite's SHA-256) from bundle.json."""
    manifest_bytes = (bundle / MANIFEST_NAME).read_bytes()
    manifest = Manifest.from_bytes(manifest_bytes, bundle / MANIFEST_NAME)
    model_bytes, sha256 = manifest.files[MODEL_NAME]
    return model_bytes, len(manifest_bytes) + sum(size for size, _ in manifest.files.values()), sha256


def _check_same_data(run_dir: Path, dataset: Dataset) -> None:
    """Refuses a finished run trained on other files (without TensorFlow, unlike `fit`'s resume check)."""
    recorded, given = RunDir(run_dir).load().data_info or {}, dataset.source_info()

    def hashes(info: dict[str, Any]) -> dict[str, Any]:
        return {**{name: entry.get("sha256") for name, entry in (info.get("files") or {}).items()},
                "holdout": info.get("holdout")}

    if hashes(recorded) != hashes(given):
        raise BudgetError(
            f"holds a finished run trained on other data ({recorded.get('source')}) than --data "
            f"{given.get('source')}; choose another --runs-dir",
            run_dir,
        )


def run_budget(
    data: str | os.PathLike,
    latency_ms: float,
    *,
    runs_dir: str | os.PathLike | None = None,
    presets: Iterable[str] = DEFAULT_PRESETS,
    mixings: Iterable[str] = DEFAULT_MIXINGS,
    lengths: Iterable[int] = DEFAULT_LENGTHS,
    quantization: str = DEFAULT_QUANTIZATION,
    threads: int = 1,
    budget_on: str = "model",
    profile: str | os.PathLike | BenchmarkResult | None = None,
    settings: Mapping[str, Any] | None = None,
    runs: int = DEFAULT_RUNS,
    texts: int = DEFAULT_TEXTS,
    text_column: str | int | None = None,
    label_column: str | int | None = None,
    retry_failed_exports: bool = False,
    runtime: str | None = None,
    progress: Progress | None = None,
    verbose: str | int = 0,
    load_tensorflow: Callable[[], None] | None = None,
) -> BudgetResult:
    """The most accurate candidate whose p50 fits `latency_ms` (ms), with the table behind it; its `.choice`
    is None when nothing fits (`.verdict()` says why).

    Every candidate of `candidate_grid(runs_dir, presets, mixings, lengths, settings)` (`runs_dir`
    default runs/budget/DATA_NAME; a reused run must have `settings` too) trains on `data` (columns
    `text_column`, `label_column`; None: from the header), whose dev split chooses; is exported in
    `quantization`; and is timed here at `threads` (`runs` counted runs each, `texts` dev texts end to
    end, the `runtime` package) or read from `profile`, a bench JSON file or `BenchmarkResult` measured
    on the target device. `budget_on` is the p50 that must fit: "model" (one inference) or "end-to-end"
    (tokenization + inference per text). `retry_failed_exports` exports again where this package
    version's gate failed before; `progress`, `verbose` and `load_tensorflow` are `prepare_candidates`'.

    Raises:
        BudgetError: a bad grid or option, a profile that does not cover the candidates (exit code 2).
        SettingsError, RunDirError, DataError, ExportError: bad settings, directories, data.
    """
    say = progress or (lambda line: None)
    if isinstance(latency_ms, bool) or not isinstance(latency_ms, (int, float)):
        raise BudgetError(f"the latency budget must be a number of milliseconds, got {latency_ms!r}")
    if not math.isfinite(latency_ms) or latency_ms <= 0:
        raise BudgetError(f"the latency budget must be a positive number of milliseconds, got {latency_ms!r}")
    latency_ms = float(latency_ms)
    modes = check_modes(quantization)
    if len(modes) != 1:
        raise BudgetError(f"one quantization per budget, got {', '.join(modes)}")
    quantization = modes[0]
    if budget_on not in BUDGET_ON:
        raise BudgetError(f"budget_on must be one of {', '.join(BUDGET_ON)}, got {budget_on!r}")
    for name, value, low in (("threads", threads, 1), ("runs", runs, 2), ("texts", texts, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise BudgetError(f"{name} must be an integer >= {low}, got {value!r}")
    if profile is None and budget_on == "end-to-end" and texts == 0:
        raise BudgetError("an end-to-end budget needs texts to time (texts > 0)")
    profile_path = None if profile is None or isinstance(profile, BenchmarkResult) else profile
    if profile_path is not None:
        profile = BenchmarkResult.load(Path(profile_path))
    if profile is not None:  # refused before any training
        check_threads(profile, threads, profile_path)
        if budget_on == "end-to-end" and not profile.to_dict()["settings"]["text_count"]:
            raise BudgetError(
                "the profile has no end-to-end latencies (benchmarked without --texts); benchmark with "
                "--texts FILE or budget the model alone",
                profile_path,
            )
    if runs_dir is None:  # runs/budget/NAME: the data file's or directory's name up to its first dot
        runs_dir = Path("runs") / "budget" / (Path(data).resolve().name.split(".")[0] or "data")
    runs_dir = Path(runs_dir)
    plans = plan_candidates(candidate_grid(runs_dir, presets, mixings, lengths, settings), quantization,
                            retry_failed_exports=retry_failed_exports)
    say(f"{len(plans)} candidate(s) in {runs_dir}: " + "; ".join(
        f"{plan.candidate.name} ({plan.describe()})" for plan in plans))
    say(f"reading {data}")
    dataset = load_dataset(
        data, text_column=text_column, label_column=label_column, holdout_seed=HOLDOUT_SEED
    )
    rows = prepare_candidates(plans, dataset, progress=say, verbose=verbose, load_tensorflow=load_tensorflow)
    timed = {row.name: row for row in rows if row.bundle_dir is not None}
    bundles = {name: row.bundle_dir for name, row in timed.items()}
    if not timed:
        source = {"kind": "none", "path": None, "device": None}
        return BudgetResult(rows, latency_ms, budget_on, threads, quantization, source)
    if profile is not None:
        source = {"kind": "profile", "path": None if profile_path is None else os.fspath(profile_path)}
    else:
        # Up to `texts` non-blank dev texts, drawn with a fixed seed, in their original order.
        kept = [text for text in dataset.dev.texts if text.strip()]
        sample = [kept[i] for i in sorted(random.Random(0).sample(range(len(kept)), min(texts, len(kept))))]
        say(f"timing {len(bundles)} bundle(s) here, interleaved: {runs} runs each"
            + (f", {len(sample)} dev texts end to end" if sample else ""))
        profile = measure_latencies(bundles, threads=threads, runs=runs, texts=sample, runtime=runtime,
                                    progress=lambda line: say(f"  bench: {line}"))
        source = {"kind": "measured", "path": None}
    latencies = profile_latencies(profile, {name: row.model_sha256 for name, row in timed.items()}, threads,
                                  path=profile_path, bundles=bundles)
    missing = [name for name, latency in latencies.items() if latency.end_to_end_ms is None]
    if budget_on == "end-to-end" and missing:
        raise BudgetError(f"no end-to-end latency for {', '.join(missing)} in the profile", profile_path)
    for name, latency in latencies.items():
        timed[name].latency = latency
    source.update(_describe(profile))
    return BudgetResult(rows, latency_ms, budget_on, threads, quantization, source, profile)


def _describe(profile: BenchmarkResult) -> dict[str, Any]:
    """The `latency_source` fields that describe where and how `profile` was measured."""
    data = profile.to_dict()
    device, settings = data["device"], data["settings"]
    runtime = device.get("runtime") or {}
    return {
        "device": f"{device['cpu_model']}, {device['cpu_count']} CPUs, "
        f"{device['system']} {device['machine']}",
        "runtime": f"{runtime.get('name', 'unknown')} {runtime.get('version', '')}".strip(),
        "tool": data["tool"], "runs": settings["runs"], "text_count": settings["text_count"],
        "created_utc": data["created_utc"], "load": data.get("load"),
    }
