"""write_bundle: the manifest it writes, atomic replacement, and nothing left behind on failure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from edge_support import LABELS, SEQUENCE_LENGTH, VOCABULARY, metadata

import fnet_keras
from fnet_keras.edge import BundleError, Manifest, load_bundle, write_bundle
from fnet_keras.text import TokenizerConfig


def _write(fp32_bundle, out_dir: Path, **overrides):
    arguments = {
        "tflite_bytes": fp32_bundle.tflite_bytes,
        "vocabulary": VOCABULARY,
        "labels": list(LABELS),
        "tokenizer_config": TokenizerConfig(sequence_length=SEQUENCE_LENGTH),
        "metadata": metadata(fp32_bundle.tflite_bytes),
        **overrides,
    }
    return write_bundle(out_dir, **arguments)


def test_manifest_records_the_files_and_the_model(fp32_bundle):
    directory = fp32_bundle.directory
    manifest = json.loads((directory / "bundle.json").read_text(encoding="utf-8"))
    for name in ("model.tflite", "vocab.txt", "labels.txt"):
        data = (directory / name).read_bytes()
        assert manifest["files"][name] == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert (directory / "labels.txt").read_text() == "negative\nneutral\npositive\n"
    assert (directory / "vocab.txt").read_text().split("\n")[:-1] == VOCABULARY
    assert manifest["format"] == "fnet-keras-bundle" and manifest["format_version"] == 1
    assert manifest["package_version"] == fnet_keras.__version__
    assert manifest["input"] == {"name": "token_ids", "dtype": "int32", "shape": [1, SEQUENCE_LENGTH]}
    assert manifest["outputs"] == {"logits": {"dtype": "float32", "shape": [1, 3]}}
    assert manifest["tokenizer"] == TokenizerConfig(sequence_length=SEQUENCE_LENGTH).to_dict()
    assert (
        manifest["runtime"]["tflite_runtime"] is True and manifest["runtime"]["min_ai_edge_litert"] == "2.3.0"
    )
    assert manifest["float_ops"] == {} and manifest["ops"]["RFFT2D"] == 1
    assert manifest["created"].endswith("Z")
    Manifest.from_dict(manifest)  # What the loader accepts.


def test_int8_manifest_records_the_output_quantization(int8_bundle):
    manifest = json.loads((int8_bundle.directory / "bundle.json").read_text())
    quantization = manifest["outputs"]["logits"]["quantization"]
    assert manifest["outputs"]["logits"]["dtype"] == "int8"
    assert quantization["scale"] > 0 and -128 <= quantization["zero_point"] <= 127


def test_dynamic_bundles_are_marked_not_for_tflite_runtime(fp32_bundle, tmp_path):
    directory = _write(
        fp32_bundle, tmp_path / "dynamic", metadata=metadata(fp32_bundle.tflite_bytes, "dynamic")
    )
    runtime = json.loads((directory / "bundle.json").read_text())["runtime"]
    assert runtime["tflite_runtime"] is False and "FULLY_CONNECTED version 12" in runtime["note"]


def test_existing_directory_is_refused_then_replaced_with_overwrite(fp32_bundle, tmp_path):
    out_dir = _write(fp32_bundle, tmp_path / "bundle", make_zip=True)
    before = (out_dir / "bundle.json").read_text()
    with pytest.raises(BundleError, match="bundle: already exists"):
        _write(fp32_bundle, out_dir)
    (tmp_path / "other.zip").write_bytes(b"someone's zip")
    with pytest.raises(BundleError, match="other.zip: already exists"):
        _write(fp32_bundle, tmp_path / "other", make_zip=True)
    assert (out_dir / "bundle.json").read_text() == before
    assert (tmp_path / "other.zip").read_bytes() == b"someone's zip"

    new_metadata = {**metadata(fp32_bundle.tflite_bytes), "note": "second"}
    _write(fp32_bundle, out_dir, overwrite=True, make_zip=True, metadata=new_metadata)
    assert json.loads((out_dir / "bundle.json").read_text())["note"] == "second"
    assert load_bundle(tmp_path / "bundle.zip").manifest["note"] == "second"
    # No temporary or backup directories are left next to the bundle.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bundle", "bundle.zip", "other.zip"]


def test_a_directory_that_is_not_a_bundle_is_never_replaced(fp32_bundle, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(BundleError, match="not a bundle"):
        _write(fp32_bundle, precious, overwrite=True)
    assert (precious / "thesis.tex").read_text() == "years of work"


@pytest.mark.parametrize(
    ("overrides", "metadata_changes", "message"),
    [
        ({"tflite_bytes": b"not a model" * 10}, {}, "not a LiteRT flatbuffer"),
        ({"tflite_bytes": b""}, {}, "too small"),
        ({"labels": ["only"]}, {}, "a classifier needs two or more"),
        ({"labels": ["a", "b"]}, {}, "3 logits for 2 labels"),
        ({"vocabulary": ["[PAD]", "word"]}, {}, "expected special token '\\[UNK\\]'"),
        ({"tokenizer_config": TokenizerConfig(sequence_length=32)}, {}, "the tokenizer gives \\[1, 32\\]"),
        ({}, {"parity": None, "ops": None}, "metadata lacks \\['ops', 'parity'\\]"),
        ({}, {"files": {}}, "metadata sets \\['files'\\]"),
        ({}, {"parity": {"bad": object()}}, "metadata\\['parity'\\]\\['bad'\\] is a object"),
        ({}, {"mixing": "fft"}, "metadata\\['mixing'\\] is 'fft'"),
        # Caught by the manifest validation, after the files are written: still nothing left.
        ({}, {"quantization": "int4"}, "'quantization' is 'int4'"),
        ({}, {"outputs": {"logits": {"dtype": "int8", "shape": [1, 3]}}}, "metadata\\['outputs'\\]"),
    ],
)
def test_bad_inputs_are_refused_and_leave_nothing_behind(
    fp32_bundle, tmp_path, overrides, metadata_changes, message
):
    changed = {**metadata(fp32_bundle.tflite_bytes), **metadata_changes}
    changed = {key: value for key, value in changed.items() if value is not None}
    with pytest.raises(BundleError, match=message):
        _write(fp32_bundle, tmp_path / "bundle", make_zip=True, metadata=changed, **overrides)
    assert list(tmp_path.iterdir()) == []


def test_numpy_values_in_metadata_are_written_as_json_numbers(fp32_bundle, tmp_path):
    import numpy as np

    changed = {
        **metadata(fp32_bundle.tflite_bytes),
        "parity": {"max_abs_logit_diff": np.float32(0.5), "n": np.int64(3)},
    }
    directory = _write(fp32_bundle, tmp_path / "bundle", metadata=changed)
    assert json.loads((directory / "bundle.json").read_text())["parity"] == {
        "max_abs_logit_diff": 0.5,
        "n": 3,
    }
