"""`Classification`: what classifying a batch of texts gave, with the time spent in each stage."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class Classification:
    """The results of `Bundle.classify_timed` for a list of texts, in input order.

    Attributes:
        rankings: per text, `[(label, probability), ...]` sorted by probability, highest
            first (ties keep label order), cut to `top_k` if one was given.
        logits: float32 `[num_texts, num_classes]` (an int8 output dequantized).
        probabilities: float64 `[num_texts, num_classes]`, the softmax of `logits`.
        token_counts: per text, its WordPiece tokens before packing ([CLS]/[SEP] not counted).
        truncated: per text, whether it had more tokens than fit (`sequence_length - 2`).
        tokenize_seconds: wall time spent turning the texts into ids.
        inference_seconds: wall time spent in the interpreter (set input, invoke, read output).
    """

    rankings: list[list[tuple[str, float]]]
    logits: np.ndarray
    probabilities: np.ndarray
    token_counts: list[int]
    truncated: list[bool]
    tokenize_seconds: float
    inference_seconds: float

    @property
    def predictions(self) -> list[int]:
        """The class id with the highest logit, per text."""
        return [int(index) for index in np.argmax(self.logits, axis=1)] if len(self.logits) else []
