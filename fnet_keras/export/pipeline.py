"""`export_run`: a training run -> one LiteRT bundle per quantization mode, gated on parity.

    report = export_run("runs/sst2/mini-fourier", quantizations=("fp32", "int8"))
    print(report)       # the table: size and ratio to fp32, ops, parity, test accuracy

Steps for each mode: choose the FourierMixing method (`mixing.choose_mixing`), set it on
the loaded model, trace a fresh serving function, convert with builtin ops only
(`convert`), list the ops from the flatbuffer and refuse Flex/custom ops (`tflite_ops`),
run the model in LiteRT on the dev examples and compare with the Keras reference
(`parity`), and score the test split. Only when every mode passes its gate are the bundles
written (`fnet_keras.edge.write_bundle`, atomic per bundle) and the report saved.
"""

from __future__ import annotations

import datetime
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import fnet_keras
from fnet_keras.export.convert import (
    QUANTIZATIONS,
    check_quantizations,
    convert_saved_model,
    write_saved_model,
)
from fnet_keras.export.errors import ExportError, ParityGateError
from fnet_keras.export.inputs import ExportInputs, check_counts, prepare_inputs
from fnet_keras.export.mixing import MIXING_CHOICES, apply_mixing, choose_mixing, fourier_shapes
from fnet_keras.export.mode_report import ModeReport
from fnet_keras.export.parity import compare_logits, tflite_runner
from fnet_keras.export.report import ExportReport
from fnet_keras.export.run_source import RunSource, load_run
from fnet_keras.export.tflite_ops import check_builtin_only, float_op_counts, op_counts, read_ops

BUNDLES_DIR_NAME = "bundles"
# Why an op is left in float by TF 2.21's int8 quantizer, for the report's notes.
FLOAT_OP_REASONS = {
    "NEG": "the negated mean inside LayerNormalization; the quantizer keeps NEG in float "
    "(per-token [1, seq, 1] tensors, negligible work)",
    "RFFT2D": "no int8 kernel; mixing 'dft' keeps the Fourier transform in int8",
}


def load_model(run_dir: str | os.PathLike):
    """A freshly loaded model.keras (safe mode), with fnet_keras's layers registered."""
    import keras

    # Importing the classifier imports the backbone and layers, registering every serializable class.
    from fnet_keras.models import TextClassifier  # noqa: F401

    path = Path(run_dir) / "model.keras"
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises ValueError, TypeError, OSError, zipfile errors...
        raise ExportError(f"cannot load the Keras model: {type(error).__name__}: {error}", path) from None


def export_run(
    run_dir: str | os.PathLike,
    quantizations: str | Sequence[str] = QUANTIZATIONS,
    mixing: str = "auto",
    representative_samples: int = 200,
    out_dir: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    *,
    int8_output: bool = False,
    make_zip: bool = False,
    parity_examples: int = 1000,
    command: str | None = None,
) -> ExportReport:
    """Exports a training run to one bundle per quantization mode.

    Args:
        run_dir: the training run (model.keras, vocab.txt, labels.txt, config.json).
        quantizations: any of "fp32", "fp16", "dynamic", "int8" (a sequence or "fp32,int8").
        mixing: "auto" (rfft for float modes at power-of-two sizes, else dft; dft for int8),
            or "rfft" / "dft" for every mode.
        representative_samples: training texts used to calibrate int8.
        out_dir: where bundles go, one subdirectory per mode (default RUN_DIR/bundles).
        data: read the data from here instead of the run's record.
        int8_output: int8 only: int8 logits (scale and zero point in bundle.json).
        make_zip: also write `<mode>.zip` next to each bundle directory.
        parity_examples: dev examples for the gate (>= 500; all of dev if fewer).
        command: the command line, recorded in the report.

    Returns:
        The `ExportReport`, already saved as export_report.md/.json in `out_dir`.

    Raises:
        ExportError: bad run directory, data or options (exit code 2 on the command line).
        UnsupportedOpsError: a model needs Flex/custom ops (exit code 1).
        ParityGateError: a mode failed its gate; nothing was written (exit code 1).
    """
    quantizations = check_quantizations(quantizations)
    if mixing not in MIXING_CHOICES:
        raise ExportError(f"mixing must be one of {', '.join(MIXING_CHOICES)}, got {mixing!r}")
    check_counts(parity_examples, representative_samples)
    source = load_run(run_dir, data)
    out_dir = Path(out_dir) if out_dir is not None else source.run_dir / BUNDLES_DIR_NAME
    _check_targets(out_dir, quantizations, make_zip)
    model = load_model(source.run_dir)
    inputs = prepare_inputs(model, source, parity_examples, representative_samples)
    return export_model(
        model,
        source,
        inputs,
        quantizations,
        out_dir,
        mixing=mixing,
        int8_output=int8_output,
        make_zip=make_zip,
        command=command,
    )


