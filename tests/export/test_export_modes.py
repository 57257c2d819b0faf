"""All four quantization modes of a tiny run: bundles, ops, mixing, parity, report files."""

import hashlib
import json

import numpy as np
import pytest

from fnet_keras.edge import Manifest, load_bundle
from fnet_keras.export import (
    PARITY_THRESHOLDS,
    QUANTIZATIONS,
    export_run,
    float_op_counts,
    load_model,
    load_run,
    op_counts,
    read_ops,
)

BUNDLE_FILES = ("model.tflite", "vocab.txt", "labels.txt", "bundle.json")


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("bundles")
    report = export_run(run_dir, quantizations=QUANTIZATIONS, out_dir=out_dir)
    return report, out_dir


def _manifest(out_dir, quantization):
    return json.loads((out_dir / quantization / "bundle.json").read_text(encoding="utf-8"))


def test_every_mode_writes_a_complete_bundle(exported):
    report, out_dir = exported
    assert report.passed
    assert [mode.quantization for mode in report.modes] == list(QUANTIZATIONS)
    for quantization in QUANTIZATIONS:
        bundle_dir = out_dir / quantization
        assert sorted(path.name for path in bundle_dir.iterdir()) == sorted(BUNDLE_FILES)
        assert report.mode(quantization).bundle_dir == bundle_dir
    # Nothing temporary is left next to the bundles.
    assert not [path.name for path in out_dir.iterdir() if path.name.startswith(".")]


def test_bundle_json_follows_the_spec(exported, run_dir):
    report, out_dir = exported
    source = load_run(run_dir)
    config_sha256 = hashlib.sha256((run_dir / "config.json").read_bytes()).hexdigest()
    parameters = load_model(run_dir).count_params()
    for quantization in QUANTIZATIONS:
        data = _manifest(out_dir, quantization)
        Manifest.from_dict(data)  # the edge loader's own validation
        tflite = (out_dir / quantization / "model.tflite").read_bytes()
        assert data["format"] == "fnet-keras-bundle" and data["format_version"] == 1
        assert data["quantization"] == quantization
        assert data["mixing"] == report.mode(quantization).mixing
        assert data["model"] == {"preset": "tiny", "mixing": "fourier", "parameters": parameters}
        assert data["ops"] == op_counts(read_ops(tflite))
        assert data["float_ops"] == (float_op_counts(read_ops(tflite)) if quantization == "int8" else {})
        assert data["tokenizer"] == source.tokenizer_config.to_dict()
        assert data["sequence_length"] == 16
        assert data["labels"] == ["0", "1"]
        assert data["input"] == {"name": "token_ids", "dtype": "int32", "shape": [1, 16]}
        assert data["outputs"] == {"logits": {"dtype": "float32", "shape": [1, 2]}}
        assert data["files"]["model.tflite"] == {
            "bytes": len(tflite),
            "sha256": hashlib.sha256(tflite).hexdigest(),
        }
        parity = data["parity"]
        assert parity["passed"] is True
        assert parity["examples"] == len(source.dataset.dev) == 60
        assert parity["thresholds"] == PARITY_THRESHOLDS[quantization]
        assert parity["argmax_agreement"] >= PARITY_THRESHOLDS[quantization]["argmax_agreement"]
        assert data["runtime"]["tflite_runtime"] is (quantization != "dynamic")
        assert data["source_run"] == {"run_dir": str(run_dir.resolve()), "config_sha256": config_sha256}


def test_ops_are_builtin_and_mixing_follows_the_target(exported):
    report, out_dir = exported
    for quantization in QUANTIZATIONS:
        ops = read_ops((out_dir / quantization / "model.tflite").read_bytes())
        assert all(op.builtin for op in ops), [op.name for op in ops if not op.builtin]
        names = {op.name for op in ops}
        assert "VAR_HANDLE" not in names and "READ_VARIABLE" not in names  # weights are frozen
        if quantization == "int8":
            assert report.mode(quantization).mixing == "dft"
            assert "RFFT2D" not in names and "BATCH_MATMUL" in names
        else:
            assert report.mode(quantization).mixing == "rfft"
            assert "RFFT2D" in names and "REAL" in names


def test_int8_keeps_the_matmul_path_integer(exported):
    report, out_dir = exported
    mode = report.mode("int8")
    ops = read_ops((out_dir / "int8" / "model.tflite").read_bytes())
    for op in ops:
        if op.name in ("FULLY_CONNECTED", "BATCH_MATMUL", "GATHER", "GELU", "TANH"):
            assert op.input_types[0] in ("INT8", "INT32") and op.output_types == ("INT8",), op
    # What TF 2.21 leaves in float: LayerNormalization's NEG, nothing on the matmul/FFT path.
    assert mode.float_ops == {"NEG": 3}
    assert mode.float_matmul_fft_ops == {}
    assert any("NEG" in note for note in report.notes)


def test_quantized_models_are_smaller(exported):
    report, _ = exported
    sizes = {mode.quantization: mode.size_bytes for mode in report.modes}
    assert (
        sizes["fp16"] < sizes["fp32"] and sizes["dynamic"] < sizes["fp32"] and sizes["int8"] < sizes["fp32"]
    )
    assert report.size_ratio(report.mode("fp32")) == 1.0


def test_fp32_bundle_matches_keras_through_the_edge_runtime(exported, run_dir):
    _, out_dir = exported
    source = load_run(run_dir)
    texts = source.dataset.dev.texts[:20]
    keras_logits = load_model(run_dir).predict(source.encode(texts), verbose=0)
    bundle_logits = load_bundle(out_dir / "fp32").classify_timed(texts).logits
    np.testing.assert_allclose(bundle_logits, keras_logits, atol=1e-3)


def test_report_files_and_figures(exported):
    report, out_dir = exported
    data = json.loads((out_dir / "export_report.json").read_text(encoding="utf-8"))
    assert data["passed"] is True
    assert [mode["quantization"] for mode in data["modes"]] == list(QUANTIZATIONS)
    assert data["keras"]["test_accuracy"] == report.keras_test_accuracy
    assert data["keras"]["test_examples"] == 60
    for mode in data["modes"]:
        assert mode["test_accuracy"] is not None and mode["size_bytes"] > 0
        assert mode["size_ratio_to_fp32"] == pytest.approx(
            mode["size_bytes"] / data["modes"][0]["size_bytes"], abs=1e-4
        )
        assert mode["op_count"] == sum(mode["ops"].values())
    markdown = (out_dir / "export_report.md").read_text(encoding="utf-8")
    assert markdown == report.format()
    for quantization in QUANTIZATIONS:
        assert f"| {quantization} | {report.mode(quantization).mixing} |" in markdown
    assert "float on the matmul/FFT path: none" in markdown
