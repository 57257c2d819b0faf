"""Bundles for the edge tests, made once per session with TensorFlow (the runtime itself never imports it).

A tiny TextClassifier (1 block, 32 hidden, RFFT2D mixing) over a tiny vocabulary, converted to
LiteRT with builtin ops only, fp32 and int8 (int8 output), written with `write_bundle`.
Tests that change a bundle copy it first (`bundle_copy`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from edge_support import (
    LABELS,
    SEQUENCE_LENGTH,
    VOCABULARY,
    BundleFixture,
    convert,
    metadata,
    serving_function,
)

from fnet_keras.text import TokenizerConfig


@pytest.fixture(scope="session")
def keras_model():
    import keras

    from fnet_keras.models import TextClassifier

    keras.utils.set_random_seed(0)
    return TextClassifier.from_preset(
        "tiny",
        vocabulary_size=len(VOCABULARY),
        num_classes=len(LABELS),
        sequence_length=SEQUENCE_LENGTH,
        num_layers=1,
        hidden_dim=32,
        intermediate_dim=64,
        embedding_dim=32,
        num_heads=2,
        fourier_method="rfft",
    )


def _write(
    tmp_root: Path, name: str, tflite_bytes: bytes, model, quantization: str, mixing: str = "rfft"
) -> BundleFixture:
    from fnet_keras.edge import write_bundle

    directory = write_bundle(
        tmp_root / name,
        tflite_bytes=tflite_bytes,
        vocabulary=VOCABULARY,
        labels=list(LABELS),
        tokenizer_config=TokenizerConfig(sequence_length=SEQUENCE_LENGTH),
        metadata=metadata(tflite_bytes, quantization, mixing),
        make_zip=True,
    )
    return BundleFixture(directory, directory.with_name(name + ".zip"), tflite_bytes, model)


@pytest.fixture(scope="session")
def fp32_bundle(tmp_path_factory, keras_model) -> BundleFixture:
    tflite_bytes = convert(serving_function(keras_model))
    return _write(tmp_path_factory.mktemp("bundles"), "tiny-fp32", tflite_bytes, keras_model, "fp32")


@pytest.fixture(scope="session")
def int8_bundle(tmp_path_factory, keras_model) -> BundleFixture:
    rng = np.random.default_rng(0)

    def representative_dataset():
        for _ in range(32):
            yield [rng.integers(0, len(VOCABULARY), (1, SEQUENCE_LENGTH)).astype(np.int32)]

    from fnet_keras.export.mixing import apply_mixing

    # DFT mixing, as the exporter chooses for int8: its matmuls quantize, while RFFT2D stays float
    # between QUANTIZE/DEQUANTIZE and loses more (an untrained orthonormal model: max |Δlogit| 0.27
    # with RFFT2D, 0.07 with DFT).
    apply_mixing(keras_model, "dft")
    try:
        tflite_bytes = convert(serving_function(keras_model), "int8", representative_dataset)
    finally:
        apply_mixing(keras_model, "rfft")
    return _write(tmp_path_factory.mktemp("bundles"), "tiny-int8", tflite_bytes, keras_model, "int8", "dft")


@pytest.fixture
def bundle_copy(fp32_bundle, tmp_path) -> Path:
    """A private copy of the fp32 bundle directory, free to damage."""
    return Path(shutil.copytree(fp32_bundle.directory, tmp_path / "bundle"))


@pytest.fixture(scope="session")
def dynamic_bundle(tmp_path_factory, keras_model) -> BundleFixture:
    tflite_bytes = convert(serving_function(keras_model), "dynamic")
    return _write(tmp_path_factory.mktemp("bundles"), "tiny-dynamic", tflite_bytes, keras_model, "dynamic")
