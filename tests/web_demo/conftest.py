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
from web_demo_support import DemoServer, chromium_path, node_path, require_npm_packages

from fnet_keras.demo import DEMO_BUNDLE


@dataclasses.dataclass(frozen=True)
class DemoBundles:
    fp32: Path
    int8: Path
    without_manifest: Path  # the fp32 bundle without bundle.json
    stale_manifest: Path  # the fp32 bundle whose bundle.json gives another model size
    broken_model: Path  # model.tflite is not a model
    shipped: Path  # the demo bundle committed as package data (what `make web-demo` serves)


@pytest.fixture(scope="session")
def demo_bundles(sst2_exported, tmp_path_factory) -> DemoBundles:
    """The session's SST-2 bundles (tests/conftest.py: made by `fit` and `export_run`), and damaged copies."""
    root = tmp_path_factory.mktemp("web-demo-bundles")
    bundles = {quantization: sst2_exported.out_dir / quantization for quantization in ("fp32", "int8")}
    without_manifest = Path(shutil.copytree(bundles["fp32"], root / "without-manifest"))
    (without_manifest / "bundle.json").unlink()
    stale_manifest = Path(shutil.copytree(bundles["fp32"], root / "stale-manifest"))
    manifest = json.loads((stale_manifest / "bundle.json").read_text())
    manifest["files"]["model.tflite"]["bytes"] += 1000
    (stale_manifest / "bundle.json").write_text(json.dumps(manifest))
    broken_model = Path(shutil.copytree(bundles["fp32"], root / "broken-model"))
    (broken_model / "model.tflite").write_bytes(b"this is not a LiteRT model\n" * 10)
    return DemoBundles(
        bundles["fp32"], bundles["int8"], without_manifest, stale_manifest, broken_model, DEMO_BUNDLE
    )


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
