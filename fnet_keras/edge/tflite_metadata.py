"""MediaPipe Tasks metadata for a BERT-style text classifier, written into LiteRT model bytes and read back.

Pure Python (the standard library and the `flatbuffers` runtime; no TensorFlow, no mediapipe),
so the exporter can write it beside TensorFlow 2.21, whose numpy and protobuf versions
mediapipe 0.10.21 cannot share a venv with, and the edge runtime can read it.

    tflite = write_classifier_metadata(tflite, vocabulary=tokens, labels=["negative", "positive"])
    metadata = read_classifier_metadata(tflite)
    metadata.check_files(tokens, ["negative", "positive"])  # MetadataError on any difference

What is written
===============
Tables of the TFLite metadata schema (`metadata_schema.fbs`, schema version 1.5.0, shipped in
the mediapipe 0.10.21 wheel as `mediapipe/tasks/metadata/metadata_schema.fbs`; `_TABLES` below
lists its tables and fields in schema order), holding what MediaPipe's
`text_classifier.MetadataWriter.create_for_bert_model` writes (`tests/edge/test_mediapipe_text_classifier.py`
compares the two):

    ModelMetadata: name, description, [version, author, license], min_parser_version "1.1.0"
      subgraph_metadata[0]
        input_tensor_metadata: one per model input, in the model's input order, paired by
          tensor name (the converter orders inputs as it likes):
            "ids"          serving_default_input_word_ids:0   token ids: [CLS] ... [SEP], then 0
            "mask"         serving_default_input_mask:0       1 for tokens, 0 for padding
            "segment_ids"  serving_default_input_type_ids:0   0 (one text)
          each with content FeatureProperties and an empty stats table
        output_tensor_metadata[0]: "score", content FeatureProperties, stats max [1.0] min [0.0],
          associated file labels.txt (TENSOR_AXIS_LABELS)
        input_process_units[0]: BertTokenizerOptions, vocab_file vocab.txt (VOCABULARY)

MediaPipe binds the three inputs by those metadata names, tokenizes with the vocabulary
(ASCII lower-casing, WordPiece, [CLS] and [SEP] looked up by string, padding with id 0) and
reports the float32 output, unchanged, as the scores of the labels (it refuses an int8
output): the model must output probabilities.

How it is attached
==================
As MediaPipe's `MetadataPopulator` does, with the same result for a reader:
1. The metadata flatbuffer (file identifier "M001") becomes a new entry of the model's
   `buffers`, and a new `metadata` entry named "TFLITE_METADATA" points at it. MediaPipe
   unpacks and repacks the whole model with generated code; here the model is re-rooted
   instead: the converter's bytes stay as they are, at a 64-byte aligned position (so their
   tensor data keeps the alignment the converter gave it), behind a new root table that points
   at the old tables and at the two longer vectors. Flatbuffer offsets point forward, so only new
   tables in front of the old bytes can refer to them.
2. The associated files (vocab.txt, then labels.txt) are appended as a zip archive: stored,
   not compressed, with fixed timestamps, so the same inputs always give the same bytes.
   Flatbuffer readers ignore the bytes after the model; MediaPipe opens them as a zip.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import struct
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import flatbuffers

from fnet_keras.edge.errors import MetadataError

TFLITE_FILE_IDENTIFIER = b"TFL3"
METADATA_FILE_IDENTIFIER = b"M001"
# The model's `metadata` entry that holds the metadata buffer (MediaPipe's and TFLite support's name).
METADATA_FIELD_NAME = "TFLITE_METADATA"
# The newest schema version among the fields written: BertTokenizerOptions and
# SubGraphMetadata.input_process_units came in 1.1.0 (MediaPipe's writer computes the same).
MIN_PARSER_VERSION = "1.1.0"

DEFAULT_NAME = "TextClassifier"
DEFAULT_DESCRIPTION = "Classify the input text into a set of known categories."
# The associated files carry the bundle's file names: one name, one content.
VOCABULARY_FILE_NAME = "vocab.txt"
LABELS_FILE_NAME = "labels.txt"

# The serving signature's input names; the converter names their tensors `serving_default_<name>:0`,
# the names Model Maker's BERT models have and MediaPipe's writer assumes by default.
SIGNATURE_KEY = "serving_default"
INPUT_WORD_IDS = "input_word_ids"
INPUT_MASK = "input_mask"
INPUT_TYPE_IDS = "input_type_ids"


def converter_tensor_name(signature_input: str) -> str:
    """The tensor name TFLiteConverter gives a signature input: `serving_default_<name>:0`."""
    return f"{SIGNATURE_KEY}_{signature_input}:0"


# Metadata name MediaPipe looks for -> the model input tensor it stands for.
BERT_INPUT_TENSOR_NAMES = {
    "ids": converter_tensor_name(INPUT_WORD_IDS),
    "mask": converter_tensor_name(INPUT_MASK),
    "segment_ids": converter_tensor_name(INPUT_TYPE_IDS),
}
# Tokens MediaPipe's BERT tokenizer and preprocessor look up by string.
REQUIRED_TOKENS = ("[CLS]", "[SEP]", "[UNK]")

# MediaPipe's writer's texts, so its metadata and ours read the same.
_INPUT_DESCRIPTIONS = {
    "ids": "Tokenized ids of the input text.",
    "mask": "Mask with 1 for real tokens and 0 for padding tokens.",
    "segment_ids": "0 for the first sequence, 1 for the second sequence if exists.",
}
_OUTPUT_NAME = "score"
_OUTPUT_DESCRIPTION = "Score of the labels respectively."
_LABELS_DESCRIPTION = "Labels for categories that the model can recognize."
_VOCABULARY_DESCRIPTION = "Vocabulary file to convert natural language words to embedding vectors."

# LiteRT schema (tensorflow/compiler/mlir/lite/schema/schema.fbs, as in TF 2.21): field slots.
_MODEL_VERSION, _MODEL_SUBGRAPHS, _MODEL_BUFFERS, _MODEL_METADATA, _MODEL_EXTERNAL_BUFFERS = 0, 2, 4, 6, 9
_MODEL_SLOTS = 10  # version .. external_buffers; every field after `version` is an offset
_SUBGRAPH_TENSORS, _SUBGRAPH_INPUTS, _SUBGRAPH_OUTPUTS = 0, 1, 2
_TENSOR_SHAPE, _TENSOR_TYPE, _TENSOR_NAME = 0, 1, 3
_BUFFER_DATA, _BUFFER_OFFSET = 0, 1
_METADATA_NAME, _METADATA_BUFFER = 0, 1
_TENSOR_TYPES = (
    "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64", "INT8",
    "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4", "BFLOAT16",
)  # fmt: skip
_INT32, _FLOAT32 = _TENSOR_TYPES.index("INT32"), _TENSOR_TYPES.index("FLOAT32")
# Where the converter's bytes start in the re-rooted file: a multiple of any alignment they rely on
# (flatbuffers' largest is 16; TF 2.21 aligns tensor data to 4), so every position keeps its residue.
_MODEL_ALIGNMENT = 64
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

# The metadata schema: enums (all `byte`), unions, and each table's fields in schema order.
# A union field takes two slots, `<name>_type` (ubyte) then `<name>`; its JSON form has both keys.
_ENUMS = {
    "AssociatedFileType": (
        "UNKNOWN", "DESCRIPTIONS", "TENSOR_AXIS_LABELS", "TENSOR_VALUE_LABELS",
        "TENSOR_AXIS_SCORE_CALIBRATION", "VOCABULARY", "SCANN_INDEX_FILE",
    ),
    "ColorSpaceType": ("UNKNOWN", "RGB", "GRAYSCALE"),
    "BoundingBoxType": ("UNKNOWN", "BOUNDARIES", "UPPER_LEFT", "CENTER"),
    "CoordinateType": ("RATIO", "PIXEL"),
    "ScoreTransformationType": ("IDENTITY", "LOG", "INVERSE_LOGISTIC"),
}  # fmt: skip
_UNIONS = {
    "ContentProperties": (
        "NONE", "FeatureProperties", "ImageProperties", "BoundingBoxProperties", "AudioProperties",
    ),
    "ProcessUnitOptions": (
        "NONE", "NormalizationOptions", "ScoreCalibrationOptions", "ScoreThresholdingOptions",
        "BertTokenizerOptions", "SentencePieceTokenizerOptions", "RegexTokenizerOptions",
    ),
}  # fmt: skip
_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "AssociatedFile": (
        ("name", "string"), ("description", "string"), ("type", "AssociatedFileType"),
        ("locale", "string"), ("version", "string"),
    ),
    "FeatureProperties": (),
    "ImageSize": (("width", "uint32"), ("height", "uint32")),
    "ImageProperties": (("color_space", "ColorSpaceType"), ("default_size", "ImageSize")),
    "AudioProperties": (("sample_rate", "uint32"), ("channels", "uint32")),
    "BoundingBoxProperties": (
        ("index", "[uint32]"), ("type", "BoundingBoxType"), ("coordinate_type", "CoordinateType"),
    ),
    "ValueRange": (("min", "int32"), ("max", "int32")),
    "Content": (("content_properties", "ContentProperties"), ("range", "ValueRange")),
    "NormalizationOptions": (("mean", "[float32]"), ("std", "[float32]")),
    "ScoreCalibrationOptions": (
        ("score_transformation", "ScoreTransformationType"), ("default_score", "float32"),
    ),
    "ScoreThresholdingOptions": (("global_score_threshold", "float32"),),
    "BertTokenizerOptions": (("vocab_file", "[AssociatedFile]"),),
    "SentencePieceTokenizerOptions": (
        ("sentencePiece_model", "[AssociatedFile]"), ("vocab_file", "[AssociatedFile]"),
    ),
    "RegexTokenizerOptions": (("delim_regex_pattern", "string"), ("vocab_file", "[AssociatedFile]")),
    "ProcessUnit": (("options", "ProcessUnitOptions"),),
    "Stats": (("max", "[float32]"), ("min", "[float32]")),
    "TensorGroup": (("name", "string"), ("tensor_names", "[string]")),
    "TensorMetadata": (
        ("name", "string"), ("description", "string"), ("dimension_names", "[string]"),
        ("content", "Content"), ("process_units", "[ProcessUnit]"), ("stats", "Stats"),
        ("associated_files", "[AssociatedFile]"),
    ),
    "CustomMetadata": (("name", "string"), ("data", "[ubyte]")),
    "SubGraphMetadata": (
        ("name", "string"), ("description", "string"),
        ("input_tensor_metadata", "[TensorMetadata]"), ("output_tensor_metadata", "[TensorMetadata]"),
        ("associated_files", "[AssociatedFile]"), ("input_process_units", "[ProcessUnit]"),
        ("output_process_units", "[ProcessUnit]"), ("input_tensor_groups", "[TensorGroup]"),
        ("output_tensor_groups", "[TensorGroup]"), ("custom_metadata", "[CustomMetadata]"),
    ),
    "ModelMetadata": (
        ("name", "string"), ("description", "string"), ("version", "string"),
        ("subgraph_metadata", "[SubGraphMetadata]"), ("author", "string"), ("license", "string"),
        ("associated_files", "[AssociatedFile]"), ("min_parser_version", "string"),
    ),
}  # fmt: skip
_SCALARS = {"uint32": "<I", "int32": "<i", "float32": "<f", "ubyte": "<B", "byte": "<b"}
# CustomMetadata.data is `[ubyte] (force_align: 16)`.
_BYTES_ALIGNMENT = 16


@dataclasses.dataclass(frozen=True)
class ClassifierMetadata:
    """The MediaPipe text-classifier metadata of a model, as `read_classifier_metadata` found it.

    Attributes:
        metadata: the whole ModelMetadata as MediaPipe's `MetadataDisplayer` prints it (its JSON,
            parsed): schema field names, enums by name, absent fields left out.
        input_tensor_names: "ids", "mask", "segment_ids" -> the model input tensor each names.
        vocabulary_file, labels_file: the associated file names of the tokenizer's vocabulary
            and of the output's labels.
        vocabulary: the embedded vocabulary, token i on line i + 1.
        labels: the embedded labels in output order.
        files: every associated file packed in the model, name -> bytes.
    """

    metadata: dict[str, Any]
    input_tensor_names: dict[str, str]
    vocabulary_file: str
    labels_file: str
    vocabulary: tuple[str, ...]
    labels: tuple[str, ...]
    files: dict[str, bytes]

    @property
    def name(self) -> str | None:
        return self.metadata.get("name")

    @property
    def description(self) -> str | None:
        return self.metadata.get("description")

    @property
    def version(self) -> str | None:
        return self.metadata.get("version")

    @property
    def author(self) -> str | None:
        return self.metadata.get("author")

    @property
    def license(self) -> str | None:
        return self.metadata.get("license")

    @property
    def min_parser_version(self) -> str | None:
        return self.metadata.get("min_parser_version")

    def check_files(
        self, vocabulary: Sequence[str], labels: Sequence[str], path: str | os.PathLike | None = None
    ) -> None:
        """Raises `MetadataError` unless the embedded vocabulary and labels equal these, line by line.

        Args:
            vocabulary: the bundle's vocabulary (vocab.txt's tokens).
            labels: the bundle's labels (labels.txt's lines).
            path: the model file, named in the error.
        """
        _check_same("vocabulary", self.vocabulary_file, self.vocabulary, list(vocabulary), path)
        _check_same("labels", self.labels_file, self.labels, list(labels), path)


def write_classifier_metadata(
    model_bytes: bytes,
    vocabulary: Sequence[str],
    labels: Sequence[str],
    *,
    name: str = DEFAULT_NAME,
    description: str | None = DEFAULT_DESCRIPTION,
    version: str | None = None,
    author: str | None = None,
    license: str | None = None,
    input_tensor_names: Mapping[str, str] = BERT_INPUT_TENSOR_NAMES,
    path: str | os.PathLike | None = None,
) -> bytes:
    """The model with MediaPipe's BERT text-classifier metadata, vocab.txt and labels.txt attached.

    Args:
        model_bytes: a LiteRT model straight from the converter: one subgraph, three int32
            `[1, sequence_length]` inputs named as in `input_tensor_names`, one float32
            `[1, len(labels)]` output of probabilities, no metadata or associated files yet.
        vocabulary: the WordPiece tokens, id i = `vocabulary[i]` (written as vocab.txt, one token
            and "\\n" per line, as `fnet_keras.text.save_vocabulary` writes it). It needs
            [CLS], [SEP] and [UNK], and id 0 must be the padding token (MediaPipe pads with 0).
        labels: the class labels in output order (labels.txt, lines joined by "\\n" as MediaPipe
            writes it).
        name, description, version, author, license: ModelMetadata's text fields (None: left out).
        input_tensor_names: "ids", "mask", "segment_ids" -> the model's input tensor names.
        path: the model file, named in errors.

    Returns:
        The new model bytes: still a LiteRT flatbuffer (with the zip of associated files after it).

    Raises:
        MetadataError: the model lacks the layout above, already has metadata, or the
            vocabulary, labels or texts are unusable.
    """
    model = _as_bytes(model_bytes, path)
    vocabulary_bytes = _vocabulary_file(vocabulary)
    labels_bytes = _labels_file(labels)
    texts = {
        "name": name, "description": description, "version": version, "author": author, "license": license
    }
    for key, value in texts.items():
        if value is not None and not isinstance(value, str):
            raise MetadataError(f"metadata {key} must be a string or None, got {value!r}", path)
    if not name:
        raise MetadataError("metadata name must be a non-empty string", path)
    flat, root = _open(model, TFLITE_FILE_IDENTIFIER, "LiteRT model", path)
    with _reading("LiteRT model", path):
        if _metadata_buffer(flat, root) is not None:
            raise MetadataError(
                f"the model already carries TFLite metadata ({METADATA_FIELD_NAME}); attach it once, "
                f"to the converter's output",
                path,
            )
        inputs, outputs = _subgraph_io(flat, root, path)
    if _has_zip(model):
        raise MetadataError("the model already carries associated files (a zip after the flatbuffer)", path)
    input_order = _pair_inputs(inputs, input_tensor_names, path)
    _check_output(outputs, len(labels), path)
    metadata = _classifier_metadata(input_order, texts)
    builder = flatbuffers.Builder(1024)
    builder.Finish(_pack_table(builder, "ModelMetadata", metadata), METADATA_FILE_IDENTIFIER)
    with _reading("LiteRT model", path):
        rerooted = _with_metadata_buffer(flat, root, bytes(builder.Output()), path)
    return _append_zip(rerooted, {VOCABULARY_FILE_NAME: vocabulary_bytes, LABELS_FILE_NAME: labels_bytes})


def read_metadata_dict(model_bytes: bytes, path: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """The model's TFLite metadata as MediaPipe's `MetadataDisplayer` prints it (parsed JSON); None if absent.

    Raises:
        MetadataError: the bytes are not a LiteRT model, or the metadata is malformed.
    """
    model = _as_bytes(model_bytes, path)
    flat, root = _open(model, TFLITE_FILE_IDENTIFIER, "LiteRT model", path)
    with _reading("LiteRT model", path):
        buffer = _metadata_buffer(flat, root)
    if buffer is None:
        return None
    metadata_flat, metadata_root = _open(buffer, METADATA_FILE_IDENTIFIER, "TFLite metadata", path)
    with _reading("TFLite metadata", path):
        return _unpack_table(metadata_flat, metadata_root, "ModelMetadata")


def read_associated_files(model_bytes: bytes, path: str | os.PathLike | None = None) -> dict[str, bytes]:
    """The files packed after the model (a zip of stored files), name -> bytes; empty if none.

    Raises:
        MetadataError: the archive is damaged (bad CRC, truncated), compressed, or repeats a name.
    """
    model = _as_bytes(model_bytes, path)
    if not _has_zip(model):
        return {}
    files: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(model)) as archive:
            for info in archive.infolist():
                if info.compress_type != zipfile.ZIP_STORED:
                    raise MetadataError(
                        f"associated file {info.filename!r} is compressed; MediaPipe reads stored files only",
                        path,
                    )
                if info.filename in files:
                    raise MetadataError(f"associated file {info.filename!r} is packed twice", path)
                files[info.filename] = archive.read(info)
    # zipfile raises RuntimeError for an encrypted member, NotImplementedError or ValueError for others.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, ValueError) as error:
        reason = f"the associated files (zip after the model) are damaged: {error}"
        raise MetadataError(reason, path) from None
    return files


def read_classifier_metadata(model_bytes: bytes, path: str | os.PathLike | None = None) -> ClassifierMetadata:
    """Reads and checks the BERT text-classifier metadata and its two associated files.

    Raises:
        MetadataError: no metadata, metadata that MediaPipe's BERT text classifier could not use
            (input names, tokenizer, labels), missing or undecodable associated files.
    """
    model = _as_bytes(model_bytes, path)
    metadata = read_metadata_dict(model, path)
    if metadata is None:
        raise MetadataError(
            f"the model carries no TFLite metadata (no {METADATA_FIELD_NAME} entry): MediaPipe cannot "
            f"tokenize for it",
            path,
        )
    flat, root = _open(model, TFLITE_FILE_IDENTIFIER, "LiteRT model", path)
    with _reading("LiteRT model", path):
        inputs, _ = _subgraph_io(flat, root, path)
    subgraphs = metadata.get("subgraph_metadata", [])
    if len(subgraphs) != 1:
        raise MetadataError(f"the metadata describes {len(subgraphs)} subgraphs, not 1", path)
    subgraph = subgraphs[0]
    input_metadata = subgraph.get("input_tensor_metadata", [])
    if len(input_metadata) != len(inputs):
        raise MetadataError(
            f"the metadata describes {len(input_metadata)} inputs but the model has {len(inputs)}", path
        )
    pairs = zip(input_metadata, inputs, strict=True)
    input_tensor_names = {entry.get("name"): tensor.name for entry, tensor in pairs}
    if set(input_tensor_names) != set(BERT_INPUT_TENSOR_NAMES):
        raise MetadataError(
            f"the input metadata is named {sorted(map(str, input_tensor_names))}; MediaPipe's BERT "
            f"preprocessor looks for {sorted(BERT_INPUT_TENSOR_NAMES)}",
            path,
        )
    vocabulary_file = _tokenizer_vocabulary_file(subgraph, path)
    labels_file = _labels_file_name(subgraph, path)
    files = read_associated_files(model, path)
    for role, file_name in (("vocabulary", vocabulary_file), ("labels", labels_file)):
        if file_name not in files:
            raise MetadataError(
                f"the metadata names {role} file {file_name!r} but the model does not pack it "
                f"(packed: {sorted(files) or 'nothing'})",
                path,
            )
    return ClassifierMetadata(
        metadata=metadata,
        input_tensor_names=input_tensor_names,
        vocabulary_file=vocabulary_file,
        labels_file=labels_file,
        vocabulary=tuple(_file_lines(files[vocabulary_file], vocabulary_file, path)),
        labels=tuple(_file_lines(files[labels_file], labels_file, path)),
        files=files,
    )


# ---- what is written ----------------------------------------------------------------------


def _classifier_metadata(input_order: list[str], texts: dict[str, str | None]) -> dict[str, Any]:
    feature = {"content_properties_type": "FeatureProperties", "content_properties": {}}
    inputs = [
        {"name": name, "description": _INPUT_DESCRIPTIONS[name], "content": feature, "stats": {}}
        for name in input_order
    ]
    labels_file = {"name": LABELS_FILE_NAME, "description": _LABELS_DESCRIPTION, "type": "TENSOR_AXIS_LABELS"}
    output = {
        "name": _OUTPUT_NAME,
        "description": _OUTPUT_DESCRIPTION,
        "content": feature,
        "stats": {"max": [1.0], "min": [0.0]},
        "associated_files": [labels_file],
    }
    vocabulary_file = {
        "name": VOCABULARY_FILE_NAME, "description": _VOCABULARY_DESCRIPTION, "type": "VOCABULARY"
    }
    tokenizer = {"options_type": "BertTokenizerOptions", "options": {"vocab_file": [vocabulary_file]}}
    subgraph = {
        "input_tensor_metadata": inputs,
        "output_tensor_metadata": [output],
        "input_process_units": [tokenizer],
    }
    metadata = {key: value for key, value in texts.items() if value is not None}
    metadata.update({"subgraph_metadata": [subgraph], "min_parser_version": MIN_PARSER_VERSION})
    return metadata


def _vocabulary_file(vocabulary: Sequence[str]) -> bytes:
    if isinstance(vocabulary, (str, bytes)) or not isinstance(vocabulary, Sequence):
        raise MetadataError(f"vocabulary must be a sequence of tokens, got {type(vocabulary).__name__}")
    seen: dict[str, int] = {}
    for index, token in enumerate(vocabulary):
        if not isinstance(token, str) or not token or any(char.isspace() for char in token):
            raise MetadataError(
                f"token {token!r} must be a non-empty string without whitespace (one token per line)",
                VOCABULARY_FILE_NAME,
                index + 1,
            )
        if token in seen:
            reason = f"token {token!r} repeats line {seen[token] + 1}"
            raise MetadataError(reason, VOCABULARY_FILE_NAME, index + 1)
        seen[token] = index
    missing = [token for token in REQUIRED_TOKENS if token not in seen]
    if missing:
        raise MetadataError(
            f"the vocabulary lacks {', '.join(missing)}: MediaPipe's BERT tokenizer looks them up by string",
            VOCABULARY_FILE_NAME,
        )
    return _encode("".join(token + "\n" for token in vocabulary), VOCABULARY_FILE_NAME)


def _labels_file(labels: Sequence[str]) -> bytes:
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence) or not labels:
        reason = f"labels must be a non-empty sequence of strings, got {labels!r}"
        raise MetadataError(reason, LABELS_FILE_NAME)
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        if not isinstance(label, str) or not label or "\n" in label or "\r" in label:
            raise MetadataError(
                f"label {label!r} must be a non-empty string without line breaks", LABELS_FILE_NAME, index + 1
            )
        if label in seen:
            reason = f"label {label!r} repeats line {seen[label] + 1}"
            raise MetadataError(reason, LABELS_FILE_NAME, index + 1)
        seen[label] = index
    return _encode("\n".join(labels), LABELS_FILE_NAME)


def _encode(text: str, file_name: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise MetadataError(f"cannot be UTF-8 encoded ({error.reason})", file_name) from None


def _pair_inputs(inputs: list[_Tensor], input_tensor_names: Mapping[str, str], path) -> list[str]:
    """The metadata names in model input order; checks names, types and shapes."""
    if not isinstance(input_tensor_names, Mapping) or set(input_tensor_names) != set(BERT_INPUT_TENSOR_NAMES):
        raise MetadataError(
            f"input_tensor_names must map exactly {sorted(BERT_INPUT_TENSOR_NAMES)} to tensor names, "
            f"got {input_tensor_names!r}"
        )
    by_tensor = {tensor_name: name for name, tensor_name in input_tensor_names.items()}
    model_names = [tensor.name for tensor in inputs]
    if len(by_tensor) != 3 or sorted(model_names) != sorted(by_tensor):
        raise MetadataError(
            f"the model's inputs are {model_names}; MediaPipe's BERT text classifier needs three int32 "
            f"inputs, here named {sorted(by_tensor)}",
            path,
        )
    lengths = set()
    for tensor in inputs:
        if tensor.type != _INT32 or len(tensor.shape) != 2 or tensor.shape[0] != 1 or tensor.shape[1] < 2:
            raise MetadataError(
                f"input {tensor.name!r} is {tensor.type_name} {list(tensor.shape)}; MediaPipe feeds int32 "
                f"[1, sequence_length] (sequence_length >= 2)",
                path,
            )
        lengths.add(tensor.shape[1])
    if len(lengths) != 1:
        raise MetadataError(f"the three inputs differ in length: {sorted(lengths)}", path)
    return [by_tensor[name] for name in model_names]


def _check_output(outputs: list[_Tensor], num_labels: int, path) -> None:
    if len(outputs) != 1:
        raise MetadataError(f"the model has {len(outputs)} outputs; a classifier for MediaPipe has one", path)
    output = outputs[0]
    if output.type != _FLOAT32:
        raise MetadataError(
            f"output {output.name!r} is {output.type_name}; MediaPipe reports a float32 output as the scores "
            f"(and refuses int8): convert with float32 probabilities out",
            path,
        )
    if list(output.shape) != [1, num_labels]:
        raise MetadataError(
            f"output {output.name!r} has shape {list(output.shape)} but there are {num_labels} labels: "
            f"expected [1, {num_labels}]",
            path,
        )


# ---- what is read -------------------------------------------------------------------------


def _tokenizer_vocabulary_file(subgraph: dict[str, Any], path) -> str:
    for unit in subgraph.get("input_process_units", []):
        if unit.get("options_type") == "BertTokenizerOptions":
            files = unit.get("options", {}).get("vocab_file", [])
            if files and files[0].get("name"):
                return files[0]["name"]
            raise MetadataError("the BERT tokenizer metadata names no vocabulary file", path)
    raise MetadataError("the metadata has no BERT tokenizer (input process unit BertTokenizerOptions)", path)


def _labels_file_name(subgraph: dict[str, Any], path) -> str:
    outputs = subgraph.get("output_tensor_metadata", [])
    if len(outputs) != 1:
        raise MetadataError(f"the metadata describes {len(outputs)} outputs, not 1", path)
    for file in outputs[0].get("associated_files", []):
        if file.get("type") == "TENSOR_AXIS_LABELS" and file.get("name"):
            return file["name"]
    raise MetadataError("the output metadata has no labels file (associated file TENSOR_AXIS_LABELS)", path)


def _file_lines(data: bytes, file_name: str, path) -> list[str]:
    """Lines split at "\\n" without a final empty one, as MediaPipe reads vocabularies and labels."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MetadataError(f"embedded {file_name} is not UTF-8 ({error.reason})", path) from None
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _check_same(role: str, file_name: str, embedded: Sequence[str], expected: list[str], path) -> None:
    for line, (inside, outside) in enumerate(zip(embedded, expected, strict=False), start=1):
        if inside != outside:
            raise MetadataError(
                f"the {role} embedded in the model ({file_name}) differs from the bundle's at line {line}: "
                f"{inside!r} != {outside!r}",
                path,
            )
    if len(embedded) != len(expected):
        raise MetadataError(
            f"the {role} embedded in the model ({file_name}) has {len(embedded)} lines, the bundle's "
            f"{len(expected)}",
            path,
        )


