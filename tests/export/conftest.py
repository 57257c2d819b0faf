"""Fixtures for the export tests: real (tiny) training runs written into tmp directories.

`make_run_dir` generates a sentiment-like TSV dataset (train/dev/test), a small WordPiece
vocabulary, trains a 1-block FNet briefly until its decisions have a clear margin (so the
int8 gate is meaningful), and writes the run directory an export reads: model.keras,
vocab.txt, labels.txt and config.json (with the dataset's `source_info()`).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

CLASS_WORDS = {
    "0": ["bad", "awful", "poor", "dull", "boring"],
    "1": ["good", "great", "fine", "superb", "lovely"],
    "2": ["okay", "average", "plain", "middling"],
}
FILLER_WORDS = [
    "the",
    "movie",
    "was",
    "a",
    "plot",
    "actor",
    "film",
    "story",
    "and",
    "very",
    "quite",
    "it",
    "this",
]
SIZES = {"num_layers": 1, "hidden_dim": 32, "intermediate_dim": 64, "embedding_dim": 32, "num_heads": 2}
SPLIT_ROWS = {"train": 240, "dev": 60, "test": 60}


def _sentence(rng: random.Random, label: str) -> str:
    words = [rng.choice(FILLER_WORDS) for _ in range(rng.randint(3, 9))]
    words.insert(rng.randint(0, len(words)), rng.choice(CLASS_WORDS[label]))
    if rng.random() < 0.3:
        words.append(rng.choice([".", "!", ","]))
    return " ".join(words)


def write_dataset(directory: Path, num_classes: int, seed: int) -> Path:
    """train.tsv, dev.tsv, test.tsv (`sentence<TAB>label`) with balanced generated rows."""
    rng = random.Random(seed)
    labels = [str(i) for i in range(num_classes)]
    directory.mkdir(parents=True, exist_ok=True)
    for split, rows in SPLIT_ROWS.items():
        lines = ["sentence\tlabel"]
        for index in range(rows):
            label = labels[index % num_classes]
            lines.append(f"{_sentence(rng, label)}\t{label}")
        (directory / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def make_run_dir(root: Path, *, sequence_length: int, num_classes: int, seed: int = 0) -> Path:
    """A finished tiny training run under `root/run` (data under `root/data`), made by `fit`."""
    from fnet_keras.training import TrainSettings, fit

    settings = TrainSettings(
        preset="tiny", sequence_length=sequence_length, vocabulary_size=200, batch_size=32, epochs=12,
        learning_rate=3e-3, warmup_fraction=0.0, dropout=0.0, patience=None, seed=seed,
        backbone_overrides=SIZES,
    )
    fit(write_dataset(root / "data", num_classes, seed), root / "run", settings, verbose=0)
    return root / "run"


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    """Power-of-two sizes (sequence 16, hidden 32), two classes."""
    return make_run_dir(tmp_path_factory.mktemp("run16"), sequence_length=16, num_classes=2)


@pytest.fixture(scope="session")
def odd_run_dir(tmp_path_factory) -> Path:
    """A non-power-of-two sequence length (24), three classes."""
    return make_run_dir(tmp_path_factory.mktemp("run24"), sequence_length=24, num_classes=3, seed=1)
