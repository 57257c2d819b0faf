"""The web demo's tests: a tiny MediaPipe-ready bundle trained on SST-2, our runtime's answer, the browser.

The bundle is what `make demo-model` makes, in miniature: an FNet (1 block, 32 hidden) trained for a
few seconds on SST-2 rows, traced with the MediaPipe layout (`fnet_keras.export.mediapipe_layout`),
converted to fp32 (RFFT2D mixing) or int8 (DFT mixing, the exporter's choice for int8), with
MediaPipe metadata (vocab.txt and labels.txt inside) and a format-2 style bundle.json.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import shutil
import string
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SST2_DIR = REPO_ROOT / ".." / "shared" / "data" / "sst2"
WEB_DEMO = REPO_ROOT / "web_demo"
SERVE_SCRIPT = WEB_DEMO / "serve.py"
MEDIAPIPE_PACKAGE = WEB_DEMO / "node_modules" / "@mediapipe" / "tasks-text" / "package.json"
PLAYWRIGHT_PACKAGE = WEB_DEMO / "node_modules" / "playwright-core" / "package.json"
PAGE_DRIVER = Path(__file__).resolve().parent / "page_driver.mjs"
CHROMIUM = "chromium"  # Debian's package; the Makefile installs it

SEQUENCE_LENGTH = 64
LABELS = ("negative", "positive")  # SST-2's labels 0 and 1
TRAIN_ROWS = 2000
VOCABULARY_WORDS = 1500
# Characters a word piece may be cut into: every ASCII word then tokenizes without [UNK] unless it
# holds a character outside this set.
PIECE_CHARACTERS = string.ascii_lowercase + string.digits + string.punctuation


def skip_or_fail(message: str) -> None:
    """Skips the test locally; fails it in CI (`CI` set), where `make test` installs everything."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def read_sst2(split: str, count: int) -> tuple[list[str], list[int]]:
    """The first `count` lower-case ASCII sentences of `split` (train, test) and their labels.

    Lower-case ASCII is where our tokenizer rules and MediaPipe's BERT tokenizer agree (it lower-cases
    ASCII only and keeps accents).
    """
    path = SST2_DIR / f"{split}.tsv"
    if not path.is_file():
        pytest.skip(f"SST-2 is not at {path.resolve()}")
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        text, label = line.rsplit("\t", 1)
        text = text.strip()
        if text and text.isascii() and text == text.lower():
            texts.append(text)
            labels.append(int(label))
        if len(texts) == count:
            break
    return texts, labels


def demo_vocabulary(texts: list[str]) -> list[str]:
    """Special tokens, the most frequent words of `texts`, then single characters and their ## pieces."""
    from fnet_keras.text import SPECIAL_TOKENS, TokenizerConfig, pretokenize

    config = TokenizerConfig(sequence_length=SEQUENCE_LENGTH)
    counts = collections.Counter(word for text in texts for word in pretokenize(text, config))
    words = [word for word, _ in counts.most_common(VOCABULARY_WORDS) if len(word) > 1]
    characters = list(PIECE_CHARACTERS)
    tokens = [*SPECIAL_TOKENS, *words, *characters, *("##" + char for char in characters)]
    return list(dict.fromkeys(tokens))


def encode(vocabulary: list[str], texts: list[str]) -> np.ndarray:
    from fnet_keras.text import TokenizerConfig, WordPieceEncoder

    encoder = WordPieceEncoder(vocabulary, TokenizerConfig(sequence_length=SEQUENCE_LENGTH))
    return np.asarray(encoder.encode_batch(texts), dtype=np.int32)


