"""The edge runtime imports no TensorFlow, Keras or keras-hub: an import blocker, and a clean venv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from edge_support import REPO_ROOT, replace_file_keeping_hashes_valid

BLOCKED = ("tensorflow", "keras", "keras_hub", "tensorflow_text", "tf_keras")

# Runs in a fresh interpreter: any import of a blocked package fails there, and is recorded.
BLOCKER_SCRIPT = r"""
import importlib.abc, json, sys

BLOCKED = set(sys.argv[3].split(","))
attempts = []

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            attempts.append(name)
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Blocker())

import fnet_keras.edge
from fnet_keras.edge import load_bundle
from fnet_keras.edge.cli import main

rankings = load_bundle(sys.argv[1]).classify(["a good film", ""])
codes = [
    main(["classify", sys.argv[1], "a good film", "--json"]),
    main(["evaluate", sys.argv[1], "--data", sys.argv[2], "--json"]),
]
loaded = sorted(name for name in sys.modules if name.split(".")[0] in BLOCKED)
print(json.dumps({"attempts": attempts, "loaded": loaded, "codes": codes, "rankings": rankings}))
"""


def _last_json_line(stdout: bytes) -> dict:
    return json.loads(stdout.decode("utf-8").strip().splitlines()[-1])


def _labelled_file(tmp_path: Path) -> Path:
    data = tmp_path / "test.tsv"
    data.write_text("sentence\tlabel\na good film\tpositive\nan awful plot\tnegative\n", encoding="utf-8")
    return data


def test_edge_runs_with_tensorflow_keras_and_keras_hub_blocked(fp32_bundle, tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCKER_SCRIPT,
            str(fp32_bundle.zip_path),
            str(_labelled_file(tmp_path)),
            ",".join(BLOCKED),
        ],
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr.decode("utf-8", "replace")
    report = _last_json_line(completed.stdout)
    assert report["attempts"] == [] and report["loaded"] == []
    assert report["codes"] == [0, 0]
    assert len(report["rankings"]) == 2


def _pip_offline(output: str) -> bool:
    signs = (
        "No matching distribution",
        "Could not find a version",
        "NewConnectionError",
        "Network is unreachable",
    )
    return any(sign in output for sign in signs)


class CleanVenv:
    """A new venv (no system site-packages): this package (`--no-deps`, not editable) and `requirements`."""

    def __init__(self, tmp_path: Path, *requirements: str):
        started = time.perf_counter()
        self.root = tmp_path
        source = tmp_path / "source"
        shutil.copytree(
            REPO_ROOT,
            source,
            ignore=shutil.ignore_patterns(
                ".venv",
                ".git",
                "__pycache__",
                "*.egg-info",
                "build",
                "dist",
                ".*_cache",
                ".gradle",
                "node_modules",
            ),
        )
        venv = tmp_path / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        self.venv = venv
        self.python = str(venv / "bin" / "python")
        self.environment = {
            key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")
        }
        installed = self._pip("--no-deps", str(source))
        assert installed.returncode == 0, installed.stdout + installed.stderr
        dependencies = self._pip(*requirements)
        if dependencies.returncode != 0 and _pip_offline(dependencies.stdout + dependencies.stderr):
            pytest.skip(f"cannot download {requirements}: {dependencies.stderr.strip()[-300:]}")
        assert dependencies.returncode == 0, dependencies.stdout + dependencies.stderr
        self.install_seconds = time.perf_counter() - started

    def _pip(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.python, "-m", "pip", "install", "--quiet", *args],
            capture_output=True,
            text=True,
            env=self.environment,
            cwd=self.root,
            timeout=300,
        )

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """`python ARGS` in the venv, run outside the repository so `fnet_keras` comes from the venv."""
        return subprocess.run(
            [self.python, *args], capture_output=True, env=self.environment, cwd=self.root, timeout=120
        )

    def packages(self) -> set[str]:
        listed = self.run("-m", "pip", "list", "--format=json")
        return {package["name"].lower() for package in json.loads(listed.stdout)}


TF_PACKAGES = {"tensorflow", "keras", "keras-hub", "tensorflow-text", "tf-keras"}


@pytest.mark.slow
def test_edge_installs_with_no_deps_and_runs_in_a_clean_venv(fp32_bundle, tmp_path):
    """`pip install --no-deps <repo>` + `pip install ai-edge-litert numpy` is all the edge runtime needs."""
    venv = CleanVenv(tmp_path, "ai-edge-litert", "numpy")
    assert not venv.packages() & TF_PACKAGES

    imported = venv.run(
        "-c",
        "import fnet_keras.edge, fnet_keras.text, fnet_keras.data, fnet_keras; print(fnet_keras.__file__)",
    )
    assert imported.returncode == 0, imported.stderr.decode()
    assert str(venv.venv) in imported.stdout.decode()

    classified = venv.run(
        "-m", "fnet_keras.edge", "classify", str(fp32_bundle.directory), "a good film", "--json"
    )
    assert classified.returncode == 0, classified.stderr.decode()
    assert json.loads(classified.stdout)["results"][0]["label"] in ("negative", "neutral", "positive")
    evaluated = venv.run(
        "-m",
        "fnet_keras.edge",
        "evaluate",
        str(fp32_bundle.zip_path),
        "--data",
        str(_labelled_file(tmp_path)),
    )
    assert evaluated.returncode == 0, evaluated.stderr.decode()
    assert "accuracy" in evaluated.stdout.decode()
    # The project's console script must start here too (its module imports no TensorFlow).
    console = subprocess.run(
        [str(venv.venv / "bin" / "fnet-keras"), "--help"],
        capture_output=True,
        env=venv.environment,
        cwd=tmp_path,
    )
    assert console.returncode == 0, console.stderr.decode()
    print(f"clean ai-edge-litert venv: install {venv.install_seconds:.1f} s")


# Runs inside the tflite_runtime venv: fp32/int8 probabilities, and what dynamic gets.
TFLITE_RUNTIME_SCRIPT = r"""
import json, sys
from pathlib import Path
from fnet_keras.edge import BundleError, LiteRTModel, detect_runtime, load_bundle

