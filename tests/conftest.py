"""Session fixtures shared by all test directories: one real training run, one real export of it.

Built with the real `fit` and `export_run` once per test session, so every test of evaluation,
export, the edge runtime and the CLI looks at what users get, not at hand-made copies.
"""

import os
import shutil
from pathlib import Path

import pytest

# Quiet TensorFlow's C++ start-up logging in test output; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def keyword_data_dir(tmp_path_factory) -> Path:
    from support import write_keyword_data

    return write_keyword_data(tmp_path_factory.mktemp("keyword") / "data")


@pytest.fixture
def keyword_data(tmp_path) -> Path:
    """A private copy of the keyword data, free to change."""
    from support import write_keyword_data

    return write_keyword_data(tmp_path / "data")


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, keyword_data_dir):
    """One finished run (5 epochs, no dropout) on keyword data, shared read-only by tests (a FitResult)."""
    from support import TINY_SETTINGS

    from fnet_keras.training import TrainSettings, fit

    settings = TrainSettings(**TINY_SETTINGS, epochs=5, dropout=0.0, patience=None)
    return fit(keyword_data_dir, tmp_path_factory.mktemp("trained") / "run", settings, verbose=0)


@pytest.fixture(scope="session")
def exported(trained_run, tmp_path_factory):
    """`export_run` of the trained run: fp32, fp16, dynamic and int8 bundles with zips (an ExportReport)."""
    from fnet_keras.export import export_run

    return export_run(trained_run.run_dir, ("fp32", "fp16", "dynamic", "int8"), make_zip=True,
                      out_dir=tmp_path_factory.mktemp("exported") / "bundles", parity_examples=500)


@pytest.fixture
def bundle_copy(exported, tmp_path) -> Path:
    """A private copy of the fp32 bundle directory, free to damage."""
    return Path(shutil.copytree(exported.out_dir / "fp32", tmp_path / "bundle"))
