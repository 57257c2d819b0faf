"""Reads MediaPipe's own token ids out of MediaPipe Tasks' `TextClassifier` (mediapipe 0.10.21).

MediaPipe does not expose its tokenizer. So: a probe model with the three int32 inputs of a
BERT classifier (`input_word_ids`, `input_mask`, `input_type_ids`, `[1, L]`) whose float32
output `[1, L]` is the word ids themselves, built with TensorFlow here; in MediaPipe's venv,
MediaPipe's own metadata writer attaches the vocabulary and one label per position, and
`TextClassifier` (all categories) returns score = id at each position's category index.
Ids stay below 2**24, so float32 holds them exactly.

Each `TextClassifier` result costs a few microseconds per position, so texts go to one
MediaPipe process per call and `L` should be no longer than the texts need.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Sequence
from pathlib import Path

from mediapipe_venv import mediapipe_python, run_in_mediapipe

from fnet_keras.text import save_vocabulary

# Runs in MediaPipe's venv. Payload: {"model", "vocabulary", "sequence_length", "texts"};
# answer: {"ids": one list of `sequence_length` ids per text}.
MEDIAPIPE_IDS_SCRIPT = r"""
import json
import sys

from mediapipe.tasks.python.core import base_options
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, text_classifier
from mediapipe.tasks.python.text import text_classifier as classifier_task

payload = json.load(sys.stdin)
length = payload["sequence_length"]
with open(payload["model"], "rb") as file:
    model = bytearray(file.read())
labels = metadata_writer.Labels().add([f"position{index}" for index in range(length)])
writer = text_classifier.MetadataWriter.create_for_bert_model(
    model, metadata_writer.BertTokenizer(payload["vocabulary"]), labels
)
model_with_metadata, _ = writer.populate()
options = classifier_task.TextClassifierOptions(
    base_options=base_options.BaseOptions(model_asset_buffer=model_with_metadata), max_results=-1
)
answer = []
with classifier_task.TextClassifier.create_from_options(options) as classifier:
    for text in payload["texts"]:
        categories = classifier.classify(text).classifications[0].categories
        scores = [None] * length
        for category in categories:  # sorted by score, so placed by index
            scores[category.index] = category.score
        ids = [int(score) for score in scores]
        assert ids == scores, f"a position is missing or not an integer: {scores[:8]}"
        answer.append(ids)
print(json.dumps({"ids": answer}))
"""


@functools.lru_cache(maxsize=4)
def probe_model(sequence_length: int) -> bytes:
    """A LiteRT model: inputs named like a BERT classifier's, output = float32(input_word_ids)."""
    import tensorflow as tf

    def spec(name):
        return tf.TensorSpec([1, sequence_length], tf.int32, name=name)

    class Probe(tf.Module):
        @tf.function(input_signature=[spec("input_word_ids"), spec("input_mask"), spec("input_type_ids")])
        def serve(self, input_word_ids, input_mask, input_type_ids):
            # min(x, 0) is 0 for the mask (0/1) and the type ids (0): it keeps both inputs in
            # the graph, which MediaPipe requires, without changing the ids.
            unchanged = tf.minimum(input_mask, 0) + tf.minimum(input_type_ids, 0)
            return {"ids": tf.cast(input_word_ids + unchanged, tf.float32)}

    module = Probe()
    with tempfile.TemporaryDirectory() as directory:
        tf.saved_model.save(module, directory, signatures={"serving_default": module.serve})
        return tf.lite.TFLiteConverter.from_saved_model(directory).convert()


def mediapipe_token_ids(
    vocabulary: Sequence[str], texts: Sequence[str], sequence_length: int, directory: Path
) -> list[list[int]]:
    """The packed ids MediaPipe's `TextClassifier` feeds a model of length `sequence_length`."""
    mediapipe_python()  # skips (fails in CI) without MediaPipe's venv, before any work
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / f"probe_{sequence_length}.tflite"
    model_path.write_bytes(probe_model(sequence_length))
    vocabulary_path = save_vocabulary(vocabulary, directory / "vocab.txt")
    payload = {
        "model": str(model_path),
        "vocabulary": str(vocabulary_path),
        "sequence_length": sequence_length,
        "texts": list(texts),
    }
    ids = run_in_mediapipe(MEDIAPIPE_IDS_SCRIPT, payload)["ids"]
    assert len(ids) == len(texts)
    return ids
