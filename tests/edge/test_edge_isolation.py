"""The edge runtime imports no TensorFlow, Keras or keras-hub: an import blocker, and the documented
device install (`pip install fnet-keras`, no TensorFlow) in a clean venv; tflite_runtime as the fallback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import REPO_ROOT, replace_file_keeping_hashes_valid

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

import fnet_keras, fnet_keras.edge
from fnet_keras.edge import benchmark, load_bundle
from fnet_keras.cli import main

labels = [prediction.label for prediction in fnet_keras.load(sys.argv[1]).classify(["a good film", "superb"])]
codes = [
    main(["classify", sys.argv[1], "a good film", "--json"]),
    main(["evaluate", sys.argv[1], "--data", sys.argv[2], "--json"]),
    main(["bench", sys.argv[1], "--runs", "3", "--warmup", "1", "--no-memory", "--json"]),
    main(["presets"]),
]
loaded = sorted(name for name in sys.modules if name.split(".")[0] in BLOCKED)
print(json.dumps({"attempts": attempts, "loaded": loaded, "codes": codes, "labels": labels}))
"""


# The contract over the whole subpackage, not one import path: every module under fnet_keras.edge
# (found by walking it, so a new module is covered the day it is added) imports with them blocked.
EVERY_MODULE_SCRIPT = r"""
import importlib, importlib.abc, json, pkgutil, sys

BLOCKED = set(sys.argv[1].split(","))

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Blocker())

import fnet_keras.edge

modules, failures = [], {}
for module in pkgutil.walk_packages(fnet_keras.edge.__path__, "fnet_keras.edge."):
    modules.append(module.name)
    try:
        importlib.import_module(module.name)
    except Exception as error:
        failures[module.name] = f"{type(error).__name__}: {error}"
loaded = sorted(name for name in sys.modules if name.split(".")[0] in BLOCKED)
print(json.dumps({"modules": modules, "failures": failures, "loaded": loaded}))
"""


