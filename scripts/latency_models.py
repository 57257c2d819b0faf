"""Random-initialized classifiers of every architecture, converted to LiteRT, for latency sweeps.

Latency does not depend on the weights' values, so the sweeps (`scripts/latency_sweep.py`) time
untrained models: each `SweepModel` is one architecture at a preset's sizes, built with fixed
seeds, traced in the MediaPipe layout and converted with one `Recipe` by the export pipeline's
own code (`fnet_keras.export.convert`), so what is timed is what `fnet-keras export` would ship.

    model = build_model("fnet-rfft", "mini", 512)
    tflite = convert_model(model, "fnet-rfft", 512, "int8", calibration_ids(512, 8))

The kinds: FNet with RFFT2D and with DFT-as-matmul mixing, the Transformer twin (attention in
every block), Hybrid (attention in the top block), the FF-only floor (the same blocks with the
mixing sublayer removed: what FNet would cost if mixing were free) and the bag-of-embeddings
baseline (embedding, mean over tokens, dense: MediaPipe Model Maker's average word embedding).
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np

from fnet_keras.export.recipes import Recipe
from fnet_keras.presets import MODEL_KINDS as KINDS
from fnet_keras.presets import get_preset, is_power_of_two

VOCABULARY_SIZE = 8000
NUM_CLASSES = 2


@dataclasses.dataclass(frozen=True)
class SweepModel:
    """One architecture of the sweep: a kind of `fnet_keras.presets.MODEL_KINDS` (or the bag of
    embeddings) with the Fourier method it is traced with.

    Attributes:
        name: short name in reports ("fnet-rfft", "transformer", ...).
        label: what it is, in words.
        mixing: the `FNetBackbone` mixing, or None for the bag-of-embeddings model.
        fourier_method: the FourierMixing method traced ("rfft", "dft") or None.
    """

    name: str
    label: str
    mixing: str | None
    fourier_method: str | None = None

    def supports(self, sequence_length: int) -> bool:
        """Whether the kind can run at this length (RFFT2D: powers of two only)."""
        return self.fourier_method != "rfft" or is_power_of_two(sequence_length)


MODEL_KINDS = {
    kind.name: kind
    for kind in (
        SweepModel("fnet-rfft", f"{KINDS['fourier'].title}, RFFT2D mixing", "fourier", "rfft"),
        SweepModel("fnet-dft", f"{KINDS['fourier'].title}, DFT-as-matmul mixing", "fourier", "dft"),
        SweepModel("transformer", KINDS["attention"].label, "attention"),
        SweepModel("hybrid", KINDS["hybrid"].label, "hybrid", "rfft"),
        SweepModel("ff-only", KINDS["none"].label, "none"),
        SweepModel("bag-of-embeddings", "bag of embeddings (mean of embeddings, dense)", None),
    )
}


def model_kind(name: str) -> SweepModel:
    if name not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {name!r}; known: {', '.join(MODEL_KINDS)}")
    return MODEL_KINDS[name]


def recipe_for(kind: str | SweepModel, mode: str, sequence_length: int) -> Recipe:
    """The export recipe of a kind in a mode: its Fourier method where it has Fourier blocks.

    Hybrid takes RFFT2D at power-of-two lengths and DFT elsewhere, as `fnet-keras export`'s auto.
    """
    kind = model_kind(kind) if isinstance(kind, str) else kind
    method = kind.fourier_method
    if kind.mixing == "hybrid" and not is_power_of_two(sequence_length):
        method = "dft"
    return Recipe(mode, method)


def build_model(kind: str | SweepModel, preset: str, sequence_length: int, seed: int = 0):
    """The random-initialized Keras classifier of `kind` at `preset`'s sizes, fixed length.

    Positions get a learned embedding up to `max(preset max_sequence_length, sequence_length)`.
    """
    import keras

    from fnet_keras.models import BagOfEmbeddingsClassifier, TextClassifier

    kind = model_kind(kind) if isinstance(kind, str) else kind
    keras.utils.set_random_seed(seed)
    if kind.mixing is None:
        return BagOfEmbeddingsClassifier(
            vocabulary_size=VOCABULARY_SIZE, num_classes=NUM_CLASSES, sequence_length=sequence_length
        )
    sizes = get_preset(preset)
    method = recipe_for(kind, "fp32", sequence_length).fourier_method or "auto"
    return TextClassifier.from_preset(
        preset,
        vocabulary_size=VOCABULARY_SIZE,
        num_classes=NUM_CLASSES,
        mixing=kind.mixing,
        sequence_length=sequence_length,
        max_sequence_length=max(sizes["max_sequence_length"], sequence_length),
        fourier_method=method,
        dropout=0.0,
    )


def calibration_ids(sequence_length: int, count: int, seed: int = 0) -> np.ndarray:
    """`count` rows of random token ids with padding after a random length (a quarter to all of it).

    The padding matters to calibration: the attention mask's range comes from padded positions.
    """
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, VOCABULARY_SIZE, size=(count, sequence_length), dtype=np.int32)
    lengths = rng.integers(max(1, sequence_length // 4), sequence_length + 1, size=count)
    ids[np.arange(sequence_length)[None, :] >= lengths[:, None]] = 0
    return ids


def convert_model(
    model, kind: str | SweepModel, sequence_length: int, mode: str, calibration: np.ndarray | None = None
) -> bytes:
    """LiteRT bytes of `model` in `mode` (MediaPipe layout, builtin ops), as the exporter converts.

    Args:
        model: from `build_model`.
        kind: its kind (for the recipe).
        sequence_length: the model's fixed length.
        mode: "fp32", "fp16", "dynamic" or "int8".
        calibration: int32 `(n, sequence_length)` ids for int8 (`calibration_ids`).
    """
    from fnet_keras.export.convert import convert, write_saved_model

    recipe = recipe_for(kind, mode, sequence_length)
    with tempfile.TemporaryDirectory(prefix="fnet-keras-latency-") as workdir:
        saved = write_saved_model(model, sequence_length, recipe, Path(workdir))
        return convert(saved, recipe, calibration if recipe.calibrated else None)
