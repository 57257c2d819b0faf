"""The one place for test helpers: tiny data, tiny model sizes, running the CLI, editing bundles.

Shared by every test directory (tests/ is on sys.path: `from support import ...`).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT / ".." / "shared" / "data"  # read-only data sets (SST-2, IMDB); CI has them
SST2_TRAIN_ROWS = 3000
FILLER = "the a movie film plot story actor scene music very quite rather really".split()
KEYWORDS = {
    "neg": ("awful", "boring", "dreadful"),
    "neu": ("okay", "average", "fine"),
    "pos": ("great", "wonderful", "superb"),
}
# A backbone small enough to train in about a second per epoch on two cores.
TINY_BACKBONE = {
    "num_layers": 1,
    "hidden_dim": 32,
    "intermediate_dim": 64,
    "embedding_dim": 32,
    "num_heads": 2,
}
TINY_SETTINGS = {
    "preset": "tiny",
    "sequence_length": 16,
    "vocabulary_size": 200,
    "batch_size": 16,
    "learning_rate": 5e-3,
    "min_steps": 1,  # with epochs unset: the minimum of 3 epochs, not 1,000 steps (fast tests)
    "backbone_overrides": TINY_BACKBONE,
}
# The same settings as `fnet-keras train` flags.
TINY_FLAGS = [
    "--preset",
    "tiny",
    "--sequence-length",
    "16",
    "--vocabulary-size",
    "200",
    "--batch-size",
    "16",
    "--learning-rate",
    "5e-3",
    "--min-steps",
    "1",
] + [arg for key, value in TINY_BACKBONE.items() for arg in ("--backbone-override", f"{key}={value}")]


def keyword_rows(count: int, seed: int, labels=tuple(KEYWORDS)) -> list[tuple[str, str]]:
    """`count` (sentence, label) pairs: filler words plus one keyword that gives the label."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        label = rng.choice(sorted(labels))
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 8))]
        words.insert(rng.randint(0, len(words)), rng.choice(KEYWORDS[label]))
        rows.append((" ".join(words), label))
    return rows


def write_tsv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"{text}\t{label}\n" for text, label in rows)
    path.write_text("sentence\tlabel\n" + lines, encoding="utf-8")
    return path


def write_keyword_data(directory: Path, train: int = 200, dev: int = 60, test: int = 60) -> Path:
    """train.tsv, dev.tsv and test.tsv (200, 60, 60 rows by default) in `directory`."""
    for name, count, seed in (("train", train, 1), ("dev", dev, 2), ("test", test, 3)):
        write_tsv(directory / f"{name}.tsv", keyword_rows(count, seed))
    return directory


def run_cli(*args, stdin: bytes = b"", env: dict | None = None, python: str = sys.executable, timeout=300):
    """`python -m fnet_keras ARGS` in a subprocess (a crash shows as a negative return code)."""
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run(
        [python, "-m", "fnet_keras", *(arg if isinstance(arg, bytes) else str(arg) for arg in args)],
        input=stdin,
        capture_output=True,
        env=environment,
        cwd=REPO_ROOT,
        timeout=timeout,
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


class BundleFixture:
    """One mode's bundle of the session export, as the edge tests look at it."""

    def __init__(self, exported, mode: str, model):
        self.directory = exported.out_dir / mode
        self.zip_path = exported.out_dir / f"{mode}.zip"
        self.tflite_bytes = (self.directory / "model.tflite").read_bytes()
        self.model = model  # the Keras TextClassifier it came from

    def keras_probabilities(self, token_ids) -> "np.ndarray":  # noqa: F821
        import numpy as np

        from fnet_keras.edge.classification import softmax

        return softmax(np.asarray(self.model(np.asarray(token_ids, dtype=np.int32), training=False)))


def convert_function(function, track=None) -> bytes:
    """A `tf.function` (with an input signature) over constant tensors -> LiteRT bytes, builtin ops, with
    a `serving_default` signature (for graphs that are not fnet-keras classifiers: the bench, op-reader
    and loader tests need arbitrary ones). `track`: an object whose variables the function reads (a
    Keras model), so the SavedModel holds them."""
    import tempfile

    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="fnet-keras-test-") as directory:
        module = tf.Module()
        module.tracked = track
        tf.saved_model.save(module, directory, signatures={"serving_default": function})
        converter = tf.lite.TFLiteConverter.from_saved_model(directory, signature_keys=["serving_default"])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        return converter.convert()


def shared_data(*parts: str) -> Path:
    """The path of ../shared/data/PARTS (a file or a folder), the one way tests reach the shared data
    sets; skips when it is absent (fails in CI, which has it)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        skip_or_fail(f"shared data {'/'.join(parts)} is not at {path.resolve()}")
    return path


def sst2_rows(split: str, count: int | None = None) -> list[tuple[str, str]]:
    """(text, label) rows of ../shared/data/sst2/SPLIT.tsv (the first `count`); skips when it is absent
    (fails in CI, which has it)."""
    path = shared_data("sst2", f"{split}.tsv")
    rows = [tuple(line.rsplit("\t", 1)) for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    return [(text.strip(), label) for text, label in rows][:count]


def skip_or_fail(message: str) -> None:
    """Skips the test here; fails it in CI (`CI` set), where `make test` provides every prerequisite."""
    import pytest

    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
