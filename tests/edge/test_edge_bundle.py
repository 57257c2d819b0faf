"""load_bundle + classify on the session's exported bundles: agreement with Keras, results, every refusal."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from support import replace_file_keeping_hashes_valid, rewrite_manifest, run_cli

from fnet_keras.edge import BundleError, EmptyTextError, Prediction, load_bundle
from fnet_keras.text import CLS_ID, PAD_ID, SEP_ID

TEXTS = ["the movie was superb", "an awful, dreadful plot.", "Quite average", "zebra xylophone words"]


def test_classify_matches_the_keras_model(fp32_bundle):
    bundle = load_bundle(fp32_bundle.directory)
    result = bundle.classify(TEXTS)
    expected = fp32_bundle.keras_probabilities([bundle.tokenizer.encode(text) for text in TEXTS])
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-5)
    labels = bundle.labels
    assert [prediction.label for prediction in result] == [labels[i] for i in expected.argmax(axis=1)]
    for prediction, row in zip(result, expected, strict=True):
        order = np.argsort(-row, kind="stable")
        assert [label for label, _ in prediction.ranking] == [labels[i] for i in order]
        assert prediction.probability == prediction.ranking[0][1] == pytest.approx(row.max())
        assert sum(probability for _, probability in prediction.ranking) == pytest.approx(1.0)
    assert result.tokenize_seconds > 0 and result.inference_seconds > 0


def test_results_are_objects_that_print_and_serialize(fp32_bundle):
    bundle = load_bundle(fp32_bundle.directory)
    single = bundle.classify("the movie was superb")
    assert isinstance(single, Prediction) and single.label == "pos"
    assert str(single) == f"pos {single.probability:.4f}"
    batch = bundle.classify(["the movie was superb", "a dreadful plot"], top_k=2)
    assert len(batch) == 2 and batch[1].label == "neg" and len(batch[0].ranking) == 2
    data = json.loads(json.dumps(batch.to_dict()))
    assert data["count"] == 2 and data["results"][1]["label"] == "neg"
    assert data["results"][0]["ranking"][0] == {"label": "pos", "probability": batch[0].probability}
    assert batch.predicted_ids == [bundle.labels.index("pos"), bundle.labels.index("neg")]
    with pytest.raises(ValueError, match="top_k"):
        bundle.classify("good", top_k=0)


def test_tokenizer_gives_the_packed_ids_the_model_receives(fp32_bundle, trained_run):
    bundle = load_bundle(fp32_bundle.directory)
    vocabulary = trained_run.vocabulary
    ids = bundle.tokenizer.encode("the movie was superb")
    assert ids[0] == CLS_ID and ids[1] == vocabulary.index("the") and ids[2] == vocabulary.index("movie")
    end = ids.index(SEP_ID)
    assert ids[end + 1 :] == [PAD_ID] * (bundle.sequence_length - end - 1)
    assert bundle.labels == ("neg", "neu", "pos") == trained_run.labels
    assert bundle.format_version == 2 and bundle.quantization == "fp32"


def test_zip_bundle_classifies_like_the_directory(fp32_bundle, tmp_path):
    from_zip = load_bundle(fp32_bundle.zip_path).classify(TEXTS)
    from_directory = load_bundle(fp32_bundle.directory).classify(TEXTS)
    np.testing.assert_array_equal(from_zip.probabilities, from_directory.probabilities)
    with zipfile.ZipFile(fp32_bundle.zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"fp32/{name}" for name in ("bundle.json", "model.tflite", "vocab.txt", "labels.txt")
        )
    flat = tmp_path / "flat.zip"
    with zipfile.ZipFile(flat, "w") as archive:
        for path in fp32_bundle.directory.iterdir():
            archive.write(path, path.name)
    assert load_bundle(flat).classify("superb").label in ("neg", "neu", "pos")


def test_empty_texts_are_refused_and_long_ones_truncated(fp32_bundle):
    bundle = load_bundle(fp32_bundle.directory)
    with pytest.raises(EmptyTextError, match=r"2 text\(s\) with nothing to classify .*text 1, 3"):
        bundle.classify(["superb", "", "great", " \t "])
    words = " ".join(["superb", "awful", "film"] * 10)  # 30 pieces; 14 fit
    kept = " ".join(words.split()[: bundle.sequence_length - 2])
    result = bundle.classify([words, kept])
    assert [prediction.tokens for prediction in result] == [30, bundle.sequence_length - 2]
    assert [prediction.truncated for prediction in result] == [True, False]
    np.testing.assert_array_equal(result.probabilities[0], result.probabilities[1])  # the first pieces count


def test_every_mode_loads_and_the_manifest_describes_format_2(exported):
    for mode in ("fp32", "fp16", "dynamic", "int8"):
        bundle = load_bundle(exported.out_dir / mode)
        manifest = bundle.manifest
        assert manifest["format_version"] == 2 and manifest["quantization"]["mode"] == mode
        assert manifest["inputs"] == {"token_ids": "input_word_ids", "mask": "input_mask",
                                      "segment_ids": "input_type_ids"}
        assert manifest["output"] == {"name": "probabilities", "kind": "probabilities"}
        assert manifest["embedded_files"] == ["vocab.txt", "labels.txt"]
        assert "labels" not in manifest and "sequence_length" not in manifest  # each fact once
        assert manifest["tokenizer"]["sequence_length"] == bundle.sequence_length == 16
        assert manifest["name"] == f"run ({mode})"
        assert bundle.classify("the movie was superb").label == "pos"


def test_sha256_mismatch_is_refused_naming_file_and_hashes(bundle_copy):
    vocabulary = bundle_copy / "vocab.txt"
    data = vocabulary.read_bytes().replace(b"superb", b"superv")
    recorded = json.loads((bundle_copy / "bundle.json").read_text())["files"]["vocab.txt"]["sha256"]
    vocabulary.write_bytes(data)
    with pytest.raises(BundleError, match="sha256 mismatch") as error:
        load_bundle(bundle_copy)
    message = str(error.value)
    assert "vocab.txt" in message and recorded in message and hashlib.sha256(data).hexdigest() in message


def test_edited_labels_say_how_to_rename_them(bundle_copy):
    # Same size, other names: a user renaming classes by hand is told the supported way.
    labels = bundle_copy / "labels.txt"
    original = labels.read_bytes()
    labels.write_bytes(b"bad\nmeh\nyay\n")
    with pytest.raises(BundleError, match="labels.txt.*sha256 mismatch") as error:
        load_bundle(bundle_copy)
    assert "export again with --rename-labels OLD=NEW" in str(error.value)
    labels.write_bytes(original)  # another file's mismatch carries no such hint
    assert "--rename-labels" not in _load_error(bundle_copy, "vocab.txt")


def _load_error(bundle, name: str) -> str:
    path = bundle / name
    path.write_bytes(path.read_bytes().replace(b"superb", b"superv"))
    with pytest.raises(BundleError) as error:
        load_bundle(bundle)
    return str(error.value)


def test_truncated_model_is_a_size_mismatch(bundle_copy):
    model = bundle_copy / "model.tflite"
    model.write_bytes(model.read_bytes()[:1000])
    with pytest.raises(BundleError, match="model.tflite: size mismatch.* 1000"):
        load_bundle(bundle_copy)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("format_version", 3, "format_version 3 is not supported: this fnet_keras reads versions 1, 2"),
        ("format", "something-else", "not an fnet-keras bundle"),
        ("quantization", {"mode": "int4"}, "'quantization.mode' is 'int4'"),
        ("inputs", {"token_ids": "token_ids"}, "'inputs' is"),
        ("output", {"name": "logits", "kind": "logits"}, "'output' is"),
        ("embedded_files", ["notes.txt"], "'embedded_files' is"),
        ("tokenizer", {"version": 1}, "field 'tokenizer': tokenizer config lacks"),
    ],
)
def test_bad_manifest_fields_are_refused(bundle_copy, field, value, message):
    rewrite_manifest(bundle_copy, lambda manifest: manifest.__setitem__(field, value))
    with pytest.raises(BundleError, match=message) as error:
        load_bundle(bundle_copy)
    assert "bundle.json" in str(error.value)


def test_a_tokenizer_length_that_is_not_the_models_is_refused(bundle_copy):
    rewrite_manifest(bundle_copy, lambda manifest: manifest["tokenizer"].__setitem__("sequence_length", 32))
    expected = "model.tflite: the model takes 16 token ids, the tokenizer packs 32"
    with pytest.raises(BundleError, match=expected):
        load_bundle(bundle_copy)


def test_manifest_that_is_not_json(bundle_copy):
    (bundle_copy / "bundle.json").write_text('{"format": "fnet-keras-bundle",\n  oops}')
    with pytest.raises(BundleError, match="bundle.json, line 2: not valid JSON"):
        load_bundle(bundle_copy)


def test_missing_file_is_named(bundle_copy):
    (bundle_copy / "labels.txt").unlink()
    with pytest.raises(BundleError, match="labels.txt: missing"):
        load_bundle(bundle_copy)


def test_edited_labels_differ_from_the_copy_inside_the_model(bundle_copy):
    # labels.txt is canonical; the model's embedded copy (what MediaPipe shows) must say the same.
    replace_file_keeping_hashes_valid(bundle_copy, "labels.txt", b"negative\nneutral\npositive\n")
    with pytest.raises(BundleError, match="model.tflite.*labels.txt.*line 1"):
        load_bundle(bundle_copy)


def test_bad_vocabulary_is_reported_with_its_line(bundle_copy):
    lines = (bundle_copy / "vocab.txt").read_text().split("\n")
    lines[7] = lines[6]
    replace_file_keeping_hashes_valid(bundle_copy, "vocab.txt", "\n".join(lines).encode())
    with pytest.raises(BundleError, match=f"vocab.txt, line 8: vocabulary token '{lines[6]}' repeats line 7"):
        load_bundle(bundle_copy)


def test_not_a_bundle(tmp_path):
    with pytest.raises(BundleError, match="no such bundle"):
        load_bundle(tmp_path / "absent")
    with pytest.raises(BundleError, match="no bundle.json"):
        load_bundle(tmp_path)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    with pytest.raises(BundleError, match="neither a bundle directory nor a readable .zip"):
        load_bundle(text_file)
    empty_zip = tmp_path / "empty.zip"
    zipfile.ZipFile(empty_zip, "w").close()
    with pytest.raises(BundleError, match="expected one bundle.json"):
        load_bundle(empty_zip)


def test_non_finite_outputs_are_an_error(tmp_path, trained_run):
    import tensorflow as tf
    from support import convert_function

    from fnet_keras.edge import write_bundle

    names = ("input_word_ids", "input_mask", "input_type_ids")

    @tf.function(input_signature=[tf.TensorSpec([1, 16], tf.int32, name=name) for name in names])
    def nan_outputs(input_word_ids, input_mask, input_type_ids):
        mixed = input_word_ids * input_mask * (1 - input_type_ids)
        return {"probabilities": tf.cast(mixed[:, :3], tf.float32) * float("nan")}

    directory = write_bundle(
        tmp_path / "nan", tflite_bytes=convert_function(nan_outputs), vocabulary=trained_run.vocabulary,
        labels=list(trained_run.labels), tokenizer_config=load_bundle_config(trained_run),
        metadata={"name": "nan", "model": {"fourier_method": None}, "quantization": {"mode": "fp32"},
                  "ops": {}, "parity": {}},
    )
    with pytest.raises(BundleError, match="model.tflite: the model gave non-finite outputs"):
        load_bundle(directory).classify("superb")


def load_bundle_config(trained_run):
    return trained_run.settings.tokenizer_config()


def _corruptions(good: bytes) -> dict[str, bytes]:
    rng = random.Random(0)
    random_bytes = bytes(rng.randrange(256) for _ in range(len(good)))
    return {
        "empty": b"",
        "tiny": good[:20],
        "half": good[: len(good) // 2],
        "random": random_bytes,
        "random_with_identifier": random_bytes[:4] + b"TFL3" + random_bytes[8:],
        "scrambled_tables": good[:8] + bytes(reversed(good[8:4096])) + good[4096:],
    }


@pytest.mark.parametrize("case", list(_corruptions(b"x" * 8192)))
def test_corrupted_model_with_matching_hash_fails_cleanly_in_the_cli(fp32_bundle, tmp_path, case):
    directory = Path(shutil.copytree(fp32_bundle.directory, tmp_path / "bundle"))
    replace_file_keeping_hashes_valid(directory, "model.tflite", _corruptions(fp32_bundle.tflite_bytes)[case])
    completed = run_cli("classify", str(directory), "a good film")
    stderr = completed.stderr.decode("utf-8", "replace")
    assert completed.returncode == 2, f"return code {completed.returncode} (negative: a crash): {stderr}"
    assert "error: " in stderr and "model.tflite" in stderr
    assert completed.stdout == b""