def train_tiny_classifier(vocabulary: list[str], token_ids: np.ndarray, labels: list[int]):
    """A 1-block FNet fitted for a few epochs: predictions vary with the text, as a demo model's do."""
    import keras

    from fnet_keras.models import TextClassifier

    keras.utils.set_random_seed(0)
    model = TextClassifier.from_preset(
        "tiny",
        vocabulary_size=len(vocabulary),
        num_classes=len(LABELS),
        sequence_length=SEQUENCE_LENGTH,
        num_layers=1,
        hidden_dim=32,
        intermediate_dim=64,
        embedding_dim=32,
        num_heads=2,
        dropout=0.0,
        fourier_method="rfft",
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(token_ids, np.asarray(labels, dtype=np.int32), batch_size=64, epochs=3, verbose=0)
    return model


def mediapipe_tflite(model, quantization: str, calibration_ids: np.ndarray) -> bytes:
    """`model` with the MediaPipe layout, converted: fp32 with RFFT2D mixing, int8 with DFT mixing."""
    import tensorflow as tf

    from fnet_keras.export import mediapipe_layout as layout
    from fnet_keras.export.mixing import apply_mixing

    apply_mixing(model, "dft" if quantization == "int8" else "rfft")
    with tempfile.TemporaryDirectory(prefix="fnet-keras-web-demo-") as directory:
        saved = layout.write_saved_model(model, SEQUENCE_LENGTH, Path(directory) / "saved")
        converter = tf.lite.TFLiteConverter.from_saved_model(
            str(saved), signature_keys=[layout.SIGNATURE_KEY]
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantization == "int8":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                tf.lite.OpsSet.TFLITE_BUILTINS,
            ]
            converter.representative_dataset = layout.representative_dataset(calibration_ids)
        with warnings.catch_warnings():  # the int8 calibrator's own tf.lite.Interpreter warns
            warnings.filterwarnings("ignore", message=r".*tf\.lite\.Interpreter is deprecated")
            return converter.convert()


def write_demo_bundle(
    directory: Path, model_bytes: bytes, vocabulary: list[str], name: str, quantization: str
) -> Path:
    """A bundle directory as the page reads it: model.tflite with MediaPipe metadata, vocab.txt,
    labels.txt, and bundle.json with the format-2 display fields (name, quantization.mode, files)."""
    from fnet_keras.edge.tflite_metadata import write_classifier_metadata

    directory.mkdir(parents=True)
    files = {
        "model.tflite": write_classifier_metadata(model_bytes, vocabulary, list(LABELS), name=name),
        "vocab.txt": "".join(token + "\n" for token in vocabulary).encode("utf-8"),
        "labels.txt": "".join(label + "\n" for label in LABELS).encode("utf-8"),
    }
    for file_name, data in files.items():
        (directory / file_name).write_bytes(data)
    manifest = {
        "format": "fnet-keras-bundle",
        "format_version": 2,
        "name": name,
        "quantization": {"mode": quantization},
        "labels": list(LABELS),
        "sequence_length": SEQUENCE_LENGTH,
        "files": {
            file_name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for file_name, data in files.items()
        },
    }
    (directory / "bundle.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return directory


def reference_probabilities(bundle_dir: Path, texts: list[str]) -> np.ndarray:
    """Our runtime's probabilities for `texts` with the bundle, `(len(texts), len(labels))`.

    The one place the tests compute the reference: today the pure-Python tokenizer plus ai_edge_litert
    with the three MediaPipe inputs bound by name; once `fnet_keras.edge` reads format-2 bundles this
    becomes `fnet_keras.edge.load_bundle(bundle_dir).classify(texts)` (probabilities in labels.txt order).
    """
    from ai_edge_litert.interpreter import Interpreter

    from fnet_keras.export import mediapipe_layout as layout
    from fnet_keras.text import TokenizerConfig, WordPieceEncoder

    interpreter = Interpreter(model_path=str(bundle_dir / "model.tflite"), num_threads=1)
    runner = interpreter.get_signature_runner(layout.SIGNATURE_KEY)
    sequence_length = int(runner.get_input_details()[layout.INPUT_WORD_IDS]["shape"][-1])
    encoder = WordPieceEncoder.from_files(
        bundle_dir / "vocab.txt", TokenizerConfig(sequence_length=sequence_length)
    )
    rows = [runner(**layout.bert_inputs(encoder.encode(text)))[layout.OUTPUT_NAME][0] for text in texts]
    return np.asarray(rows, dtype=np.float64)


def chromium_path() -> str:
    """Debian's Chromium; skips (fails in CI) when it is not installed."""
    path = shutil.which(CHROMIUM)
    if path is None:
        skip_or_fail(
            "Chromium is not installed: `apt-get install -y chromium` as root (`make test` does it "
            "when it runs as root)"
        )
    return path


def require_npm_packages() -> None:
    """Skips (fails in CI) unless `npm ci --prefix web_demo` has installed MediaPipe and playwright-core."""
    if not (MEDIAPIPE_PACKAGE.is_file() and PLAYWRIGHT_PACKAGE.is_file()):
        skip_or_fail(f"web_demo's npm packages are not installed: run `npm ci --prefix {WEB_DEMO}`")


def node_path() -> str:
    path = shutil.which("node")
    if path is None:
        skip_or_fail("Node.js is not installed (`apt-get install -y nodejs npm`)")
    require_npm_packages()
    return path


def drive_page(visits: list[dict], timeout: float = 300) -> list[dict]:
    """Runs `page_driver.mjs` in Node: one Chromium, one page per visit; returns each visit's answer.

    A visit is {"url": ..., "texts": [...]}: the page is loaded, each text typed into the page and
    classified with its button, and the labels and scores shown read back (see page_driver.mjs).
    """
    payload = {
        "chromium": chromium_path(),
        "playwright": str(PLAYWRIGHT_PACKAGE),
        "visits": visits,
    }
    completed = subprocess.run(
        [node_path(), str(PAGE_DRIVER)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )
    assert completed.returncode == 0, (
        f"page driver failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}"
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


class DemoServer:
    """`python web_demo/serve.py BUNDLE --port 0 ARGS` until `stop()`; `url`: the first URL it printed."""

    def __init__(self, bundle_dir: Path, log_path: Path, *args: str):
        self._log = open(log_path, "wb")  # access log; a pipe nobody reads would fill and block it
        self.process = subprocess.Popen(
            [sys.executable, str(SERVE_SCRIPT), str(bundle_dir), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.printed = []
        for line in self.process.stdout:
            self.printed.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        self.urls = [line.strip() for line in self.printed if line.strip().startswith("http://")]
        if not self.urls:
            self.stop()
            raise AssertionError(f"serve.py printed no URL: {self.printed}, log: {log_path.read_text()}")

    @property
    def url(self) -> str:
        return self.urls[0]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self._log.close()
