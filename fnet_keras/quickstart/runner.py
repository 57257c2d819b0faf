"""`quickstart`: train a tiny FNet and its Transformer twin, export fp32 and dynamic bundles, time them here.

The output directory is checked (`out_dir`) and the data read or generated without TensorFlow. The
two models are then a two-candidate plan of the budget planner (`plan_candidates`,
`prepare_candidates`) in `sizes.MODES`, in run directories OUT/fnet and OUT/transformer; every
bundle that passed its gate is timed here, interleaved (`measure_latencies`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fnet_keras._version import __version__
from fnet_keras.budget.candidates import GRID_SETTINGS, Candidate
from fnet_keras.budget.latency import measure_latencies
from fnet_keras.budget.result import BudgetRow
from fnet_keras.budget.runner import CandidatePlan, Progress, Stages, plan_candidates, prepare_candidates
from fnet_keras.data import Dataset, LabelMap, load_dataset
from fnet_keras.data.listops import write_listops
from fnet_keras.presets import FNET_AND_TWIN, MODEL_KINDS
from fnet_keras.quickstart.errors import QuickstartError
from fnet_keras.quickstart.out_dir import QuickstartDir
from fnet_keras.quickstart.result import QuickstartResult, QuickstartRow
from fnet_keras.quickstart.sizes import (
    MODES,
    QuickstartSize,
    choose_sequence_length,
    get_size,
    user_data_settings,
)
from fnet_keras.training.settings import HOLDOUT_SEED

DEFAULT_OUT = Path("runs") / "quickstart"


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
        data: the user's labelled data (`fnet_keras.data.load_dataset`), or None for the built-in
            ListOps data, generated into OUT/data.
        out: the output directory (layout and reuse: `fnet_keras.quickstart.out_dir`).
        size: "default", "small" or a `QuickstartSize`; with `data`, only its parity-gate and benchmark
            sizes apply.
        sequence_length, epochs, text_column, label_column: with `data` only: the models' length
            (default: the power of two that holds 95% of the training texts, at most 512), the epochs
            (default: the package's schedule) and the columns to read (default: from the header).
        fresh: start clean even where `out` holds a previous quickstart with the same plan.
        progress: called with one line per stage, prefixed with the seconds elapsed.
        verbose: Keras' training progress (0: none, 1: a bar, 2: a line per epoch).
        load_tensorflow: called before TensorFlow is first needed (default `fnet_keras.quiet`'s).
        command: the command line, recorded in the report.

    Returns:
        The `QuickstartResult`, not yet saved; a mode whose parity gate failed is a row without a bundle.

    Raises:
        QuickstartError: an unusable `out`, an unknown size, options that need `data`.
        DataError, SettingsError, RunDirError, ExportError: bad data, settings or run directories.
    """
    stages = _Stages(progress)
    size = get_size(size)
    if data is None and (sequence_length is not None or epochs is not None):
        raise QuickstartError(
            "--sequence-length and --epochs apply to your own --data; the built-in data's are set by --size"
        )
    directory = QuickstartDir(out)
    recorded = directory.recorded_plan()  # refuses an unusable --out before any work
    notes: list[str] = []

    if data is None:
        settings = {mixing: size.train_settings(mixing) for mixing in FNET_AND_TWIN}
        described = size.describe_data()
        data_plan: dict[str, Any] = {"kind": "listops", "size": size.to_dict()}
        dataset = None
    else:
        stages.begin("data", f"reading {os.fspath(data)}")
        # Absolute, so the runs' records name it wherever they are read; `tfds:` as given.
        source = os.fspath(data) if os.fspath(data).startswith("tfds:") else Path(data).resolve()
        dataset = load_dataset(
            source, text_column=text_column, label_column=label_column, holdout_seed=HOLDOUT_SEED
        )
        length = sequence_length or choose_sequence_length(dataset.train.texts)
        settings = {mixing: user_data_settings(mixing, length, epochs) for mixing in FNET_AND_TWIN}
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
        "settings": {MODEL_KINDS[mixing].title: settings[mixing].to_dict() for mixing in FNET_AND_TWIN},
        "modes": list(MODES),
        "parity_examples": size.parity_examples,
    }))
    if recorded is not None:
        if fresh or recorded != plan:
            why = "--fresh" if fresh else "it used other data or settings"
            stages.say(f"starting clean in {directory.path}: a previous quickstart is there ({why})")
            directory.start_clean()
        else:
            stages.say(f"continuing the previous quickstart in {directory.path}: finished runs and passing "
                      f"bundles are reused")
            stages.earlier_seconds = _earlier_stage_seconds(directory)
            notes.append("continued a previous quickstart in the same directory: finished stages were reused")
    directory.write_marker(plan, __version__)

    if dataset is None:
        stages.begin("data", f"writing {described} into {directory.data}")
        write_listops(directory.data, train=size.train_rows, dev=size.dev_rows, test=size.test_rows,
                      config=size.listops, seed=size.seed)
        dataset = load_dataset(directory.data.resolve(), holdout_seed=HOLDOUT_SEED)
    notes.extend(dataset.notes)

    stages.begin("tensorflow", "loading TensorFlow")
    if load_tensorflow is None:
        from fnet_keras.quiet import load_tensorflow
    load_tensorflow()

    # Each model a budget candidate in its own run directory: a run there must have all its settings.
    # A run directory without config.json is a run killed before it wrote it: nothing to keep. A gate
    # failure is retried: the run may differ.
    candidates = [
        Candidate(model.preset, MODEL_KINDS[model.mixing], model.sequence_length, model,
                  directory.run_dir(model.mixing),
                  {key: value for key, value in model.to_dict().items() if key not in GRID_SETTINGS})
        for model in settings.values()
    ]
    plans = plan_candidates(candidates, MODES, retry_failed_exports=True, discard_unstarted=True)
    prepared = prepare_candidates(plans, dataset, progress=stages, verbose=verbose,
                                  export_options={"parity_examples": size.parity_examples})
    # Mode by mode, FNet first.
    rows = sorted((_row(row, dataset) for row in prepared),
                  key=lambda row: (MODES.index(row.mode), FNET_AND_TWIN.index(row.mixing)))
    accuracy_split = "test" if dataset.test is not None and dataset.test.has_labels else "dev"

    benchmark = None
    timed = {row.name: row.bundle_dir for row in rows if row.bundle_dir is not None}
    if timed:
        stages.begin("bench", f"timing {len(timed)} bundles here, interleaved, {size.bench_runs} runs each")
        benchmark = measure_latencies(timed, threads=1, runs=size.bench_runs,
                                      progress=lambda line: stages.say(f"  bench: {line}"))
        for row in rows:
            if row.bundle_dir is not None:
                row.p50_ms = benchmark.cell(row.name, 1)["inference_p50"] / 1000.0
    stages.end()
    stages.say("done")
    return QuickstartResult(
        out_dir=directory.path, data=described, accuracy_split=accuracy_split,
        accuracy_examples=len(dataset.test if accuracy_split == "test" else dataset.dev),
        sequence_length=settings["fourier"].sequence_length, rows=rows, benchmark=benchmark,
        stage_seconds=dict(stages.stage_seconds), total_seconds=stages.elapsed(), plan=plan, notes=notes,
        command=command, reused_seconds=dict(stages.reused_seconds),
    )


