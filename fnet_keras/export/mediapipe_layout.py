"""The MediaPipe-ready model layout: three int32 BERT-style inputs bound by name, probabilities out.

MediaPipe Tasks' `TextClassifier` runs a BERT-style model by feeding three int32 `[1, sequence_length]`
tensors, found through the input tensor metadata `ids`, `mask` and `segment_ids`
(`fnet_keras.edge.tflite_metadata` pairs those with the names below), and passes the float32 output
through as the scores. So the graph takes `input_word_ids`, `input_mask`, `input_type_ids` (Model
Maker's names; the converter orders them as it likes: bind by name) and returns `probabilities`
`[1, num_classes]`, the softmax inside. The classifier reads token ids only (pad id 0); the mask and
type ids stay inputs because MediaPipe always feeds three, at the cost of two int32 ops on
`[1, sequence_length]` (`ids * mask * (1 - type_ids)`) that nothing folds away: a position counts
when its mask is 1 and its type id 0, and reads as padding otherwise (the model is single-segment).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# The names are the metadata's facts (the edge runtime reads them too): one place.
from fnet_keras.edge.tflite_metadata import INPUT_MASK, INPUT_TYPE_IDS, INPUT_WORD_IDS, SIGNATURE_KEY
from fnet_keras.export.errors import ExportError

# In the order of the serving function's arguments; the converted model may order them otherwise.
INPUT_NAMES = (INPUT_WORD_IDS, INPUT_MASK, INPUT_TYPE_IDS)
OUTPUT_NAME = "probabilities"
# Op and input type pairs the LiteRT runtime inside mediapipe 0.10.21 has no kernel for: the model
# loads, then the first classify fails (ai_edge_litert runs them). Measured: int8 DIV.
MEDIAPIPE_MISSING_KERNELS = {("DIV", "INT8"): "Div only supports FLOAT32, INT32 and quantized UINT8"}


def write_saved_model(model, sequence_length: int, directory: str | Path) -> Path:
    """Traces `model` (int32 token ids -> logits) as a fresh batch-1 serving function in this layout into a
    SavedModel, for `TFLiteConverter.from_saved_model(directory, signature_keys=[SIGNATURE_KEY])`, through
    `keras.export.ExportArchive`: it tracks the Keras 3 variables so the converter freezes them into
    constants (a concrete function converted directly keeps them as uninitialised resources)."""
    import keras
    import tensorflow as tf

    specs = [tf.TensorSpec([1, sequence_length], tf.int32, name=name) for name in INPUT_NAMES]

    @tf.function(input_signature=specs)
    def serve(input_word_ids, input_mask, input_type_ids):
        token_ids = input_word_ids * input_mask * (1 - input_type_ids)
        logits = model(token_ids, training=False)
        return {OUTPUT_NAME: tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(SIGNATURE_KEY, serve)
    archive.write_out(str(directory), verbose=False)
    return Path(directory)


def bert_inputs(token_ids) -> dict[str, np.ndarray]:
    """The three int32 inputs for packed token ids (`(n, seq)` or `(seq,)`), as MediaPipe fills them.

    The mask is 1 where the id is not padding (id 0; MediaPipe: 1 for [CLS] tokens [SEP]); the type
    ids are 0. Keys are the signature names (`interpreter.get_signature_runner()` takes them as
    keyword arguments); the tensors are named `tflite_metadata.converter_tensor_name(key)`.
    """
    from fnet_keras.text.vocabulary import PAD_ID

    ids = np.asarray(token_ids, dtype=np.int32)
    ids = ids[None, :] if ids.ndim == 1 else ids
    mask = (ids != PAD_ID).astype(np.int32)
    return {INPUT_WORD_IDS: ids, INPUT_MASK: mask, INPUT_TYPE_IDS: np.zeros_like(ids)}


def representative_dataset(token_ids):
    """A `TFLiteConverter.representative_dataset`: `bert_inputs` of each row of int32 `(n, seq)` ids."""
    rows = np.asarray(token_ids, dtype=np.int32)
    return lambda: (bert_inputs(row) for row in rows)


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
