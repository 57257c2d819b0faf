"""How big a quickstart is: its built-in ListOps data, the models' length and the training schedule. No TF.

`SIZES["default"]` is what `fnet-keras quickstart` runs (about 3 minutes on 2 cores,
docs/results/quickstart.md); `"small"` is the same pipeline at test size.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from fnet_keras.data.listops import ListOpsConfig
from fnet_keras.presets import PRESETS
from fnet_keras.quickstart.errors import QuickstartError
from fnet_keras.training.settings import TrainSettings

PRESET = "tiny"
# Dynamic range (int8 weights, float activations): the fastest mode that passed the parity gate on
# trained models (docs/results/quantization.md).
QUANTIZED_MODE = "dynamic"
MODES = ("fp32", QUANTIZED_MODE)
# Model lengths for --data are powers of two (LiteRT's RFFT2D needs them), within the preset's.
USER_DATA_LENGTHS = (32, 64, 128, 256, 512)
# --data without --sequence-length: long enough for this share of the training texts, counting this
# many word pieces per word (estimated before the vocabulary exists; English WordPiece gives 1.2-1.4).
USER_DATA_COVERED = 0.95
PIECES_PER_WORD = 1.3

# Flat MAX/MIN lists of 2-4 digits ("max 3 7 2 ]"), 10 classes: tiny models learn them to near
# certainty in a few epochs. With all four LRA operators they reached only 55-70% and, unsure between
# digits, failed the quantized gate's 98% top-label agreement.
LISTOPS = ListOpsConfig(
    min_length=4, max_length=6, max_depth=1, max_args=4, operator_probability=1.0, operators=("max", "min")
)


@dataclasses.dataclass(frozen=True)
class QuickstartSize:
    """A quickstart on its built-in data: `train_rows`/`dev_rows`/`test_rows` distinct `listops`
    expressions, each padded to `sequence_length` (a power of two, where FNet's speed-up shows), trained
    `epochs` (the best on dev kept) with AdamW's `batch_size` and peak `learning_rate`; `pooling` "mean"
    (of the real tokens) learns ListOps from scratch much faster than "first" when most positions are
    padding. Each export's parity gate compares `parity_examples` texts (at least 500), the benchmark
    counts `bench_runs` runs per bundle, and `seed` seeds the data and the training."""

    name: str
    listops: ListOpsConfig
    train_rows: int
    dev_rows: int
    test_rows: int
    sequence_length: int
    epochs: int
    batch_size: int
    learning_rate: float
    pooling: str = "mean"
    parity_examples: int = 500
    bench_runs: int = 200
    seed: int = 0

    def train_settings(self, mixing: str) -> TrainSettings:
        """The `TrainSettings` of the `mixing` model on the built-in data."""
        return TrainSettings(
            preset=PRESET, mixing=mixing, sequence_length=self.sequence_length, epochs=self.epochs,
            batch_size=self.batch_size, learning_rate=self.learning_rate, patience=None, seed=self.seed,
            backbone_overrides={"pooling": self.pooling},
        )

    def describe_data(self) -> str:
        config = self.listops
        nesting = "flat lists" if config.max_depth == 1 else f"lists nested up to {config.max_depth} deep"
        operators = "/".join(operator.upper() for operator in config.operators)
        return (
            f"ListOps ({operators} {nesting} of up to {config.max_args} arguments, {config.min_length}-"
            f"{config.max_length} symbols, padded to {self.sequence_length}; {self.train_rows:,} train / "
            f"{self.dev_rows:,} dev / {self.test_rows:,} test)"
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SIZES = {size.name: size for size in (
    QuickstartSize("default", LISTOPS, train_rows=2000, dev_rows=500, test_rows=1000, sequence_length=128,
                   epochs=6, batch_size=32, learning_rate=1e-3),
    QuickstartSize("small", LISTOPS, train_rows=1000, dev_rows=300, test_rows=300, sequence_length=32,
                   epochs=4, batch_size=32, learning_rate=1e-3, bench_runs=30),
)}


def get_size(size: str | QuickstartSize) -> QuickstartSize:
    """`size` itself, or the entry of `SIZES` it names."""
    if isinstance(size, QuickstartSize):
        return size
    if size not in SIZES:
        raise QuickstartError(f"unknown quickstart size {size!r}; known: {', '.join(SIZES)}")
    return SIZES[size]


def user_data_settings(mixing: str, sequence_length: int, epochs: int | None = None) -> TrainSettings:
    """The `mixing` model's `TrainSettings` on the user's data: the package's defaults for `tiny` (its
    schedule, unless `epochs` is given) at `sequence_length`."""
    given = {} if epochs is None else {"epochs": epochs}
    return TrainSettings(preset=PRESET, mixing=mixing, sequence_length=sequence_length, **given)


def choose_sequence_length(texts: Sequence[str]) -> int:
    """The shortest of `USER_DATA_LENGTHS` that holds `USER_DATA_COVERED` of `texts` (estimated word
    pieces plus [CLS] and [SEP]), else the longest the preset allows."""
    if not texts:
        return USER_DATA_LENGTHS[0]
    counts = sorted(len(text.split()) for text in texts)
    covered = counts[min(len(counts) - 1, math.ceil(USER_DATA_COVERED * len(counts)) - 1)]
    needed = math.ceil(covered * PIECES_PER_WORD) + 2
    longest = min(USER_DATA_LENGTHS[-1], PRESETS[PRESET]["max_sequence_length"])
    return next((length for length in USER_DATA_LENGTHS if needed <= length <= longest), longest)
