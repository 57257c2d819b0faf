"""All four modes of the session's run (`exported`): bundles, recipes, ops, parity, the report."""

import hashlib
import json
import re

import numpy as np
import pytest

from fnet_keras.edge import Manifest, load_bundle
from fnet_keras.edge.classification import softmax
from fnet_keras.edge.model_ops import float_op_counts, op_counts, read_ops
from fnet_keras.edge.tflite_metadata import read_classifier_metadata
from fnet_keras.export import PARITY_THRESHOLDS
from fnet_keras.export.exporter import RECIPE_SPEED_MARGIN
from fnet_keras.training import RunDir

MODES = ("fp32", "fp16", "dynamic", "int8")
BUNDLE_FILES = ("model.tflite", "vocab.txt", "labels.txt", "bundle.json")


def _manifest(out_dir, mode):
    return json.loads((out_dir / mode / "bundle.json").read_text(encoding="utf-8"))


def test_every_mode_writes_a_complete_bundle(exported):
    assert exported.passed and [mode.mode for mode in exported.modes] == list(MODES)
    for mode in MODES:
        bundle_dir = exported.out_dir / mode
        assert sorted(path.name for path in bundle_dir.iterdir()) == sorted(BUNDLE_FILES)
        assert exported.mode(mode).bundle_dir == bundle_dir
        assert (exported.out_dir / f"{mode}.zip").is_file()
    # Nothing temporary is left next to the bundles, nor next to the output directory.
    assert not [path.name for path in exported.out_dir.iterdir() if path.name.startswith(".")]
    assert not [path.name for path in exported.out_dir.parent.iterdir() if path.name.startswith(".")]


def test_bundle_json_follows_format_2(exported, trained_run):
    run = RunDir(trained_run.run_dir).load()
    config_sha256 = hashlib.sha256((trained_run.run_dir / "config.json").read_bytes()).hexdigest()
    for mode in MODES:
        data = _manifest(exported.out_dir, mode)
        Manifest.from_dict(data)  # the edge loader's own validation
        tflite = (exported.out_dir / mode / "model.tflite").read_bytes()
        assert (
            data["quantization"]["mode"] == mode
            and data["quantization"]["recipe"] == exported.mode(mode).recipe
        )
        assert data["model"] == {
            "preset": "tiny",
            "mixing": "fourier",
            "num_attention_layers": None,
            "parameters": trained_run.model.count_params(),
            "fourier_method": exported.mode(mode).fourier_method,
        }
        assert data["ops"] == op_counts(read_ops(tflite))
        assert data["quantization"]["float_ops"] == (
            float_op_counts(read_ops(tflite)) if mode != "fp32" else {}
        )
        assert data["tokenizer"] == run.tokenizer_config.to_dict()
        assert data["files"]["model.tflite"] == {
            "bytes": len(tflite),
            "sha256": hashlib.sha256(tflite).hexdigest(),
        }
        parity = data["parity"]
        assert parity["passed"] is True and parity["examples"] == 260  # all: 60 dev + 200 training texts
        assert parity["thresholds"] == PARITY_THRESHOLDS[mode]
        assert data["runtime"]["tflite_runtime"] is (mode != "dynamic")
        assert data["provenance"]["run"] == {
            "path": str(trained_run.run_dir.resolve()),
            "config_sha256": config_sha256,
        }
        # MediaPipe reads the vocabulary and labels from the model's own metadata: the same files.
        embedded = read_classifier_metadata(tflite)
        assert list(embedded.vocabulary) == run.vocabulary and embedded.labels == run.labels


def test_recipes_follow_the_target(exported):
    for mode in MODES:
        report = exported.mode(mode)
        names = {op.name for op in read_ops((exported.out_dir / mode / "model.tflite").read_bytes())}
        assert "VAR_HANDLE" not in names and "READ_VARIABLE" not in names  # weights are frozen
        if mode == "int8":
            assert report.recipe in ("int8-rfft", "int8-dft")
            other = {"int8-rfft": "int8-dft", "int8-dft": "int8-rfft"}[report.recipe]
            assert other in report.alternatives  # both int8 recipes were tried
            assert ("RFFT2D" in names) == (report.recipe == "int8-rfft")
        else:
            assert report.recipe == f"{mode}-rfft" and "RFFT2D" in names and "REAL" in names


