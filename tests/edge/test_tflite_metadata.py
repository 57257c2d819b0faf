"""fnet_keras.edge.tflite_metadata: MediaPipe's BERT classifier metadata written into model bytes, read back.

The model is the tiny classifier with the MediaPipe layout (`layout_fp32`). An independent reader
(TensorFlow's generated LiteRT schema module) checks the repacked flatbuffer; MediaPipe itself
reads it in test_mediapipe_text_classifier.py.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from mediapipe_support import LABELS, VOCABULARY, encode, generated_texts, litert_probabilities
from support import REPO_ROOT

from fnet_keras.edge.errors import BundleError, MetadataError
from fnet_keras.edge.tflite_metadata import (
    BERT_INPUT_TENSOR_NAMES,
    METADATA_FIELD_NAME,
    MIN_PARSER_VERSION,
    read_associated_files,
    read_classifier_metadata,
    read_metadata_dict,
    write_classifier_metadata,
)

# Where the mediapipe 0.10.21 wheel ships the metadata schema.
SCHEMA_IN_VENV = "lib/python3*/site-packages/mediapipe/tasks/metadata/metadata_schema.fbs"
TEXT_FIELDS = {
    "name": "tiny FNet", "description": "A test classifier.", "version": "1.2", "author": "tests",
    "license": "Apache-2.0",
}  # fmt: skip


@pytest.fixture(scope="module")
def attached(layout_fp32) -> bytes:
    return write_classifier_metadata(layout_fp32, VOCABULARY, list(LABELS), **TEXT_FIELDS)


def test_round_trip_gives_back_every_field_and_both_files(attached):
    metadata = read_classifier_metadata(attached, path="model.tflite")
    assert (metadata.name, metadata.description, metadata.version, metadata.author, metadata.license) == (
        "tiny FNet", "A test classifier.", "1.2", "tests", "Apache-2.0"
    )  # fmt: skip
    assert metadata.min_parser_version == MIN_PARSER_VERSION == "1.1.0"
    assert metadata.input_tensor_names == BERT_INPUT_TENSOR_NAMES
    assert metadata.vocabulary == tuple(VOCABULARY)
    assert metadata.labels == LABELS
    assert (metadata.vocabulary_file, metadata.labels_file) == ("vocab.txt", "labels.txt")
    # vocab.txt byte for byte as fnet_keras.text.save_vocabulary writes it; labels.txt as MediaPipe's writer.
    assert metadata.files == {
        "vocab.txt": "".join(token + "\n" for token in VOCABULARY).encode("utf-8"),
        "labels.txt": "\n".join(LABELS).encode("utf-8"),
    }
    metadata.check_files(VOCABULARY, list(LABELS))  # the bundle's files: no error
    output = metadata.metadata["subgraph_metadata"][0]["output_tensor_metadata"][0]
    assert output["stats"] == {"max": [1.0], "min": [0.0]}
    assert output["associated_files"][0]["type"] == "TENSOR_AXIS_LABELS"


def test_optional_text_fields_are_left_out_when_not_given(layout_fp32):
    metadata = read_metadata_dict(write_classifier_metadata(layout_fp32, VOCABULARY, list(LABELS)))
    assert set(metadata) == {"name", "description", "subgraph_metadata", "min_parser_version"}
    assert metadata["name"] == "TextClassifier"  # MediaPipe's default


def test_the_model_still_runs_in_litert_with_unchanged_outputs(layout_fp32, attached):
    token_ids = encode(generated_texts(12, seed=3))
    before = litert_probabilities(layout_fp32, token_ids)
    after = litert_probabilities(attached, token_ids)
    np.testing.assert_array_equal(after, before)
    np.testing.assert_allclose(after.sum(axis=1), 1.0, atol=1e-6)  # probabilities: the softmax is inside


def test_an_independent_reader_sees_the_metadata_buffer_and_untouched_tensors(layout_fp32, attached):
    from tensorflow.lite.python import schema_py_generated as schema

    old = schema.Model.GetRootAsModel(layout_fp32, 0)
    new = schema.Model.GetRootAsModel(attached, 0)
    assert schema.Model.ModelBufferHasIdentifier(attached, 0)
    old_names = [old.Metadata(i).Name().decode() for i in range(old.MetadataLength())]
    new_names = [new.Metadata(i).Name().decode() for i in range(new.MetadataLength())]
    assert new_names == old_names + [METADATA_FIELD_NAME]  # the converter's entries are kept
    metadata_buffer = new.Buffers(new.Metadata(new.MetadataLength() - 1).Buffer()).DataAsNumpy().tobytes()
    assert metadata_buffer[4:8] == b"M001"
    assert new.BuffersLength() == old.BuffersLength() + 1
    for index in range(old.BuffersLength()):
        old_buffer, new_buffer = old.Buffers(index), new.Buffers(index)
        assert new_buffer.DataLength() == old_buffer.DataLength()
        if new_buffer.DataLength():
            assert new_buffer.DataAsNumpy().tobytes() == old_buffer.DataAsNumpy().tobytes()
            # Repacked, the data starts 16-byte aligned, as schema.fbs's `force_align: 16` asks.
            assert new_buffer._tab.Vector(new_buffer._tab.Offset(4)) % 16 == 0
    subgraph = new.Subgraphs(0)
    inputs = [subgraph.Tensors(subgraph.Inputs(i)).Name().decode() for i in range(subgraph.InputsLength())]
    assert sorted(inputs) == sorted(BERT_INPUT_TENSOR_NAMES.values())
    assert new.SignatureDefsLength() == old.SignatureDefsLength() == 1
    # The zip after the flatbuffer holds exactly the two files, stored.
    with zipfile.ZipFile(io.BytesIO(attached)) as archive:
        assert [(info.filename, info.compress_type) for info in archive.infolist()] == [
            ("vocab.txt", zipfile.ZIP_STORED),
            ("labels.txt", zipfile.ZIP_STORED),
        ]


def test_writing_is_deterministic(layout_fp32, attached):
    again = write_classifier_metadata(layout_fp32, VOCABULARY, list(LABELS), **TEXT_FIELDS)
    assert again == attached


def test_check_files_names_the_first_differing_line(attached):
    metadata = read_classifier_metadata(attached)
    changed = list(VOCABULARY)
    changed[7] = "other"
    with pytest.raises(MetadataError, match=r"vocabulary .*vocab\.txt.* differs .* line 8: '.*' != 'other'"):
        metadata.check_files(changed, list(LABELS), path="bundle/model.tflite")
    with pytest.raises(MetadataError, match=r"labels .* has 3 lines, the bundle's 2"):
        metadata.check_files(VOCABULARY, list(LABELS[:2]))
    with pytest.raises(BundleError, match=r"^bundle/model\.tflite: "):  # a BundleError naming the file
        metadata.check_files(changed, list(LABELS), path="bundle/model.tflite")


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"vocabulary": [t for t in VOCABULARY if t != "[CLS]"]}, r"vocab\.txt: .* lacks \[CLS\]:"),
        ({"vocabulary": VOCABULARY + ["two words"]}, r"vocab\.txt, line \d+: token 'two words' .*whitespace"),
        ({"vocabulary": VOCABULARY + ["the"]}, r"vocab\.txt, line \d+: token 'the' repeats line"),
        ({"vocabulary": "\n".join(VOCABULARY)}, r"vocabulary must be a sequence of tokens, got str"),
        ({"labels": ["a", "b"]}, r"has shape \[1, 3\] but there are 2 labels"),
        ({"labels": ["a", "b\nc", "d"]}, r"labels\.txt, line 2: label 'b\\nc' .* without line breaks"),
        ({"labels": ["a", "", "d"]}, r"labels\.txt, line 2: label ''"),
        ({"labels": ["a", "b", "a"]}, r"labels\.txt, line 3: label 'a' repeats line 1"),
        ({"labels": []}, r"labels must be a non-empty sequence"),
        ({"name": ""}, r"metadata name must be a non-empty string"),
        ({"author": 3}, r"metadata author must be a string or None, got 3"),
        ({"input_tensor_names": {"ids": "x"}}, r"input_tensor_names must map exactly"),
        (
            {"input_tensor_names": {**BERT_INPUT_TENSOR_NAMES, "ids": "serving_default_token_ids:0"}},
            r"model\.tflite: the model's inputs are \[.*\]; MediaPipe's BERT text classifier needs three",
        ),
    ],
)
def test_write_refuses_bad_arguments_naming_what_is_wrong(layout_fp32, arguments, message):
    call = {"vocabulary": VOCABULARY, "labels": list(LABELS), "path": "model.tflite", **arguments}
    with pytest.raises(MetadataError, match=message):
        write_classifier_metadata(layout_fp32, **call)


def test_write_refuses_models_it_cannot_describe(attached):
    # Format 1's layout: one token_ids input, logits out.
    single_input = (REPO_ROOT / "tests" / "fixtures" / "format1" / "bundle" / "model.tflite").read_bytes()
    with pytest.raises(MetadataError, match=r"the model's inputs are \['.*token_ids.*'\]"):
        write_classifier_metadata(single_input, VOCABULARY, list(LABELS))
    with pytest.raises(
        MetadataError, match=r"^the model already carries TFLite metadata \(TFLITE_METADATA\)"
    ):
        write_classifier_metadata(attached, VOCABULARY, list(LABELS))
    with pytest.raises(MetadataError, match=r"not a LiteRT model: 5 bytes"):
        write_classifier_metadata(b"hello", VOCABULARY, list(LABELS))
    with pytest.raises(MetadataError, match=r"model bytes expected, got str"):
        write_classifier_metadata("model.tflite", VOCABULARY, list(LABELS))


def test_writing_needs_ai_edge_litert_and_reading_does_not(layout_fp32, attached, monkeypatch):
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)  # as where only tflite_runtime is installed
    with pytest.raises(MetadataError, match=r"^writing metadata needs ai-edge-litert"):
        write_classifier_metadata(layout_fp32, VOCABULARY, list(LABELS))
    assert read_classifier_metadata(attached).labels == LABELS


def test_a_model_without_metadata_reads_as_none_and_is_refused_by_the_classifier_reader(layout_fp32):
    assert read_metadata_dict(layout_fp32) is None
    assert read_associated_files(layout_fp32) == {}
    with pytest.raises(MetadataError, match=r"^model\.tflite: the model carries no TFLite metadata"):
        read_classifier_metadata(layout_fp32, path="model.tflite")


def test_missing_or_changed_associated_files_are_reported(attached):
    model_only = attached[: attached.index(b"PK\x03\x04")]  # the flatbuffer without the zip
    with pytest.raises(MetadataError, match=r"names vocabulary file 'vocab\.txt' but .* does not pack"):
        read_classifier_metadata(model_only)
    flipped = bytearray(attached)
    flipped[attached.rindex(b"neutral")] ^= 0x20  # "Neutral": the zip's CRC no longer matches
    with pytest.raises(MetadataError, match=r"associated files .* are damaged: Bad CRC-32"):
        read_classifier_metadata(bytes(flipped))


def test_compressed_or_repeated_associated_files_are_refused(layout_fp32, attached):
    def with_zip(*members):
        stream = io.BytesIO()
        stream.write(model_only)
        with zipfile.ZipFile(stream, "a") as archive:
            for name, compression in members:
                archive.writestr(zipfile.ZipInfo(name), b"x" * 100, compress_type=compression)
        return stream.getvalue()

    model_only = attached[: attached.index(b"PK\x03\x04")]
    with pytest.raises(
        MetadataError, match=r"^associated file 'labels\.txt' is compressed; MediaPipe reads stored files"
    ):
        read_associated_files(with_zip(("labels.txt", zipfile.ZIP_DEFLATED)))
    with pytest.warns(UserWarning, match="Duplicate name"):
        repeated = with_zip(("labels.txt", zipfile.ZIP_STORED), ("labels.txt", zipfile.ZIP_STORED))
    with pytest.raises(MetadataError, match=r"^associated file 'labels\.txt' is packed twice"):
        read_associated_files(repeated)
    encrypted = bytearray(attached)
    directory_entry = attached.rindex(b"PK\x01\x02")  # the central directory entry of labels.txt
    encrypted[directory_entry + 8] |= 1  # general purpose flag bit 0: encrypted
    with pytest.raises(MetadataError, match=r"damaged: .*encrypted"):
        read_associated_files(bytes(encrypted))


def test_damaged_bytes_only_ever_give_metadata_errors(attached):
    """Random byte changes and truncations: the reader answers or raises MetadataError, nothing else."""
    rng = random.Random(0)
    outcomes = {"read": 0, "refused": 0}
    for trial in range(400):
        damaged = bytearray(attached)
        if trial % 4 == 0:
            damaged = damaged[: rng.randrange(len(damaged))]
        else:
            for _ in range(rng.choice([1, 4, 16])):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            read_classifier_metadata(bytes(damaged))
            outcomes["read"] += 1
        except MetadataError:
            outcomes["refused"] += 1
    assert outcomes["read"] and outcomes["refused"]  # both kinds happened: the damage was not all harmless


def test_the_module_imports_no_tensorflow():
    code = (
        "import sys, json; import fnet_keras.edge.tflite_metadata; "
        "heavy = {'tensorflow', 'keras', 'mediapipe'}; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & heavy)))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == []


def test_the_generated_schema_is_the_mediapipe_wheels_and_the_reader_names_its_fields_as_it_does():
    """The committed metadata_schema.fbs (flatc's input) is the wheel's; every field of the generated
    classes gets the schema's name in `read_metadata_dict`, and every enum-typed field its enum."""
    import re

    from mediapipe_venv import MEDIAPIPE_VENV, mediapipe_python

    from fnet_keras.edge import tflite_metadata
    from fnet_keras.edge._generated import metadata_schema_generated as schema

    mediapipe_python()  # skips (fails in CI) without the venv
    (schema_path,) = MEDIAPIPE_VENV.glob(SCHEMA_IN_VENV)
    committed = REPO_ROOT / "fnet_keras" / "edge" / "_generated" / "metadata_schema.fbs"
    assert committed.read_bytes() == schema_path.read_bytes()
    text = re.sub(r"//[^\n]*", "", schema_path.read_text(encoding="utf-8"))
    enums = set(re.findall(r"\benum\s+(\w+)\s*:", text))
    unions = set(re.findall(r"\bunion\s+(\w+)\s*\{", text))
    tables = re.findall(r"\btable\s+(\w+)\s*\{([^}]*)\}", text)
    assert len(tables) == 21
    enum_fields = {}
    for table, body in tables:
        fields = dict(re.findall(r"(\w+)\s*:\s*([\[\]\w]+)[^;]*;", body))
        expected = set(fields) | {f"{field}_type" for field, kind in fields.items() if kind in unions}
        for attribute in vars(getattr(schema, f"{table}T")()):
            name = tflite_metadata._schema_name(attribute)
            assert name in expected, (table, attribute)
            expected.remove(name)
            if fields.get(name) in enums:
                enum_fields[f"{table}T", attribute] = getattr(schema, fields[name])
        assert not expected, (table, expected)
    assert enum_fields == tflite_metadata._ENUM_FIELDS
    assert re.search(r'file_identifier\s+"(\w+)"', text).group(1).encode() == b"M001"
