"""`quickstart`: train a tiny FNet and its Transformer twin, export fp32 and int8 bundles, time them here.

    result = quickstart(out="runs/quickstart")          # built-in ListOps data
    result.save()                                       # report.md/.json/.png, bench.json/.md
    print(result.format())                              # the table and the report's paths

The stages, each announced with the time elapsed since the start:

1. Plan (no TensorFlow): the output directory is checked (`fnet_keras.quickstart.out_dir`:
   new, a previous quickstart to continue or to start clean, or refused), the data read or,
   built in, generated into OUT/data (`fnet_keras.data.listops`).
2. Train (`fnet_keras.training.fit`) the FNet, then the twin, into OUT/fnet and OUT/transformer;
   Keras prints its progress.
3. Export (`fnet_keras.export.export_run`) each run to fp32 and int8 bundles through the parity
   gate, into RUN/bundles.
4. Bench (`fnet_keras.edge.bench`, via `fnet_keras.budget.measure_latencies`) every bundle that
   passed, interleaved, one thread: the p50 of one inference.
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
from fnet_keras.data import Dataset, LabelMap, load_dataset
from fnet_keras.data.listops import write_listops
from fnet_keras.edge.manifest import MANIFEST_NAME, MODEL_NAME, Manifest
from fnet_keras.export.ensure import ensure_bundles, plan_bundles
from fnet_keras.export.report import BUNDLES_DIR_NAME, ExportReport
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
from fnet_keras.training.ensure import ensure_run, plan_run
from fnet_keras.training.run_dir import RunDir, read_json
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

    rows = []
    for number, mixing in enumerate(MIXINGS, 1):
        title = MODEL_KINDS[mixing].title
        where = f"[{number}/{len(MIXINGS)}] {title}"
        run_dir = directory.run_dir(mixing)
        trained = _train(run_dir, dataset, settings[mixing], f"training {where}", clock, verbose)
        report = _export(run_dir, size.parity_examples, f"exporting {where}", clock, trained)
        rows.extend(_rows(run_dir, title, mixing, dataset, report))
    rows = rows_in_order(rows)
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


def _train(
    run_dir: Path, dataset: Dataset, settings: TrainSettings, what: str, clock: _Clock, verbose
) -> bool:
    """`ensure_run` with the clock's stage lines; whether it trained (or resumed) the run."""
    stage = f"training {settings.mixing}"
    # A directory without config.json is a run killed before it wrote it: nothing to keep.
    action = plan_run(settings, run_dir, discard_unstarted=True)
    if action == "reuse":
        clock.reuse(stage, f"{what}: finished run reused ({run_dir})")
        return False
    if action == "resume":
        clock.begin(stage, f"{what}: resuming the run in {run_dir}")
    else:
        clock.begin(stage, f"{what} ({settings.preset}, length {settings.sequence_length}) into {run_dir}")
    ensure_run(settings, dataset, run_dir, discard_unstarted=True, verbose=verbose)
    clock.end()
    metrics = read_json(RunDir(run_dir).metrics)
    test = metrics.get("test")
    clock.say(
        f"{what}: done; Keras dev accuracy {100 * metrics['dev']['accuracy']:.1f}%"
        + (f", test {100 * test['accuracy']:.1f}%" if test else "")
    )
    return True


def _export(run_dir: Path, parity_examples: int, what: str, clock: _Clock, trained: bool) -> ExportReport:
    """`ensure_bundles` with the clock's stage lines (a gate failure is retried: the run may differ)."""
    stage = f"export {run_dir.name}"
    plan = plan_bundles(run_dir, MODES, retry_failed=True, fresh_run=trained)
    if plan.action == "reuse":
        clock.reuse(stage, f"{what}: passing {', '.join(MODES)} bundles reused ({plan.out})")
        return plan.report
    clock.begin(stage, f"{what} to {', '.join(MODES)} through the parity gate")
    report = ensure_bundles(
        run_dir, MODES, retry_failed=True, fresh_run=trained, parity_examples=parity_examples,
        progress=lambda line: clock.say(f"  export: {line}"),
    )
    if report.failed_modes:  # the passing modes were written; the failure is a row
        clock.say(f"{what}: {', '.join(report.failed_modes)} failed the parity gate")
    clock.end()
    return report


def _rows(
    run_dir: Path, title: str, mixing: str, dataset: Dataset, report: ExportReport
) -> list[QuickstartRow]:
    """One row per mode, from the export's report, the bundles' bundle.json and metrics.json."""
    bundles = run_dir / BUNDLES_DIR_NAME
    metrics = read_json(RunDir(run_dir).metrics)
    split = "test" if metrics.get("test") else "dev"
    rows = []
    for entry in report.modes:
        bundle_dir = bundles / entry.mode if entry.passed else None
        model_bytes = bundle_bytes = accuracy = None
        if bundle_dir is not None:
            model_bytes, bundle_bytes = _bundle_sizes(bundle_dir)
            accuracy = entry.test_accuracy if split == "test" else _dev_accuracy(bundle_dir, dataset)
        rows.append(QuickstartRow(
            model=title, mixing=mixing, mode=entry.mode, recipe=entry.recipe, run_dir=run_dir,
            bundle_dir=bundle_dir, accuracy=accuracy, keras_accuracy=metrics[split]["accuracy"],
            model_bytes=model_bytes, bundle_bytes=bundle_bytes, parity=entry.parity.to_dict(),
        ))
    return rows


def _bundle_sizes(bundle_dir: Path) -> tuple[int, int]:
    """(model.tflite's bytes, the whole bundle's: its files and bundle.json), as bundle.json lists them."""
    manifest_bytes = (bundle_dir / MANIFEST_NAME).read_bytes()
    manifest = Manifest.from_bytes(manifest_bytes, bundle_dir / MANIFEST_NAME)
    files = manifest.files
    return files[MODEL_NAME][0], len(manifest_bytes) + sum(size for size, _ in files.values())


def _dev_accuracy(bundle_dir: Path, dataset: Dataset) -> float:
    """The bundle's accuracy on the dev split (LiteRT), for data without a labelled test split."""
    import numpy as np

    from fnet_keras.edge import load_bundle

    bundle = load_bundle(bundle_dir)
    truth = np.asarray(LabelMap(bundle.labels).encode(dataset.dev))
    predicted = np.asarray(bundle.classify(dataset.dev.texts).predicted_ids)
    return float(np.mean(predicted == truth))
