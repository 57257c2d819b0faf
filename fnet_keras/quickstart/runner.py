"""`quickstart`: train a tiny FNet and its Transformer twin, export fp32 and dynamic bundles, time them here.

    result = quickstart(out="runs/quickstart")          # built-in ListOps data
    result.save()                                       # report.md/.json/.png, bench.json/.md
    print(result.format())                              # the table and the report's paths

The stages, each announced with the time elapsed since the start:

1. Plan (no TensorFlow): the output directory is checked (`fnet_keras.quickstart.out_dir`:
   new, a previous quickstart to continue or to start clean, or refused), the data read or,
   built in, generated into OUT/data (`fnet_keras.data.listops`).
2. Train and export: the two models are candidates of the budget planner
   (`fnet_keras.budget.plan_candidates`, `prepare_candidates`) in fp32 and dynamic (`sizes.MODES`:
   dynamic range, int8 weights and float activations), run directories OUT/fnet and
   OUT/transformer: each run is trained (Keras prints its progress), resumed or
   reused, then exported through the parity gate into RUN/bundles, or its passing bundles reused.
3. Bench (`fnet_keras.edge.bench`, via `fnet_keras.budget.measure_latencies`) every bundle that
   passed, interleaved, one thread: the p50 of one inference; the quickstart's own table
   (`fnet_keras.quickstart.result`) from the planner's rows.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fnet_keras
from fnet_keras.atomic import utc_timestamp
from fnet_keras.budget.candidates import GRID_SETTINGS, Candidate
from fnet_keras.budget.result import BudgetRow
from fnet_keras.budget.runner import CandidatePlan, Stages, plan_candidates, prepare_candidates
from fnet_keras.data import Dataset, LabelMap, load_dataset
from fnet_keras.data.listops import write_listops
from fnet_keras.presets import MODEL_KINDS
from fnet_keras.quickstart.errors import QuickstartError
from fnet_keras.quickstart.out_dir import QuickstartDir
from fnet_keras.quickstart.result import QuickstartResult, QuickstartRow, rows_in_order
from fnet_keras.quickstart.sizes import (
    MIXINGS,
    MODES,
    QuickstartSize,
    choose_sequence_length,
    get_size,
    user_data_settings,
)
from fnet_keras.training.settings import HOLDOUT_SEED, TrainSettings

DEFAULT_OUT = Path("runs") / "quickstart"
Progress = Callable[[str], None]


class _Clock:
    """Stage lines prefixed with the time elapsed since the start, and each stage's duration."""

    def __init__(self, progress: Progress | None):
        self.started = time.perf_counter()
        self.progress = progress or (lambda line: None)
        self.stage_seconds: dict[str, float] = {}
        # Stages an earlier run here carried out: their seconds as its report recorded them, and
        # those of them this run reuses (the report keeps them rather than this run's nothing).
        self.earlier_seconds: dict[str, float] = {}
        self.reused_seconds: dict[str, float | None] = {}
        self._stage: tuple[str, float] | None = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def say(self, message: str) -> None:
        self.progress(f"[{self.elapsed():5.0f} s] {message}")

    def begin(self, stage: str, message: str) -> None:
        self.end()
        self._stage = (stage, time.perf_counter())
        self.say(message)

    def reuse(self, stage: str, message: str) -> None:
        """A stage not carried out because an earlier run's result is reused: keeps that run's time."""
        self.end()
        self.reused_seconds[stage] = self.earlier_seconds.get(stage)
        self.say(message)

    def end(self) -> None:
        if self._stage is not None:
            stage, started = self._stage
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + time.perf_counter() - started
            self._stage = None