# ---- flatbuffers: reading -----------------------------------------------------------------


class _Malformed(Exception):
    """A read outside the bytes or an impossible structure (turned into a MetadataError)."""


@contextlib.contextmanager
def _reading(what: str, path):
    """Turns `_Malformed` (and bad UTF-8) raised inside into a MetadataError about `what`."""
    try:
        yield
    except (_Malformed, UnicodeDecodeError) as error:
        raise MetadataError(f"malformed {what}: {error}", path) from None


class _Flat:
    """Bounds-checked reads from a flatbuffer (the runtime's own accessors check nothing)."""

    def __init__(self, data: bytes):
        self.data = data

    def unpack(self, fmt: str, position: int):
        size = struct.calcsize(fmt)
        if position < 0 or position + size > len(self.data):
            raise _Malformed(f"a read at byte {position} falls outside the {len(self.data)} bytes")
        return struct.unpack_from(fmt, self.data, position)[0]

    def deref(self, position: int) -> int:
        """The position a uoffset stored at `position` points to."""
        return position + self.unpack("<I", position)

    def slot_count(self, table: int) -> int:
        vtable = table - self.unpack("<i", table)
        size = self.unpack("<H", vtable)
        if size < 4 or size % 2:
            raise _Malformed(f"a vtable of {size} bytes")
        return (size - 4) // 2

    def field(self, table: int, slot: int) -> int | None:
        """The position of a table's field, or None when the field is absent."""
        if slot >= self.slot_count(table):
            return None
        vtable = table - self.unpack("<i", table)
        offset = self.unpack("<H", vtable + 4 + 2 * slot)
        return table + offset if offset else None

    def scalar(self, table: int, slot: int, fmt: str, default):
        position = self.field(table, slot)
        return default if position is None else self.unpack(fmt, position)

    def table(self, table: int, slot: int) -> int | None:
        position = self.field(table, slot)
        return None if position is None else self.deref(position)

    def vector(self, position: int, element_size: int) -> tuple[int, int]:
        """(start, length) of the vector whose uoffset is stored at `position`."""
        vector = self.deref(position)
        length = self.unpack("<I", vector)
        start = vector + 4
        if start + length * element_size > len(self.data):
            raise _Malformed(f"a vector of {length} elements at byte {vector} runs past the end")
        return start, length

    def string_at(self, position: int) -> str:
        start, length = self.vector(position, 1)
        return self.data[start : start + length].decode("utf-8")

    def string(self, table: int, slot: int) -> str | None:
        position = self.field(table, slot)
        return None if position is None else self.string_at(position)

    def tables(self, table: int, slot: int) -> list[int]:
        """The positions of the tables in a vector-of-tables field (empty when absent)."""
        position = self.field(table, slot)
        if position is None:
            return []
        start, length = self.vector(position, 4)
        return [self.deref(start + 4 * i) for i in range(length)]

    def scalars(self, table: int, slot: int, fmt: str) -> list:
        position = self.field(table, slot)
        if position is None:
            return []
        size = struct.calcsize(fmt)
        start, length = self.vector(position, size)
        return [self.unpack(fmt, start + size * i) for i in range(length)]

    def bytes_field(self, table: int, slot: int) -> bytes | None:
        position = self.field(table, slot)
        if position is None:
            return None
        start, length = self.vector(position, 1)
        return self.data[start : start + length]


