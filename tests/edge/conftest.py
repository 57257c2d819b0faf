"""Fixtures of the edge tests: the session export's bundles, and a tiny model in MediaPipe's layout.

`fp32_bundle`, `int8_bundle` and `dynamic_bundle` are the bundles `export_run` wrote for the session's
trained run (tests/conftest.py). `keras_model` is a tiny random classifier over the fixed vocabulary of
`mediapipe_support`, converted by the package's own converter into each recipe (`layout_recipes`)
for the metadata and MediaPipe tests, which need models without metadata.
"""

from __future__ import annotations

import pytest
from mediapipe_support import LABELS, SEQUENCE_LENGTH, VOCABULARY
from support import BundleFixture


@pytest.fixture(scope="session")
def fp32_bundle(exported, trained_run) -> BundleFixture:
    return BundleFixture(exported, "fp32", trained_run.model)


@pytest.fixture(scope="session")
def int8_bundle(exported, trained_run) -> BundleFixture:
    return BundleFixture(exported, "int8", trained_run.model)


@pytest.fixture(scope="session")
def dynamic_bundle(exported, trained_run) -> BundleFixture:
    return BundleFixture(exported, "dynamic", trained_run.model)


@pytest.fixture(scope="session")
def keras_model():
    import keras

    from fnet_keras.models import TextClassifier

    keras.utils.set_random_seed(0)
    return TextClassifier.from_preset(
        "tiny", vocabulary_size=len(VOCABULARY), num_classes=len(LABELS), sequence_length=SEQUENCE_LENGTH,
        num_layers=1, hidden_dim=32, intermediate_dim=64, embedding_dim=32, num_heads=2,
    )


@pytest.fixture(scope="session")
def layout_fp32(keras_model) -> bytes:
    """The tiny classifier with the MediaPipe layout (three named int32 inputs, probabilities), fp32."""
    from mediapipe_support import layout_tflite

    return layout_tflite(keras_model)


@pytest.fixture(scope="session")
def layout_recipes(keras_model, layout_fp32) -> dict[str, bytes]:
    """The MediaPipe layout in every recipe: name -> model bytes (no metadata yet).

    "int8-dft" is today's int8 (DFT mixing in int8), "int8-rfft" keeps the Fourier transform as a
    float RFFT2D between DEQUANTIZE and QUANTIZE; "int8-output" makes the output int8 (which
    MediaPipe refuses).
    """
    from mediapipe_support import encode, generated_texts, layout_tflite

    calibration = encode(generated_texts(64, seed=5))
    return {
        "fp32": layout_fp32,
        "fp16": layout_tflite(keras_model, "fp16"),
        "dynamic": layout_tflite(keras_model, "dynamic"),
        "int8-dft": layout_tflite(keras_model, "int8", "dft", calibration),
        "int8-rfft": layout_tflite(keras_model, "int8", "rfft", calibration),
        "int8-output": layout_tflite(keras_model, "int8", "dft", calibration, int8_output=True),
    }
