"""`export_run`: a training run -> one LiteRT bundle per mode, each gated on parity with the Keras model.

    report = export_run("runs/sst2/mini-fourier", modes=("fp32", "int8"))
    print(report)       # the table: recipe, size and ratio to fp32, ops, parity, test accuracy

For each mode the candidate recipes (`recipes.candidates`) are converted in MediaPipe's layout
(`convert`), refused if their ops are not builtin or not runnable in MediaPipe 0.10.21, given
MediaPipe metadata (vocabulary and labels), and run in LiteRT on the gate's texts (`parity`) and on
the test split; of two that pass (int8), `_choose` keeps one. Bundles are written for the modes that
pass; a mode that fails is reported with what to try and written nowhere (`ParityGateError`, after
the passing ones are written). Everything goes to a staging directory first and replaces `out_dir`
in one rename, so the report always describes exactly the bundles beside it.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import fnet_keras
from fnet_keras.atomic import install_directory
from fnet_keras.data import DataError, Dataset, LabelMap, load_dataset, load_dataset_from_info
from fnet_keras.edge import BundleError, LiteRTModel, write_bundle
from fnet_keras.edge.bench import benchmark
from fnet_keras.edge.classification import softmax
from fnet_keras.edge.manifest import INPUTS, MODES, OUTPUT
from fnet_keras.edge.model_ops import float_op_counts, op_counts
from fnet_keras.edge.tflite_metadata import write_classifier_metadata
from fnet_keras.export.convert import convert, write_saved_model
from fnet_keras.export.errors import ExportError, ParityGateError
from fnet_keras.export.mediapipe_layout import check_mediapipe_ops
from fnet_keras.export.mixing import rfft_possible
from fnet_keras.export.mode_report import ModeReport
from fnet_keras.export.parity import (
    DEFAULT_PARITY_EXAMPLES,
    check_parity_examples,
    compare_probabilities,
    gate_texts,
)
from fnet_keras.export.recipes import Recipe, candidates, check_fourier_method, check_modes
from fnet_keras.export.report import BUNDLES_DIR_NAME, ExportReport, check_out_dir
from fnet_keras.export.tflite_ops import check_builtin_only, read_ops
from fnet_keras.report_tables import percent
from fnet_keras.text import WordPieceEncoder
from fnet_keras.training.input_pipeline import predict_logits
from fnet_keras.training.run_dir import Run, RunDir

DEFAULT_REPRESENTATIVE_SAMPLES = 200
# Interleaved timing of two passing recipes: enough runs for a stable median of a small model.
RECIPE_TIMING_RUNS, RECIPE_TIMING_WARMUP = 60, 5
# A passing recipe is kept for speed only when its p50 is at least this much lower; within it (the
# noise of a shared machine, and small models where both take microseconds) the one that agrees
# more with Keras is kept, so the choice does not flip between runs.
RECIPE_SPEED_MARGIN = 0.10
FLOAT_OP_REASONS = {
    "NEG": "the negated mean inside LayerNormalization; the quantizer keeps NEG in float "
    "(per-token [1, seq, 1] tensors, negligible work)",
    "RFFT2D": "no int8 kernel: the Fourier transform is a float island (int8-rfft)",
}
Progress = Callable[[str], None]


def export_run(
    run_dir: str | os.PathLike, modes: str | Sequence[str] = MODES, *, fourier_method: str = "auto",
    representative_samples: int = DEFAULT_REPRESENTATIVE_SAMPLES, out_dir: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None, make_zip: bool = False, overwrite: bool = False,
    parity_examples: int = DEFAULT_PARITY_EXAMPLES, name: str | None = None,
    rename_labels: dict[str, str] | None = None, command: str | None = None, progress: Progress | None = None,
) -> ExportReport:
    """Exports a training run to one bundle per mode; returns the `ExportReport`, saved beside them.

    Args:
        run_dir: the training run (model.keras, vocab.txt, labels.txt, config.json).
        modes: any of "fp32", "fp16", "dynamic", "int8" (a sequence or "fp32,int8").
        fourier_method: "auto" (per mode, as `fnet_keras.export.recipes` says), or "rfft" / "dft" for
            every mode.
        representative_samples: training texts used to calibrate int8.
        out_dir: where bundles go, one subdirectory per mode (default RUN_DIR/bundles). It must
            be absent or empty, or hold a previous export and `overwrite` be set.
        data: read the data from here instead of the run's record.
        make_zip: also write `<mode>.zip` next to each bundle directory.
        overwrite: replace a previous export in `out_dir` (the whole of it).
        parity_examples: texts for the gate (>= 500; see `fnet_keras.export.parity`).
        name: the bundles' display name (default: the run directory's name).
        rename_labels: old label -> new label, to show the classes under other names in the bundles
            (labels.txt and the model's metadata); the classes and their order stay.
        command: the command line, recorded in the report.
        progress: called with a line for each stage (the CLI prints them on stderr).

    Raises:
        ExportError, RunDirError, DataError: bad run directory, data or options (exit code 2).
        UnsupportedOpsError: a model needs Flex/custom ops (exit code 1).
        ParityGateError: a mode failed its gate; the others were written (exit code 1).
    """
    say = progress or (lambda line: None)
    modes = check_modes(modes)
    check_fourier_method(fourier_method)
    check_parity_examples(parity_examples)
    samples = representative_samples
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ExportError(f"--representative-samples must be a positive integer, got {samples!r}")
    run_path = Path(run_dir).resolve()
    out_dir = Path(out_dir) if out_dir is not None else run_path / BUNDLES_DIR_NAME
    check_out_dir(out_dir, overwrite)

    say(f"reading the run {run_path}")
    run = RunDir(run_path).load()
    labels = _renamed(run.label_map, rename_labels or {})
    model = run.load_model()
    dataset, data_source = _dataset(run, data)
    encoder = WordPieceEncoder(run.vocabulary, run.tokenizer_config)

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(encoder.encode_batch(texts), np.int32).reshape(len(texts), run.sequence_length)

    gate = gate_texts(dataset.dev.texts, dataset.train.texts, parity_examples, run.settings.seed)
    say(f"computing the Keras reference on {gate.describe()}")
    gate_ids = encode(gate.texts)
    reference = softmax(predict_logits(model, gate_ids))
    picked = np.random.default_rng(run.settings.seed).permutation(len(dataset.train))[:samples]
    calibration_ids = encode([dataset.train.texts[i] for i in sorted(picked)])
    test = dataset.test
    test = test if test is not None and test.has_labels and len(test) else None
    test_ids = test_labels = keras_test_accuracy = None
    if test is not None:
        test_ids, test_labels = encode(test.texts), np.asarray(run.label_map.encode(test), np.int64)
        keras_test_accuracy = _accuracy(predict_logits(model, test_ids), test_labels)

    rfft_ok = rfft_possible(model)
    with tempfile.TemporaryDirectory(prefix="fnet-keras-export-") as workdir:
        job = _Job(model, run, labels, Path(workdir), say, calibration_ids, gate_ids, reference,
                   test_ids, test_labels)
        mode_reports = [job.export_mode(candidates(mode, fourier_method, rfft_ok)) for mode in modes]
        # Every passing mode timed, interleaved, so that each gate result has its p50 beside it (a mode
        # whose recipes were compared keeps the timing its choice was made on).
        passed = [mode_report for mode_report in mode_reports if mode_report.passed]
        if any(mode_report.p50_ms is None for mode_report in passed):
            job.time(passed)
        report = ExportReport(
            run_path, out_dir, mode_reports, keras_test_accuracy, 0 if test is None else len(test),
            gate.describe(), data_source, _notes(dataset, mode_reports), command=command,
        )
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        # Renamed into place when complete (its cleanup then finds nothing), removed on any failure.
        stage = tempfile.TemporaryDirectory(
            dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".tmp", ignore_cleanup_errors=True
        )
        with stage as staging:
            for mode_report in passed:
                say(f"writing the {mode_report.mode} bundle")
                mode_report.bundle_dir = out_dir / mode_report.mode
                job.write_bundle(Path(staging) / mode_report.mode, mode_report, name, make_zip)
            report.save(staging)
            install_directory(staging, out_dir)
    if not report.passed:
        raise ParityGateError(report)
    return report


@dataclasses.dataclass
class _Job:
    """One export's model and run, and the token ids its recipes are calibrated and measured on."""

    model: Any
    run: Run
    labels: LabelMap  # as the bundles show them
    workdir: Path
    say: Progress
    calibration_ids: np.ndarray
    gate_ids: np.ndarray
    reference: np.ndarray  # the Keras probabilities on the gate's texts
    test_ids: np.ndarray | None
    test_labels: np.ndarray | None

    def export_mode(self, recipes: list[Recipe]) -> ModeReport:
        """The recipe kept (`_choose`; the first if none passes), the others in its `alternatives`."""
        tried = [self.try_recipe(recipe) for recipe in recipes]
        passing = [report for report in tried if report.passed]
        if len(passing) > 1:
            self.time(passing)
        chosen = _choose(passing) if passing else tried[0]
        for report in tried:
            if report is not chosen:
                chosen.alternatives[report.recipe] = {
                    "passed": report.passed, "p50_ms": report.p50_ms, "cpu_p50_ms": report.cpu_p50_ms,
                    "reason": _why_not(report, chosen),
                }
        return chosen

    def try_recipe(self, recipe: Recipe) -> ModeReport:
        """Converts, checks and measures one recipe."""
        mode, what = recipe.mode, f"the {recipe.name} model"
        self.say(f"{mode}: converting ({recipe.name}: {recipe.description})")
        started = time.perf_counter()
        saved = write_saved_model(self.model, self.run.sequence_length, recipe, self.workdir)
        raw = convert(saved, recipe, self.calibration_ids if recipe.calibrated else None)
        ops = read_ops(raw)
        check_builtin_only(ops, what)
        check_mediapipe_ops(ops, what)
        try:
            tflite_bytes = write_classifier_metadata(
                raw, self.run.vocabulary, list(self.labels.labels), name=self.run.path.name,
                version=fnet_keras.__version__, path="model.tflite",
            )
            loaded = LiteRTModel(tflite_bytes, path="model.tflite", inputs=INPUTS, output=OUTPUT["name"])
        except BundleError as error:
            raise ExportError(f"{what}: {error}") from None

        def predict(token_ids: np.ndarray) -> np.ndarray:
            return np.stack([loaded.predict(ids) for ids in token_ids])

        seconds = time.perf_counter() - started
        self.say(f"{mode}: parity gate on {len(self.gate_ids)} texts ({seconds:.1f} s to convert)")
        parity = compare_probabilities(predict(self.gate_ids), self.reference, mode)
        test_accuracy = None if self.test_ids is None else _accuracy(predict(self.test_ids), self.test_labels)
        self.say(f"{mode}: {recipe.name} {'passed' if parity.passed else 'FAILED'} ({parity.describe()})")
        return ModeReport(
            mode, recipe.name, recipe.fourier_method, len(tflite_bytes), op_counts(ops),
            float_op_counts(ops) if mode != "fp32" else {}, parity, test_accuracy, tflite_bytes=tflite_bytes,
            loaded_model=loaded,  # the bundle writer reuses it instead of loading the bytes again
        )

    def time(self, reports: list[ModeReport]) -> None:
        """Times the models interleaved (batch 1, 1 thread, `fnet_keras.edge.bench`) and gives those not
        timed yet their medians in ms (wall-clock, thread-CPU) and the machine's load while timing."""
        paths = [self.workdir / f"{report.recipe}.tflite" for report in reports]
        for path, report in zip(paths, reports, strict=True):
            path.write_bytes(report.tflite_bytes)
        names = ", ".join(report.recipe for report in reports)
        self.say(f"timing {names} (interleaved, {RECIPE_TIMING_RUNS} runs each)")
        result = benchmark(paths, runs=RECIPE_TIMING_RUNS, warmup=RECIPE_TIMING_WARMUP, memory=False)
        if result.machine_load is not None and result.machine_load.warning():
            self.say(f"warning: {result.machine_load.warning()}")
        data = result.to_dict()
        cells = {model["path"]: result.cell(model["name"], 1) for model in data["models"]}
        for path, report in zip(paths, reports, strict=True):
            if report.p50_ms is None:
                cell = cells[str(path)]
                cpu_p50 = cell.get("inference_cpu_p50")
                report.p50_ms, report.latency_load = cell["inference_p50"] / 1000, data["load"]
                report.cpu_p50_ms = None if cpu_p50 is None else cpu_p50 / 1000

    def write_bundle(self, bundle_dir: Path, report: ModeReport, name: str | None, make_zip: bool) -> None:
        run, settings, accuracy = self.run, self.run.settings, report.test_accuracy
        metadata = {
            "name": f"{name or run.path.name} ({report.mode})",
            "model": {"preset": settings.preset, "mixing": settings.mixing,
                      "num_attention_layers": settings.num_attention_layers,
                      "parameters": int(self.model.count_params()), "fourier_method": report.fourier_method},
            "quantization": {"mode": report.mode, "recipe": report.recipe,
                             "description": Recipe(report.mode, report.fourier_method).description,
                             "float_ops": report.float_ops},
            "ops": report.ops,
            "parity": report.parity.to_dict(),
            "provenance": {"run": {"path": str(run.path), "config_sha256": run.config_sha256},
                           "init": run.init, "distillation": run.distillation},
            "notes": [] if accuracy is None else [f"test accuracy {percent(accuracy)}"],
        }
        # Renamed for display: `evaluate` maps the data's spelling.
        if self.labels.labels != run.label_map.labels:
            metadata["data_labels"] = list(run.label_map.labels)
        try:
            write_bundle(
                bundle_dir, tflite_bytes=report.tflite_bytes, vocabulary=run.vocabulary, labels=self.labels,
                tokenizer_config=run.tokenizer_config, metadata=metadata, make_zip=make_zip,
                model=report.loaded_model,
            )
        except BundleError as error:
            raise ExportError(f"cannot write the {report.mode} bundle: {error}") from None


def _accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(scores.argmax(axis=1) == labels))


