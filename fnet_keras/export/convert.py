"""Keras model -> LiteRT flatbuffer for one quantization recipe, builtin ops only.

The model is traced as a fresh `tf.function(token_ids int32 [1, seq]) -> {"logits": ...}`,
written as a SavedModel through `keras.export.ExportArchive` (which tracks Keras 3 variables,
so the converter freezes them into constants; converting a concrete function directly keeps
them as uninitialised resource variables), and converted with
`supported_ops = [TFLITE_BUILTINS]` (plus `TFLITE_BUILTINS_INT8` for int8).

Recipes:
  fp32     no optimisation.
  fp16     float16 weights (dequantized at load or by the delegate), float compute.
  dynamic  dynamic-range: int8 weights, activations quantized on the fly per op.
  int8     int8 weights and activations wherever LiteRT has an int8 kernel, calibrated on
           a representative dataset; the input stays int32 token ids; optional int8 output.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fnet_keras.edge.manifest import INPUT_NAME, OUTPUT_NAME, QUANTIZATIONS  # the bundle's names
from fnet_keras.export.errors import ExportError, UnsupportedOpsError

SIGNATURE_KEY = "serving_default"


def check_quantizations(quantizations: str | Sequence[str]) -> tuple[str, ...]:
    """`"fp32,int8"` or a sequence -> a tuple without repeats; unknown names are an ExportError."""
    if isinstance(quantizations, str):
        quantizations = quantizations.split(",")
    names = [name.strip() for name in quantizations if name.strip()]
    unknown = [name for name in names if name not in QUANTIZATIONS]
    if unknown or not names:
        raise ExportError(
            f"unknown quantization {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {', '.join(QUANTIZATIONS)}"
        )
    return tuple(dict.fromkeys(names))


def serving_function(model, sequence_length: int):
    """A new `tf.function` over `model` with the bundle's signature (a fresh trace)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, sequence_length], tf.int32, name=INPUT_NAME)])
    def serve(token_ids):
        return {OUTPUT_NAME: model(token_ids, training=False)}

    return serve


def write_saved_model(model, sequence_length: int, directory: str | Path) -> Path:
    """Traces `serving_function` with the model's current mixing methods into a SavedModel."""
    import keras

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(SIGNATURE_KEY, serving_function(model, sequence_length))
    archive.write_out(str(directory), verbose=False)
    return Path(directory)


def convert_saved_model(
    saved_model_dir: str | Path,
    quantization: str,
    *,
    representative_ids: np.ndarray | None = None,
    int8_output: bool = False,
) -> bytes:
    """Converts a SavedModel written by `write_saved_model` with one recipe.

    Args:
        saved_model_dir: the SavedModel.
        quantization: "fp32", "fp16", "dynamic" or "int8".
        representative_ids: int32 `(n, seq)` calibration token ids (int8 only, required).
        int8_output: int8 only: make the `logits` output int8 (scale and zero point in the
            output's quantization parameters) instead of float32.

    Raises:
        UnsupportedOpsError: the graph needs Flex (TF Select) or custom ops.
        ExportError: any other conversion failure, with the converter's message.
    """
    import tensorflow as tf

    check_quantizations([quantization])
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model_dir), signature_keys=[SIGNATURE_KEY])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "int8":
        if representative_ids is None or len(representative_ids) == 0:
            raise ExportError("int8 needs representative token ids for calibration; none were given")
        # INT8 first: ops with an int8 kernel get it; the rest fall back to float builtins.
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
            tf.lite.OpsSet.TFLITE_BUILTINS,
        ]
        samples = np.asarray(representative_ids, dtype=np.int32)
        converter.representative_dataset = lambda: ({INPUT_NAME: row[None, :]} for row in samples)
        if int8_output:
            converter.inference_output_type = tf.int8
    try:
        with warnings.catch_warnings():
            # The int8 calibrator uses tf.lite.Interpreter internally and warns about it.
            warnings.filterwarnings(
                "ignore", message=r".*tf\.lite\.Interpreter is deprecated", category=UserWarning
            )
            return converter.convert()
    except Exception as error:  # the converter raises ConverterError, RuntimeError, ValueError...
        raise _conversion_error(error, quantization) from None


def _conversion_error(error: Exception, quantization: str) -> ExportError:
    message = str(error)
    select = re.search(r"TF Select ops: ([^\n]+)", message)
    flex_ops = [name.strip() for name in select.group(1).split(",")] if select else []
    if not flex_ops:
        for item in getattr(error, "errors", None) or []:
            if "NEEDS_FLEX" in str(getattr(item, "error_code", "")):
                flex_ops.append(item.operator.name.removeprefix("tf."))
    if flex_ops or "ERROR_NEEDS_FLEX_OPS" in message:
        names = ", ".join(dict.fromkeys(flex_ops)) or "(unnamed)"
        return UnsupportedOpsError(
            f"the {quantization} model needs TensorFlow ops that are not LiteRT builtins: {names}. "
            f"They would need the Flex (TF Select) runtime, which the edge interpreters lack; "
            f"use mixing 'rfft' or 'dft' (FourierMixing 'fft' lowers to Complex + FFT2D)",
            list(dict.fromkeys(flex_ops)),
        )
    first_lines = "\n".join(message.strip().splitlines()[:8])
    return ExportError(f"LiteRT conversion ({quantization}) failed: {type(error).__name__}: {first_lines}")
