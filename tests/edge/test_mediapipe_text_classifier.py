"""MediaPipe Tasks (mediapipe 0.10.21, its own venv) reads our metadata and classifies like our runtime.

One MediaPipe process (`tests/mediapipe_tasks_worker.py`) serves the whole module: MediaPipe's own
writer (`create_for_bert_model`) on the same fp32 model, its `MetadataDisplayer` on both results,
and its `TextClassifier` on every recipe with our metadata. "Our runtime" is the pure-Python
tokenizer plus ai_edge_litert (mediapipe_support.litert_probabilities); the texts are ASCII
lower-case, where the two tokenizers agree.
"""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from mediapipe_support import (
    LABELS,
    MEDIAPIPE_WORKER,
    VOCABULARY,
    encode,
    generated_texts,
    litert_probabilities,
)

from fnet_keras.edge.errors import MetadataError
from fnet_keras.edge.tflite_metadata import (
    MIN_PARSER_VERSION,
    read_classifier_metadata,
    read_metadata_dict,
    write_classifier_metadata,
)

pytestmark = pytest.mark.slow

# Largest |MediaPipe score - our runtime's probability| per recipe. Float recipes run the same
# kernels; int8 kernels differ between MediaPipe's LiteRT and ai_edge_litert (and between
# XNNPACK and the builtin kernels) by a few 1/256 steps of the int8 softmax.
TOLERANCE = {"fp32": 1e-5, "fp16": 1e-5, "dynamic": 1e-5, "int8-dft": 0.05, "int8-rfft": 0.05}


@dataclasses.dataclass
class MediaPipeRun:
    directory: Path
    texts: list[str]
    ours: dict[str, bytes]  # recipe -> model with our metadata
    mediapipe_fp32: bytes  # the fp32 model with MediaPipe's metadata
    int8_output_error: str  # our writer's refusal
    answer: dict  # the worker's answer: write, display, classify

    def classified(self, name: str) -> dict:
        return self.answer["classify"][CLASSIFY_ORDER.index(name)]


# The models MediaPipe classifies, by file name: ours, and two with MediaPipe's own metadata.
CLASSIFY_ORDER = (*TOLERANCE, "mediapipe-fp32", "mediapipe-int8-output")


@pytest.fixture(scope="module")
def mediapipe_run(layout_recipes, tmp_path_factory) -> MediaPipeRun:
    from mediapipe_venv import run_in_mediapipe

    directory = tmp_path_factory.mktemp("mediapipe")
    (directory / "vocab.txt").write_text("".join(token + "\n" for token in VOCABULARY), encoding="utf-8")
    ours = {}
    for recipe in TOLERANCE:
        ours[recipe] = write_classifier_metadata(layout_recipes[recipe], VOCABULARY, list(LABELS))
        (directory / f"{recipe}.tflite").write_bytes(ours[recipe])
    with pytest.raises(MetadataError) as refusal:
        write_classifier_metadata(layout_recipes["int8-output"], VOCABULARY, list(LABELS))
    for recipe in ("fp32", "int8-output"):
        (directory / f"raw-{recipe}.tflite").write_bytes(layout_recipes[recipe])
    texts = generated_texts(40, seed=11)

    def path(name: str) -> str:
        return str(directory / f"{name}.tflite")

    payload = {
        "write": [
            {
                "model": path(f"raw-{recipe}"),
                "vocabulary": str(directory / "vocab.txt"),
                "labels": list(LABELS),
                "out": path(f"mediapipe-{recipe}"),
            }
            for recipe in ("fp32", "int8-output")
        ],
        "display": [path("fp32"), path("mediapipe-fp32")],
        "classify": [{"model": path(name), "texts": texts} for name in CLASSIFY_ORDER],
    }
    answer = run_in_mediapipe(MEDIAPIPE_WORKER.read_text(), payload)
    assert [job.get("error") for job in answer["write"]] == [None, None], answer["write"]
    return MediaPipeRun(
        directory=directory,
        texts=texts,
        ours=ours,
        mediapipe_fp32=Path(path("mediapipe-fp32")).read_bytes(),
        int8_output_error=str(refusal.value),
        answer=answer,
    )


def test_mediapipe_displays_our_metadata_exactly_as_the_metadata_its_own_writer_makes(mediapipe_run):
    ours, theirs = mediapipe_run.answer["display"]
    assert "error" not in ours and "error" not in theirs, (ours, theirs)
    assert ours["json"] == theirs["json"] == mediapipe_run.answer["write"][0]["json"]
    assert ours["files"] == theirs["files"]
    assert {name: base64.b64decode(data) for name, data in ours["files"].items()} == read_classifier_metadata(
        mediapipe_run.ours["fp32"]
    ).files
    # MediaPipe's C++ computes the minimum parser version from the fields present: ours says the same.
    assert ours["min_parser_version"] == theirs["min_parser_version"] == MIN_PARSER_VERSION


def test_our_reader_reads_the_metadata_mediapipes_writer_makes(mediapipe_run):
    assert read_metadata_dict(mediapipe_run.mediapipe_fp32) == mediapipe_run.answer["write"][0]["json"]
    metadata = read_classifier_metadata(mediapipe_run.mediapipe_fp32)
    assert metadata.vocabulary == tuple(VOCABULARY) and metadata.labels == LABELS
    metadata.check_files(VOCABULARY, list(LABELS))
    ours = read_classifier_metadata(mediapipe_run.ours["fp32"])
    assert metadata.input_tensor_names == ours.input_tensor_names


def test_mediapipe_classifies_with_our_runtimes_probabilities(mediapipe_run):
    result = mediapipe_run.classified("fp32")
    assert "error" not in result, result
    assert result["labels"] == list(LABELS)
    ours = litert_probabilities(mediapipe_run.ours["fp32"], encode(mediapipe_run.texts))
    scores = np.asarray(result["scores"])
    assert np.max(np.abs(scores - ours)) <= 1e-5
    assert list(scores.argmax(axis=1)) == list(ours.argmax(axis=1))
    # The same model with MediaPipe's own metadata scores the same.
    theirs = np.asarray(mediapipe_run.classified("mediapipe-fp32")["scores"])
    np.testing.assert_allclose(theirs, scores, atol=1e-6)


@pytest.mark.parametrize("recipe", ["fp16", "dynamic", "int8-dft", "int8-rfft"])
def test_every_float_output_recipe_runs_in_mediapipe_close_to_our_runtime(mediapipe_run, recipe):
    result = mediapipe_run.classified(recipe)
    assert "error" not in result, result
    scores = np.asarray(result["scores"])
    ours = litert_probabilities(mediapipe_run.ours[recipe], encode(mediapipe_run.texts))
    assert np.max(np.abs(scores - ours)) <= TOLERANCE[recipe]
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=0.02)  # probabilities, passed through


def test_an_int8_output_is_refused_by_our_writer_and_by_mediapipe(mediapipe_run):
    assert "is INT8; MediaPipe reports a float32 output as the scores" in mediapipe_run.int8_output_error
    result = mediapipe_run.classified("mediapipe-int8-output")  # MediaPipe's own metadata
    assert "Expected output tensor at index 0 to have type UINT8 or FLOAT32 or BOOL, found INT8" in (
        result["error"]
    )
