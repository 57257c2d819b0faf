"""Format-1 bundles (fnet-keras 0.1: one token_ids input, logits output) keep loading and classifying."""

import json
from pathlib import Path

from fnet_keras.edge import evaluate_bundle, load_bundle

FORMAT1 = Path(__file__).resolve().parents[1] / "fixtures" / "format1"


def test_a_format1_bundle_classifies_its_keywords():
    bundle = load_bundle(FORMAT1 / "bundle")
    assert bundle.labels == ("neg", "neu", "pos") and bundle.sequence_length == 16
    rankings = bundle.classify(["the movie was superb", "a dreadful plot", "quite average"])
    assert [ranking[0][0] for ranking in rankings] == ["pos", "neg", "neu"]


def test_a_format1_bundle_scores_like_the_keras_model_it_came_from():
    keras_test = json.loads((FORMAT1 / "run" / "metrics.json").read_text())["test"]
    report = evaluate_bundle(load_bundle(FORMAT1 / "bundle"), FORMAT1 / "data" / "test.tsv")
    assert report["confusion_matrix"] == keras_test["confusion_matrix"]