def export_model(
    model,
    source: RunSource,
    inputs: ExportInputs,
    quantizations: Sequence[str],
    out_dir: str | os.PathLike,
    *,
    mixing: str = "auto",
    int8_output: bool = False,
    make_zip: bool = False,
    command: str | None = None,
) -> ExportReport:
    """Converts, checks and gates every mode of `model`, then writes the bundles and report.

    `inputs.reference_logits` must come from this model before any mixing switch
    (`prepare_inputs`); the gate compares against them, so a model changed since then
    fails it. See `export_run` for the arguments and errors.
    """
    quantizations = check_quantizations(quantizations)
    out_dir = Path(out_dir)
    _check_targets(out_dir, quantizations, make_zip)
    shapes = fourier_shapes(model)
    modes = []
    with tempfile.TemporaryDirectory(prefix="fnet-keras-export-") as temp:
        saved_models: dict[str, Path] = {}  # one SavedModel per mixing method
        for quantization in quantizations:
            started = time.perf_counter()
            method = choose_mixing(quantization, mixing, shapes)
            if method not in saved_models:
                apply_mixing(model, method)
                saved_models[method] = write_saved_model(model, source.sequence_length, Path(temp) / method)
            tflite_bytes = convert_saved_model(
                saved_models[method],
                quantization,
                representative_ids=inputs.calibration_ids if quantization == "int8" else None,
                int8_output=int8_output and quantization == "int8",
            )
            seconds = time.perf_counter() - started
            modes.append(_check_mode(tflite_bytes, quantization, method, inputs, seconds))
    report = ExportReport(
        run_dir=source.run_dir,
        out_dir=out_dir,
        modes=modes,
        keras_test_accuracy=inputs.keras_test_accuracy,
        test_examples=0 if inputs.test_ids is None else len(inputs.test_ids),
        parity_split="dev",
        parity_examples=len(inputs.gate_ids),
        data_source=source.data_source,
        notes=_notes(source, modes),
        created=datetime.datetime.now(datetime.timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        package_version=fnet_keras.__version__,
        command=command,
    )
    if not report.passed:
        raise ParityGateError(report)
    for mode in modes:
        mode.bundle_dir = _write_bundle(out_dir / mode.quantization, mode, model, source, make_zip)
    report.save()
    return report


def _check_mode(
    tflite_bytes: bytes, quantization: str, method: str, inputs: ExportInputs, seconds: float
) -> ModeReport:
    """Builtin-ops check, parity gate and test accuracy of one converted model."""
    ops = read_ops(tflite_bytes)
    check_builtin_only(ops, f"the {quantization} model")
    runner = tflite_runner(tflite_bytes)
    parity = compare_logits(runner.logits(inputs.gate_ids), inputs.reference_logits, quantization)
    test_accuracy = None
    if inputs.test_ids is not None:
        predictions = runner.logits(inputs.test_ids).argmax(axis=1)
        test_accuracy = float(np.mean(predictions == inputs.test_labels))
    model_input, outputs = runner.io_spec()
    return ModeReport(
        quantization=quantization,
        mixing=method,
        size_bytes=len(tflite_bytes),
        ops=op_counts(ops),
        float_ops=float_op_counts(ops) if quantization == "int8" else {},
        parity=parity,
        test_accuracy=test_accuracy,
        test_examples=0 if inputs.test_ids is None else len(inputs.test_ids),
        input=model_input,
        outputs=outputs,
        convert_seconds=seconds,
        tflite_bytes=tflite_bytes,
    )


def _write_bundle(bundle_dir: Path, mode: ModeReport, model, source: RunSource, make_zip: bool) -> Path:
    from fnet_keras.edge import BundleError, write_bundle

    metadata = {
        "quantization": mode.quantization,
        "mixing": mode.mixing,
        "model": {
            "preset": source.config.get("preset"),
            "mixing": source.config.get("mixing"),
            "parameters": int(model.count_params()),
        },
        "ops": mode.ops,
        "float_ops": mode.float_ops,
        "input": mode.input,
        "outputs": mode.outputs,
        "parity": mode.parity.to_bundle_dict(),
        "source_run": {"run_dir": str(source.run_dir), "config_sha256": source.config_sha256},
    }
    try:
        return write_bundle(
            bundle_dir,
            tflite_bytes=mode.tflite_bytes,
            vocabulary=source.vocabulary,
            labels=source.label_map,
            tokenizer_config=source.tokenizer_config,
            metadata=metadata,
            make_zip=make_zip,
            overwrite=True,
        )
    except BundleError as error:
        raise ExportError(f"cannot write the {mode.quantization} bundle: {error}") from None


def _check_targets(out_dir: Path, quantizations: Sequence[str], make_zip: bool) -> None:
    """Refuses, before any work, targets the bundle writer would refuse to replace."""
    from fnet_keras.edge import BundleError
    from fnet_keras.edge.bundle_writer import check_bundle_target

    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError("exists and is not a directory", out_dir)
    for quantization in quantizations:
        try:
            check_bundle_target(out_dir / quantization, make_zip, overwrite=True)
        except BundleError as error:
            raise ExportError(f"{error} (choose another --out)") from None


def _notes(source: RunSource, modes: list[ModeReport]) -> list[str]:
    notes = list(source.dataset.notes)
    for mode in modes:
        if mode.quantization != "int8":
            continue
        if not mode.float_ops:
            notes.append("int8: every op computes in int8 (apart from QUANTIZE/DEQUANTIZE at the edges)")
            continue
        listing = ", ".join(f"{name} x{count}" for name, count in mode.float_ops.items())
        on_path = mode.float_matmul_fft_ops
        notes.append(
            f"int8: ops left in float: {listing}; on the matmul/FFT path: "
            + (", ".join(f"{name} x{count}" for name, count in on_path.items()) if on_path else "none")
        )
        for name in mode.float_ops:
            if name in FLOAT_OP_REASONS:
                notes.append(f"int8: {name} stays float: {FLOAT_OP_REASONS[name]}")
    return notes