@dataclasses.dataclass(frozen=True)
class _Tensor:
    name: str
    type: int
    shape: tuple[int, ...]

    @property
    def type_name(self) -> str:
        return _TENSOR_TYPES[self.type] if 0 <= self.type < len(_TENSOR_TYPES) else f"type {self.type}"


def _as_bytes(model_bytes, path) -> bytes:
    if not isinstance(model_bytes, (bytes, bytearray, memoryview)):
        raise MetadataError(f"model bytes expected, got {type(model_bytes).__name__}", path)
    return bytes(model_bytes)


def _open(data: bytes, identifier: bytes, what: str, path) -> tuple[_Flat, int]:
    if len(data) < 8 or data[4:8] != identifier:
        raise MetadataError(
            f"not a {what}: {len(data)} bytes, file identifier {bytes(data[4:8])!r}, not {identifier!r}",
            path,
        )
    flat = _Flat(data)
    with _reading(what, path):
        return flat, flat.deref(0)


def _subgraph_io(flat: _Flat, root: int, path) -> tuple[list[_Tensor], list[_Tensor]]:
    subgraphs = flat.tables(root, _MODEL_SUBGRAPHS)
    if len(subgraphs) != 1:
        raise MetadataError(f"the model has {len(subgraphs)} subgraphs; MediaPipe's classifier needs 1", path)
    subgraph = subgraphs[0]
    tensors = flat.tables(subgraph, _SUBGRAPH_TENSORS)

    def tensor(index: int) -> _Tensor:
        if not 0 <= index < len(tensors):
            raise _Malformed(f"tensor index {index} of {len(tensors)} tensors")
        position = tensors[index]
        return _Tensor(
            name=flat.string(position, _TENSOR_NAME) or "",
            type=flat.scalar(position, _TENSOR_TYPE, "<b", 0),
            shape=tuple(flat.scalars(position, _TENSOR_SHAPE, "<i")),
        )

    inputs = [tensor(index) for index in flat.scalars(subgraph, _SUBGRAPH_INPUTS, "<i")]
    outputs = [tensor(index) for index in flat.scalars(subgraph, _SUBGRAPH_OUTPUTS, "<i")]
    return inputs, outputs


