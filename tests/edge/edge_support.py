"""Helpers shared by the edge tests: the tiny vocabulary and labels, conversion, bundle metadata, CLI runs.

Conversion uses TensorFlow (tests may); the runtime under test never imports it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from fnet_keras.text import SPECIAL_TOKENS

SEQUENCE_LENGTH = 16
LABELS = ("negative", "neutral", "positive")
WORDS = "the a movie film plot acting was is not very good great bad awful fine , . !".split()
VOCABULARY = [*SPECIAL_TOKENS, *WORDS, "##s", "##ly", "##ing"]
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class BundleFixture:
    """A written bundle and the Keras model it came from."""

    directory: Path
    zip_path: Path
    tflite_bytes: bytes
    model: object  # the Keras TextClassifier

    def keras_logits(self, token_ids: list[list[int]]) -> np.ndarray:
        return np.asarray(self.model(np.asarray(token_ids, dtype=np.int32), training=False))


def op_counts(tflite_bytes: bytes) -> dict[str, int]:
    """The model's ops (the exporter's job in real bundles; here only to fill bundle.json)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_content=tflite_bytes,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    counts: dict[str, int] = {}
    for op in interpreter._get_ops_details():
        counts[op["op_name"]] = counts.get(op["op_name"], 0) + 1
    return counts


def convert(function, quantization: str = "fp32", representative_dataset=None) -> bytes:
    """A traced `tf.function` -> LiteRT bytes with builtin ops only (variables frozen into constants)."""
    import tensorflow as tf

    # No trackable object: with one the converter keeps Keras variables as uninitialised
    # resource variables (READ_VARIABLE ops) and the model outputs NaN.
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative_dataset
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
            tf.lite.OpsSet.TFLITE_BUILTINS,
        ]
        converter.inference_output_type = tf.int8
    return converter.convert()


def serving_function(model, sequence_length: int = SEQUENCE_LENGTH):
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, sequence_length], tf.int32, name="token_ids")])
    def serve(token_ids):
        return {"logits": model(token_ids, training=False)}

    return serve


def metadata(tflite_bytes: bytes, quantization: str = "fp32", mixing: str = "rfft") -> dict:
    return {
        "quantization": quantization,
        "mixing": mixing,
        "model": {"preset": "tiny", "mixing": "fourier", "parameters": 0},
        "ops": op_counts(tflite_bytes),
        "parity": {"examples": 0, "passed": True},
        "source_run": {"run_dir": "tests", "config_sha256": None},
    }


def run_edge_cli(*args: str, stdin: bytes = b"", env: dict | None = None, python: str = sys.executable):
    """`python -m fnet_keras.edge ARGS` in a subprocess (a crash shows as a negative return code)."""
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run(
        [python, "-m", "fnet_keras.edge", *args],
        input=stdin,
        capture_output=True,
        env=environment,
        cwd=REPO_ROOT,
        timeout=120,
    )


def rewrite_manifest(directory: Path, change) -> None:
    manifest_path = directory / "bundle.json"
    manifest = json.loads(manifest_path.read_text())
    change(manifest)
    manifest_path.write_text(json.dumps(manifest, indent=2))


def replace_file_keeping_hashes_valid(directory: Path, name: str, data: bytes) -> None:
    """Writes `data` as `name` and rewrites bundle.json's size and hash to match (a bug or an attacker)."""
    (directory / name).write_bytes(data)

    def change(manifest):
        manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    rewrite_manifest(directory, change)