def _earlier_stage_seconds(directory: QuickstartDir) -> dict[str, float]:
    """The stage seconds the previous quickstart's report.json recorded here ({} without a readable one)."""
    try:
        recorded = json.loads(directory.files["report_json"].read_text(encoding="utf-8"))["stage_seconds"]
        return {stage: float(seconds) for stage, seconds in recorded.items()
                if isinstance(seconds, (int, float)) and not isinstance(seconds, bool)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


class _Stages(Stages):
    """The quickstart's progress: each line prefixed with the time elapsed since the start, each stage
    (its own, and those of `prepare_candidates`) timed."""

    def __init__(self, progress: Progress | None):
        super().__init__(progress)
        self.started = time.perf_counter()
        self.stage_seconds: dict[str, float] = {}
        # The stage seconds an earlier run here recorded, and those of the stages this run reuses.
        self.earlier_seconds: dict[str, float] = {}
        self.reused_seconds: dict[str, float | None] = {}
        self._stage: tuple[str, float] | None = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def say(self, line: str) -> None:
        self.progress(f"[{self.elapsed():5.0f} s] {line}")

    def begin(self, stage: str, message: str) -> None:
        self.end()
        self._stage = (stage, time.perf_counter())
        self.say(message)

    def reuse(self, stage: str, message: str) -> None:
        self.end()
        self.reused_seconds[stage] = self.earlier_seconds.get(stage)
        self.say(message)

    def end(self) -> None:
        if self._stage is not None:
            stage, started = self._stage
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + time.perf_counter() - started
            self._stage = None

    def training(self, where: str, plan: CandidatePlan) -> None:
        settings, run_dir = plan.candidate.settings, plan.candidate.run_dir
        what, stage = f"training {where} {plan.candidate.kind.title}", f"training {settings.mixing}"
        if plan.training == "reuse":
            self.reuse(stage, f"{what}: finished run reused ({run_dir})")
        elif plan.training == "resume":
            self.begin(stage, f"{what}: resuming the run in {run_dir}")
        else:
            length = settings.sequence_length
            self.begin(stage, f"{what} ({settings.preset}, length {length}) into {run_dir}")

    def trained(self, where: str, plan: CandidatePlan, metrics) -> None:
        self.end()
        dev, test = metrics["dev"]["accuracy"], (metrics.get("test") or {}).get("accuracy")
        self.say(f"training {where} {plan.candidate.kind.title}: done; Keras dev accuracy {100 * dev:.1f}%"
                 + ("" if test is None else f", test {100 * test:.1f}%"))

    def exporting(self, where: str, plan: CandidatePlan, failures) -> None:
        what, modes = f"exporting {where} {plan.candidate.kind.title}", ", ".join(plan.modes)
        stage = f"export {plan.candidate.run_dir.name}"
        if plan.export == "reuse":
            self.reuse(stage, f"{what}: passing {modes} bundles reused ({plan.bundles.out})")
        else:
            self.begin(stage, f"{what} to {modes} through the parity gate")

    def exported(self, where: str, plan: CandidatePlan, failures) -> None:
        if failures:  # the passing modes were written; the failure is a row
            failed = ", ".join(failures)
            self.say(f"exporting {where} {plan.candidate.kind.title}: {failed} failed the parity gate")
        self.end()

    def unsupported_ops(self, error: Exception) -> str:
        raise error


def _row(row: BudgetRow, dataset: Dataset) -> QuickstartRow:
    """The planner's row as the quickstart's: the bundle's accuracy on the labelled test split (the export
    measured it) or else on dev (LiteRT, here), beside the Keras model's on the same split."""
    on_test, export = row.test_accuracy is not None, row.export
    accuracy = None
    if row.bundle_dir is not None:
        accuracy = export.test_accuracy if on_test else _dev_accuracy(row.bundle_dir, dataset)
    return QuickstartRow(
        model=row.candidate.kind.title, mixing=row.candidate.kind.name, mode=row.mode, recipe=export.recipe,
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
    return float(np.mean(np.asarray(bundle.classify(dataset.dev.texts).predicted_ids) == truth))
