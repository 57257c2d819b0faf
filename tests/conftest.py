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

    return export_run(
        trained_run.run_dir,
        ("fp32", "fp16", "dynamic", "int8"),
        make_zip=True,
        out_dir=tmp_path_factory.mktemp("exported") / "bundles",
        parity_examples=500,
    )


@pytest.fixture
def bundle_copy(exported, tmp_path) -> Path:
    """A private copy of the fp32 bundle directory, free to damage."""
    return Path(shutil.copytree(exported.out_dir / "fp32", tmp_path / "bundle"))


@pytest.fixture(scope="session")
def sst2_exported(tmp_path_factory):
    """A small FNet (1 block, 64 wide) trained on 3,000 SST-2 rows at length 64, exported fp32 and int8
    with its labels shown as negative/positive: real-text bundles for the MediaPipe and browser tests.
    (Narrower models are too unsure of themselves for the int8 gate: at 32 wide, 95-98% agreement.)"""
    from support import SST2_TRAIN_ROWS, TINY_BACKBONE, sst2_rows, write_tsv

    from fnet_keras.export.exporter import export_run
    from fnet_keras.training import TrainSettings, fit

    root = tmp_path_factory.mktemp("sst2")
    write_tsv(root / "data" / "train.tsv", sst2_rows("train", SST2_TRAIN_ROWS))
    write_tsv(root / "data" / "dev.tsv", sst2_rows("dev", 500))
    backbone = dict(TINY_BACKBONE, hidden_dim=64, intermediate_dim=128, embedding_dim=64)
    settings = TrainSettings(
        preset="tiny",
        sequence_length=64,
        vocabulary_size=2000,
        epochs=4,
        batch_size=32,
        learning_rate=2e-3,
        dropout=0.0,
        patience=None,
        backbone_overrides=backbone,
    )
    fit(root / "data", root / "run", settings, verbose=0)
    return export_run(
        root / "run",
        ("fp32", "int8"),
        out_dir=root / "bundles",
        parity_examples=500,
        name="sst2-web-test",
        rename_labels={"0": "negative", "1": "positive"},
    )