def _clearly_faster(report: ModeReport, other: ModeReport) -> bool:
    return report.speed_ms < (1 - RECIPE_SPEED_MARGIN) * other.speed_ms


def _choose(passing: list[ModeReport]) -> ModeReport:
    """The passing recipe closest to Keras, unless another is RECIPE_SPEED_MARGIN faster: then the fastest."""
    faithful = max(passing, key=lambda report: report.parity.agreement)
    if len(passing) == 1:
        return faithful
    fastest = min(passing, key=lambda report: report.speed_ms)
    return fastest if _clearly_faster(fastest, faithful) else faithful


def _why_not(report: ModeReport, chosen: ModeReport) -> str:
    """Why `report`'s recipe was not kept, `chosen`'s was."""
    if not report.passed:
        return f"failed the gate ({report.parity.describe()})"
    cpu = "" if report.cpu_p50_ms is None or chosen.cpu_p50_ms is None else (
        f" (thread-CPU {report.cpu_p50_ms:.3f} against {chosen.cpu_p50_ms:.3f} ms)")
    kept = "the faster" if _clearly_faster(chosen, report) else (
        f"the more faithful (not {100 * RECIPE_SPEED_MARGIN:.0f}% faster)")
    return (
        f"passed the gate, {report.p50_ms:.3f} ms p50 here against {chosen.p50_ms:.3f} ms for "
        f"{chosen.recipe}{cpu}; agreement {100 * report.parity.agreement:.2f}% against "
        f"{100 * chosen.parity.agreement:.2f}%: kept {kept}"
    )


