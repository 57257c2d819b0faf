"""`run_budget`: train, export and time every candidate, then choose the most accurate one that fits.

    result = run_budget("../shared/data/imdb", 5.0, presets=["tiny"], mixings=["fourier", "attention"],
                        lengths=[128, 256], settings={"vocabulary_size": 16000})
    print(result.format())          # the table and the choice
    result.choice                   # a BudgetRow, or None when nothing fits

The stages, each resumable:

1. Plan (no TensorFlow): each candidate's run directory `RUNS_DIR/PRESET-KIND-LENGTH` is
   reused when finished (never retrained), resumed when started, trained when absent; a
   directory holding another candidate's run, or anything else, is refused before any work.
2. Train (`fnet_keras.training.fit`): the package's training defaults plus the candidate's
   settings and the ones given.
3. Export (`fnet_keras.export.export_run`, one quantization) into `RUN_DIR/bundles`: a bundle
   whose export passed is reused. A failed export (the parity gate, or ops LiteRT lacks) makes
   the candidate a table row marked "export failed", out of the choice; a parity-gate failure
   recorded in the export report by this package version is not retried unless asked.
4. Latency: the bundles timed here, interleaved (`fnet_keras.edge.bench`; model only, and end
   to end with tokenization over a seeded sample of dev texts), or read from a profile: a
   bench JSON measured on the target device, matched by the SHA-256 of each model.tflite.
5. Choice (`fnet_keras.budget.result.choose`): the highest dev accuracy whose p50 fits; ties
   go to the faster. Test accuracy is reported, never used.

Stages 1-3 (`plan_candidates`, `prepare_candidates`) also serve other callers: they take several
modes (a row per candidate and mode) and a `Stages` that words the progress; the quickstart plans
its two models in fp32 and int8 through them.
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
from fnet_keras.budget.latency import (
    BUDGET_ON,
    Latency,
    check_threads,
    load_profile,
    measure_latencies,
    profile_latencies,
)
from fnet_keras.budget.result import BudgetResult, BudgetRow
from fnet_keras.data import Dataset, load_dataset
from fnet_keras.edge.bench_result import BenchmarkResult
from fnet_keras.edge.manifest import MANIFEST_NAME, MODEL_NAME, Manifest
from fnet_keras.export.ensure import BundlePlan, ensure_bundles, plan_bundles
from fnet_keras.export.recipes import check_modes
from fnet_keras.export.report import ExportReport
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
TEXT_SAMPLE_SEED = 0
Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class CandidatePlan:
    """What a candidate still needs, decided without TensorFlow.

    Attributes:
        candidate: the grid entry.
        training: "reuse" (a finished run), "resume" (a started one) or "train" (a new one).
        modes: the modes asked for.
        bundles: what `ensure_bundles` will do (`BundlePlan`): its `action` is "reuse" (passing
            bundles), "failed" (a recorded gate failure, not retried) or "export"; an export writes
            its `modes`: the asked ones, plus those already in RUN_DIR/bundles (an export replaces
            the whole directory, so they are made again).
        discard_unstarted: a run directory without config.json is removed and trained anew.
    """

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

    @property
    def bundles_dir(self) -> Path:
        return self.bundles.out

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
    """Each candidate's plan in `modes` (one mode or several; see the module docstring); refuses
    unusable run directories first. `discard_unstarted`: as `fnet_keras.training.ensure.plan_run`.

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


def gate_failure(mode: Mapping[str, Any]) -> str:
    """Why a mode failed its gate, every recipe tried, from `ModeReport.to_dict()`: "parity gate: int8
    top-label agreement 63.85% (needs 98%)", then "; also tried int8-dft: failed the gate (...)"."""
    parity = mode["parity"]
    thresholds = parity["thresholds"]
    parts = [
        f"{mode.get('recipe', mode['mode'])} top-label agreement {100 * parity['agreement']:.2f}% "
        f"(needs {100 * thresholds['agreement']:g}%)"
    ]
    if thresholds.get("max_abs_probability_diff") is not None:
        parts.append(
            f"max |Δp| {parity['max_abs_probability_diff']:.2e} (needs <= "
            f"{thresholds['max_abs_probability_diff']:g})"
        )
    others = "".join(
        f"; also tried {name}: {entry['reason']}" for name, entry in (mode.get("alternatives") or {}).items()
    )
    return "parity gate: " + ", ".join(parts) + others


