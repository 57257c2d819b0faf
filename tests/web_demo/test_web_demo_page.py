"""The web demo in headless Chromium: MediaPipe Tasks for Web classifies like our runtime, through the UI.

One Chromium (Debian's, driven by playwright-core from web_demo/node_modules) loads the page from
`web_demo/serve.py` for each test bundle; 50 SST-2 test sentences are entered in the page's text box
and classified with its button (two typed key by key and sent with Ctrl+Enter), and the labels and
scores it lists are compared with our runtime's probabilities for the same bundle
(`reference_probabilities`). The sentences are lower-case ASCII, where our tokenizer and MediaPipe's
agree.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import numpy as np
import pytest
from web_demo_support import (
    LABELS,
    SERVE_SCRIPT,
    DemoServer,
    drive_page,
    read_sst2,
    reference_probabilities,
)

pytestmark = pytest.mark.slow

SENTENCES = 50
KEYBOARD_SENTENCES = 2  # typed key by key and sent with Ctrl+Enter; the rest filled and sent by the button
# Largest |page score - our runtime's probability|. Measured on 866 SST-2 test sentences with three
# training seeds: fp32 3.0e-7, int8 0 (the WebAssembly LiteRT and ai_edge_litert gave identical int8
# outputs). fp32: the MediaPipe Python test's bound. int8: one step of the int8 softmax's output
# scale (1/256), the smallest difference another rounding in some int8 kernel could make.
TOLERANCE = {"fp32": 1e-5, "int8": 1 / 256}
MIN_TOP_LABEL_AGREEMENT = {"fp32": 1.0, "int8": 0.99}
# MediaPipe's WebAssembly writes its stderr (TensorFlow Lite's INFO lines) through console.error.
CONSOLE_NOISE = ("console: INFO: ",)


@dataclasses.dataclass
class BrowserRun:
    texts: list[str]
    visits: dict[str, dict]  # bundle field -> the page driver's answer
    urls: dict[str, str]


@pytest.fixture(scope="module")
def browser_run(browser_tools, demo_servers) -> BrowserRun:
    texts, _ = read_sst2("test", SENTENCES)
    plan = {
        "fp32": {"texts": texts, "keyboard": KEYBOARD_SENTENCES},
        "int8": {"texts": texts},
        "without_manifest": {"texts": texts[:1]},
        "stale_manifest": {"texts": []},
        "broken_model": {"texts": []},
        "shipped": {"texts": texts},
    }
    urls = {name: demo_servers[name].url for name in plan}
    answers = drive_page([{"url": urls[name], **visit} for name, visit in plan.items()])
    return BrowserRun(texts, dict(zip(plan, answers, strict=True)), urls)


def page_probabilities(results: list[dict], labels=LABELS) -> np.ndarray:
    """The scores the page listed (top first), back in labels.txt order."""
    rows = []
    for result in results:
        by_label = dict(zip(result["labels"], result["scores"], strict=True))
        rows.append([by_label[label] for label in labels])
    return np.asarray(rows, dtype=np.float64)


@pytest.mark.parametrize("quantization", ["fp32", "int8"])
def test_the_page_classifies_like_our_runtime(browser_run, demo_bundles, quantization):
    visit = browser_run.visits[quantization]
    assert visit["loaded"]["state"] == "ready", visit["loaded"]
    results = visit["results"]
    assert len(results) == SENTENCES
    for result in results:
        assert sorted(result["labels"]) == sorted(LABELS)  # every label, each once
        assert result["scores"] == sorted(result["scores"], reverse=True)  # top first
        shown = np.asarray([float(text) for text in result["shown"]])  # 4 decimals, JavaScript's rounding
        assert np.all(np.abs(shown - result["scores"]) <= 0.5e-4 + 1e-12)
        assert result["milliseconds"] >= 0 and result["status"] == "ready"
    ours = reference_probabilities(getattr(demo_bundles, quantization), browser_run.texts)
    page = page_probabilities(results)
    np.testing.assert_allclose(page.sum(axis=1), 1.0, atol=0.02)
    assert np.max(np.abs(page - ours)) <= TOLERANCE[quantization]
    agreement = np.mean(page.argmax(axis=1) == ours.argmax(axis=1))
    assert agreement >= MIN_TOP_LABEL_AGREEMENT[quantization]
    assert [result["labels"][0] for result in results] == [LABELS[i] for i in page.argmax(axis=1)]
    # The model says different things about different sentences (a constant would pass the rest).
    assert len(set(page.argmax(axis=1))) == len(LABELS)


def test_the_shipped_demo_bundle_classifies_in_the_page_like_our_runtime(browser_run, demo_bundles):
    visit = browser_run.visits["shipped"]
    assert visit["loaded"]["state"] == "ready", visit["loaded"]
    labels = (demo_bundles.shipped / "labels.txt").read_text(encoding="utf-8").split()
    ours = reference_probabilities(demo_bundles.shipped, browser_run.texts)
    page = page_probabilities(visit["results"], labels)
    assert np.max(np.abs(page - ours)) <= TOLERANCE["int8"]
    assert np.mean(page.argmax(axis=1) == ours.argmax(axis=1)) >= MIN_TOP_LABEL_AGREEMENT["int8"]
    assert len(set(page.argmax(axis=1))) == len(labels)


@pytest.mark.parametrize("quantization", ["fp32", "int8"])
def test_the_page_shows_the_models_name_quantization_and_size(browser_run, demo_bundles, quantization):
    loaded = browser_run.visits[quantization]["loaded"]
    model_bytes = (getattr(demo_bundles, quantization) / "model.tflite").stat().st_size
    assert loaded["name"] == f"sst2-web-test ({quantization})"
    assert loaded["quantization"] == quantization
    assert f"({model_bytes:,} bytes)" in loaded["size"]
    assert loaded["warning"] is None


def test_the_page_loads_everything_from_its_own_server(browser_run):
    for name in ("fp32", "int8"):
        visit = browser_run.visits[name]
        origin = urlsplit(browser_run.urls[name])
        assert {urlsplit(url).netloc for url in visit["requests"]} == {origin.netloc}
        assert any(url.endswith(".wasm") for url in visit["requests"])  # MediaPipe's runtime, served here
        assert [error for error in visit["errors"] if not error.startswith(CONSOLE_NOISE)] == []


def test_a_bundle_without_bundle_json_shows_unknown_and_still_classifies(browser_run, demo_bundles):
    visit = browser_run.visits["without_manifest"]
    loaded = visit["loaded"]
    assert loaded["state"] == "ready", loaded
    assert loaded["name"] == loaded["quantization"] == "unknown"
    size = (demo_bundles.without_manifest / "model.tflite").stat().st_size
    assert f"({size:,} bytes)" in loaded["size"]  # the size of the model it loaded
    assert "bundle.json: HTTP 404" in loaded["warning"]
    assert len(visit["results"]) == 1


def test_a_bundle_json_that_disagrees_with_the_model_is_shown(browser_run, demo_bundles):
    loaded = browser_run.visits["stale_manifest"]["loaded"]
    size = (demo_bundles.stale_manifest / "model.tflite").stat().st_size
    assert loaded["state"] == "ready", loaded
    assert loaded["warning"] == (
        f"bundle.json says model.tflite has {size + 1000} bytes; the server sent {size}."
    )


def test_a_model_that_does_not_load_is_reported_on_the_page(browser_run):
    loaded = browser_run.visits["broken_model"]["loaded"]
    assert loaded["state"] == "error"
    # MediaPipe's reason, without the C++ source location trace it appends.
    assert loaded["message"] == (
        "Could not load the model: INVALID_ARGUMENT: The model is not a valid Flatbuffer buffer; "
        "Initialize was not ok; StartGraph failed"
    )
    assert not loaded["buttonEnabled"]


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), b""


def test_the_server_serves_the_layout_with_the_types_browsers_need(demo_servers, demo_bundles):
    url = demo_servers["fp32"].url
    status, headers, body = fetch(url + "mediapipe/wasm/text_wasm_internal.wasm")
    assert (status, headers["Content-Type"]) == (200, "application/wasm")
    assert body[:4] == b"\0asm"
    for path in ("mediapipe/text_bundle.mjs", "app.js", "mediapipe/wasm/text_wasm_internal.js"):
        assert fetch(url + path)[1]["Content-Type"] == "text/javascript; charset=utf-8", path
    status, headers, body = fetch(url + "bundle/model.tflite")
    assert body == (demo_bundles.fp32 / "model.tflite").read_bytes()
    assert fetch(url)[2] == fetch(url + "index.html")[2]


@pytest.mark.parametrize(
    "path", ["bundle/%2e%2e/fp32/model.tflite", "bundle/..%2fint8/model.tflite", "serve.py", "bundle/", "x"]
)
def test_the_server_serves_nothing_outside_its_three_directories(demo_servers, path):
    assert fetch(demo_servers["fp32"].url + path)[0] == 404


def test_the_server_listens_on_every_interface_with_host_0_0_0_0(npm_packages, demo_bundles, tmp_path):
    server = DemoServer(demo_bundles.fp32, tmp_path / "log", "--host", "0.0.0.0")
    try:
        assert server.url.startswith("http://127.0.0.1:")  # then this machine's other addresses
        assert fetch(server.url + "bundle/labels.txt")[2] == (demo_bundles.fp32 / "labels.txt").read_bytes()
        assert "--host 0.0.0.0 to reach it" not in "".join(server.printed)
    finally:
        server.stop()


def test_the_server_refuses_a_directory_that_is_not_a_bundle(npm_packages, tmp_path):
    # (without web_demo/node_modules it would say that first)
    completed = subprocess.run(
        [sys.executable, str(SERVE_SCRIPT), str(tmp_path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert completed.returncode == 2
    assert completed.stderr == f"error: {tmp_path} is not a bundle: it has no model.tflite\n"
    missing = tmp_path / "missing"
    completed = subprocess.run(
        [sys.executable, str(SERVE_SCRIPT), str(missing)], capture_output=True, text=True, timeout=30
    )
    assert (completed.returncode, completed.stderr) == (
        2,
        f"error: bundle directory {missing} does not exist\n",
    )
