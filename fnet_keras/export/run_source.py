"""`RunSource`: what an export reads from a training run directory and its recorded data.

A run directory holds model.keras, vocab.txt, labels.txt and config.json ("tokenizer",
"labels", "sequence_length", "seed", "preset", "mixing", "data" = `Dataset.source_info()`).
The data (calibration texts, the parity gate's dev rows, the test split for the report) is
re-read from the run's record with `load_dataset_from_info`, or from `data` when given.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Any

import numpy as np

from fnet_keras.data import DataError, Dataset, LabelMap, load_dataset, load_dataset_from_info
from fnet_keras.export.errors import ExportError
from fnet_keras.text import TokenizerConfig, TokenizerError, WordPieceEncoder
from fnet_keras.training.run_dir import RunDir, RunDirError


@dataclasses.dataclass
class RunSource:
    """A training run's tokenizer, labels, settings and data, checked for consistency.

    Attributes:
        run_dir: the run directory (absolute).
        config: config.json as read; config_sha256 its SHA-256.
        vocabulary: the WordPiece tokens; label_map: labels in logit order.
        tokenizer_config: the tokenizer settings (`sequence_length` included).
        dataset: the splits (train for calibration, dev for the gate, test for the report).
        data_source: where the data was read from, for the report.
    """

    run_dir: Path
    config: dict[str, Any]
    config_sha256: str
    vocabulary: list[str]
    label_map: LabelMap
    tokenizer_config: TokenizerConfig
    dataset: Dataset
    data_source: str

    @property
    def sequence_length(self) -> int:
        return self.tokenizer_config.sequence_length

    @property
    def model_path(self) -> Path:
        return self.run_dir / "model.keras"

    @property
    def seed(self) -> int:
        seed = self.config.get("seed", 0)
        return seed if isinstance(seed, int) and not isinstance(seed, bool) else 0

    @functools.cached_property
    def encoder(self) -> WordPieceEncoder:
        return WordPieceEncoder(self.vocabulary, self.tokenizer_config)

    def encode(self, texts: list[str]) -> np.ndarray:
        """int32 `(len(texts), sequence_length)` token ids from the pure-Python tokenizer."""
        ids = np.asarray(self.encoder.encode_batch(texts), dtype=np.int32)
        return ids.reshape(len(texts), self.sequence_length)


def load_run(run_dir: str | os.PathLike, data: str | os.PathLike | None = None) -> RunSource:
    """Reads a run directory (`RunDir.load`) and its data.

    Args:
        run_dir: the training run.
        data: a dataset (directory or file, as `fnet-keras train` takes) to use instead of
            the one recorded in config.json.

    Raises:
        ExportError: a missing file, inconsistent settings, or data that cannot be read
            (naming the path, and suggesting `--data`).
    """
    run = RunDir(Path(run_dir).resolve())
    try:
        loaded = run.load()
    except (RunDirError, DataError, TokenizerError) as error:
        raise ExportError(error.reason, error.path, error.line) from None
    if not run.model.is_file():
        raise ExportError("not a finished training run: missing model.keras", run.path)
    config = run.read_config()
    dataset, data_source = _load_data(config, run.config, data)
    return RunSource(
        run_dir=run.path,
        config={
            "preset": loaded.settings.preset, "mixing": loaded.settings.mixing, "seed": loaded.settings.seed
        },
        config_sha256=loaded.config_sha256,
        vocabulary=loaded.vocabulary,
        label_map=loaded.label_map,
        tokenizer_config=loaded.tokenizer_config,
        dataset=dataset,
        data_source=data_source,
    )


def _load_data(config: dict, config_path: Path, data: str | os.PathLike | None) -> tuple[Dataset, str]:
    if data is not None:
        try:
            return load_dataset(data), f"{os.fspath(data)} (--data)"
        except DataError as error:
            raise ExportError(f"cannot read the data given with --data: {error}") from None
    info = config.get("data")
    if info is None:
        raise ExportError(
            "no 'data' record, so calibration and parity data are unknown; pass --data PATH", config_path
        )
    try:
        dataset = load_dataset_from_info(info)
    except DataError as error:
        raise ExportError(
            f"cannot read the run's recorded data: {error}. Pass --data PATH to use another copy of it"
        ) from None
    source = info.get("source") if isinstance(info, dict) else None
    return dataset, f"{source} (recorded in {config_path.name})"