class Stages:
    """What `prepare_candidates` says at each step of a candidate: the budget's lines.

    A caller with lines of its own (the quickstart) overrides the methods. `where` is "[2/3]": the
    candidate's place in the plans.
    """

    def __init__(self, progress: Progress | None = None):
        self.say = progress or (lambda line: None)
        self._started = 0.0

    def training(self, where: str, plan: CandidatePlan) -> None:
        """Before the run is reused, resumed or trained."""
        self._started = time.perf_counter()
        name, run_dir = plan.candidate.name, plan.candidate.run_dir
        if plan.training == "reuse":
            self.say(f"{where} {name}: finished run reused ({run_dir})")
        else:
            doing = "resuming the run" if plan.training == "resume" else "training"
            self.say(f"{where} {name}: {doing} in {run_dir}")

    def trained(self, where: str, plan: CandidatePlan, metrics: Mapping[str, Any]) -> None:
        """After the run was resumed or trained (not called for a reused one)."""
        self.say(f"{where} {plan.candidate.name}: trained ({time.perf_counter() - self._started:.0f} s)")

    def exporting(self, where: str, plan: CandidatePlan, failures: Mapping[str, str]) -> None:
        """Before the export, or instead of it: `failures` are the recorded ones (plan "failed")."""
        self._started = time.perf_counter()
        name, modes = plan.candidate.name, ", ".join(plan.modes)
        if plan.export == "export":
            self.say(f"{where} {name}: exporting {', '.join(plan.bundles.modes)} into {plan.bundles_dir}")
        elif plan.export == "reuse":
            shown = plan.bundles_dir / plan.modes[0] if len(plan.modes) == 1 else plan.bundles_dir
            self.say(f"{where} {name}: {modes} bundle{'s' * (len(plan.modes) > 1)} reused ({shown})")
        else:
            self.say(f"{where} {name}: {modes} export failed before ({'; '.join(failures.values())}); "
                     f"not retried")

    def exported(self, where: str, plan: CandidatePlan, failures: Mapping[str, str]) -> None:
        """After an export: `failures` by mode (empty when every asked mode passed)."""
        verdict = f"failed: {'; '.join(failures.values())}" if failures else "passed"
        self.say(f"{where} {plan.candidate.name}: export {verdict} "
                 f"({time.perf_counter() - self._started:.0f} s)")

    def unsupported_ops(self, error: Exception) -> str:
        """An export refused for ops LiteRT lacks: the failure of every mode (or raise it)."""
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

    Args:
        plans: from `plan_candidates`.
        dataset: the data every candidate trains on (a reused run must have been trained on it).
        progress: called with one line per stage, or the `Stages` that says them.
        verbose: `fit`'s progress output (0: none).
        load_tensorflow: called once before the first training or export (the CLI loads
            TensorFlow quietly there).
        export_options: passed to `fnet_keras.export.export_run` (e.g. `parity_examples`).

    Raises:
        BudgetError: a reused run was trained on other data.
        DataError, RunDirError, ExportError: from training and export (bad data, directories,
            options); a failed export is a row, not an error.
    """
    stages = progress if isinstance(progress, Stages) else Stages(progress)
    if load_tensorflow is not None and any(plan.needs_tensorflow for plan in plans):
        load_tensorflow()
    rows = []
    for number, plan in enumerate(plans, 1):
        candidate, where = plan.candidate, f"[{number}/{len(plans)}]"
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
                    candidate.run_dir, plan.bundles.modes, plan.bundles_dir, retry_failed=True,
                    fresh_run=plan.training != "reuse", progress=lambda line: stages.say(f"  export: {line}"),
                    **(export_options or {}),
                )
                failures = _failures(report, plan.modes)
            except UnsupportedOpsError as error:
                report, failures = None, dict.fromkeys(plan.modes, stages.unsupported_ops(error))
            stages.exported(where, plan, failures)
        for mode in plan.modes:
            bundle = None if mode in failures else plan.bundles_dir / mode
            rows.append(BudgetRow(
                candidate, metrics["parameters"], metrics["dev"]["accuracy"],
                (metrics.get("test") or {}).get("accuracy"), bundle,
                *(_bundle_sizes(bundle) if bundle else (None, None, None)),
                export_failure=failures.get(mode), mode=mode,
                export=None if report is None else report.mode(mode),
            ))
    return rows


def _failures(report: ExportReport, modes: Sequence[str]) -> dict[str, str]:
    """The asked modes that failed their gate in `report`, with why."""
    return {mode: gate_failure(report.mode(mode).to_dict()) for mode in modes if mode in report.failed_modes}


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
    recorded = RunDir(run_dir).load().data_info or {}
    given = dataset.source_info()

    def hashes(info: dict[str, Any]) -> dict[str, Any]:
        files = {name: entry.get("sha256") for name, entry in (info.get("files") or {}).items()}
        return {**files, "holdout": info.get("holdout")}

    if hashes(recorded) != hashes(given):
        raise BudgetError(
            f"holds a finished run trained on other data ({recorded.get('source')}) than --data "
            f"{given.get('source')}; choose another --runs-dir",
            run_dir,
        )


def sample_texts(texts: Sequence[str], count: int, seed: int = TEXT_SAMPLE_SEED) -> list[str]:
    """Up to `count` non-blank texts drawn without replacement with `seed`, in their original order."""
    kept = [index for index, text in enumerate(texts) if text.strip()]
    picked = sorted(random.Random(seed).sample(kept, min(count, len(kept))))
    return [texts[index] for index in picked]


def default_runs_dir(data: str | os.PathLike) -> Path:
    """runs/budget/NAME, NAME the data directory's (or file's) name up to its first dot."""
    name = Path(os.fspath(data)).resolve().name.split(".")[0] or "data"
    return Path("runs") / "budget" / name


def check_budget(latency_ms: Any) -> float:
    if isinstance(latency_ms, bool) or not isinstance(latency_ms, (int, float)):
        raise BudgetError(f"the latency budget must be a number of milliseconds, got {latency_ms!r}")
    if not math.isfinite(latency_ms) or latency_ms <= 0:
        raise BudgetError(f"the latency budget must be a positive number of milliseconds, got {latency_ms!r}")
    return float(latency_ms)


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
    """The most accurate candidate whose p50 latency fits `latency_ms`, with the table behind it.

    Args:
        data: the labelled data (`fnet_keras.data.load_dataset`): every candidate trains on it,
            its dev split chooses, and dev texts time end-to-end latency.
        latency_ms: the budget: a p50 in milliseconds.
        runs_dir: the candidates' run directories (default runs/budget/DATA_NAME).
        presets, mixings, lengths: the grid (`fnet_keras.budget.candidates.MODEL_KINDS` names
            the mixings).
        quantization: the bundles' mode (fp32, fp16, dynamic or int8).
        threads: interpreter threads (a profile must have measured this count).
        budget_on: "model" (one inference) or "end-to-end" (tokenization + inference per text).
        profile: a bench JSON file (or `BenchmarkResult`) measured on the target device, instead
            of timing here.
        settings: `TrainSettings` fields for every new run beyond the grid's (e.g.
            {"vocabulary_size": 16000}); a reused run must have been trained with them.
        runs: counted runs per model when timing here.
        texts: dev texts timed end to end when timing here (0: model only).
        text_column, label_column: columns of `data` (None: from the header).
        retry_failed_exports: export again where this package version's gate failed before.
        runtime: the LiteRT interpreter package for timing here.
        progress: called with one line per stage (the CLI prints them on stderr).
        verbose: `fit`'s progress output.
        load_tensorflow: called once before the first training or export.

    Returns:
        The `BudgetResult`: `.choice` is None when nothing fits (`.verdict()` says why).

    Raises:
        BudgetError: an empty or bad grid, bad options, a profile that does not cover the
            candidates (exit code 2).
        SettingsError, RunDirError, DataError, ExportError: bad settings, directories, data.
    """
    say = progress or (lambda line: None)
    latency_ms = check_budget(latency_ms)
    quantization = _one_quantization(quantization)
    if budget_on not in BUDGET_ON:
        raise BudgetError(f"budget_on must be one of {', '.join(BUDGET_ON)}, got {budget_on!r}")
    for name, value, low in (("threads", threads, 1), ("runs", runs, 2), ("texts", texts, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise BudgetError(f"{name} must be an integer >= {low}, got {value!r}")
    if profile is None and budget_on == "end-to-end" and texts == 0:
        raise BudgetError("an end-to-end budget needs texts to time (texts > 0)")
    profile_path = None if profile is None or isinstance(profile, BenchmarkResult) else profile
    if profile_path is not None:
        profile = load_profile(profile_path)
    if profile is not None:
        _check_profile_settings(profile, threads, budget_on, profile_path)
    runs_dir = Path(runs_dir) if runs_dir is not None else default_runs_dir(data)
    candidates = candidate_grid(runs_dir, presets, mixings, lengths, settings)
    plans = plan_candidates(candidates, quantization, retry_failed_exports=retry_failed_exports)
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
        source = {"kind": "profile", "path": None if profile_path is None else os.fspath(profile_path),
                  **_describe(profile)}
    else:
        sample = sample_texts(dataset.dev.texts, texts)
        say(f"timing {len(bundles)} bundle(s) here, interleaved: {runs} runs each"
            + (f", {len(sample)} dev texts end to end" if sample else ""))
        profile = measure_latencies(
            bundles, threads=threads, runs=runs, texts=sample, runtime=runtime,
            progress=lambda line: say(f"  bench: {line}"),
        )
        source = {"kind": "measured", "path": None, **_describe(profile)}
    latencies = profile_latencies(
        profile, {name: row.model_sha256 for name, row in timed.items()}, threads, path=profile_path,
        bundles=bundles,
    )
    if budget_on == "end-to-end":
        _check_end_to_end(latencies, profile_path)
    for name, latency in latencies.items():
        timed[name].latency = latency
    return BudgetResult(rows, latency_ms, budget_on, threads, quantization, source, profile)


def _one_quantization(quantization: str) -> str:
    modes = check_modes(quantization)
    if len(modes) != 1:
        raise BudgetError(f"one quantization per budget, got {', '.join(modes)}")
    return modes[0]


def _check_profile_settings(profile: BenchmarkResult, threads: int, budget_on: str, path) -> None:
    settings = profile.to_dict()["settings"]
    check_threads(profile, threads, path)
    if budget_on == "end-to-end" and not settings["text_count"]:
        raise BudgetError(
            "the profile has no end-to-end latencies (benchmarked without --texts); benchmark with "
            "--texts FILE or budget the model alone",
            path,
        )


def _check_end_to_end(latencies: Mapping[str, Latency], path) -> None:
    missing = [name for name, latency in latencies.items() if latency.end_to_end_ms is None]
    if missing:
        raise BudgetError(f"no end-to-end latency for {', '.join(missing)} in the profile", path)


def _describe(profile: BenchmarkResult) -> dict[str, Any]:
    data = profile.to_dict()
    device, settings = data["device"], data["settings"]
    runtime = device.get("runtime") or {}
    return {
        "device": f"{device['cpu_model']}, {device['cpu_count']} CPUs, "
        f"{device['system']} {device['machine']}",
        "runtime": f"{runtime.get('name', 'unknown')} {runtime.get('version', '')}".strip(),
        "tool": data["tool"],
        "runs": settings["runs"],
        "text_count": settings["text_count"],
        "created_utc": data["created_utc"],
        "load": data.get("load"),  # the machine's load while timing (`fnet_keras.edge.machine_load`)
    }