def _metadata_buffer(flat: _Flat, root: int) -> bytes | None:
    for entry in flat.tables(root, _MODEL_METADATA):
        if flat.string(entry, _METADATA_NAME) != METADATA_FIELD_NAME:
            continue
        index = flat.scalar(entry, _METADATA_BUFFER, "<I", 0)
        buffers = flat.tables(root, _MODEL_BUFFERS)
        if index >= len(buffers):
            raise _Malformed(f"{METADATA_FIELD_NAME} points at buffer {index} of {len(buffers)}")
        data = flat.bytes_field(buffers[index], _BUFFER_DATA)
        if data is None:
            raise _Malformed(f"{METADATA_FIELD_NAME}'s buffer {index} holds no data")
        return data
    return None


def _has_zip(data: bytes) -> bool:
    return zipfile.is_zipfile(io.BytesIO(data))


def _unpack_table(flat: _Flat, table: int, table_type: str) -> dict[str, Any]:
    """A metadata table as MediaPipe's displayer prints it: present fields only, enums by name."""
    result: dict[str, Any] = {}
    slot = 0
    for name, kind in _TABLES[table_type]:
        if kind in _UNIONS:
            members = _UNIONS[kind]
            code = flat.scalar(table, slot, "<B", 0)
            if code:
                result[f"{name}_type"] = members[code] if code < len(members) else code
                member = flat.table(table, slot + 1)
                if code < len(members) and member is not None:
                    result[name] = _unpack_table(flat, member, members[code])
            slot += 2
            continue
        position = flat.field(table, slot)
        slot += 1
        if position is not None:
            result[name] = _unpack_value(flat, position, kind)
    return result