fp32, int8, dynamic = sys.argv[1:4]
texts = json.loads(sys.argv[4])
report = {"runtime": detect_runtime().describe()}
for name, path in (("fp32", fp32), ("int8", int8)):
    report[name] = load_bundle(path).classify_timed(texts).logits.tolist()
for name, load in (
    ("dynamic_bundle", lambda: load_bundle(dynamic)),
    ("dynamic_model", lambda: LiteRTModel((Path(dynamic) / "model.tflite").read_bytes())),
):
    try:
        load()
        report[name] = "loaded"
    except BundleError as error:
        report[name] = str(error)
print(json.dumps(report))
"""


@pytest.mark.slow
def test_tflite_runtime_fallback_runs_fp32_int8_refuses_dynamic_and_survives_corrupt_models(
    fp32_bundle, int8_bundle, dynamic_bundle, tmp_path
):
    """tflite_runtime 2.14 (numpy < 2, no ai-edge-litert): the fallback the runtime rules describe."""
    import numpy as np

    from fnet_keras.edge import load_bundle

    venv = CleanVenv(tmp_path, "tflite-runtime==2.14.0", "numpy<2")
    assert not venv.packages() & (TF_PACKAGES | {"ai-edge-litert"})
    texts = ["a good film", "", "an awful plot . not very good"]
    bundles = [str(bundle.directory) for bundle in (fp32_bundle, int8_bundle, dynamic_bundle)]
    completed = venv.run("-c", TFLITE_RUNTIME_SCRIPT, *bundles, json.dumps(texts))
    assert completed.returncode == 0, completed.stderr.decode()
    report = _last_json_line(completed.stdout)
    assert report["runtime"] == {"name": "tflite_runtime", "version": "2.14.0"}
    fp32_here = load_bundle(fp32_bundle.directory)  # ai_edge_litert
    np.testing.assert_allclose(report["fp32"], fp32_here.classify_timed(texts).logits, atol=1e-5)
    # int8 kernels differ between the two runtimes (measured: up to ~0.05 in these logits, several
    # quantization steps), so int8 is held to the Keras model as in test_int8_output_is_dequantized.
    ids = [fp32_here.tokenizer.encode(text) for text in texts]
    np.testing.assert_allclose(report["int8"], int8_bundle.keras_logits(ids), atol=0.25)
    assert "dynamic-range bundle cannot run on tflite_runtime 2.14.0" in report["dynamic_bundle"]
    # The reason the rule gives is what tflite_runtime itself says when it is handed the model.
    assert "Didn't find op for builtin opcode 'FULLY_CONNECTED' version '12'" in report["dynamic_model"]

    # Corrupted models with matching hashes crash tflite_runtime 2.14; the CLI must still fail cleanly.
    good = fp32_bundle.tflite_bytes
    for case, data in {
        "half": good[: len(good) // 2],
        "scrambled": good[:8] + bytes(reversed(good[8:4096])) + good[4096:],
    }.items():
        directory = Path(shutil.copytree(fp32_bundle.directory, tmp_path / case))
        replace_file_keeping_hashes_valid(directory, "model.tflite", data)
        completed = venv.run("-m", "fnet_keras.edge", "classify", str(directory), "a good film")
        stderr = completed.stderr.decode("utf-8", "replace")
        assert completed.returncode == 2, f"{case}: return code {completed.returncode}; {stderr}"
        assert "model.tflite: tflite_runtime 2.14.0 crashed (signal" in stderr
    print(f"clean tflite-runtime venv: install {venv.install_seconds:.1f} s")
