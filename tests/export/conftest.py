"""Fixtures of the export tests: a second real run at a non-power-of-two length (the DFT path).

The power-of-two run and its export of all four modes are the session's `trained_run` and
`exported` (tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def odd_run_dir(tmp_path_factory, keyword_data_dir) -> Path:
    """A finished run at sequence length 24 (not a power of two), made by `fit`."""
    from support import TINY_BACKBONE

    from fnet_keras.training import TrainSettings, fit

    settings = TrainSettings(
        preset="tiny",
        sequence_length=24,
        vocabulary_size=200,
        batch_size=16,
        epochs=12,
        learning_rate=5e-3,
        dropout=0.0,
        patience=None,
        seed=1,
        backbone_overrides=TINY_BACKBONE,
    )
    root = tmp_path_factory.mktemp("run24")
    fit(keyword_data_dir, root / "run", settings, verbose=0)
    return root / "run"