def test_every_edge_module_imports_with_tensorflow_keras_and_keras_hub_blocked(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-c", EVERY_MODULE_SCRIPT, ",".join(BLOCKED)],
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr.decode("utf-8", "replace")
    report = _last_json_line(completed.stdout)
    assert {"fnet_keras.edge.bundle", "fnet_keras.edge.litert_model", "fnet_keras.edge.bench"} <= set(
        report["modules"]
    )
    assert report["failures"] == {}, report["failures"]
    assert report["loaded"] == []


def _last_json_line(stdout: bytes) -> dict:
    return json.loads(stdout.decode("utf-8").strip().splitlines()[-1])


def _labelled_file(tmp_path: Path) -> Path:
    data = tmp_path / "test.tsv"
    data.write_text("sentence\tlabel\na superb film\tpos\nan awful plot\tneg\n", encoding="utf-8")
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
    assert report["codes"] == [0, 0, 0, 0]
    assert len(report["labels"]) == 2


def _pip_offline(output: str) -> bool:
    signs = (
        "No matching distribution",
        "Could not find a version",
        "NewConnectionError",
        "Network is unreachable",
    )
    return any(sign in output for sign in signs)


class CleanVenv:
    """A new venv (no system site-packages) with this package installed from a copy of the repository,
    not editable (an editable install would hide missing package data).

    Args:
        requirements: with none, `pip install SOURCE` (the documented device install, dependencies
            and all); else `pip install --no-deps SOURCE` plus these (a platform without
            ai-edge-litert wheels, simulated).
    """

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
        installed = self._pip(*(("--no-deps",) if requirements else ()), str(source))
        self._skip_if_offline(installed, "fnet-keras's dependencies")
        assert installed.returncode == 0, installed.stdout + installed.stderr
        if requirements:
            dependencies = self._pip(*requirements)
            self._skip_if_offline(dependencies, requirements)
            assert dependencies.returncode == 0, dependencies.stdout + dependencies.stderr
        self.install_seconds = time.perf_counter() - started

    @staticmethod
    def _skip_if_offline(completed: subprocess.CompletedProcess, what) -> None:
        if completed.returncode != 0 and _pip_offline(completed.stdout + completed.stderr):
            message = f"cannot download {what} (no package index): {completed.stderr.strip()[-300:]}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)

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
def test_the_documented_device_install_runs_bundles_without_tensorflow(fp32_bundle, tmp_path):
    """`pip install fnet-keras` (here: the repository, not editable, dependencies included) is the
    TF-free runtime: numpy, flatbuffers and ai-edge-litert; classify, evaluate, bench and presets work
    and `train` says which extra it needs."""
    venv = CleanVenv(tmp_path)
    packages = venv.packages()
    assert not packages & TF_PACKAGES and {"ai-edge-litert", "numpy", "flatbuffers"} <= packages

    imported = venv.run(
        "-c",
        "import fnet_keras.edge, fnet_keras.text, fnet_keras.data, fnet_keras; print(fnet_keras.__file__)",
    )
    assert imported.returncode == 0, imported.stderr.decode()
    assert str(venv.venv) in imported.stdout.decode()
    program = str(venv.venv / "bin" / "fnet-keras")

    def fnet_keras_command(*args):
        return subprocess.run(
            [program, *args], capture_output=True, env=venv.environment, cwd=tmp_path, timeout=300
        )

    classified = fnet_keras_command("classify", str(fp32_bundle.directory), "the movie was superb", "--json")
    assert classified.returncode == 0, classified.stderr.decode()
    assert json.loads(classified.stdout)["results"][0]["label"] == "pos"
    evaluated = fnet_keras_command(
        "evaluate", str(fp32_bundle.zip_path), "--data", str(_labelled_file(tmp_path))
    )
    assert evaluated.returncode == 0, evaluated.stderr.decode()
    assert "accuracy" in evaluated.stdout.decode()
    benched = fnet_keras_command(
        "bench", str(fp32_bundle.directory), "--runs", "3", "--warmup", "1", "--json"
    )
    assert benched.returncode == 0, benched.stderr.decode()
    assert json.loads(benched.stdout)["cells"][0]["inference_count"] == 3
    # The demo bundle is package data: a non-editable install answers with no model given.
    demo = fnet_keras_command("classify", "--json", "a gorgeous, witty film")
    assert demo.returncode == 0, demo.stderr.decode()
    assert json.loads(demo.stdout)["results"][0]["label"] == "positive"
    training = fnet_keras_command("train", "--data", str(tmp_path), "--out", str(tmp_path / "run"))
    assert training.returncode == 2
    assert "needs TensorFlow, Keras and keras-hub" in training.stderr.decode()
    assert "pip install 'fnet-keras[train]'" in training.stderr.decode()
    print(f"clean device venv: install {venv.install_seconds:.1f} s")


# Runs inside the tflite_runtime venv: fp32/int8 probabilities, and what dynamic gets.
TFLITE_RUNTIME_SCRIPT = r"""
import json, sys
from pathlib import Path
from fnet_keras.edge import BundleError, LiteRTModel, detect_runtime, load_bundle

fp32, int8, dynamic = sys.argv[1:4]
texts = json.loads(sys.argv[4])
report = {"runtime": detect_runtime().describe()}
for name, path in (("fp32", fp32), ("int8", int8)):
    report[name] = load_bundle(path).classify(texts).probabilities.tolist()
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

    # What `pip install "fnet-keras[tflite]"` installs where the ai-edge-litert marker is false.
    venv = CleanVenv(tmp_path, "tflite-runtime==2.14.0", "numpy<2", "flatbuffers>=23.5")
    assert not venv.packages() & (TF_PACKAGES | {"ai-edge-litert"})
    texts = ["a superb film", "the music", "an awful plot . not very boring"]
    bundles = [str(bundle.directory) for bundle in (fp32_bundle, int8_bundle, dynamic_bundle)]
    completed = venv.run("-c", TFLITE_RUNTIME_SCRIPT, *bundles, json.dumps(texts))
    assert completed.returncode == 0, completed.stderr.decode()
    report = _last_json_line(completed.stdout)
    assert report["runtime"] == {"name": "tflite_runtime", "version": "2.14.0"}
    fp32_here = load_bundle(fp32_bundle.directory)  # ai_edge_litert
    np.testing.assert_allclose(report["fp32"], fp32_here.classify(texts).probabilities, atol=1e-5)
    # int8 kernels differ between the runtimes (MediaPipe's too: up to 2.7e-2 in probabilities measured),
    # so int8 is held to the Keras model's decisions and a loose probability bound.
    ids = [fp32_here.tokenizer.encode(text) for text in texts]
    keras = int8_bundle.keras_probabilities(ids)
    assert np.argmax(report["int8"], axis=1).tolist() == np.argmax(keras, axis=1).tolist()
    np.testing.assert_allclose(report["int8"], keras, atol=0.1)
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
        completed = venv.run("-m", "fnet_keras", "classify", str(directory), "a good film")
        stderr = completed.stderr.decode("utf-8", "replace")
        assert completed.returncode == 2, f"{case}: return code {completed.returncode}; {stderr}"
        # Caught before any interpreter reads the bytes (the metadata reader or the flatbuffer extent
        # check reads past the end), else in the probe process, which crashes instead of this one.
        expected = ("damaged or truncated", "malformed LiteRT model", "tflite_runtime 2.14.0 crashed (signal")
        assert "model.tflite: " in stderr and any(text in stderr for text in expected), stderr
    print(f"clean tflite-runtime venv: install {venv.install_seconds:.1f} s")
