"""fnet_keras.metrics against hand-computed confusion matrices."""

import json

import numpy as np
import pytest

from fnet_keras.metrics import classification_metrics, confusion_matrix, format_metrics


def test_three_classes_by_hand():
    true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    predicted = [0, 1, 0, 1, 2, 2, 2, 0, 2]
    metrics = classification_metrics(true, predicted, ["a", "b", "c"])
    assert metrics["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [1, 0, 3]]
    assert metrics["count"] == 9
    assert metrics["accuracy"] == pytest.approx(6 / 9)
    # precision a = 2/3 (col a: 2, 0, 1), b = 1/2, c = 3/4; recall a = 2/3, b = 1/2, c = 3/4
    for label, value, support in (("a", 2 / 3, 3), ("b", 1 / 2, 2), ("c", 3 / 4, 4)):
        expected = {"precision": value, "recall": value, "f1": value, "support": support}
        assert metrics["per_class"][label] == pytest.approx(expected)
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 1 / 2 + 3 / 4) / 3)
    assert metrics["labels"] == ["a", "b", "c"]


def test_precision_differs_from_recall_and_absent_classes():
    # x: precision 1/1, recall 1/2 -> F1 2/3; y: 1 and 1; z never true but predicted once: 0.
    # q is neither true nor predicted: reported, but left out of the macro average.
    metrics = classification_metrics([0, 0, 1, 1], [0, 2, 1, 1], ["x", "y", "z", "q"])
    expected_x = {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}
    assert metrics["per_class"]["x"] == pytest.approx(expected_x)
    assert metrics["per_class"]["z"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert metrics["per_class"]["q"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert metrics["accuracy"] == pytest.approx(3 / 4)


def test_matches_a_loop_over_random_predictions():
    rng = np.random.default_rng(0)
    true, predicted = rng.integers(0, 4, 500), rng.integers(0, 4, 500)
    matrix = np.zeros((4, 4), int)
    for t, p in zip(true, predicted, strict=True):
        matrix[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(true, predicted, 4), matrix)
    metrics = classification_metrics(true, predicted, list("abcd"))
    f1 = []
    for k in range(4):
        precision, recall = matrix[k, k] / matrix[:, k].sum(), matrix[k, k] / matrix[k].sum()
        f1.append(2 * precision * recall / (precision + recall))
    assert metrics["macro_f1"] == pytest.approx(np.mean(f1))
    assert metrics["accuracy"] == pytest.approx(np.mean(true == predicted))
    json.dumps(metrics, allow_nan=False)  # JSON-ready: plain ints and floats


def test_bad_inputs_are_errors():
    with pytest.raises(ValueError, match="class id 3 at position 1"):
        classification_metrics([0, 3], [0, 0], ["a", "b"])
    with pytest.raises(ValueError, match="pair up"):
        classification_metrics([0, 1], [0], ["a", "b"])
    with pytest.raises(ValueError, match="no examples"):
        classification_metrics([], [], ["a", "b"])
    with pytest.raises(ValueError, match="distinct"):
        classification_metrics([0], [0], ["a", "a"])


def test_format_metrics_lists_every_label():
    text = format_metrics(classification_metrics([0, 1, 1], [0, 1, 0], ["negative", "positive"]))
    assert "accuracy  0.6667" in text
    assert text.count("negative") == 3 and text.count("positive") == 3  # table row, header, matrix row