def quickstart(
    data: str | os.PathLike | None = None,
    out: str | os.PathLike = DEFAULT_OUT,
    *,
    size: str | QuickstartSize = "default",
    sequence_length: int | None = None,
    epochs: int | None = None,
    fresh: bool = False,
    text_column: str | int | None = None,
    label_column: str | int | None = None,
    progress: Progress | None = None,
    verbose: str | int = 0,
    load_tensorflow: Callable[[], Any] | None = None,
    command: str | None = None,
) -> QuickstartResult:
    """Trains, exports and benchmarks a tiny FNet and its Transformer twin; returns the table behind it.

    Args:
        data: the user's labelled data (a file or a GLUE-style directory, `fnet_keras.data.load_dataset`),
            or None for the built-in ListOps data, generated into OUT/data.
        out: the output directory (layout and reuse: `fnet_keras.quickstart.out_dir`).
        size: "default", "small" (the same pipeline at test size) or a `QuickstartSize`. With `data`,
            only its parity-gate and benchmark sizes apply.
        sequence_length: with `data`: the models' length (default: the power of two that holds 95% of
            the training texts, estimated from their words, at most 512).
        epochs: with `data`: training epochs (default: the package's schedule, `TrainSettings`).
        fresh: start clean even where `out` holds a previous quickstart with the same plan.
        text_column, label_column: with `data`: the columns to read (None: from the header).
        progress: called with one line per stage, prefixed with the seconds elapsed.
        verbose: Keras' training progress (0: none, 1: a bar, 2: a line per epoch).
        load_tensorflow: called once before TensorFlow is first needed (default
            `fnet_keras.quiet.load_tensorflow`: imported without its start-up logging).
        command: the command line, recorded in the report.

    Returns:
        The `QuickstartResult` (not yet saved: call `.save()`). A model whose parity gate failed in a
        mode is a row without a bundle (`.passed` is False, `.failures` says why).

    Raises:
        QuickstartError: an unusable `out`, an unknown size, options that need `data`.
        DataError, SettingsError, RunDirError, ExportError: bad data, settings or run directories.
    """
    clock = _Clock(progress)
    size = get_size(size)
    if data is None and (sequence_length is not None or epochs is not None):
        raise QuickstartError(
            "--sequence-length and --epochs apply to your own --data; the built-in data's are set by --size"
        )
    directory = QuickstartDir(out)
    recorded = directory.recorded_plan()  # refuses an unusable --out before any work
    notes: list[str] = []

    if data is None:
        settings = {mixing: size.train_settings(mixing) for mixing in MIXINGS}
        described = size.describe_data()
        data_plan: dict[str, Any] = {"kind": "listops", "size": size.to_dict()}
        dataset = None
    else:
        clock.begin("data", f"reading {os.fspath(data)}")
        dataset = load_dataset(
            _resolved(data), text_column=text_column, label_column=label_column, holdout_seed=HOLDOUT_SEED
        )
        length = sequence_length or choose_sequence_length(dataset.train.texts)
        settings = {mixing: user_data_settings(mixing, length, epochs) for mixing in MIXINGS}
        described = f"{os.fspath(data)} ({len(dataset.train):,} train / {len(dataset.dev):,} dev" + (
            f" / {len(dataset.test):,} test)" if dataset.test is not None else ")"
        )
        if sequence_length is None:
            notes.append(
                f"length {length}: the power of two that holds 95% of the training texts (estimated from "
                f"their words); --sequence-length chooses another"
            )
        data_plan = {"kind": "user", "source": dataset.source_info(),
                     "columns": {"text": text_column, "label": label_column}}
    plan = json.loads(json.dumps({
        "data": data_plan,
        "settings": {MODEL_KINDS[mixing].title: settings[mixing].to_dict() for mixing in MIXINGS},
        "modes": list(MODES),
        "parity_examples": size.parity_examples,
    }))
    if recorded is not None:
        if fresh or recorded != plan:
            why = "--fresh" if fresh else "it used other data or settings"
            clock.say(f"starting clean in {directory.path}: a previous quickstart is there ({why})")
            directory.start_clean()
        else:
            clock.say(f"continuing the previous quickstart in {directory.path}: finished runs and passing "
                      f"bundles are reused")
            clock.earlier_seconds = _earlier_stage_seconds(directory)
            notes.append("continued a previous quickstart in the same directory: finished stages were reused")
    directory.write_marker(plan, fnet_keras.__version__)

    if dataset is None:
        clock.begin("data", f"writing {described} into {directory.data}")
        write_listops(
            directory.data, train=size.train_rows, dev=size.dev_rows, test=size.test_rows,
            config=size.listops, seed=size.seed,
        )
        dataset = load_dataset(directory.data.resolve(), holdout_seed=HOLDOUT_SEED)
    notes.extend(dataset.notes)

    clock.begin("tensorflow", "loading TensorFlow")
    if load_tensorflow is None:
        from fnet_keras.quiet import load_tensorflow
    load_tensorflow()

    # Two candidates of the budget planner. A run directory without config.json is a run killed before
    # it wrote it: nothing to keep. A gate failure is retried: the run may differ.
    candidates = [_candidate(settings[mixing], directory.run_dir(mixing)) for mixing in MIXINGS]
    plans = plan_candidates(candidates, MODES, retry_failed_exports=True, discard_unstarted=True)
    prepared = prepare_candidates(plans, dataset, progress=_Stages(clock), verbose=verbose,
                                  export_options={"parity_examples": size.parity_examples})
    rows = rows_in_order([_row(row, dataset) for row in prepared])
    accuracy_split = "test" if dataset.test is not None and dataset.test.has_labels else "dev"

    benchmark = None
    timed = {row.name: row.bundle_dir for row in rows if row.bundle_dir is not None}
    if timed:
        from fnet_keras.budget.latency import measure_latencies

        clock.begin("bench", f"timing {len(timed)} bundles here, interleaved, {size.bench_runs} runs each")
        benchmark = measure_latencies(
            timed, threads=1, runs=size.bench_runs, progress=lambda line: clock.say(f"  bench: {line}")
        )
        for row in rows:
            if row.bundle_dir is not None:
                row.p50_ms = benchmark.cell(row.name, 1)["inference_p50"] / 1000.0
    clock.end()
    clock.say("done")
    return QuickstartResult(
        out_dir=directory.path,
        data=described,
        accuracy_split=accuracy_split,
        accuracy_examples=len(dataset.test if accuracy_split == "test" else dataset.dev),
        sequence_length=settings["fourier"].sequence_length,
        rows=rows,
        benchmark=benchmark,
        stage_seconds=dict(clock.stage_seconds),
        total_seconds=clock.elapsed(),
        plan=plan,
        notes=notes,
        created=utc_timestamp(),
        package_version=fnet_keras.__version__,
        command=command,
        reused_seconds=dict(clock.reused_seconds),
    )


