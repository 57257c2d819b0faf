"""Format-1 bundles (fnet-keras 0.1: one token_ids input, logits output) keep loading and classifying."""

import json
from pathlib import Path

import numpy as np

from fnet_keras.edge import evaluate_bundle, load_bundle
from fnet_keras.edge.classification import softmax

FORMAT1 = Path(__file__).resolve().parents[1] / "fixtures" / "format1"


def test_a_format1_bundle_classifies_its_keywords():
    bundle = load_bundle(FORMAT1 / "bundle")
    assert bundle.labels == ("neg", "neu", "pos") and bundle.sequence_length == 16
    result = bundle.classify(["the movie was superb", "a dreadful plot", "quite average"])
    assert [prediction.label for prediction in result] == ["pos", "neg", "neu"]
    assert bundle.format_version == 1 and bundle.quantization == "fp32"


def test_a_format1_bundle_scores_like_the_keras_model_it_came_from():
    keras_test = json.loads((FORMAT1 / "run" / "metrics.json").read_text())["test"]
    report = evaluate_bundle(load_bundle(FORMAT1 / "bundle"), FORMAT1 / "data" / "test.tsv")
    assert report["confusion_matrix"] == keras_test["confusion_matrix"]


def test_a_format1_int8_logits_output_is_dequantized():
    bundle = load_bundle(FORMAT1 / "bundle-int8")
    manifest = json.loads((FORMAT1 / "bundle-int8" / "bundle.json").read_text())
    scale = manifest["outputs"]["logits"]["quantization"]["scale"]
    zero_point = manifest["outputs"]["logits"]["quantization"]["zero_point"]
    ids = np.asarray([bundle.tokenizer.encode("the movie was superb")], np.int32)
    logits = np.stack([bundle._model.predict(row) for row in ids])
    steps = logits / scale + zero_point
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)  # whole quantization steps, dequantized
    # Format 1 outputs logits: the loader turns them into probabilities.
    np.testing.assert_allclose(bundle.probabilities(ids), softmax(logits))
    assert bundle.classify("the movie was superb").label == "pos"