def _unpack_value(flat: _Flat, position: int, kind: str) -> Any:
    if kind == "string":
        return flat.string_at(position)
    if kind in _SCALARS:
        return flat.unpack(_SCALARS[kind], position)
    if kind in _ENUMS:
        code = flat.unpack("<b", position)
        return _ENUMS[kind][code] if 0 <= code < len(_ENUMS[kind]) else code
    if kind in _TABLES:
        return _unpack_table(flat, flat.deref(position), kind)
    element = kind[1:-1]
    if element in _SCALARS:
        size = struct.calcsize(_SCALARS[element])
        start, length = flat.vector(position, size)
        return [flat.unpack(_SCALARS[element], start + size * i) for i in range(length)]
    start, length = flat.vector(position, 4)
    if element == "string":
        return [flat.string_at(start + 4 * i) for i in range(length)]
    return [_unpack_table(flat, flat.deref(start + 4 * i), element) for i in range(length)]


# ---- flatbuffers: writing -----------------------------------------------------------------


def _pack_table(builder: flatbuffers.Builder, table_type: str, value: Mapping[str, Any]) -> int:
    """Packs a metadata table given in the displayer's JSON form; returns its offset."""
    fields = _TABLES[table_type]
    known = {name for name, _ in fields} | {f"{name}_type" for name, kind in fields if kind in _UNIONS}
    unknown = set(value) - known
    if unknown:
        raise ValueError(f"{table_type} has no field(s) {sorted(unknown)}")
    entries: list[tuple[int, str, Any]] = []  # (slot, kind, offset or scalar), children packed first
    slot = 0
    for name, kind in fields:
        if kind in _UNIONS:
            member = value.get(f"{name}_type")
            if member is not None:
                entries.append((slot, "ubyte", _UNIONS[kind].index(member)))
                entries.append((slot + 1, "offset", _pack_table(builder, member, value.get(name, {}))))
            slot += 2
            continue
        if value.get(name) is not None:
            if kind in _SCALARS:
                entries.append((slot, kind, value[name]))
            elif kind in _ENUMS:
                entries.append((slot, "byte", _ENUMS[kind].index(value[name])))
            else:
                entries.append((slot, "offset", _pack_value(builder, kind, value[name])))
        slot += 1
    builder.StartObject(slot)
    for slot, kind, packed in entries:
        if kind == "offset":
            builder.PrependUOffsetTRelativeSlot(slot, packed, 0)
        else:
            getattr(builder, _PREPEND_SLOT[kind])(slot, packed, 0)
    return builder.EndObject()


