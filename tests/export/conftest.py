"""Fixtures for the export tests: real (tiny) training runs written into tmp directories.

`make_run_dir` generates a sentiment-like TSV dataset (train/dev/test), a small WordPiece
vocabulary, trains a 1-block FNet briefly until its decisions have a clear margin (so the
int8 gate is meaningful), and writes the run directory an export reads: model.keras,
vocab.txt, labels.txt and config.json (with the dataset's `source_info()`).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fnet_keras.data import LabelMap, load_dataset
from fnet_keras.text import SPECIAL_TOKENS, TokenizerConfig, WordPieceEncoder, save_vocabulary

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
    """A finished tiny training run under `root/run` (data under `root/data`)."""
    import keras
    import numpy as np

    from fnet_keras.models import TextClassifier

    dataset = load_dataset(write_dataset(root / "data", num_classes, seed))
    vocabulary = list(SPECIAL_TOKENS) + sorted(
        {word for words in CLASS_WORDS.values() for word in words} | set(FILLER_WORDS) | {".", "!", ","}
    )
    config = TokenizerConfig(sequence_length=sequence_length)
    encoder = WordPieceEncoder(vocabulary, config)
    label_map = LabelMap.from_labels(dataset.train.labels)
    x = np.asarray(encoder.encode_batch(dataset.train.texts), dtype=np.int32)
    y = np.asarray(label_map.encode(dataset.train), dtype=np.int32)

    keras.utils.set_random_seed(seed)
    model = TextClassifier.from_preset(
        "tiny",
        vocabulary_size=len(vocabulary),
        num_classes=num_classes,
        sequence_length=sequence_length,
        **SIZES,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, batch_size=32, epochs=12, verbose=0)

    run_dir = root / "run"
    run_dir.mkdir(parents=True)
    model.save(run_dir / "model.keras", include_optimizer=False)
    save_vocabulary(vocabulary, run_dir / "vocab.txt")
    label_map.save(run_dir / "labels.txt")
    run_config = {
        "format_version": 1,
        "preset": "tiny",
        "mixing": "fourier",
        "backbone_overrides": SIZES,
        "sequence_length": sequence_length,
        "tokenizer": config.to_dict(),
        "labels": list(label_map.labels),
        "seed": seed,
        "data": dataset.source_info(),
    }
    (run_dir / "config.json").write_text(json.dumps(run_config, indent=2) + "\n", encoding="utf-8")
    return run_dir


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    """Power-of-two sizes (sequence 16, hidden 32), two classes."""
    return make_run_dir(tmp_path_factory.mktemp("run16"), sequence_length=16, num_classes=2)


@pytest.fixture(scope="session")
def odd_run_dir(tmp_path_factory) -> Path:
    """A non-power-of-two sequence length (24), three classes."""
    return make_run_dir(tmp_path_factory.mktemp("run24"), sequence_length=24, num_classes=3, seed=1)
