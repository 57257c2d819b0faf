"""Fixtures of the web demo tests: tiny SST-2 bundles (fp32, int8, and damaged ones) and their servers.

The bundles are made once per session with TensorFlow (about 15 s: training, two conversions); each
server is `web_demo/serve.py` itself, run as `make web-demo` runs it, on a free port.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from web_demo_support import (
    SERVE_SCRIPT,
    TRAIN_ROWS,
    demo_vocabulary,
    encode,
    mediapipe_tflite,
    read_sst2,
    require_npm_packages,
    train_tiny_classifier,
    write_demo_bundle,
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
    texts, labels = read_sst2("train", TRAIN_ROWS)
    vocabulary = demo_vocabulary(texts)
    token_ids = encode(vocabulary, texts)
    model = train_tiny_classifier(vocabulary, token_ids, labels)
    root = tmp_path_factory.mktemp("web-demo-bundles")
    bundles = {
        quantization: write_demo_bundle(
            root / quantization,
            mediapipe_tflite(model, quantization, calibration_ids=token_ids[:64]),
            vocabulary,
            name=f"sst2-web-test-{quantization}",
            quantization=quantization,
        )
        for quantization in ("fp32", "int8")
    }
    without_manifest = Path(shutil.copytree(bundles["fp32"], root / "without-manifest"))
    (without_manifest / "bundle.json").unlink()
    stale_manifest = Path(shutil.copytree(bundles["fp32"], root / "stale-manifest"))
    manifest = json.loads((stale_manifest / "bundle.json").read_text())
    manifest["files"]["model.tflite"]["bytes"] += 1000
    (stale_manifest / "bundle.json").write_text(json.dumps(manifest))
    broken_model = Path(shutil.copytree(bundles["fp32"], root / "broken-model"))
    (broken_model / "model.tflite").write_bytes(b"this is not a LiteRT model\n" * 10)
    return DemoBundles(bundles["fp32"], bundles["int8"], without_manifest, stale_manifest, broken_model)


class DemoServer:
    """`python web_demo/serve.py BUNDLE --port 0`, stopped by `stop()`; `url` is the URL it printed."""

    def __init__(self, bundle_dir: Path, log_path: Path):
        self._log = open(log_path, "wb")  # access log; a pipe nobody reads would fill and block it
        self.process = subprocess.Popen(
            [sys.executable, str(SERVE_SCRIPT), str(bundle_dir), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.printed = []
        for line in self.process.stdout:
            self.printed.append(line)
            if line.strip().startswith("http://"):
                self.url = line.strip()
                break
        else:
            self.stop()
            raise AssertionError(f"serve.py printed no URL: {self.printed}, log: {log_path.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self._log.close()


@pytest.fixture(scope="module")
def demo_servers(demo_bundles, tmp_path_factory):
    """A running server per bundle: field name -> DemoServer."""
    require_npm_packages()  # serve.py serves web_demo/node_modules: skip (fail in CI), naming the fix
    logs = tmp_path_factory.mktemp("web-demo-logs")
    servers = {}
    try:
        for field in dataclasses.fields(DemoBundles):
            servers[field.name] = DemoServer(getattr(demo_bundles, field.name), logs / f"{field.name}.log")
        yield servers
    finally:
        for server in servers.values():
            server.stop()
