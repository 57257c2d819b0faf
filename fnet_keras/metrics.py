"""Classification metrics from true and predicted class ids: numpy only, no TensorFlow.

Both `fnet-keras evaluate RUN_DIR` (Keras) and `fnet-keras evaluate BUNDLE` (the TF-free edge
runtime) report through `classification_metrics`, so their JSON has the same schema and the
same numbers for the same predictions:

    {"count": 872, "accuracy": 0.81, "macro_f1": 0.80, "labels": ["0", "1"],
     "per_class": {"0": {"precision": .., "recall": .., "f1": .., "support": 428}, "1": {..}},
     "confusion_matrix": [[350, 78], [88, 356]]}

`confusion_matrix[i][j]` counts examples of true class `labels[i]` predicted as `labels[j]`.
A class nobody predicted has precision 0; a class absent from the data has recall 0; F1 is 0
when precision + recall is 0. Macro-F1 averages F1 over the classes that occur in the true or
the predicted ids (as scikit-learn does without an explicit label list), so a class missing
from an evaluation file does not count as a zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion_matrix(true_ids: Sequence[int], predicted_ids: Sequence[int], num_classes: int) -> np.ndarray:
    """`(num_classes, num_classes)` int64 counts: rows are true classes, columns predicted ones."""
    true_ids = _class_ids(true_ids, num_classes, "true")
    predicted_ids = _class_ids(predicted_ids, num_classes, "predicted")
    if true_ids.shape != predicted_ids.shape:
        raise ValueError(
            f"{true_ids.size} true class ids but {predicted_ids.size} predicted ones; "
            "they must pair up one to one"
        )
    flat = np.bincount(true_ids * num_classes + predicted_ids, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


def classification_metrics(
    true_ids: Sequence[int], predicted_ids: Sequence[int], labels: Sequence[str]
) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix.

    Args:
        true_ids: the true class id of each example.
        predicted_ids: the predicted class id of each example.
        labels: the label of each class id (`labels[i]` names class `i`).

    Returns:
        A JSON-ready dict with the keys shown in the module docstring.
    """
    labels = [str(label) for label in labels]
    if len(labels) < 1 or len(set(labels)) != len(labels):
        raise ValueError(f"labels must be distinct and at least one; got {labels!r}")
    matrix = confusion_matrix(true_ids, predicted_ids, len(labels))
    count = int(matrix.sum())
    if count == 0:
        raise ValueError("no examples to compute metrics on")
    correct = np.diag(matrix)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    precision = _ratio(correct, predicted)
    recall = _ratio(correct, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    occurring = (support > 0) | (predicted > 0)
    per_class = {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    return {
        "count": count,
        "accuracy": float(correct.sum() / count),
        "macro_f1": float(f1[occurring].mean()),
        "labels": labels,
        "per_class": per_class,
        "confusion_matrix": matrix.tolist(),
    }


def format_metrics(metrics: dict) -> str:
    """A plain-text report of `classification_metrics` output, for a terminal."""
    labels = metrics["labels"]
    width = max(8, *(len(label) for label in labels))
    lines = [
        f"examples  {metrics['count']}",
        f"accuracy  {metrics['accuracy']:.4f}",
        f"macro-F1  {metrics['macro_f1']:.4f}",
        "",
        f"{'label':<{width}}  precision  recall     f1  support",
    ]
    for label in labels:
        row = metrics["per_class"][label]
        lines.append(
            f"{label:<{width}}  {row['precision']:9.4f}  {row['recall']:6.4f}  "
            f"{row['f1']:5.4f}  {row['support']:7d}"
        )
    cell = max(5, *(len(str(value)) for row in metrics["confusion_matrix"] for value in row))
    cell = max(cell, *(len(label) for label in labels))
    lines += ["", "confusion matrix (rows: true, columns: predicted)"]
    lines.append(" " * width + "  " + " ".join(f"{label:>{cell}}" for label in labels))
    for label, row in zip(labels, metrics["confusion_matrix"], strict=True):
        lines.append(f"{label:<{width}}  " + " ".join(f"{value:>{cell}}" for value in row))
    return "\n".join(lines)


def _class_ids(ids: Sequence[int], num_classes: int, role: str) -> np.ndarray:
    array = np.asarray(ids)
    if array.ndim != 1:
        raise ValueError(f"{role} class ids must be a flat sequence; got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{role} class ids must be integers; got dtype {array.dtype}")
    array = array.astype(np.int64)
    bad = (array < 0) | (array >= num_classes)
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(
            f"{role} class id {int(array[index])} at position {index} is outside 0..{num_classes - 1}"
        )
    return array


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out
