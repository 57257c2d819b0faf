"""The web demo's tests: a tiny MediaPipe-ready bundle trained on SST-2, our runtime's answer, the browser.

The bundle is what `make demo-model` makes, in miniature: an FNet (1 block, 32 hidden) trained for a
few seconds on SST-2 rows, traced with the MediaPipe layout (`fnet_keras.export.mediapipe_layout`),
converted to fp32 (RFFT2D mixing) or int8 (DFT mixing, the exporter's choice for int8), with
MediaPipe metadata (vocab.txt and labels.txt inside) and a format-2 style bundle.json.
"""

from __future__ import annotations

import json
import shutil
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
from support import shared_data, skip_or_fail

REPO_ROOT = Path(__file__).resolve().parents[2]
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


def read_sst2(split: str, count: int) -> tuple[list[str], list[int]]:
    """The first `count` lower-case ASCII sentences of `split` (train, test) and their labels.

    Lower-case ASCII is where our tokenizer rules and MediaPipe's BERT tokenizer agree (it lower-cases
    ASCII only and keeps accents).
    """
    path = shared_data("sst2", f"{split}.tsv")
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


def reference_probabilities(bundle_dir: Path, texts: list[str]) -> np.ndarray:
    """Our runtime's probabilities for `texts`, `(len(texts), len(labels))` in labels.txt order."""
    from fnet_keras.edge import load_bundle

    return np.asarray(load_bundle(bundle_dir).classify(texts).probabilities, dtype=np.float64)


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
