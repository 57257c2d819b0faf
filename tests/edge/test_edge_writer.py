"""write_bundle: the manifest it writes (format 2), atomic replacement, and nothing left behind on failure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import fnet_keras
from fnet_keras.edge import BundleError, Manifest, load_bundle, write_bundle
from fnet_keras.text import TokenizerConfig


def _metadata(mode: str = "fp32", **changes) -> dict:
    return {
        "name": "test bundle",
        "model": {"preset": "tiny", "mixing": "fourier", "parameters": 0, "fourier_method": "rfft"},
        "quantization": {"mode": mode, "recipe": f"{mode}-rfft"},
        "ops": {"RFFT2D": 1},
        "parity": {"examples": 0, "passed": True},
        **changes,
    }


def _write(fp32_bundle, trained_run, out_dir: Path, **overrides):
    arguments = {
        "tflite_bytes": fp32_bundle.tflite_bytes,
        "vocabulary": trained_run.vocabulary,
        "labels": list(trained_run.labels),
        "tokenizer_config": trained_run.settings.tokenizer_config(),
        "metadata": _metadata(),
        **overrides,
    }
    return write_bundle(out_dir, **arguments)


def test_manifest_records_the_files_and_the_model(fp32_bundle, trained_run):
    directory = fp32_bundle.directory
    manifest = json.loads((directory / "bundle.json").read_text(encoding="utf-8"))
    for name in ("model.tflite", "vocab.txt", "labels.txt"):
        data = (directory / name).read_bytes()
        assert manifest["files"][name] == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert (directory / "labels.txt").read_text() == "neg\nneu\npos\n"
    assert (directory / "vocab.txt").read_text().split("\n")[:-1] == trained_run.vocabulary
    assert manifest["format"] == "fnet-keras-bundle" and manifest["format_version"] == 2
    assert manifest["package_version"] == fnet_keras.__version__
    assert manifest["tokenizer"] == TokenizerConfig(sequence_length=16).to_dict()
    assert (
        manifest["runtime"]["tflite_runtime"] is True and manifest["runtime"]["min_ai_edge_litert"] == "2.3.0"
    )
    assert manifest["model"]["fourier_method"] == "rfft" and manifest["ops"]["RFFT2D"] == 1
    assert manifest["quantization"] == {
        "mode": "fp32",
        "recipe": "fp32-rfft",
        "description": "float32 weights and compute; builtin RFFT2D",
        "float_ops": {},
    }
    assert manifest["provenance"]["run"]["path"] == str(trained_run.run_dir)
    assert manifest["created"].endswith("Z")
    Manifest.from_dict(manifest)  # what the loader accepts


def test_dynamic_bundles_are_marked_not_for_tflite_runtime(fp32_bundle, trained_run, tmp_path):
    directory = _write(fp32_bundle, trained_run, tmp_path / "dynamic", metadata=_metadata("dynamic"))
    runtime = json.loads((directory / "bundle.json").read_text())["runtime"]
    assert runtime["tflite_runtime"] is False and "FULLY_CONNECTED version 12" in runtime["note"]


def test_existing_directory_is_refused_then_replaced_with_overwrite(fp32_bundle, trained_run, tmp_path):
    out_dir = _write(fp32_bundle, trained_run, tmp_path / "bundle", make_zip=True)
    before = (out_dir / "bundle.json").read_text()
    with pytest.raises(BundleError, match="bundle: already exists"):
        _write(fp32_bundle, trained_run, out_dir)
    (tmp_path / "other.zip").write_bytes(b"someone's zip")
    with pytest.raises(BundleError, match="other.zip: already exists"):
        _write(fp32_bundle, trained_run, tmp_path / "other", make_zip=True)
    assert (out_dir / "bundle.json").read_text() == before
    assert (tmp_path / "other.zip").read_bytes() == b"someone's zip"

    _write(
        fp32_bundle, trained_run, out_dir, overwrite=True, make_zip=True, metadata=_metadata(notes=["second"])
    )
    assert json.loads((out_dir / "bundle.json").read_text())["notes"] == ["second"]
    assert load_bundle(tmp_path / "bundle.zip").manifest["notes"] == ["second"]
    # No temporary or backup directories are left next to the bundle.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bundle", "bundle.zip", "other.zip"]


def test_a_directory_that_is_not_a_bundle_is_never_replaced(fp32_bundle, trained_run, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(BundleError, match="not a bundle"):
        _write(fp32_bundle, trained_run, precious, overwrite=True)
    assert (precious / "thesis.tex").read_text() == "years of work"


@pytest.mark.parametrize(
    ("overrides", "metadata_changes", "message"),
    [
        ({"tflite_bytes": b"not a model" * 10}, {}, "not a LiteRT flatbuffer"),
        ({"tflite_bytes": b""}, {}, "too small"),
        ({"labels": ["only"]}, {}, "a classifier needs two or more"),
        # the model's embedded labels are three; the bundle's two: the model cannot be described
        ({"labels": ["a", "b"]}, {}, "3 outputs for 2 labels"),
        ({"vocabulary": ["[PAD]", "word"]}, {}, "expected special token '\\[UNK\\]'"),
        ({"tokenizer_config": TokenizerConfig(sequence_length=32)}, {}, "the tokenizer packs 32"),
        ({}, {"parity": None, "ops": None}, "metadata lacks \\['ops', 'parity'\\]"),
        ({}, {"files": {}}, "metadata sets \\['files'\\]"),
        ({}, {"mixing": "rfft"}, "metadata has unknown fields \\['mixing'\\]"),
        ({}, {"parity": {"bad": object()}}, "metadata\\['parity'\\]\\['bad'\\] is a object"),
        # Caught by the manifest validation, after the files are written: still nothing left.
        ({}, {"quantization": {"mode": "int4"}}, "'quantization.mode' is 'int4'"),
        ({}, {"model": {"fourier_method": "fft"}}, "'model.fourier_method' is 'fft'"),
    ],
)
def test_bad_inputs_are_refused_and_leave_nothing_behind(
    fp32_bundle, trained_run, tmp_path, overrides, metadata_changes, message
):
    changed = {**_metadata(), **metadata_changes}
    changed = {key: value for key, value in changed.items() if value is not None}
    with pytest.raises(BundleError, match=message):
        _write(fp32_bundle, trained_run, tmp_path / "bundle", make_zip=True, metadata=changed, **overrides)
    assert list(tmp_path.iterdir()) == []


def test_embedded_vocabulary_must_equal_the_bundles(fp32_bundle, trained_run, tmp_path):
    vocabulary = list(trained_run.vocabulary)
    vocabulary[10], vocabulary[11] = vocabulary[11], vocabulary[10]
    with pytest.raises(BundleError, match="vocab.txt"):
        _write(fp32_bundle, trained_run, tmp_path / "bundle", vocabulary=vocabulary)
    assert list(tmp_path.iterdir()) == []


def test_numpy_values_in_metadata_are_written_as_json_numbers(fp32_bundle, trained_run, tmp_path):
    import numpy as np

    changed = _metadata(parity={"max_abs_probability_diff": np.float32(0.5), "n": np.int64(3)})
    directory = _write(fp32_bundle, trained_run, tmp_path / "bundle", metadata=changed)
    assert json.loads((directory / "bundle.json").read_text())["parity"] == {
        "max_abs_probability_diff": 0.5,
        "n": 3,
    }