_PREPEND_SLOT = {
    "uint32": "PrependUint32Slot",
    "int32": "PrependInt32Slot",
    "float32": "PrependFloat32Slot",
    "ubyte": "PrependUint8Slot",
    "byte": "PrependInt8Slot",
}
_PREPEND = {"uint32": "PrependUint32", "int32": "PrependInt32", "float32": "PrependFloat32"}


def _pack_value(builder: flatbuffers.Builder, kind: str, value: Any) -> int:
    if kind == "string":
        return builder.CreateString(value)
    if kind in _TABLES:
        return _pack_table(builder, kind, value)
    element = kind[1:-1]
    if element == "ubyte":
        builder.Prep(_BYTES_ALIGNMENT, len(value))
        return builder.CreateByteVector(bytes(value))
    if element in _SCALARS:
        size = struct.calcsize(_SCALARS[element])
        builder.StartVector(size, len(value), size)
        for item in reversed(value):
            getattr(builder, _PREPEND[element])(item)
        return builder.EndVector()
    if element == "string":
        offsets = [builder.CreateString(item) for item in value]
    else:
        offsets = [_pack_table(builder, element, item) for item in value]
    return _offset_vector(builder, offsets)


def _offset_vector(builder: flatbuffers.Builder, offsets: list[int]) -> int:
    builder.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        builder.PrependUOffsetTRelative(offset)
    return builder.EndVector()


