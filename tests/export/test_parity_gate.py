"""The parity gate: the README's literal thresholds at their boundaries, the gate's texts, a failing mode."""

import json

import numpy as np
import pytest

from fnet_keras.export import ExportError, ParityGateError, compare_probabilities
from fnet_keras.export.parity import gate_texts


def _reference(count=500):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(count, 3)) * 3
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probabilities


def _flip(probabilities, count):
    flipped = probabilities.copy()
    for row in range(count):
        order = np.argsort(flipped[row])
        flipped[row, [order[-1], order[-2]]] = flipped[row, [order[-2], order[-1]]]
    return flipped


def test_int8_and_dynamic_pass_at_98_percent_agreement_and_fail_below():
    reference = _reference(500)
    for mode in ("int8", "dynamic"):
        ten = compare_probabilities(_flip(reference, 10), reference, mode)  # 490 / 500 = 98.0%
        assert ten.agreement == pytest.approx(0.98) and ten.passed
        eleven = compare_probabilities(_flip(reference, 11), reference, mode)  # 97.8%
        assert not eleven.passed
        assert compare_probabilities(reference + 0.3, reference, mode).passed  # decisions only


def test_fp32_fails_on_one_flip_and_above_1e_4():
    reference = _reference(500)
    assert compare_probabilities(reference + 0.9e-4, reference, "fp32").passed
    assert not compare_probabilities(reference + 1.1e-4, reference, "fp32").passed
    one_flip = compare_probabilities(_flip(reference, 1), reference, "fp32")
    assert one_flip.agreement == pytest.approx(0.998) and not one_flip.passed


def test_fp16_allows_1e_2_and_no_flip():
    reference = _reference(500)
    assert compare_probabilities(reference + 0.9e-2, reference, "fp16").passed
    assert not compare_probabilities(reference + 1.1e-2, reference, "fp16").passed
    assert not compare_probabilities(_flip(reference, 1), reference, "fp16").passed


def test_a_non_finite_output_fails():
    reference = _reference(500)
    broken = reference.copy()
    broken[0, 0] = np.nan
    assert not compare_probabilities(broken, reference, "int8").passed


def test_gate_texts_take_dev_first_then_training_texts():
    dev = [f"dev {i}" for i in range(60)]
    train = [f"train {i}" for i in range(1000)]
    gate = gate_texts(dev, train, 500, seed=0)
    assert gate.texts[:60] == dev and len(gate.texts) == 500 and (gate.from_dev, gate.from_train) == (60, 440)
    assert all(text.startswith("train ") for text in gate.texts[60:]) and len(set(gate.texts)) == 500
    assert gate_texts(dev, train, 500, seed=0).texts == gate.texts  # seeded
    small = gate_texts(dev, train[:100], 500, seed=0)
    assert len(small.texts) == 160 and small.describe() == "160 texts (60 dev + 100 training)"
    assert gate_texts(dev * 20, train, 500, seed=0).from_train == 0
    with pytest.raises(ExportError, match="--parity-examples must be an integer >= 500"):
        gate_texts(dev, train, 100, seed=0)


def test_a_failing_mode_is_not_written_and_the_passing_ones_are(trained_run, tmp_path, monkeypatch):
    import fnet_keras.export.exporter as exporter

    real = exporter.compare_probabilities

    def int8_disagrees(exported, reference, mode):
        if mode == "int8":
            exported = exported[:, ::-1]  # every decision flipped
        return real(exported, reference, mode)

    monkeypatch.setattr(exporter, "compare_probabilities", int8_disagrees)
    out_dir = tmp_path / "bundles"
    with pytest.raises(ParityGateError) as caught:
        exporter.export_run(
            trained_run.run_dir, ("fp32", "int8"), out_dir=out_dir, make_zip=True, parity_examples=500
        )
    message = str(caught.value)
    assert "parity gate failed for int8: no bundle written for it (fp32 written to" in message
    assert "What to try: int8: raise --representative-samples" in message and "dynamic mode" in message
    assert caught.value.exit_code == 1
    assert sorted(path.name for path in out_dir.iterdir()) == [
        "export_report.json",
        "export_report.md",
        "fp32",
        "fp32.zip",
    ]
    report = json.loads((out_dir / "export_report.json").read_text())
    assert report["failed_modes"] == ["int8"] and not report["passed"]


def test_re_export_needs_overwrite_and_replaces_the_whole_directory(trained_run, tmp_path):
    from fnet_keras.export.exporter import export_run

    out_dir = tmp_path / "bundles"
    export_run(trained_run.run_dir, ("fp32", "fp16"), out_dir=out_dir, parity_examples=500)
    with pytest.raises(ExportError, match="is not empty; choose another --out, or pass --overwrite"):
        export_run(trained_run.run_dir, ("fp32",), out_dir=out_dir, parity_examples=500)
    report = export_run(
        trained_run.run_dir, ("dynamic",), out_dir=out_dir, overwrite=True, parity_examples=500
    )
    # The directory holds exactly what the new report describes: fp32 and fp16 are gone.
    assert sorted(path.name for path in out_dir.iterdir()) == [
        "dynamic",
        "export_report.json",
        "export_report.md",
    ]
    assert [mode.mode for mode in report.modes] == ["dynamic"]


def test_renamed_labels_reach_labels_txt_and_the_models_metadata(trained_run, keyword_data_dir, tmp_path):
    from fnet_keras.edge import evaluate_bundle, load_bundle
    from fnet_keras.edge.tflite_metadata import read_classifier_metadata
    from fnet_keras.export.exporter import export_run

    renames = {"neg": "negative", "pos": "positive"}
    export_run(
        trained_run.run_dir, ("fp32",), out_dir=tmp_path / "b", rename_labels=renames, parity_examples=500
    )
    bundle = load_bundle(tmp_path / "b" / "fp32")
    assert bundle.labels == ("negative", "neu", "positive")
    assert read_classifier_metadata(bundle.model_bytes).labels == ("negative", "neu", "positive")
    assert bundle.classify("the movie was superb").label == "positive"
    # bundle.json records the data's spelling, so the bundle still scores the data it came from.
    assert bundle.data_labels == ("neg", "neu", "pos")
    report = evaluate_bundle(bundle, keyword_data_dir / "test.tsv")
    assert report["label_map"] == {"neg": "negative", "pos": "positive"} and report["count"] == 60
    with pytest.raises(ExportError, match="--rename-labels: 'good' not among the run's labels"):
        export_run(
            trained_run.run_dir,
            ("fp32",),
            out_dir=tmp_path / "c",
            rename_labels={"good": "x"},
            parity_examples=500,
        )
