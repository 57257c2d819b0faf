"""How big a quickstart is: its built-in ListOps data, the models' length and the training schedule.

Plain data (no TensorFlow). `SIZES["default"]` is what `fnet-keras quickstart` runs; `"small"`
is the same pipeline at a size a test runs in about a minute and a half. The default was measured
on a 2-core machine (docs/results/quickstart.md): the whole command, TensorFlow's start-up,
training both models, four exports and the benchmark included, used 197 CPU-seconds and took
3 min 1 s of wall time at load 4.7. At length 256 (4 epochs) it used 350 CPU-seconds; at 512 the
twin's training alone would take about 5 minutes on an idle machine.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from fnet_keras.data.listops import ListOpsConfig
from fnet_keras.presets import FNET_AND_TWIN, PRESETS
from fnet_keras.quickstart.errors import QuickstartError
from fnet_keras.training.settings import TrainSettings

PRESET = "tiny"
MIXINGS = FNET_AND_TWIN  # the two models compared
# The quantized mode: dynamic range (int8 weights, float activations), the fastest mode that passed the
# parity gate on trained models (docs/results/quantization.md: 0.50x fp32's time; full int8 0.67x).
QUANTIZED_MODE = "dynamic"
MODES = ("fp32", QUANTIZED_MODE)
# Model lengths for --data are powers of two (LiteRT's RFFT2D needs them), within the preset's.
USER_DATA_LENGTHS = (32, 64, 128, 256, 512)
# --data without --sequence-length: long enough for this share of the training texts...
USER_DATA_COVERED = 0.95
# ...counting this many word pieces per whitespace-separated word (an estimate made before the
# vocabulary exists; English WordPiece vocabularies of a few thousand tokens give about 1.2-1.4).
PIECES_PER_WORD = 1.3

# The built-in task: flat MAX/MIN lists of 2-4 digits ("max 3 7 2 ]"), 10 classes. Tiny models
# learn it to near certainty in a few epochs; with all four LRA operators they reached only 55-70%
# (SM and MED at or near chance) and, unsure between digits, failed the quantized gate's 98% top-label
# agreement (int8, as the quickstart then exported; dynamic needs the same: the twin reached 97.0% at
# length 256, 97.2% at 128).
LISTOPS = ListOpsConfig(
    min_length=4, max_length=6, max_depth=1, max_args=4, operator_probability=1.0, operators=("max", "min")
)


@dataclasses.dataclass(frozen=True)
class QuickstartSize:
    """The size of a quickstart on its built-in data.

    Args:
        name: how `quickstart(size=...)` and `--size` name it.
        listops: the shape of the generated ListOps expressions.
        train_rows, dev_rows, test_rows: expressions per split (all distinct).
        sequence_length: every expression is padded to this many tokens (a power of two, where
            FNet's speed-up over attention shows).
        epochs: training epochs; the best by dev accuracy is kept.
        batch_size, learning_rate: AdamW's batch and peak learning rate (warm-up, linear decay).
        pooling: what the classifier head reads: "mean" (of the real tokens; learns ListOps from
            scratch much faster than "first" when most positions are padding).
        parity_examples: texts each export's parity gate compares (at least 500).
        bench_runs: counted runs of each bundle in the benchmark.
        seed: seeds the data and the training.
    """

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
            preset=PRESET,
            mixing=mixing,
            sequence_length=self.sequence_length,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            patience=None,
            seed=self.seed,
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


SIZES = {
    size.name: size
    for size in (
        QuickstartSize(
            name="default",
            listops=LISTOPS,
            train_rows=2000,
            dev_rows=500,
            test_rows=1000,
            sequence_length=128,
            epochs=6,
            batch_size=32,
            learning_rate=1e-3,
        ),
        QuickstartSize(
            name="small",
            listops=LISTOPS,
            train_rows=1000,
            dev_rows=300,
            test_rows=300,
            sequence_length=32,
            epochs=4,
            batch_size=32,
            learning_rate=1e-3,
            bench_runs=30,
        ),
    )
}


def get_size(size: str | QuickstartSize) -> QuickstartSize:
    """`size` itself, or the entry of `SIZES` it names."""
    if isinstance(size, QuickstartSize):
        return size
    if size not in SIZES:
        raise QuickstartError(f"unknown quickstart size {size!r}; known: {', '.join(SIZES)}")
    return SIZES[size]


def user_data_settings(mixing: str, sequence_length: int, epochs: int | None = None) -> TrainSettings:
    """The `TrainSettings` of the `mixing` model on the user's data: the package's defaults for `tiny`
    (its schedule: `epochs`, or enough epochs for `min_steps`) at `sequence_length`."""
    given = {} if epochs is None else {"epochs": epochs}
    return TrainSettings(preset=PRESET, mixing=mixing, sequence_length=sequence_length, **given)


def choose_sequence_length(texts: Sequence[str]) -> int:
    """The model length for the user's texts: the shortest of `USER_DATA_LENGTHS` that holds
    `USER_DATA_COVERED` of them (estimated word pieces plus [CLS] and [SEP]), else the longest."""
    if not texts:
        return USER_DATA_LENGTHS[0]
    counts = sorted(len(text.split()) for text in texts)
    covered = counts[min(len(counts) - 1, math.ceil(USER_DATA_COVERED * len(counts)) - 1)]
    needed = math.ceil(covered * PIECES_PER_WORD) + 2
    longest = min(USER_DATA_LENGTHS[-1], PRESETS[PRESET]["max_sequence_length"])
    return next((length for length in USER_DATA_LENGTHS if length >= needed and length <= longest), longest)
