"""Keras model -> LiteRT flatbuffer for one recipe, builtin ops only, in MediaPipe's layout.

The model is written as a SavedModel in `mediapipe_layout` and converted with
`supported_ops = [TFLITE_BUILTINS]` (`TFLITE_BUILTINS_INT8` first for int8), the converter's C++
chatter kept out of the output (`fnet_keras.quiet`).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from fnet_keras.export import mediapipe_layout
from fnet_keras.export.errors import ExportError, UnsupportedOpsError
from fnet_keras.export.mixing import apply_fourier_method
from fnet_keras.export.recipes import Recipe
from fnet_keras.quiet import quiet_native_output


def write_saved_model(model, sequence_length: int, recipe: Recipe, workdir: Path) -> Path:
    """The SavedModel of `model` with the recipe's Fourier method (one per method, reused)."""
    directory = Path(workdir) / f"saved-{recipe.fourier_method or 'none'}"
    if not directory.is_dir():
        apply_fourier_method(model, recipe.fourier_method)
        with quiet_native_output():
            mediapipe_layout.write_saved_model(model, sequence_length, directory)
    return directory


def convert(saved_model_dir: Path, recipe: Recipe, calibration_ids: np.ndarray | None = None) -> bytes:
    """Converts a SavedModel written by `write_saved_model` as `recipe` says; `calibration_ids`, int32
    `(n, seq)` token ids, are required for int8 and ignored otherwise. Raises `UnsupportedOpsError` when
    the graph needs Flex (TF Select) or custom ops, else an `ExportError` with the converter's message."""
    import tensorflow as tf

    builtins = tf.lite.OpsSet.TFLITE_BUILTINS
    converter = tf.lite.TFLiteConverter.from_saved_model(
        str(saved_model_dir), signature_keys=[mediapipe_layout.SIGNATURE_KEY]
    )
    converter.target_spec.supported_ops = [builtins]
    if recipe.mode != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if recipe.mode == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if recipe.calibrated:
        if calibration_ids is None or len(calibration_ids) == 0:
            raise ExportError("int8 needs representative token ids for calibration; none were given")
        # INT8 first: ops with an int8 kernel get it; the rest fall back to float builtins.
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, builtins]
        converter.representative_dataset = mediapipe_layout.representative_dataset(calibration_ids)
    try:
        with warnings.catch_warnings(), quiet_native_output():
            # The int8 calibrator uses tf.lite.Interpreter internally and warns about it.
            warnings.filterwarnings("ignore", message=r".*tf\.lite\.Interpreter is deprecated")
            warnings.filterwarnings("ignore", message=r".*Statistics for quantized inputs were expected")
            return converter.convert()
    except Exception as error:  # the converter raises ConverterError, RuntimeError, ValueError...
        raise _conversion_error(error, recipe) from None


def _conversion_error(error: Exception, recipe: Recipe) -> ExportError:
    message = str(error)
    select = re.search(r"TF Select ops: ([^\n]+)", message)
    flex_ops = [name.strip() for name in select.group(1).split(",")] if select else []
    if not flex_ops:
        for item in getattr(error, "errors", None) or []:
            if "NEEDS_FLEX" in str(getattr(item, "error_code", "")):
                flex_ops.append(item.operator.name.removeprefix("tf."))
    flex_ops = list(dict.fromkeys(flex_ops))
    if flex_ops or "ERROR_NEEDS_FLEX_OPS" in message:
        return UnsupportedOpsError(
            f"the {recipe.name} model needs TensorFlow ops that are not LiteRT builtins: "
            f"{', '.join(flex_ops) or '(unnamed)'}. They would need the Flex (TF Select) runtime, which "
            f"the edge interpreters lack; use fourier_method 'rfft' or 'dft' (FourierMixing 'fft' lowers "
            f"to Complex + FFT2D)",
            flex_ops,
        )
    first_lines = "\n".join(message.strip().splitlines()[:8])
    return ExportError(f"LiteRT conversion ({recipe.name}) failed: {type(error).__name__}: {first_lines}")