def _dataset(run: Run, data) -> tuple[Dataset, str]:
    if data is not None:
        try:
            return load_dataset(data), f"{os.fspath(data)} (--data)"
        except DataError as error:
            raise ExportError(f"cannot read the data given with --data: {error}") from None
    if run.data_info is None:
        raise ExportError(
            "the run records no data, so calibration and parity texts are unknown; pass --data PATH",
            run.path / "config.json",
        )
    try:
        dataset = load_dataset_from_info(run.data_info)
    except DataError as error:
        raise ExportError(
            f"cannot read the run's recorded data: {error}. Pass --data PATH to use another copy of it"
        ) from None
    return dataset, f"{run.data_info.get('source')} (recorded in config.json)"


def _renamed(label_map: LabelMap, renames: dict[str, str]) -> LabelMap:
    """The labels the bundles show: `renames` applied, the classes and their order unchanged."""
    unknown = [old for old in renames if old not in label_map]
    if unknown:
        raise ExportError(
            f"--rename-labels: {', '.join(map(repr, unknown))} not among the run's labels "
            f"{list(label_map.labels)}"
        )
    try:
        return LabelMap(tuple(renames.get(label, label) for label in label_map.labels))
    except DataError as error:
        raise ExportError(f"--rename-labels: {error.reason}") from None


def _notes(dataset: Dataset, modes: list[ModeReport]) -> list[str]:
    """The data's notes, then what an int8 model computes in float, and why."""
    notes = list(dataset.notes)
    int8 = next((mode for mode in modes if mode.mode == "int8"), None)
    if int8 is not None and not int8.float_ops:
        notes.append(f"int8 ({int8.recipe}): every op computes in int8 (apart from QUANTIZE/DEQUANTIZE)")
    elif int8 is not None:
        listing = ", ".join(f"{name} x{count}" for name, count in int8.float_ops.items())
        notes.append(f"int8 ({int8.recipe}): ops left in float: {listing}")
        notes += [f"int8: {op} stays float: {FLOAT_OP_REASONS[op]}" for op in int8.float_ops
                  if op in FLOAT_OP_REASONS]
    return notes
