"""evaluate: metrics of a run's model, checked against numpy on the same predictions."""

import random

import numpy as np
import pytest
from support import FILLER, KEYWORDS, write_tsv

from fnet_keras.data import DataError, read_split
from fnet_keras.text import TokenizerConfig, WordPieceEncoder
from fnet_keras.training import RunDirError, evaluate


def confusing_rows(count, seed):
    """Sentences with keywords of two labels and a random label: the model gets many wrong."""
    rng = random.Random(seed)
    labels = sorted(KEYWORDS)
    rows = []
    for _ in range(count):
        words = [rng.choice(FILLER) for _ in range(4)]
        for label in rng.sample(labels, 2):
            words.insert(rng.randint(0, len(words)), rng.choice(KEYWORDS[label]))
        rows.append((" ".join(words), rng.choice(labels)))
    return rows


def test_metrics_match_numpy_on_the_models_predictions(trained_run, tmp_path):
    path = write_tsv(tmp_path / "eval.tsv", confusing_rows(90, seed=4))
    metrics = evaluate(trained_run.run_dir, path)

    # The same predictions by another route: the pure-Python tokenizer and model.predict.
    split = read_split(path)
    encoder = WordPieceEncoder(trained_run.vocabulary, TokenizerConfig(sequence_length=16))
    token_ids = np.array(encoder.encode_batch(split.texts), np.int32)
    predicted = trained_run.model.predict(token_ids, verbose=0).argmax(1)
    labels = list(trained_run.labels)
    true = np.array([labels.index(label) for label in split.labels])
    matrix = np.zeros((3, 3), int)
    np.add.at(matrix, (true, predicted), 1)
    assert 0.2 < np.trace(matrix) / 90 < 0.9  # a mixed result, not a trivial one

    assert metrics["count"] == 90 and metrics["data"] == str(path) and metrics["split"] is None
    assert metrics["labels"] == labels
    assert metrics["confusion_matrix"] == matrix.tolist()
    assert metrics["accuracy"] == pytest.approx(np.mean(true == predicted))
    f1s = []
    for k, label in enumerate(labels):
        precision = matrix[k, k] / matrix[:, k].sum() if matrix[:, k].sum() else 0.0
        recall = matrix[k, k] / matrix[k].sum()
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(f1)
        assert metrics["per_class"][label] == pytest.approx(
            {"precision": precision, "recall": recall, "f1": f1, "support": int(matrix[k].sum())}
        )
    assert metrics["macro_f1"] == pytest.approx(np.mean(f1s))


def test_recorded_data_and_directories(trained_run, keyword_data_dir):
    recorded = evaluate(trained_run.run_dir)  # the test split of the data the run recorded
    assert recorded["split"] == "test" and recorded["count"] == 60
    assert recorded["accuracy"] == pytest.approx(trained_run.test_metrics["accuracy"])
    dev = evaluate(trained_run.run_dir, keyword_data_dir, split="dev")
    assert dev["split"] == "dev" and dev["accuracy"] == pytest.approx(trained_run.dev_metrics["accuracy"])


def test_unknown_label_names_file_line_and_label(trained_run, tmp_path):
    path = write_tsv(tmp_path / "eval.tsv", [("a great film", "pos"), ("an awful film", "meh")])
    with pytest.raises(DataError, match=r"eval\.tsv, line 3: label 'meh'"):
        evaluate(trained_run.run_dir, path)


def test_not_a_run_directory(tmp_path):
    with pytest.raises(RunDirError, match="not a run directory"):
        evaluate(tmp_path)
