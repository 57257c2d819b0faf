"""load_bundle + classify: agreement with the Keras model, and every refusal the loader promises."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from edge_support import (
    LABELS,
    SEQUENCE_LENGTH,
    VOCABULARY,
    convert,
    metadata,
    replace_file_keeping_hashes_valid,
    rewrite_manifest,
    run_edge_cli,
)

from fnet_keras.edge import BundleError, load_bundle, write_bundle
from fnet_keras.text import CLS_ID, PAD_ID, SEP_ID, TokenizerConfig

TEXTS = [
    "The movie was very good!",
    "an awful, awful plot.",
    "Acting is fine",
    "",
    "unknown words only: zebra xylophone",
]


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def test_classify_matches_the_keras_model(fp32_bundle):
    bundle = load_bundle(fp32_bundle.directory)
    result = bundle.classify_timed(TEXTS)
    ids = [bundle.tokenizer.encode(text) for text in TEXTS]
    expected = _softmax(fp32_bundle.keras_logits(ids))
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-4)
    assert result.predictions == list(np.argmax(expected, axis=1))
    for ranking, row in zip(result.rankings, expected, strict=True):
        assert [label for label, _ in ranking] == [LABELS[i] for i in np.argsort(-row, kind="stable")]
        probabilities = [probability for _, probability in ranking]
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) == pytest.approx(1.0)
    assert result.tokenize_seconds > 0 and result.inference_seconds > 0
    assert bundle.classify(TEXTS) == result.rankings


def test_tokenizer_gives_the_packed_ids_the_model_receives(fp32_bundle):
    bundle = load_bundle(fp32_bundle.directory)
    ids = bundle.tokenizer.encode("the film was good")
    good = VOCABULARY.index("good")
    assert ids[:6] == [
        CLS_ID,
        VOCABULARY.index("the"),
        VOCABULARY.index("film"),
        VOCABULARY.index("was"),
        good,
        SEP_ID,
    ]
    assert ids[6:] == [PAD_ID] * (SEQUENCE_LENGTH - 6)
    assert bundle.labels == LABELS
    assert bundle.manifest["labels"] == list(LABELS)
    assert bundle.sequence_length == SEQUENCE_LENGTH


def test_zip_bundle_classifies_like_the_directory(fp32_bundle):
    from_zip = load_bundle(fp32_bundle.zip_path).classify_timed(TEXTS)
    from_directory = load_bundle(fp32_bundle.directory).classify_timed(TEXTS)
    np.testing.assert_array_equal(from_zip.logits, from_directory.logits)
    with zipfile.ZipFile(fp32_bundle.zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"tiny-fp32/{name}" for name in ("bundle.json", "model.tflite", "vocab.txt", "labels.txt")
        )


def test_zip_with_files_at_the_top_level_loads(fp32_bundle, tmp_path):
    flat = tmp_path / "flat.zip"
    with zipfile.ZipFile(flat, "w") as archive:
        for path in fp32_bundle.directory.iterdir():
            archive.write(path, path.name)
    assert load_bundle(flat).classify("good")[0][0][0] in LABELS


def test_empty_text_and_overlong_text(fp32_bundle):
    bundle = load_bundle(fp32_bundle.directory)
    words = " ".join(["good", "bad", "film"] * 10)  # 30 tokens, 14 fit.
    kept = " ".join(words.split()[: SEQUENCE_LENGTH - 2])
    result = bundle.classify_timed(["", words, kept])
    assert result.token_counts == [0, 30, SEQUENCE_LENGTH - 2]
    assert result.truncated == [False, True, False]
    np.testing.assert_array_equal(result.logits[1], result.logits[2])  # Truncation keeps the first tokens.
    assert bundle.tokenizer.encode("") == [CLS_ID, SEP_ID] + [PAD_ID] * (SEQUENCE_LENGTH - 2)
    assert len(result.rankings[0]) == len(LABELS)


def test_top_k_and_a_single_string(fp32_bundle):
    bundle = load_bundle(fp32_bundle.directory)
    assert [len(ranking) for ranking in bundle.classify(TEXTS[:2], top_k=2)] == [2, 2]
    assert len(bundle.classify("good film", top_k=10)[0]) == len(LABELS)
    assert bundle.classify("good film") == bundle.classify(["good film"])
    with pytest.raises(ValueError, match="top_k"):
        bundle.classify("good", top_k=0)


def test_int8_output_is_dequantized(int8_bundle):
    bundle = load_bundle(int8_bundle.directory)
    scale, zero_point = bundle.manifest["outputs"]["logits"]["quantization"].values()
    assert bundle.manifest["outputs"]["logits"]["dtype"] == "int8"
    result = bundle.classify_timed(TEXTS)
    steps = result.logits / scale + zero_point
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)  # Whole quantization steps, dequantized.
    keras_logits = int8_bundle.keras_logits([bundle.tokenizer.encode(text) for text in TEXTS])
    np.testing.assert_allclose(result.logits, keras_logits, atol=0.25)


def test_sha256_mismatch_is_refused_naming_file_and_hashes(bundle_copy):
    vocabulary = bundle_copy / "vocab.txt"
    data = vocabulary.read_bytes().replace(b"good", b"goad")
    recorded = json.loads((bundle_copy / "bundle.json").read_text())["files"]["vocab.txt"]["sha256"]
    vocabulary.write_bytes(data)
    with pytest.raises(BundleError, match="sha256 mismatch") as error:
        load_bundle(bundle_copy)
    message = str(error.value)
    assert "vocab.txt" in message and recorded in message and hashlib.sha256(data).hexdigest() in message


def test_truncated_model_is_a_size_mismatch(bundle_copy):
    model = bundle_copy / "model.tflite"
    model.write_bytes(model.read_bytes()[:1000])
    with pytest.raises(BundleError, match="model.tflite: size mismatch.* 1000"):
        load_bundle(bundle_copy)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("format_version", 2, "format_version 2 is not supported"),
        ("format", "something-else", "not an fnet-keras bundle"),
        ("quantization", "int4", "'quantization' is 'int4'"),
        ("sequence_length", 32, "differs from tokenizer.sequence_length 16"),
        ("labels", ["negative", "positive"], "expected \\[1, 2\\]"),
    ],
)
def test_bad_manifest_fields_are_refused(bundle_copy, field, value, message):
    rewrite_manifest(bundle_copy, lambda manifest: manifest.__setitem__(field, value))
    with pytest.raises(BundleError, match=message) as error:
        load_bundle(bundle_copy)
    assert "bundle.json" in str(error.value)


def test_manifest_that_is_not_json(bundle_copy):
    (bundle_copy / "bundle.json").write_text('{"format": "fnet-keras-bundle",\n  oops}')
    with pytest.raises(BundleError, match="bundle.json, line 2: not valid JSON"):
        load_bundle(bundle_copy)


def test_missing_file_is_named(bundle_copy):
    (bundle_copy / "labels.txt").unlink()
    with pytest.raises(BundleError, match="labels.txt: missing"):
        load_bundle(bundle_copy)


def test_labels_file_must_agree_with_the_manifest(bundle_copy):
    replace_file_keeping_hashes_valid(bundle_copy, "labels.txt", b"negative\npositive\nneutral\n")
    with pytest.raises(BundleError, match="labels.txt holds \\['negative', 'positive', 'neutral'\\]"):
        load_bundle(bundle_copy)


def test_bad_vocabulary_is_reported_with_its_line(bundle_copy):
    data = (bundle_copy / "vocab.txt").read_bytes().replace(b"movie\n", b"the\n")
    replace_file_keeping_hashes_valid(bundle_copy, "vocab.txt", data)
    with pytest.raises(BundleError, match="vocab.txt, line 8: vocabulary token 'the' repeats line 6"):
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


def test_non_finite_logits_are_an_error(tmp_path):
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, SEQUENCE_LENGTH], tf.int32, name="token_ids")])
    def nan_logits(token_ids):
        return {"logits": tf.cast(token_ids[:, : len(LABELS)], tf.float32) * float("nan")}

    tflite_bytes = convert(nan_logits)
    directory = write_bundle(
        tmp_path / "nan",
        tflite_bytes=tflite_bytes,
        vocabulary=VOCABULARY,
        labels=list(LABELS),
        tokenizer_config=TokenizerConfig(sequence_length=SEQUENCE_LENGTH),
        metadata=metadata(tflite_bytes),
    )
    with pytest.raises(BundleError, match="model.tflite: the model gave non-finite logits"):
        load_bundle(directory).classify("good")


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
    completed = run_edge_cli("classify", str(directory), "a good film")
    stderr = completed.stderr.decode("utf-8", "replace")
    assert completed.returncode == 2, (
        f"return code {completed.returncode} (negative: a crash); stderr: {stderr}"
    )
    assert "error: " in stderr and "model.tflite" in stderr
    assert completed.stdout == b""
