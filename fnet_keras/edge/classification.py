"""Classification results: `Prediction` (one text) and `Classification` (a batch), and the softmax.

Both print well (`str(prediction)` is `pos 0.9731`) and serialize to the JSON the CLI writes
(`to_dict()`). Pure numpy: the Keras path (a run directory) and the edge path (a bundle) return the
same objects, made by `classify_texts`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from fnet_keras.edge.errors import EmptyTextError
from fnet_keras.text.wordpiece import pack_token_ids


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64 (the one in the package)."""
    logits = np.asarray(logits, dtype=np.float64)
    exponentials = np.exp(logits - logits.max(axis=-1, keepdims=True, initial=-np.inf))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


@dataclasses.dataclass(frozen=True)
class Prediction:
    """What a classifier says about one text.

    Attributes:
        text: the text classified.
        label: the most probable label.
        probability: its probability.
        ranking: `(label, probability)` pairs, most probable first (all labels, or the top k).
        tokens: the text's word pieces before packing ([CLS]/[SEP] not counted).
        truncated: whether it had more pieces than fit the model's sequence length.
    """

    text: str
    label: str
    probability: float
    ranking: tuple[tuple[str, float], ...]
    tokens: int
    truncated: bool

    def __str__(self) -> str:
        return f"{self.label} {self.probability:.4f}"

    def to_dict(self) -> dict[str, Any]:
        ranking = [{"label": label, "probability": probability} for label, probability in self.ranking]
        return {**dataclasses.asdict(self), "ranking": ranking}


@dataclasses.dataclass(frozen=True)
class Classification(Sequence[Prediction]):
    """The predictions for a batch of texts, in input order (`result[0].label`, `for prediction in
    result`), with the time spent in each stage.

    Attributes:
        predictions: one `Prediction` per text.
        probabilities: float64 `[num_texts, num_classes]`, in label order.
        labels: the class labels in probability-column order.
        tokenize_seconds: wall time turning the texts into ids.
        inference_seconds: wall time in the model.
    """

    predictions: tuple[Prediction, ...]
    probabilities: np.ndarray = dataclasses.field(repr=False)
    labels: tuple[str, ...]
    tokenize_seconds: float
    inference_seconds: float

    def __len__(self) -> int:
        return len(self.predictions)

    def __getitem__(self, index):
        return self.predictions[index]

    @property
    def predicted_ids(self) -> list[int]:
        """The class id of each text's top label."""
        return [self.labels.index(prediction.label) for prediction in self.predictions]

    def to_dict(self) -> dict[str, Any]:
        return {
            "results": [{"index": index, **prediction.to_dict()} for index, prediction in enumerate(self)],
            "count": len(self),
            "truncated": sum(prediction.truncated for prediction in self),
            "timing": {
                "tokenize_seconds": self.tokenize_seconds,
                "inference_seconds": self.inference_seconds,
            },
        }


def classify_texts(
    texts: str | Sequence[str],
    tokenizer,
    probabilities_of,
    labels: Sequence[str],
    sequence_length: int,
    top_k: int | None = None,
) -> Prediction | Classification:
    """Tokenizes `texts`, gets their probabilities and ranks the labels: the one classify of the package.

    Args:
        texts: one text (then a `Prediction` is returned) or a sequence of texts (a `Classification`);
            a text with more word pieces than fit is truncated (`Prediction.truncated`).
        tokenizer: has `token_ids(text) -> list[int]` (unpacked word-piece ids).
        probabilities_of: int32 packed ids `[n, sequence_length]` -> probabilities `[n, num_classes]`.
        labels: the labels in probability-column order.
        sequence_length: the packed length.
        top_k: how many labels each ranking keeps (None: all; ties keep label order).

    Raises:
        EmptyTextError: a text has no word pieces (empty, blank or only dropped characters): there
            is nothing to classify, and a label for it would be a confident answer about nothing.
        TokenizerError: a text is not a str or holds a lone surrogate.
    """
    single = isinstance(texts, str)
    texts = [texts] if single else list(texts)
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
    start = time.perf_counter()
    token_ids = [tokenizer.token_ids(text) for text in texts]
    empty = [index for index, ids in enumerate(token_ids) if not ids]
    if empty:
        raise EmptyTextError(empty, texts)
    packed = np.asarray([pack_token_ids(ids, sequence_length) for ids in token_ids], np.int32).reshape(
        len(texts), sequence_length
    )
    tokenize_seconds = time.perf_counter() - start
    start = time.perf_counter()
    probabilities = np.asarray(probabilities_of(packed), np.float64).reshape(len(texts), len(labels))
    inference_seconds = time.perf_counter() - start
    labels = tuple(labels)
    keep = len(labels) if top_k is None else min(top_k, len(labels))
    predictions = []
    for text, row, ids in zip(texts, probabilities, token_ids, strict=True):
        order = sorted(range(len(labels)), key=lambda index: -row[index])[:keep]
        ranking = tuple((labels[index], float(row[index])) for index in order)
        count = len(ids)
        predictions.append(Prediction(text, *ranking[0], ranking, count, count > sequence_length - 2))
    result = Classification(tuple(predictions), probabilities, labels, tokenize_seconds, inference_seconds)
    return result[0] if single else result
