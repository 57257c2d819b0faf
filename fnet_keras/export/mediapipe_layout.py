"""The MediaPipe-ready model layout: three int32 BERT-style inputs bound by name, probabilities out.

MediaPipe Tasks' `TextClassifier` runs a BERT-style model (metadata with a BERT tokenizer) by
feeding three int32 `[1, sequence_length]` tensors, which it finds through the input tensor
metadata named `ids`, `mask` and `segment_ids` (`fnet_keras.edge.tflite_metadata` pairs those
with the tensor names below), and it passes the float32 output through as the scores. So the
graph takes `input_word_ids`, `input_mask`, `input_type_ids` (the converter names the tensors
`serving_default_input_word_ids:0` and so on, Model Maker's names, and orders them as it likes:
bind by name) and returns `probabilities` `[1, num_classes]` with the softmax inside.

The classifier itself reads token ids only (pad id 0). The mask and the type ids stay graph
inputs because MediaPipe always feeds three tensors; the graph uses them at the cost of two
int32 element-wise ops on `[1, sequence_length]` (`ids * mask * (1 - type_ids)`), which no
converter folds away and no quantization touches: for the 0/1 values MediaPipe and our runtime
feed, a position counts when its mask is 1 and its type id 0, and reads as padding (id 0)
otherwise (the model is single-segment, so a second segment is ignored).

    serve = serving_function(model, sequence_length=64)
    write_saved_model(model, serve, "/tmp/saved")   # then TFLiteConverter.from_saved_model
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# The names are the metadata's facts (the edge runtime reads them too): one place.
from fnet_keras.edge.tflite_metadata import (
    INPUT_MASK,
    INPUT_TYPE_IDS,
    INPUT_WORD_IDS,
    SIGNATURE_KEY,
    converter_tensor_name,  # noqa: F401 (re-exported: the tensor names the converter gives the inputs)
)
from fnet_keras.export.errors import ExportError

# In the order of the serving function's arguments; the converted model may order them otherwise.
INPUT_NAMES = (INPUT_WORD_IDS, INPUT_MASK, INPUT_TYPE_IDS)
OUTPUT_NAME = "probabilities"
# Op and input type pairs the LiteRT runtime inside mediapipe 0.10.21 has no kernel for: the model
# loads, then the first classify fails (ai_edge_litert runs them). Measured: int8 DIV.
MEDIAPIPE_MISSING_KERNELS = {("DIV", "INT8"): "Div only supports FLOAT32, INT32 and quantized UINT8"}


def serving_function(model, sequence_length: int):
    """A fresh `tf.function(input_word_ids, input_mask, input_type_ids) -> {"probabilities": ...}`.

    Args:
        model: a classifier that maps int32 token ids `(batch, sequence_length)` to logits.
        sequence_length: the static length of the three inputs (batch 1).
    """
    import tensorflow as tf

    specs = [tf.TensorSpec([1, sequence_length], tf.int32, name=name) for name in INPUT_NAMES]

    @tf.function(input_signature=specs)
    def serve(input_word_ids, input_mask, input_type_ids):
        # Keeps the mask and type ids as graph inputs: positions outside the first segment's
        # real tokens read as padding (id 0). Two int32 ops on [1, seq]; nothing folds them.
        token_ids = input_word_ids * input_mask * (1 - input_type_ids)
        logits = model(token_ids, training=False)
        return {OUTPUT_NAME: tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)}

    return serve


def write_saved_model(model, sequence_length: int, directory: str | Path) -> Path:
    """Traces `serving_function` into a SavedModel (through `keras.export.ExportArchive`).

    `ExportArchive` tracks the Keras 3 variables so the converter freezes them into constants.
    Convert the result with `TFLiteConverter.from_saved_model(directory, signature_keys=["serving_default"])`.
    """
    import keras

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(SIGNATURE_KEY, serving_function(model, sequence_length))
    archive.write_out(str(directory), verbose=False)
    return Path(directory)


def bert_inputs(token_ids) -> dict[str, np.ndarray]:
    """The three int32 inputs for packed token ids (`(n, seq)` or `(seq,)`), as MediaPipe fills them.

    The mask is 1 where the id is not padding (id 0; MediaPipe: 1 for [CLS] tokens [SEP]); the type
    ids are 0. Keys are the signature names (`interpreter.get_signature_runner()` takes them as
    keyword arguments); the tensors are named `converter_tensor_name(key)`.
    """
    from fnet_keras.text.vocabulary import PAD_ID

    ids = np.asarray(token_ids, dtype=np.int32)
    ids = ids[None, :] if ids.ndim == 1 else ids
    return {
        INPUT_WORD_IDS: ids,
        INPUT_MASK: (ids != PAD_ID).astype(np.int32),
        INPUT_TYPE_IDS: np.zeros_like(ids),
    }


def representative_dataset(token_ids):
    """A `TFLiteConverter.representative_dataset`: `bert_inputs` of each row of int32 `(n, seq)` ids."""
    rows = np.asarray(token_ids, dtype=np.int32)

    def samples():
        for row in rows:
            yield bert_inputs(row)

    return samples


def check_mediapipe_ops(ops, what: str = "the model") -> None:
    """Raises `ExportError` if `ops` (from `tflite_ops.read_ops`) need a kernel MediaPipe lacks."""
    missing = [
        f"{op.name} on {kind} ({reason})"
        for op in ops
        for (name, kind), reason in MEDIAPIPE_MISSING_KERNELS.items()
        if op.name == name and kind in op.input_types
    ]
    if missing:
        raise ExportError(
            f"{what} would load in MediaPipe 0.10.21 and then fail to run: "
            f"{'; '.join(dict.fromkeys(missing))}. Keep those ops in float (selective quantization) "
            f"or avoid them in the graph"
        )
