"""`ExportInputs`: the token ids and Keras reference logits every export mode is checked with."""

from __future__ import annotations

import dataclasses
import random

import numpy as np

from fnet_keras.export.errors import ExportError
from fnet_keras.export.parity import MIN_PARITY_EXAMPLES
from fnet_keras.export.run_source import RunSource
from fnet_keras.training.pipeline import predict_logits  # the trainer's inference loop


@dataclasses.dataclass
class ExportInputs:
    """Inputs shared by all modes of one export.

    Attributes:
        gate_ids: int32 `(n, seq)` ids of the first `n` dev examples (the parity gate).
        reference_logits: the Keras model's logits on `gate_ids` (`model.predict`).
        calibration_ids: int32 ids of the representative training texts (int8 calibration).
        test_ids, test_labels: the labelled test split (None without one).
        keras_test_logits: the Keras model's logits on `test_ids` (None without a test split).
    """

    gate_ids: np.ndarray
    reference_logits: np.ndarray
    calibration_ids: np.ndarray
    test_ids: np.ndarray | None
    test_labels: np.ndarray | None
    keras_test_logits: np.ndarray | None

    @property
    def keras_test_accuracy(self) -> float | None:
        if self.test_labels is None:
            return None
        return float(np.mean(self.keras_test_logits.argmax(axis=1) == self.test_labels))


def prepare_inputs(
    model, source: RunSource, parity_examples: int = 1000, representative_samples: int = 200
) -> ExportInputs:
    """Tokenizes the gate, calibration and test texts and computes the Keras reference.

    Call it on a freshly loaded model before any mixing method is switched: the reference
    is the model exactly as trained and saved.

    Args:
        model: the run's Keras model.
        source: the run (`load_run`).
        parity_examples: dev examples for the gate (at least 500; all of dev if it is smaller).
        representative_samples: training texts for int8 calibration, drawn with the run's seed.
    """
    check_counts(parity_examples, representative_samples)
    _check_model(model, source)
    dataset = source.dataset
    gate_ids = source.encode(dataset.dev.texts[:parity_examples])
    if len(gate_ids) == 0:
        raise ExportError("the dev split is empty: the parity gate has nothing to compare", dataset.dev.path)
    train = dataset.train
    picked = random.Random(source.seed).sample(range(len(train)), min(representative_samples, len(train)))
    calibration_ids = source.encode([train.texts[i] for i in picked])
    test = dataset.test
    test_ids = test_labels = keras_test_logits = None
    if test is not None and test.has_labels and len(test) > 0:
        try:
            test_labels = np.asarray(source.label_map.encode(test), dtype=np.int64)
        except ValueError as error:
            raise ExportError(f"cannot score the test split: {error}") from None
        test_ids = source.encode(test.texts)
        keras_test_logits = predict_logits(model, test_ids)
    reference_logits = predict_logits(model, gate_ids)
    if reference_logits.shape[1] != len(source.label_map):
        raise ExportError(
            f"the model gives {reference_logits.shape[1]} logits but labels.txt has "
            f"{len(source.label_map)} labels",
            source.model_path,
        )
    return ExportInputs(gate_ids, reference_logits, calibration_ids, test_ids, test_labels, keras_test_logits)


def check_counts(parity_examples: int, representative_samples: int) -> None:
    """ExportError unless parity_examples >= 500 and representative_samples >= 1 (integers)."""
    for name, value, minimum in (
        ("parity_examples", parity_examples, MIN_PARITY_EXAMPLES),
        ("representative_samples", representative_samples, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ExportError(f"{name} must be an integer >= {minimum}, got {value!r}")




def _check_model(model, source: RunSource) -> None:
    shape = tuple(model.input_shape) if not isinstance(model.input_shape, dict) else None
    if shape is None or len(shape) != 2:
        raise ExportError(
            f"the model takes {model.input_shape}; export supports one int32 token_ids input of shape "
            f"(batch, sequence_length)",
            source.model_path,
        )
    if shape[1] is not None and shape[1] != source.sequence_length:
        raise ExportError(
            f"the model takes sequences of {shape[1]} tokens but the tokenizer packs "
            f"{source.sequence_length}",
            source.model_path,
        )
