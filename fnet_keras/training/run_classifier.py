"""`RunClassifier`: a finished run directory as a text classifier, strings in, labels out (Keras path).

    classifier = RunClassifier.load("runs/sst2-tiny")     # or fnet_keras.load(...)
    classifier.classify("a gorgeous, witty film")          # Prediction: 1 0.9731
    classifier.predict(["a gorgeous film", "dull"])        # probabilities, (2, num_labels)

The Keras model of a run takes token ids; this carries the run's tokenizer with it, the way
keras-hub's task models carry their preprocessor, and returns the same `Prediction` and
`Classification` objects as a bundle (`fnet_keras.edge.Bundle`). Texts are tokenized by the
pure-Python tokenizer, which gives the ids training's in-graph tokenizer gives (tested).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fnet_keras.edge.classification import Classification, Prediction, classify_texts, softmax
from fnet_keras.text import WordPieceEncoder
from fnet_keras.training.input_pipeline import predict_logits
from fnet_keras.training.run_dir import Run, RunDir


class RunClassifier:
    """A run (`RunDir.load()`) with its Keras model (token ids -> logits; default: loaded from the run),
    its tokenizer (a `WordPieceEncoder`) and its labels in logit order."""

    def __init__(self, run: Run, model=None):
        self.run, self.path, self.labels = run, run.path, run.labels
        self.model = run.load_model() if model is None else model
        self.tokenizer = WordPieceEncoder(run.vocabulary, run.tokenizer_config)

    @classmethod
    def load(cls, run_dir: str | os.PathLike) -> RunClassifier:
        """Reads the run directory and its model."""
        return cls(RunDir(Path(run_dir)).load())

    sequence_length = property(lambda self: self.run.sequence_length)
    name = property(lambda self: self.path.name)

    def probabilities(self, token_ids: np.ndarray) -> np.ndarray:
        """float64 `[n, num_labels]` probabilities of packed ids `[n, sequence_length]`."""
        return softmax(predict_logits(self.model, np.asarray(token_ids, np.int32)))

    def classify(self, texts: str | Sequence[str], top_k: int | None = None) -> Prediction | Classification:
        """Labels of one text (a `Prediction`) or of a sequence of texts (a `Classification`); an
        `EmptyTextError` for a text without word pieces (empty or blank)."""
        texts = texts if isinstance(texts, str) else list(texts)
        return classify_texts(texts, self.tokenizer, self.probabilities, self.labels, self.sequence_length,
                              top_k)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities `[len(texts), num_labels]` in label order."""
        return self.classify(list(texts)).probabilities

    def describe(self) -> dict:
        return {"path": str(self.path), "name": self.name, "kind": "run directory (Keras)",
                "sequence_length": self.sequence_length, "labels": list(self.labels)}
