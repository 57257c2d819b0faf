"""`evaluate`: score a run directory's Keras model on labelled data.

    metrics = evaluate("runs/sst2-mini", "../shared/data/sst2/test.tsv")

The TF-free twin for bundles is `fnet_keras.edge.evaluate_bundle`; both report through
`fnet_keras.metrics.classification_metrics`, so their JSON has the same keys.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from fnet_keras.data import check_split
from fnet_keras.metrics import classification_metrics
from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
from fnet_keras.training.input_pipeline import EVAL_BATCH_SIZE, encode_texts, predict_logits
from fnet_keras.training.run_dir import RunDir


def evaluate(run_dir: str | os.PathLike, data: str | os.PathLike | None = None, *, split: str | None = None,
             text_column: str | int | None = None, label_column: str | int | None = None,
             batch_size: int = EVAL_BATCH_SIZE, label_map: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Scores the model of a run directory on labelled data.

    Args:
        data: a labelled file, or a data directory (its `split` file is read); None: the
            `split` of the data recorded in the run.
        split: which split of a directory (or of the recorded data): train, dev or test (None:
            test). Giving one with a file is an error: a file is one split already.
        text_column, label_column: columns of `data` (None: found from the header).
        label_map: data label -> the run's label, for data that spells the classes otherwise;
            labels it does not name are taken as they are.

    Returns:
        `fnet_keras.metrics.classification_metrics` output plus `data` (the file read) and
        `split` (the split's name, or None when `data` is a file), and `label_map` if one was given.

    Raises:
        DataError: unreadable data, or a label the run does not know (file, line, label).
        RunDirError: not a run directory, or an unfinished run.
    """
    split = check_split(split, data)
    run = RunDir(run_dir).load()
    examples = run.read_split(split or "test", data, text_column=text_column, label_column=label_column)
    aliases = run.label_map.check_aliases(label_map, "--label-map") if label_map else {}
    true_ids = run.label_map.encode(
        examples, aliases, "; if the data spells the labels otherwise, map them: --label-map DATA=LABEL,..."
    )
    tokenizer = make_tf_tokenizer(run.vocabulary, run.tokenizer_config)
    model = run.load_model()
    logits = predict_logits(model, encode_texts(tokenizer, examples.texts), batch_size)
    metrics = classification_metrics(true_ids, np.argmax(logits, axis=1), run.labels)
    return {**metrics, **({"label_map": aliases} if aliases else {}), "split": split, "data": examples.path}
