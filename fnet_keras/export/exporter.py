"""`export_run`: a training run -> one LiteRT bundle per mode, each gated on parity with the Keras model.

    report = export_run("runs/sst2/mini-fourier", modes=("fp32", "int8"))
    print(report)       # the table: recipe, size and ratio to fp32, ops, parity, test accuracy

For each mode the candidate recipes (`recipes.candidates`) are converted in MediaPipe's layout
(`convert`), their ops read from the flatbuffer and refused if not builtin or not runnable in
MediaPipe 0.10.21, MediaPipe metadata (vocabulary and labels) attached, and the final bytes run
in LiteRT on the gate's texts (`parity`) and on the test split. Where two recipes pass (int8),
both are timed here, interleaved; the one closer to Keras is kept unless the other is clearly
faster. Bundles are written for the modes that pass; a mode that fails is reported with what to
try and written nowhere (`ParityGateError`,
after the passing ones are written). Everything goes to a staging directory first and replaces
`out_dir` in one rename, so the report always describes exactly the bundles beside it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import fnet_keras
from fnet_keras.atomic import install_directory, utc_timestamp
from fnet_keras.data import DataError, Dataset, LabelMap, load_dataset, load_dataset_from_info
from fnet_keras.edge import BundleError, LiteRTModel, write_bundle
from fnet_keras.edge.classification import softmax
from fnet_keras.edge.manifest import INPUTS, MODES, OUTPUT
from fnet_keras.edge.tflite_metadata import write_classifier_metadata
from fnet_keras.export import mediapipe_layout
from fnet_keras.export.convert import convert, write_saved_model
from fnet_keras.export.errors import ExportError, ParityGateError
from fnet_keras.export.mixing import rfft_possible
from fnet_keras.export.mode_report import ModeReport
from fnet_keras.export.parity import (
    DEFAULT_PARITY_EXAMPLES,
    check_parity_examples,
    compare_probabilities,
    gate_texts,
)
from fnet_keras.export.recipes import FOURIER_METHOD_CHOICES, Recipe, candidates, check_modes
from fnet_keras.export.report import BUNDLES_DIR_NAME, ExportReport, check_out_dir
from fnet_keras.export.tflite_ops import check_builtin_only, float_op_counts, op_counts, read_ops
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
    run_dir: str | os.PathLike,
    modes: str | Sequence[str] = MODES,
    *,
    fourier_method: str = "auto",
    representative_samples: int = DEFAULT_REPRESENTATIVE_SAMPLES,
    out_dir: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    make_zip: bool = False,
    overwrite: bool = False,
    parity_examples: int = DEFAULT_PARITY_EXAMPLES,
    name: str | None = None,
    rename_labels: dict[str, str] | None = None,
    command: str | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Exports a training run to one bundle per mode.

    Args:
        run_dir: the training run (model.keras, vocab.txt, labels.txt, config.json).
        modes: any of "fp32", "fp16", "dynamic", "int8" (a sequence or "fp32,int8").
        fourier_method: "auto" (rfft for float modes at power-of-two sizes, else dft; for int8
            of int8-rfft and int8-dft that pass, the closer to Keras unless the other is
            clearly faster), or "rfft" / "dft" for every mode.
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

    Returns:
        The `ExportReport`, saved as export_report.md/.json in `out_dir`.

    Raises:
        ExportError, RunDirError, DataError: bad run directory, data or options (exit code 2).
        UnsupportedOpsError: a model needs Flex/custom ops (exit code 1).
        ParityGateError: a mode failed its gate; the others were written (exit code 1).
    """
    say = progress or (lambda line: None)
    modes = check_modes(modes)
    if fourier_method not in FOURIER_METHOD_CHOICES:
        raise ExportError(
            f"--fourier-method must be one of {', '.join(FOURIER_METHOD_CHOICES)}, got {fourier_method!r}"
        )
    check_parity_examples(parity_examples)
    if (
        isinstance(representative_samples, bool)
        or not isinstance(representative_samples, int)
        or (representative_samples < 1)
    ):
        raise ExportError(
            f"--representative-samples must be a positive integer, got {representative_samples!r}"
        )
    run_path = Path(run_dir).resolve()
    out_dir = Path(out_dir) if out_dir is not None else run_path / BUNDLES_DIR_NAME
    check_out_dir(out_dir, overwrite)

    say(f"reading the run {run_path}")
    run = RunDir(run_path).load()
    bundle_labels = _renamed(run.label_map, rename_labels or {})
    model = run.load_model()
    dataset, data_source = _dataset(run, data)
    encoder = WordPieceEncoder(run.vocabulary, run.tokenizer_config)

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(encoder.encode_batch(texts), np.int32).reshape(len(texts), run.sequence_length)

    seed = run.settings.seed
    gate = gate_texts(dataset.dev.texts, dataset.train.texts, parity_examples, seed)
    say(f"computing the Keras reference on {gate.describe()}")
    gate_ids = encode(gate.texts)
    reference = softmax(predict_logits(model, gate_ids))
    picked = np.random.default_rng(seed).permutation(len(dataset.train))[:representative_samples]
    calibration_ids = encode([dataset.train.texts[i] for i in sorted(picked)])
    test = (
        dataset.test if dataset.test is not None and dataset.test.has_labels and len(dataset.test) else None
    )
    test_ids = test_labels = keras_test_accuracy = None
    if test is not None:
        test_labels = np.asarray(run.label_map.encode(test), np.int64)
        test_ids = encode(test.texts)
        keras_test_accuracy = float(np.mean(predict_logits(model, test_ids).argmax(axis=1) == test_labels))

    rfft_ok = rfft_possible(model)
    mode_reports = []
    with tempfile.TemporaryDirectory(prefix="fnet-keras-export-") as workdir:
        for mode in modes:
            mode_reports.append(
                _export_mode(
                    mode,
                    candidates(mode, fourier_method, rfft_ok),
                    model,
                    run,
                    workdir,
                    calibration_ids,
                    gate_ids,
                    reference,
                    test_ids,
                    test_labels,
                    bundle_labels,
                    say,
                )
            )
        # Every passing mode timed, interleaved, so that each gate result has its p50 beside it (a mode
        # whose recipes were compared keeps the timing its choice was made on).
        timed = [mode_report for mode_report in mode_reports if mode_report.passed]
        if any(mode_report.p50_ms is None for mode_report in timed):
            timings, load = _time_recipes(timed, workdir, say)
            for mode_report, (p50, cpu_p50) in zip(timed, timings, strict=True):
                if mode_report.p50_ms is None:
                    mode_report.p50_ms, mode_report.cpu_p50_ms, mode_report.latency_load = p50, cpu_p50, load
        report = ExportReport(
            run_dir=run_path,
            out_dir=out_dir,
            modes=mode_reports,
            keras_test_accuracy=keras_test_accuracy,
            test_examples=0 if test is None else len(test),
            gate=gate.describe(),
            data_source=data_source,
            notes=_notes(dataset, mode_reports),
            created=utc_timestamp(),
            package_version=fnet_keras.__version__,
            command=command,
        )
        staging = Path(
            tempfile.mkdtemp(
                dir=out_dir.parent if out_dir.parent.exists() else None,
                prefix=f".{out_dir.name}.",
                suffix=".tmp",
            )
        )
        try:
            for mode_report in mode_reports:
                if mode_report.passed:
                    say(f"writing the {mode_report.mode} bundle")
                    mode_report.bundle_dir = out_dir / mode_report.mode
                    _write_bundle(
                        staging / mode_report.mode, mode_report, model, run, bundle_labels, name, make_zip
                    )
            report.save(staging)
            _install(staging, out_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    if not report.passed:
        raise ParityGateError(report)
    return report


def _install(staging: Path, out_dir: Path) -> None:
    """Puts `staging` in place of `out_dir` (moving a previous export aside and deleting it after)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    if out_dir.is_dir() and not any(out_dir.iterdir()):
        out_dir.rmdir()
    install_directory(staging, out_dir)


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


def _export_mode(
    mode,
    recipes,
    model,
    run,
    workdir,
    calibration_ids,
    gate_ids,
    reference,
    test_ids,
    test_labels,
    labels,
    say,
) -> ModeReport:
    tried = []
    for recipe in recipes:
        say(f"{mode}: converting ({recipe.name}: {recipe.description})")
        started = time.perf_counter()
        saved = write_saved_model(model, run.sequence_length, recipe, Path(workdir))
        raw = convert(saved, recipe, calibration_ids if recipe.calibrated else None)
        ops = read_ops(raw)
        check_builtin_only(ops, f"the {recipe.name} model")
        mediapipe_layout.check_mediapipe_ops(ops, f"the {recipe.name} model")
        try:
            tflite_bytes = write_classifier_metadata(
                raw,
                run.vocabulary,
                list(labels.labels),
                name=run.path.name,
                version=fnet_keras.__version__,
                path="model.tflite",
            )
            loaded = LiteRTModel(tflite_bytes, path="model.tflite", inputs=INPUTS, output=OUTPUT["name"])
        except BundleError as error:
            raise ExportError(f"the {recipe.name} model: {error}") from None
        say(
            f"{mode}: parity gate on {len(gate_ids)} texts ({time.perf_counter() - started:.1f} s to convert)"
        )
        parity = compare_probabilities(_run(loaded, gate_ids), reference, mode)
        test_accuracy = None
        if test_ids is not None:
            test_accuracy = float(np.mean(_run(loaded, test_ids).argmax(axis=1) == test_labels))
        say(
            f"{mode}: {recipe.name} {'passed' if parity.passed else 'FAILED'} (top-label agreement "
            f"{100 * parity.agreement:.2f}%, max |Δp| {parity.max_abs_probability_diff:.2e})"
        )
        tried.append(
            (
                recipe,
                ModeReport(
                    mode=mode,
                    recipe=recipe.name,
                    fourier_method=recipe.fourier_method,
                    size_bytes=len(tflite_bytes),
                    ops=op_counts(ops),
                    float_ops=float_op_counts(ops) if mode != "fp32" else {},
                    parity=parity,
                    test_accuracy=test_accuracy,
                    tflite_bytes=tflite_bytes,
                ),
                loaded,
            )
        )
    passing = [entry for entry in tried if entry[1].passed]
    if len(passing) > 1:
        timings, load = _time_recipes([report for _, report, _ in passing], workdir, say)
        for (_, report, _), (p50, cpu_p50) in zip(passing, timings, strict=True):
            report.p50_ms, report.cpu_p50_ms, report.latency_load = p50, cpu_p50, load
    chosen = _choose(passing) if passing else tried[0]
    chosen_report = chosen[1]
    chosen_report.loaded_model = chosen[2]  # the bundle writer reuses it instead of loading the bytes again
    for recipe, report, _ in tried:
        if report is chosen_report:
            continue
        if report.passed:
            reason = (
                f"passed the gate, {report.p50_ms:.3f} ms p50 here against {chosen_report.p50_ms:.3f} ms "
                f"for {chosen_report.recipe}"
                + (f" (thread-CPU {report.cpu_p50_ms:.3f} against {chosen_report.cpu_p50_ms:.3f} ms)"
                   if report.cpu_p50_ms is not None and chosen_report.cpu_p50_ms is not None else "")
                + f"; agreement {100 * report.parity.agreement:.2f}% against "
                f"{100 * chosen_report.parity.agreement:.2f}%: kept "
                + ("the faster" if chosen_report.speed_ms < (1 - RECIPE_SPEED_MARGIN) * report.speed_ms
                   else f"the more faithful (not {100 * RECIPE_SPEED_MARGIN:.0f}% faster)")
            )
        else:
            reason = (
                f"failed the gate (top-label agreement {100 * report.parity.agreement:.2f}%, max |Δp| "
                f"{report.parity.max_abs_probability_diff:.2e})"
            )
        chosen_report.alternatives[recipe.name] = {
            "passed": report.passed,
            "p50_ms": report.p50_ms,
            "cpu_p50_ms": report.cpu_p50_ms,
            "reason": reason,
        }
    return chosen_report


def _choose(passing: list) -> tuple:
    """The most faithful passing entry, unless another is faster by RECIPE_SPEED_MARGIN (then the fastest)."""
    faithful = max(passing, key=lambda entry: entry[1].parity.agreement)
    if len(passing) == 1:
        return faithful
    fastest = min(passing, key=lambda entry: entry[1].speed_ms)
    if fastest[1].speed_ms < (1 - RECIPE_SPEED_MARGIN) * faithful[1].speed_ms:
        return fastest
    return faithful


def _run(model: LiteRTModel, token_ids: np.ndarray) -> np.ndarray:
    rows = [model.predict(ids) for ids in token_ids]
    return np.stack(rows) if rows else np.zeros((0, model.num_classes), np.float32)


def _time_recipes(reports: list[ModeReport], workdir, say) -> tuple[list[tuple[float, float | None]], dict]:
    """Median latencies (ms, batch 1, 1 thread: wall-clock, thread-CPU) of each model, timed interleaved
    (`fnet_keras.edge.bench`), and the machine's load while timing (`MachineLoad.to_dict()`)."""
    from fnet_keras.edge.bench import benchmark

    paths = []
    for report in reports:
        path = Path(workdir) / f"{report.recipe}.tflite"
        path.write_bytes(report.tflite_bytes)
        paths.append(path)
    say(
        f"timing {', '.join(report.recipe for report in reports)} "
        f"(interleaved, {RECIPE_TIMING_RUNS} runs each)"
    )
    result = benchmark(paths, runs=RECIPE_TIMING_RUNS, warmup=RECIPE_TIMING_WARMUP, memory=False)
    data = result.to_dict()
    by_name = {model["path"]: model["name"] for model in data["models"]}
    cells = {cell["model"]: cell for cell in data["cells"]}
    for note in result.notes:
        if result.machine_load is not None and note == result.machine_load.warning():
            say(f"warning: {note}")
    timings = []
    for path in paths:
        cell = cells[by_name[str(path)]]
        cpu_p50 = cell.get("inference_cpu_p50")
        timings.append((cell["inference_p50"] / 1000.0, None if cpu_p50 is None else cpu_p50 / 1000.0))
    return timings, data["load"]


def _write_bundle(
    bundle_dir: Path, report: ModeReport, model, run: Run, labels: LabelMap, name: str | None, make_zip: bool
) -> None:
    recipe = Recipe(report.mode, report.fourier_method)
    metadata = {
        "name": f"{name or run.path.name} ({report.mode})",
        "model": {
            "preset": run.settings.preset,
            "mixing": run.settings.mixing,
            "num_attention_layers": run.settings.num_attention_layers,
            "parameters": int(model.count_params()),
            "fourier_method": report.fourier_method,
        },
        "quantization": {
            "mode": report.mode,
            "recipe": report.recipe,
            "description": recipe.description,
            "float_ops": report.float_ops,
        },
        "ops": report.ops,
        "parity": report.parity.to_dict(),
        "provenance": {
            "run": {"path": str(run.path), "config_sha256": run.config_sha256},
            "init": run.init,  # the pre-training the weights started from, or None
            "distillation": run.distillation,  # the teacher (and extra text) it learned from, or None
        },
        "notes": [] if report.test_accuracy is None else [f"test accuracy {100 * report.test_accuracy:.2f}%"],
    }
    if labels.labels != run.label_map.labels:  # renamed for display: `evaluate` maps the data's spelling
        metadata["data_labels"] = list(run.label_map.labels)
    try:
        write_bundle(
            bundle_dir,
            tflite_bytes=report.tflite_bytes,
            vocabulary=run.vocabulary,
            labels=labels,
            tokenizer_config=run.tokenizer_config,
            metadata=metadata,
            make_zip=make_zip,
            model=report.loaded_model,
        )
    except BundleError as error:
        raise ExportError(f"cannot write the {report.mode} bundle: {error}") from None


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
    notes = list(dataset.notes)
    for mode in modes:
        if mode.mode != "int8":
            continue
        if not mode.float_ops:
            notes.append(f"int8 ({mode.recipe}): every op computes in int8 (apart from QUANTIZE/DEQUANTIZE)")
            continue
        listing = ", ".join(f"{name} x{count}" for name, count in mode.float_ops.items())
        notes.append(f"int8 ({mode.recipe}): ops left in float: {listing}")
        for op_name in mode.float_ops:
            if op_name in FLOAT_OP_REASONS:
                notes.append(f"int8: {op_name} stays float: {FLOAT_OP_REASONS[op_name]}")
    return notes
