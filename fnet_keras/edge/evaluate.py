"""Scoring a bundle on labelled data, TF-free: the same metrics and JSON keys as a run's evaluate.

`evaluate_bundle(bundle, data, split=...)` mirrors `fnet_keras.training.evaluate(run_dir, data,
split=...)`: `fnet_keras.metrics.classification_metrics` output plus `data` and `split`; a
bundle adds `bundle`, `truncated` and `timing`.
"""

from __future__ import annotations

import os
from typing import Any

from fnet_keras.data.dataset import SPLIT_NAMES, check_split, read_evaluation_split  # noqa: F401
from fnet_keras.data.label_map import LabelMap
from fnet_keras.data.readers import ColumnSpec
from fnet_keras.edge.bundle import Bundle
from fnet_keras.metrics import classification_metrics


def evaluate_bundle(
    bundle: Bundle,
    data: str | os.PathLike,
    *,
    split: str | None = None,
    text_column: ColumnSpec = None,
    label_column: ColumnSpec = None,
) -> dict[str, Any]:
    """Classifies every example of `data` with `bundle` and scores the predictions.

    Args:
        bundle: a loaded bundle.
        data: a labelled file, or a data directory (its `split` file is read).
        split: which split of a directory: train, dev or test (None: test); not with a file.
        text_column, label_column: columns of `data` (None: found from the header).

    Returns:
        `classification_metrics` output (count, accuracy, macro_f1, labels, per_class,
        confusion_matrix), "data" (the file read), "split" (its name, or None when `data` is a
        file), "bundle" (`Bundle.describe()`), "truncated" (texts longer than the sequence
        length) and "timing" (seconds tokenizing and in inference, total and per example).

    Raises:
        DataError: unreadable data, or a label the bundle does not know (file and line named).
    """
    split = check_split(split, data)
    examples = read_evaluation_split(
        data, split or "test", text_column=text_column, label_column=label_column
    )
    true_ids = LabelMap(bundle.labels).encode(examples)
    result = bundle.classify(examples.texts)
    metrics = classification_metrics(true_ids, result.predicted_ids, bundle.labels)
    count = len(examples)
    return {
        **metrics,
        "split": split,
        "data": examples.path,
        "bundle": bundle.describe(),
        "truncated": sum(prediction.truncated for prediction in result),
        "timing": {
            "tokenize_seconds": result.tokenize_seconds,
            "inference_seconds": result.inference_seconds,
            "tokenize_ms_per_example": 1000 * result.tokenize_seconds / count,
            "inference_ms_per_example": 1000 * result.inference_seconds / count,
        },
    }