def _earlier_stage_seconds(directory: QuickstartDir) -> dict[str, float]:
    """The stage seconds the previous quickstart's report.json recorded here ({} without a readable one)."""
    try:
        recorded = json.loads(directory.report_json.read_text(encoding="utf-8"))["stage_seconds"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not isinstance(recorded, dict):
        return {}
    return {
        stage: float(seconds) for stage, seconds in recorded.items()
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
    }


def _resolved(data: str | os.PathLike) -> str | os.PathLike:
    """A path made absolute (so the runs' records name it wherever they are read); `tfds:` as given."""
    text = os.fspath(data)
    return text if text.startswith("tfds:") else Path(text).resolve()


def _candidate(settings: TrainSettings, run_dir: Path) -> Candidate:
    """A model as a budget candidate in its own run directory: a run there must have all its settings."""
    given = {key: value for key, value in settings.to_dict().items() if key not in GRID_SETTINGS}
    kind = MODEL_KINDS[settings.mixing]
    return Candidate(settings.preset, kind, settings.sequence_length, settings, run_dir, given)


class _Stages(Stages):
    """The quickstart's stage lines for `prepare_candidates`, each stage timed by the clock."""

    def __init__(self, clock: _Clock):
        super().__init__(clock.say)
        self.clock = clock

    def training(self, where: str, plan: CandidatePlan) -> None:
        settings, run_dir = plan.candidate.settings, plan.candidate.run_dir
        what, stage = f"training {where} {plan.candidate.kind.title}", f"training {settings.mixing}"
        if plan.training == "reuse":
            self.clock.reuse(stage, f"{what}: finished run reused ({run_dir})")
        elif plan.training == "resume":
            self.clock.begin(stage, f"{what}: resuming the run in {run_dir}")
        else:
            length = settings.sequence_length
            self.clock.begin(stage, f"{what} ({settings.preset}, length {length}) into {run_dir}")

    def trained(self, where: str, plan: CandidatePlan, metrics) -> None:
        self.clock.end()
        dev, test = metrics["dev"]["accuracy"], (metrics.get("test") or {}).get("accuracy")
        self.say(f"training {where} {plan.candidate.kind.title}: done; Keras dev accuracy {100 * dev:.1f}%"
                 + ("" if test is None else f", test {100 * test:.1f}%"))

    def exporting(self, where: str, plan: CandidatePlan, failures) -> None:
        what, modes = f"exporting {where} {plan.candidate.kind.title}", ", ".join(plan.modes)
        stage = f"export {plan.candidate.run_dir.name}"
        if plan.export == "reuse":
            self.clock.reuse(stage, f"{what}: passing {modes} bundles reused ({plan.bundles_dir})")
        else:
            self.clock.begin(stage, f"{what} to {modes} through the parity gate")

    def exported(self, where: str, plan: CandidatePlan, failures) -> None:
        if failures:  # the passing modes were written; the failure is a row
            failed = ", ".join(failures)
            self.say(f"exporting {where} {plan.candidate.kind.title}: {failed} failed the parity gate")
        self.clock.end()

    def unsupported_ops(self, error: Exception) -> str:
        raise error


def _row(row: BudgetRow, dataset: Dataset) -> QuickstartRow:
    """The quickstart's row for the planner's: the bundle's accuracy on the labelled test split (the
    export measured it) or else on dev (LiteRT, here), beside the Keras model's on the same split."""
    on_test = row.test_accuracy is not None
    accuracy = None
    if row.bundle_dir is not None:
        accuracy = row.export.test_accuracy if on_test else _dev_accuracy(row.bundle_dir, dataset)
    kind, export = row.candidate.kind, row.export
    return QuickstartRow(
        model=kind.title, mixing=kind.name, mode=row.mode, recipe=export.recipe,
        run_dir=row.candidate.run_dir, bundle_dir=row.bundle_dir, accuracy=accuracy,
        keras_accuracy=row.test_accuracy if on_test else row.dev_accuracy, model_bytes=row.model_bytes,
        bundle_bytes=row.bundle_bytes, parity=export.parity.to_dict(),
    )


def _dev_accuracy(bundle_dir: Path, dataset: Dataset) -> float:
    """The bundle's accuracy on the dev split (LiteRT), for data without a labelled test split."""
    import numpy as np

    from fnet_keras.edge import load_bundle

    bundle = load_bundle(bundle_dir)
    truth = np.asarray(LabelMap(bundle.labels).encode(dataset.dev))
    predicted = np.asarray(bundle.classify(dataset.dev.texts).predicted_ids)
    return float(np.mean(predicted == truth))
