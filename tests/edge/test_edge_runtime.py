"""The interpreter-compatibility rules (pure decisions) and runtime detection on this machine."""

from __future__ import annotations

import importlib.metadata
import importlib.util

import pytest

from fnet_keras.edge import BundleError, EdgeRuntimeError, check_runtime, detect_runtime, runtime_requirements
from fnet_keras.edge.runtime import parse_version


def _check(quantization: str, runtime: str, version: str, path=None, **runtime_changes) -> None:
    requirements = {**runtime_requirements(quantization), **runtime_changes}
    check_runtime(quantization, requirements, runtime, version, path)


@pytest.mark.parametrize("quantization", ["fp32", "fp16", "dynamic", "int8"])
def test_ai_edge_litert_2_3_runs_every_quantization(quantization):
    _check(quantization, "ai_edge_litert", "2.3.0")
    _check(quantization, "ai_edge_litert", "2.10.1")


def test_older_ai_edge_litert_is_refused():
    with pytest.raises(BundleError, match="needs ai_edge_litert >= 2.3.0.*ai_edge_litert 2.2.1 is installed"):
        _check("fp32", "ai_edge_litert", "2.2.1")


@pytest.mark.parametrize("quantization", ["fp32", "fp16", "int8"])
def test_tflite_runtime_2_14_runs_fp32_fp16_int8(quantization):
    _check(quantization, "tflite_runtime", "2.14.0")


def test_tflite_runtime_refuses_dynamic_with_the_reason():
    with pytest.raises(BundleError) as error:
        _check("dynamic", "tflite_runtime", "2.14.0", path="b/bundle.json")
    message = str(error.value)
    assert message.startswith("b/bundle.json: a dynamic-range bundle cannot run on tflite_runtime 2.14.0")
    assert "FULLY_CONNECTED version 12" in message and "pip install ai-edge-litert" in message
    # Refused even if a hand-edited manifest claims otherwise.
    with pytest.raises(BundleError, match="FULLY_CONNECTED version 12"):
        _check("dynamic", "tflite_runtime", "2.14.0", tflite_runtime=True)


def test_tflite_runtime_follows_the_exporters_flag_and_minimum_version():
    with pytest.raises(
        BundleError, match="marked this fp32 bundle as not runnable on tflite_runtime.*custom reason"
    ):
        _check("fp32", "tflite_runtime", "2.14.0", tflite_runtime=False, note="custom reason")
    with pytest.raises(BundleError, match="tflite_runtime 2.13.0 is too old"):
        _check("fp32", "tflite_runtime", "2.13.0")


def test_unknown_runtime_name():
    with pytest.raises(ValueError, match="unknown LiteRT runtime 'onnxruntime'"):
        _check("fp32", "onnxruntime", "1.0")


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("2.3.0", (2, 3, 0)),
        ("2.14.0", (2, 14, 0)),
        ("2.3.0rc1", (2, 3, 0)),
        ("2.3.post1", (2, 3)),
        ("unknown", ()),
    ],
)
def test_parse_version(text, parts):
    assert parse_version(text) == parts


def test_detect_runtime_prefers_ai_edge_litert():
    runtime = detect_runtime()
    assert runtime.name == "ai_edge_litert"
    assert runtime.version == importlib.metadata.version("ai-edge-litert")
    assert hasattr(runtime.module, "Interpreter")


@pytest.mark.skipif(
    importlib.util.find_spec("tflite_runtime") is not None,
    reason="tflite_runtime is installed here, so the message for its absence cannot be checked",
)
def test_detect_runtime_without_the_package_says_what_to_install():
    with pytest.raises(
        EdgeRuntimeError, match="no usable LiteRT interpreter \\(tflite_runtime: .*pip install ai-edge-litert"
    ):
        detect_runtime("tflite_runtime")
