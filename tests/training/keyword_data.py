"""Tiny keyword-labelled data and tiny model settings, shared by tests/training and tests/test_cli.py."""

from __future__ import annotations

import random
from pathlib import Path

FILLER = "the a movie film plot story actor scene music very quite rather really".split()
KEYWORDS = {
    "neg": ("awful", "boring", "dreadful"),
    "neu": ("okay", "average", "fine"),
    "pos": ("great", "wonderful", "superb"),
}
# A backbone small enough to train in about a second per epoch on two cores.
TINY_BACKBONE = {
    "num_layers": 1, "hidden_dim": 32, "intermediate_dim": 64, "embedding_dim": 32, "num_heads": 2,
}
TINY_SETTINGS = {
    "preset": "tiny",
    "sequence_length": 16,
    "vocabulary_size": 200,
    "batch_size": 16,
    "learning_rate": 5e-3,
    "backbone_overrides": TINY_BACKBONE,
}


def keyword_rows(count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (sentence, label) pairs: filler words plus one keyword that gives the label."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        label = rng.choice(sorted(KEYWORDS))
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 8))]
        words.insert(rng.randint(0, len(words)), rng.choice(KEYWORDS[label]))
        rows.append((" ".join(words), label))
    return rows


def write_tsv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"{text}\t{label}\n" for text, label in rows)
    path.write_text("sentence\tlabel\n" + lines, encoding="utf-8")
    return path


def write_keyword_data(directory: Path) -> Path:
    """train.tsv (200 rows), dev.tsv and test.tsv (60 rows each) in `directory`."""
    for name, count, seed in (("train", 200, 1), ("dev", 60, 2), ("test", 60, 3)):
        write_tsv(directory / f"{name}.tsv", keyword_rows(count, seed))
    return directory
