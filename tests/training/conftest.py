"""Fixtures of the training tests: keyword data in tmp_path, one shared finished run."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyword_data import TINY_SETTINGS, write_keyword_data


@pytest.fixture
def keyword_data(tmp_path) -> Path:
    return write_keyword_data(tmp_path / "data")


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """One finished run (5 epochs, no dropout) on keyword data, shared read-only by tests."""
    from fnet_keras.training import TrainSettings, fit

    root = tmp_path_factory.mktemp("trained")
    data = write_keyword_data(root / "data")
    settings = TrainSettings(**TINY_SETTINGS, epochs=5, dropout=0.0, patience=None)
    result = fit(data, root / "run", settings, verbose=0)
    return result
