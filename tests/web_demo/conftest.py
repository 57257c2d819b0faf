"""Fixtures of the web demo tests: tiny SST-2 bundles (fp32, int8, and damaged ones) and their servers.

The bundles are made once per session by `fit` and `export_run`; each server is `web_demo/serve.py`
itself, run as `make web-demo` runs it, on a free port.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from web_demo_support import (
    LABELS,
    SEQUENCE_LENGTH,
    TRAIN_ROWS,
    DemoServer,
    chromium_path,
    node_path,
    read_sst2,
    require_npm_packages,
)


@dataclasses.dataclass(frozen=True)
class DemoBundles:
    fp32: Path
    int8: Path
    without_manifest: Path  # the fp32 bundle without bundle.json
    stale_manifest: Path  # the fp32 bundle whose bundle.json gives another model size
    broken_model: Path  # model.tflite is not a model


@pytest.fixture(scope="session")
def demo_bundles(tmp_path_factory) -> DemoBundles:
    """fp32 and int8 bundles of a tiny FNet trained on 2,000 SST-2 sentences, made by `fit` and
    `export_run` as a user makes them (labels shown as negative/positive), and damaged copies."""
    from support import TINY_BACKBONE, write_tsv

    from fnet_keras.export.pipeline import export_run
    from fnet_keras.training import TrainSettings, fit

    root = tmp_path_factory.mktemp("web-demo-bundles")
    texts, labels = read_sst2("train", TRAIN_ROWS)
    dev_texts, dev_labels = read_sst2("dev", 500)
    write_tsv(root / "data" / "train.tsv", list(zip(texts, map(str, labels), strict=True)))
    write_tsv(root / "data" / "dev.tsv", list(zip(dev_texts, map(str, dev_labels), strict=True)))
    settings = TrainSettings(
        preset="tiny",
        sequence_length=SEQUENCE_LENGTH,
        vocabulary_size=2000,
        epochs=3,
        batch_size=32,
        learning_rate=2e-3,
        dropout=0.0,
        patience=None,
        backbone_overrides=TINY_BACKBONE,
    )
    fit(root / "data", root / "run", settings, verbose=0)
    export_run(
        root / "run",
        ("fp32", "int8"),
        out_dir=root / "bundles",
        parity_examples=500,
        name="sst2-web-test",
        rename_labels={"0": LABELS[0], "1": LABELS[1]},
    )
    bundles = {quantization: root / "bundles" / quantization for quantization in ("fp32", "int8")}
    without_manifest = Path(shutil.copytree(bundles["fp32"], root / "without-manifest"))
    (without_manifest / "bundle.json").unlink()
    stale_manifest = Path(shutil.copytree(bundles["fp32"], root / "stale-manifest"))
    manifest = json.loads((stale_manifest / "bundle.json").read_text())
    manifest["files"]["model.tflite"]["bytes"] += 1000
    (stale_manifest / "bundle.json").write_text(json.dumps(manifest))
    broken_model = Path(shutil.copytree(bundles["fp32"], root / "broken-model"))
    (broken_model / "model.tflite").write_bytes(b"this is not a LiteRT model\n" * 10)
    return DemoBundles(bundles["fp32"], bundles["int8"], without_manifest, stale_manifest, broken_model)


@pytest.fixture(scope="session")
def npm_packages() -> None:
    """serve.py serves web_demo/node_modules: skips (fails in CI) without them, before any training."""
    require_npm_packages()


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """Chromium and Node: skips (fails in CI) without them, before any training."""
    chromium_path()
    node_path()


@pytest.fixture(scope="module")
def demo_servers(npm_packages, demo_bundles, tmp_path_factory):
    """A running server per bundle: field name -> DemoServer."""
    logs = tmp_path_factory.mktemp("web-demo-logs")
    servers = {}
    try:
        for field in dataclasses.fields(DemoBundles):
            servers[field.name] = DemoServer(getattr(demo_bundles, field.name), logs / f"{field.name}.log")
        yield servers
    finally:
        for server in servers.values():
            server.stop()