def _with_metadata_buffer(flat: _Flat, root: int, metadata: bytes, path) -> bytes:
    """The model re-rooted with one more buffer (the metadata) and one more metadata entry."""
    model = flat.data
    present = [slot for slot in range(flat.slot_count(root)) if flat.field(root, slot) is not None]
    unknown = [slot for slot in present if slot >= _MODEL_SLOTS]
    if unknown:
        raise MetadataError(
            f"the model's root table has fields {unknown} unknown to this writer (LiteRT schema of TF 2.21): "
            f"cannot re-root it",
            path,
        )
    buffers = flat.tables(root, _MODEL_BUFFERS)
    external = flat.tables(root, _MODEL_EXTERNAL_BUFFERS)
    if external or any(flat.scalar(buffer, _BUFFER_OFFSET, "<Q", 0) > 1 for buffer in buffers):
        raise MetadataError(
            "the model keeps tensor data outside the flatbuffer (offsets from the file start, as for models "
            "over 2 GB): metadata cannot be attached",
            path,
        )
    entries = flat.tables(root, _MODEL_METADATA)

    builder = flatbuffers.Builder(len(model) + len(metadata) + 1024)
    # The converter's bytes go last (first in the builder), starting at an aligned position.
    builder.Prep(_MODEL_ALIGNMENT, len(model))
    builder.CreateByteVector(model)
    model_start = builder.Offset() - 4  # the vector's data, after its length

    def old(position: int) -> int:  # a position in the converter's bytes -> a builder offset
        return model_start - position

    builder.Prep(_BYTES_ALIGNMENT, len(metadata))
    data = builder.CreateByteVector(metadata)
    builder.StartObject(3)  # Buffer: data, offset, size
    builder.PrependUOffsetTRelativeSlot(_BUFFER_DATA, data, 0)
    metadata_buffer = builder.EndObject()
    name = builder.CreateString(METADATA_FIELD_NAME)
    builder.StartObject(2)  # Metadata: name, buffer
    builder.PrependUOffsetTRelativeSlot(_METADATA_NAME, name, 0)
    builder.PrependUint32Slot(_METADATA_BUFFER, len(buffers), 0)
    metadata_entry = builder.EndObject()
    buffers_vector = _offset_vector(builder, [old(buffer) for buffer in buffers] + [metadata_buffer])
    entries_vector = _offset_vector(builder, [old(entry) for entry in entries] + [metadata_entry])

    builder.StartObject(_MODEL_SLOTS)
    for slot in present:
        if slot == _MODEL_VERSION:
            builder.PrependUint32Slot(slot, flat.scalar(root, slot, "<I", 0), 0)
        elif slot not in (_MODEL_BUFFERS, _MODEL_METADATA):
            builder.PrependUOffsetTRelativeSlot(slot, old(flat.deref(flat.field(root, slot))), 0)
    builder.PrependUOffsetTRelativeSlot(_MODEL_BUFFERS, buffers_vector, 0)
    builder.PrependUOffsetTRelativeSlot(_MODEL_METADATA, entries_vector, 0)
    builder.Finish(builder.EndObject(), TFLITE_FILE_IDENTIFIER)
    return bytes(builder.Output())


def _append_zip(model: bytes, files: dict[str, bytes]) -> bytes:
    """`model` followed by a zip of `files` (stored, fixed timestamps), as MediaPipe packs them."""
    stream = io.BytesIO()
    stream.write(model)
    with zipfile.ZipFile(stream, "a") as archive:  # appends a new archive to non-zip bytes
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o600 << 16  # what ZipFile.writestr gives a name: rw-------
            archive.writestr(info, data)
    return stream.getvalue()
