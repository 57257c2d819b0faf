"""`evaluate_bundle`: a bundle scored on labelled data, TF-free, with the metrics and JSON keys of a
run's `fnet_keras.training.evaluate` (`fnet_keras.metrics.classification_metrics`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from fnet_keras.data.dataset import check_split, read_evaluation_split
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
    label_map: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Classifies every example of `data` with `bundle` and scores the predictions.

    Args:
        bundle: a loaded bundle.
        data: a labelled file, or a data directory (its `split` file is read).
        split: which split of a directory: train, dev or test (None: test); not with a file.
        text_column, label_column: columns of `data` (None: found from the header).
        label_map: data label -> bundle label, for data that spells the classes otherwise; labels
            it does not name are taken as they are. None: bundle.json's "data_labels", the data's
            spelling of labels the export renamed (`--rename-labels 0=negative,...`), if any, so
            a bundle scores the data it was trained on.

    Returns:
        `classification_metrics` output (count, accuracy, macro_f1, labels, per_class,
        confusion_matrix), "data" (the file read), "split" (its name, or None when `data` is a
        file), "bundle" (`Bundle.describe()`), "truncated" (texts longer than the sequence
        length), "timing" (seconds tokenizing and in inference, total and per example) and,
        where one applied, "label_map".

    Raises:
        DataError: unreadable data, a label the bundle does not know (file and line named), or a
            `label_map` target that is not one of the bundle's labels.
    """
    split = check_split(split, data)
    examples = read_evaluation_split(
        data, split or "test", text_column=text_column, label_column=label_column
    )
    labels = LabelMap(bundle.labels)
    if label_map is None:
        recorded = zip(bundle.data_labels, bundle.labels, strict=True) if bundle.data_labels else ()
        aliases = {data: shown for data, shown in recorded if data != shown}
    else:
        aliases = labels.check_aliases(label_map, "--label-map")
    true_ids = labels.encode(
        examples, aliases, "; if the data spells the labels otherwise, map them: --label-map DATA=LABEL,..."
    )
    result = bundle.classify(examples.texts)
    metrics = classification_metrics(true_ids, result.predicted_ids, bundle.labels)
    count = len(examples)
    return {
        **metrics,
        **({"label_map": aliases} if aliases else {}),
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
