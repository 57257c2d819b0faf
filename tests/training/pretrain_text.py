"""Generated unlabelled text and tiny pre-training settings, shared by tests/training."""

from __future__ import annotations

import random
from pathlib import Path

# Twenty words in a fixed cycle: a document is a stretch of the cycle, so every masked word is
# predictable from its neighbours (a language a tiny model learns in seconds).
CYCLE = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar "
    "papa quebec romeo sierra tango"
).split()
TINY_BACKBONE = {
    "num_layers": 1,
    "hidden_dim": 32,
    "intermediate_dim": 64,
    "embedding_dim": 16,
    "num_heads": 2,
}
TINY_PRETRAIN = {
    "preset": "tiny",
    "sequence_length": 16,
    "vocabulary_size": 100,
    "batch_size": 16,
    "learning_rate": 5e-3,
    "warmup_fraction": 0.1,
    "log_every": 5,
    "backbone_overrides": TINY_BACKBONE,
}


def cycle_documents(count: int, seed: int, max_words: int = 40) -> list[str]:
    """`count` documents, each a run of 1..max_words words of CYCLE from a random start."""
    rng = random.Random(seed)
    documents = []
    for _ in range(count):
        start, length = rng.randrange(len(CYCLE)), rng.randint(1, max_words)
        documents.append(" ".join(CYCLE[(start + i) % len(CYCLE)] for i in range(length)))
    return documents


def topic_documents(count: int, seed: int, max_words: int = 40) -> list[str]:
    """`count` documents, each 1..max_words words drawn from one of four five-word topics of CYCLE.

    A masked word is one of the five words of its document's topic: a model that reads the rest
    of the document gets about one in five right, chance one in twenty.
    """
    rng = random.Random(seed)
    documents = []
    for _ in range(count):
        topic = rng.randrange(4)
        words = CYCLE[5 * topic : 5 * topic + 5]
        documents.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, max_words))))
    return documents


def write_text(path: Path, documents: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(document + "\n" for document in documents), encoding="utf-8")
    return path