def test_int8_keeps_the_faithful_recipe_unless_the_other_is_clearly_faster(exported):
    report = exported.mode("int8")
    alternative = next(iter(report.alternatives.values()))
    if alternative["passed"]:
        other_agreement = float(re.search(r"agreement ([0-9.]+)%", alternative["reason"]).group(1)) / 100
        # Compared on the thread-CPU medians (what the recipes cost, nearly free of other processes).
        other = alternative["p50_ms"] if alternative["cpu_p50_ms"] is None else alternative["cpu_p50_ms"]
        clearly_faster = report.speed_ms < (1 - RECIPE_SPEED_MARGIN) * other
        assert report.latency_load is not None and report.latency_load["cores"] >= 1
        assert clearly_faster or report.parity.agreement >= other_agreement - 1e-4
        assert ("kept the faster" in alternative["reason"]) == clearly_faster
    else:
        assert "failed the gate" in alternative["reason"]


def test_int8_keeps_the_matmul_path_integer(exported):
    report = exported.mode("int8")
    ops = read_ops((exported.out_dir / "int8" / "model.tflite").read_bytes())
    for op in ops:
        assert op.name != "BATCH_MATMUL", op  # int8-dft's DFT runs as FULLY_CONNECTED
        if op.name in ("FULLY_CONNECTED", "GATHER", "GELU", "TANH"):
            assert op.input_types[0] in ("INT8", "INT32") and op.output_types == ("INT8",), op
    assert report.float_matmul_fft_ops in ({}, {"RFFT2D": 1, "REAL": 1})
    assert any(report.recipe in note for note in exported.notes)


def test_quantized_models_are_smaller(exported):
    sizes = {mode.mode: mode.size_bytes for mode in exported.modes}
    assert (
        sizes["fp16"] < sizes["fp32"] and sizes["dynamic"] < sizes["fp32"] and sizes["int8"] < sizes["fp32"]
    )
    assert exported.size_ratio(exported.mode("fp32")) == 1.0


def test_fp32_bundle_matches_keras_through_the_edge_runtime(exported, trained_run, keyword_data_dir):
    bundle = load_bundle(exported.out_dir / "fp32")
    texts = [line.split("\t")[0] for line in (keyword_data_dir / "dev.tsv").read_text().splitlines()[1:21]]
    ids = np.asarray([bundle.tokenizer.encode(text) for text in texts], np.int32)
    keras = softmax(trained_run.model.predict(ids, verbose=0))
    np.testing.assert_allclose(bundle.classify(texts).probabilities, keras, atol=1e-5)


def test_report_files_and_figures(exported):
    data = json.loads((exported.out_dir / "export_report.json").read_text(encoding="utf-8"))
    assert data["passed"] is True and data["failed_modes"] == []
    assert [mode["mode"] for mode in data["modes"]] == list(MODES)
    assert (
        data["keras"]["test_accuracy"] == exported.keras_test_accuracy
        and data["keras"]["test_examples"] == 60
    )
    assert data["gate"] == "260 texts (60 dev + 200 training)"
    for mode in data["modes"]:
        assert mode["test_accuracy"] is not None and mode["size_bytes"] > 0
        assert mode["size_ratio_to_fp32"] == pytest.approx(
            mode["size_bytes"] / data["modes"][0]["size_bytes"], abs=1e-4
        )
        assert mode["op_count"] == sum(mode["ops"].values())
    markdown = (exported.out_dir / "export_report.md").read_text(encoding="utf-8")
    assert markdown == exported.format()
    for mode in MODES:
        assert f"| {mode} | {exported.mode(mode).recipe} |" in markdown
