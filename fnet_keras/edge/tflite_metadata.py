"""MediaPipe Tasks metadata for a BERT-style text classifier, written into LiteRT model bytes and read back.

    tflite = write_classifier_metadata(tflite, vocabulary=tokens, labels=["negative", "positive"])
    read_classifier_metadata(tflite).check_files(tokens, ["negative", "positive"])  # else MetadataError

What is written is what MediaPipe's `text_classifier.MetadataWriter.create_for_bert_model` writes
(tests/edge/test_mediapipe_text_classifier.py compares the two): ModelMetadata with name,
description, optional version, author and license, min_parser_version "1.1.0", and one subgraph:
inputs "ids", "mask" and "segment_ids" (`BERT_INPUT_TENSOR_NAMES`, in the model's input order,
each FeatureProperties with empty stats), output "score" (stats [0, 1], labels.txt as
TENSOR_AXIS_LABELS) and a BertTokenizerOptions unit with vocab.txt (VOCABULARY). MediaPipe pads
with id 0, looks [CLS] and [SEP] up by string and reports the float32 output unchanged as the
scores (it refuses int8): the model must output probabilities.

It is attached as MediaPipe's `MetadataPopulator` does: the model is unpacked with ai-edge-litert's
schema, the "M001" metadata flatbuffer becomes one more buffer named by a "TFLITE_METADATA" entry,
and the model is packed again with each buffer's data 16-byte aligned (schema.fbs's `force_align`,
which generated Python ignores). vocab.txt and labels.txt follow as a zip (stored, fixed times: the
same inputs give the same bytes) that flatbuffer readers ignore. No TensorFlow and no mediapipe
(whose pins cannot share a venv with TF): the metadata classes and a small LiteRT reader that also
works under tflite_runtime are flatc's, in `fnet_keras/edge/_generated/`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import re
import struct
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import flatbuffers
import numpy as np

from fnet_keras.edge._generated import litert_model_read_generated as litert
from fnet_keras.edge._generated import metadata_schema_generated as schema
from fnet_keras.edge.errors import MetadataError

TFLITE_FILE_IDENTIFIER = b"TFL3"  # bytes 4..8 of every LiteRT flatbuffer
METADATA_FILE_IDENTIFIER = b"M001"
METADATA_FIELD_NAME = "TFLITE_METADATA"  # the model's `metadata` entry MediaPipe looks for
# BertTokenizerOptions and input_process_units came in 1.1.0 (MediaPipe's writer computes the same).
MIN_PARSER_VERSION = "1.1.0"
# The associated files carry the bundle's file names: one name, one content.
VOCABULARY_FILE_NAME = "vocab.txt"
LABELS_FILE_NAME = "labels.txt"

# The serving signature's inputs; the converter names their tensors `serving_default_<name>:0`,
# as in Model Maker's BERT models, which MediaPipe's writer assumes by default.
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
REQUIRED_TOKENS = ("[CLS]", "[SEP]", "[UNK]")  # MediaPipe's tokenizer looks them up by string

# MediaPipe's writer's texts, so that its metadata and ours read the same.
_INPUT_DESCRIPTIONS = {
    "ids": "Tokenized ids of the input text.",
    "mask": "Mask with 1 for real tokens and 0 for padding tokens.",
    "segment_ids": "0 for the first sequence, 1 for the second sequence if exists.",
}
_OUTPUT_DESCRIPTION = "Score of the labels respectively."
_LABELS_DESCRIPTION = "Labels for categories that the model can recognize."
_VOCABULARY_DESCRIPTION = "Vocabulary file to convert natural language words to embedding vectors."
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# The generated classes store enums as plain ints; MediaPipe's displayer names them.
_ENUM_FIELDS = {
    ("AssociatedFileT", "type"): schema.AssociatedFileType,
    ("ImagePropertiesT", "colorSpace"): schema.ColorSpaceType,
    ("BoundingBoxPropertiesT", "type"): schema.BoundingBoxType,
    ("BoundingBoxPropertiesT", "coordinateType"): schema.CoordinateType,
    ("ScoreCalibrationOptionsT", "scoreTransformation"): schema.ScoreTransformationType,
}
_FIELD_NAMES = {"sentencePieceModel": "sentencePiece_model"}  # the one field that is not snake_case
# What the generated readers, which check nothing, raise on damaged bytes.
_MALFORMED = (struct.error, ValueError, IndexError, TypeError, AttributeError, OverflowError)


@dataclasses.dataclass(frozen=True)
class ClassifierMetadata:
    """A model's MediaPipe text-classifier metadata, as `read_classifier_metadata` found it.

    Attributes:
        metadata: the ModelMetadata as MediaPipe's `MetadataDisplayer` prints it (its JSON, parsed).
        input_tensor_names: "ids", "mask", "segment_ids" -> the model input tensor each names.
        vocabulary_file, labels_file: the associated file names of the vocabulary and the labels.
        vocabulary, labels: their lines (token i on line i + 1; labels in output order).
        files: every associated file packed in the model, name -> bytes.
    """

    metadata: dict[str, Any]
    input_tensor_names: dict[str, str]
    vocabulary_file: str
    labels_file: str
    vocabulary: tuple[str, ...]
    labels: tuple[str, ...]
    files: dict[str, bytes]

    name = property(lambda self: self.metadata.get("name"))
    description = property(lambda self: self.metadata.get("description"))
    version = property(lambda self: self.metadata.get("version"))
    author = property(lambda self: self.metadata.get("author"))
    license = property(lambda self: self.metadata.get("license"))
    min_parser_version = property(lambda self: self.metadata.get("min_parser_version"))

    def check_files(
        self, vocabulary: Sequence[str], labels: Sequence[str], path: str | os.PathLike | None = None
    ) -> None:
        """Raises `MetadataError` (naming the model file `path`) unless the embedded vocabulary and
        labels equal the bundle's, line by line."""
        for role, file_name, embedded, expected in (
            ("vocabulary", self.vocabulary_file, self.vocabulary, list(vocabulary)),
            ("labels", self.labels_file, self.labels, list(labels)),
        ):
            where = f"the {role} embedded in the model ({file_name})"
            for line, (inside, outside) in enumerate(zip(embedded, expected, strict=False), start=1):
                if inside != outside:
                    raise MetadataError(
                        f"{where} differs from the bundle's at line {line}: {inside!r} != {outside!r}", path
                    )
            if len(embedded) != len(expected):
                raise MetadataError(f"{where} has {len(embedded)} lines, the bundle's {len(expected)}", path)


def write_classifier_metadata(
    model_bytes: bytes,
    vocabulary: Sequence[str],
    labels: Sequence[str],
    *,
    name: str = "TextClassifier",
    description: str | None = "Classify the input text into a set of known categories.",
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
        vocabulary: the WordPiece tokens, id i = `vocabulary[i]`, with [CLS], [SEP] and [UNK] and
            the padding token as id 0 (vocab.txt: a token and "\\n" a line, as `save_vocabulary`).
        labels: the class labels in output order (labels.txt: joined by "\\n", as MediaPipe writes it).
        name, description, version, author, license: ModelMetadata's texts (MediaPipe's defaults;
            None: left out).
        input_tensor_names: "ids", "mask", "segment_ids" -> the model's input tensor names.
        path: the model file, named in errors.

    Raises:
        MetadataError: the model lacks that layout or already has metadata, ai-edge-litert is not
            installed, or the vocabulary, labels or texts are unusable.
    """
    data = _as_bytes(model_bytes, path)
    files = {VOCABULARY_FILE_NAME: _vocabulary_file(vocabulary), LABELS_FILE_NAME: _labels_file(labels)}
    texts = dict(name=name, description=description, version=version, author=author, license=license)
    for key, value in texts.items():
        if value is not None and not isinstance(value, str):
            raise MetadataError(f"metadata {key} must be a string or None, got {value!r}", path)
    if not name:
        raise MetadataError("metadata name must be a non-empty string", path)
    try:
        from ai_edge_litert import schema_py_generated as litert_schema
    except ImportError as error:
        raise MetadataError(f"writing metadata needs ai-edge-litert ({error})", path) from None
    _check_identifier(data, TFLITE_FILE_IDENTIFIER, "LiteRT model", path)
    with _reading("LiteRT model", path):
        model = litert_schema.ModelT.InitFromPackedBuf(data, 0)
        if any(entry.name == METADATA_FIELD_NAME.encode() for entry in model.metadata or []):
            raise MetadataError(
                f"the model already carries TFLite metadata ({METADATA_FIELD_NAME}); attach it once, "
                f"to the converter's output",
                path,
            )
        if len(model.subgraphs or []) != 1:
            raise MetadataError(
                f"the model has {len(model.subgraphs or [])} subgraphs; MediaPipe's needs 1", path
            )
        types = {code: key for key, code in vars(litert_schema.TensorType).items() if not key.startswith("_")}
        subgraph = model.subgraphs[0]
        inputs, outputs = (
            [_tensor(subgraph.tensors[index], types) for index in _listed(indices)]
            for indices in (subgraph.inputs, subgraph.outputs)
        )
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise MetadataError("the model already carries associated files (a zip after the flatbuffer)", path)
    input_order = _check_layout(inputs, outputs, input_tensor_names, len(labels), path)
    if model.externalBuffers or any(buffer.offset > 1 for buffer in model.buffers or []):
        raise MetadataError(
            "the model keeps tensor data outside the flatbuffer (offsets from the file start, as for models "
            "over 2 GB): metadata cannot be attached",
            path,
        )
    builder = flatbuffers.Builder(1024)
    builder.Finish(_classifier_metadata(input_order, texts).Pack(builder), METADATA_FILE_IDENTIFIER)
    model.buffers = (model.buffers or []) + [litert_schema.BufferT(np.frombuffer(builder.Output(), np.uint8))]
    entry = litert_schema.MetadataT(name=METADATA_FIELD_NAME, buffer=len(model.buffers) - 1)
    model.metadata = (model.metadata or []) + [entry]
    model.buffers = [_AlignedBuffer(buffer) for buffer in model.buffers]
    builder = flatbuffers.Builder(len(data) + 16 * len(model.buffers) + 4096)
    builder.Finish(model.Pack(builder), TFLITE_FILE_IDENTIFIER)
    stream = io.BytesIO(builder.Output())
    stream.seek(0, io.SEEK_END)
    with zipfile.ZipFile(stream, "a") as archive:  # appends a new archive to non-zip bytes
        for file_name, file_bytes in files.items():
            info = zipfile.ZipInfo(file_name, date_time=_ZIP_DATE_TIME)
            info.external_attr = 0o600 << 16  # what ZipFile.writestr gives a name: rw-------
            archive.writestr(info, file_bytes, compress_type=zipfile.ZIP_STORED)
    return stream.getvalue()


def read_metadata_dict(model_bytes: bytes, path: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """The model's TFLite metadata as MediaPipe's `MetadataDisplayer` prints it (parsed JSON); None if absent.

    Raises:
        MetadataError: the bytes are not a LiteRT model, or the metadata is malformed.
    """
    return _read_metadata(_as_bytes(model_bytes, path), path)[0]


def read_associated_files(model_bytes: bytes, path: str | os.PathLike | None = None) -> dict[str, bytes]:
    """The files packed after the model (a zip of stored files), name -> bytes; empty if none.

    Raises:
        MetadataError: the archive is damaged (bad CRC, truncated), compressed, or repeats a name.
    """
    data = _as_bytes(model_bytes, path)
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return {}
    files: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.compress_type != zipfile.ZIP_STORED:
                    raise MetadataError(
                        f"associated file {info.filename!r} is compressed; MediaPipe reads stored files only",
                        path,
                    )
                if info.filename in files:
                    raise MetadataError(f"associated file {info.filename!r} is packed twice", path)
                files[info.filename] = archive.read(info)
    except MetadataError:
        raise
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
    data = _as_bytes(model_bytes, path)
    metadata, model = _read_metadata(data, path)
    if metadata is None:
        raise MetadataError(
            f"the model carries no TFLite metadata (no {METADATA_FIELD_NAME} entry): MediaPipe cannot "
            f"tokenize for it",
            path,
        )
    with _reading("LiteRT model", path):
        if model.SubgraphsLength() != 1:
            raise MetadataError(
                f"the model has {model.SubgraphsLength()} subgraphs; MediaPipe's needs 1", path
            )
        subgraph = model.Subgraphs(0)
        indices = [subgraph.Inputs(i) for i in range(subgraph.InputsLength())]
        inputs = [subgraph.Tensors(index).Name().decode() for index in indices]
    subgraphs = metadata.get("subgraph_metadata", [])
    if len(subgraphs) != 1:
        raise MetadataError(f"the metadata describes {len(subgraphs)} subgraphs, not 1", path)
    input_metadata = subgraphs[0].get("input_tensor_metadata", [])
    if len(input_metadata) != len(inputs):
        raise MetadataError(
            f"the metadata describes {len(input_metadata)} inputs but the model has {len(inputs)}", path
        )
    input_tensor_names = {entry.get("name"): name for entry, name in zip(input_metadata, inputs, strict=True)}
    if set(input_tensor_names) != set(BERT_INPUT_TENSOR_NAMES):
        raise MetadataError(
            f"the input metadata is named {sorted(map(str, input_tensor_names))}; MediaPipe's BERT "
            f"preprocessor looks for {sorted(BERT_INPUT_TENSOR_NAMES)}",
            path,
        )
    files = read_associated_files(data, path)
    found = {}
    for role, file_name in _classifier_file_names(subgraphs[0], path).items():
        if file_name not in files:
            raise MetadataError(
                f"the metadata names {role} file {file_name!r} but the model does not pack it "
                f"(packed: {sorted(files) or 'nothing'})",
                path,
            )
        try:
            lines = files[file_name].decode("utf-8").split("\n")
        except UnicodeDecodeError as error:
            raise MetadataError(f"embedded {file_name} is not UTF-8 ({error.reason})", path) from None
        # Split at "\n" without a final empty line, as MediaPipe reads vocabularies and labels.
        found[role] = (file_name, tuple(lines[:-1] if lines[-1] == "" else lines))
    (vocabulary_file, vocabulary), (labels_file, labels) = found["vocabulary"], found["labels"]
    return ClassifierMetadata(
        metadata, input_tensor_names, vocabulary_file, labels_file, vocabulary, labels, files
    )


def _read_metadata(data: bytes, path) -> tuple[dict[str, Any] | None, litert.Model]:
    """The displayed metadata (None if absent) and the model's reader."""
    _check_identifier(data, TFLITE_FILE_IDENTIFIER, "LiteRT model", path)
    buffer = None
    with _reading("LiteRT model", path):
        model = litert.Model.GetRootAs(data, 0)
        for index in range(model.MetadataLength()):
            if model.Metadata(index).Name() == METADATA_FIELD_NAME.encode():
                number = model.Metadata(index).Buffer()
                if not number < model.BuffersLength() or model.Buffers(number).DataIsNone():
                    raise MetadataError(
                        f"{METADATA_FIELD_NAME} points at buffer {number}, which holds no data", path
                    )
                buffer = model.Buffers(number).DataAsNumpy().tobytes()
                break
    if buffer is None:
        return None, model
    _check_identifier(buffer, METADATA_FILE_IDENTIFIER, "TFLite metadata", path)
    with _reading("TFLite metadata", path):
        return _displayed(schema.ModelMetadataT.InitFromPackedBuf(buffer, 0)), model


class _AlignedBuffer:
    """A LiteRT `BufferT` whose data the builder places 16-byte aligned (as schema.fbs asks)."""

    def __init__(self, buffer):
        self.buffer = buffer

    def Pack(self, builder: flatbuffers.Builder) -> int:  # noqa: N802 (the generated classes' name)
        if self.buffer.data is not None:
            builder.Prep(16, len(self.buffer.data))  # the data vector ends aligned: starts too
        return self.buffer.Pack(builder)


def _classifier_metadata(input_order: list[str], texts: dict[str, str | None]) -> schema.ModelMetadataT:
    def content() -> schema.ContentT:
        return schema.ContentT(schema.ContentProperties.FeatureProperties, schema.FeaturePropertiesT())

    def file(name: str, description: str, file_type: int) -> schema.AssociatedFileT:
        return schema.AssociatedFileT(name=name, description=description, type=file_type)

    def tensor(name: str, description: str, stats: schema.StatsT, **fields) -> schema.TensorMetadataT:
        return schema.TensorMetadataT(
            name=name, description=description, content=content(), stats=stats, **fields
        )

    inputs = [tensor(name, _INPUT_DESCRIPTIONS[name], schema.StatsT()) for name in input_order]
    labels = file(LABELS_FILE_NAME, _LABELS_DESCRIPTION, schema.AssociatedFileType.TENSOR_AXIS_LABELS)
    output = tensor(
        "score", _OUTPUT_DESCRIPTION, schema.StatsT(max=[1.0], min=[0.0]), associatedFiles=[labels]
    )
    vocabulary = file(VOCABULARY_FILE_NAME, _VOCABULARY_DESCRIPTION, schema.AssociatedFileType.VOCABULARY)
    tokenizer = schema.ProcessUnitT(
        schema.ProcessUnitOptions.BertTokenizerOptions, schema.BertTokenizerOptionsT(vocabFile=[vocabulary])
    )
    subgraph = schema.SubGraphMetadataT(
        inputTensorMetadata=inputs, outputTensorMetadata=[output], inputProcessUnits=[tokenizer]
    )
    return schema.ModelMetadataT(**texts, subgraphMetadata=[subgraph], minParserVersion=MIN_PARSER_VERSION)


def _displayed(table) -> dict[str, Any]:
    """A generated metadata object as MediaPipe's displayer prints it: schema field names, enums and
    union types by name, fields at their default (which writers leave out) left out."""
    defaults, result = vars(type(table)()), {}
    for attribute, value in vars(table).items():
        if value is None or (defaults[attribute] is not None and value == defaults[attribute]):
            continue
        if attribute.endswith("Type") and hasattr(table, attribute[:-4]):  # a union's type
            member = getattr(table, attribute[:-4])
            value = value if member is None else type(member).__name__.removesuffix("T")
        elif (type(table).__name__, attribute) in _ENUM_FIELDS:
            names = {code: key for key, code in vars(_ENUM_FIELDS[type(table).__name__, attribute]).items()}
            value = names.get(value, value)
        else:
            value = _displayed_value(value)
        result[_schema_name(attribute)] = value
    return result


def _schema_name(attribute: str) -> str:
    """The schema's name of a generated object's attribute (flatc writes them in camelCase)."""
    return _FIELD_NAMES.get(attribute, re.sub(r"([A-Z])", r"_\1", attribute).lower())


def _displayed_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list):
        return [_displayed_value(item) for item in value]
    return _displayed(value) if hasattr(value, "Pack") else value


def _tensor(tensor, types: dict[int, str]) -> tuple[str, str, list[int]]:
    """A LiteRT `TensorT`'s name, type name and shape."""
    shape = [int(n) for n in _listed(tensor.shape)]
    return tensor.name.decode(), types.get(tensor.type, f"type {tensor.type}"), shape


def _listed(vector) -> list:
    """A vector of a generated object (a list, a numpy array or None when absent) as a list."""
    return [] if vector is None else list(vector)


def _as_bytes(model_bytes, path) -> bytes:
    if not isinstance(model_bytes, (bytes, bytearray, memoryview)):
        raise MetadataError(f"model bytes expected, got {type(model_bytes).__name__}", path)
    return bytes(model_bytes)


def _check_identifier(data: bytes, identifier: bytes, what: str, path) -> None:
    if len(data) < 8 or data[4:8] != identifier:
        raise MetadataError(
            f"not a {what}: {len(data)} bytes, file identifier {bytes(data[4:8])!r}, not {identifier!r}", path
        )


@contextlib.contextmanager
def _reading(what: str, path):
    """Turns what the generated readers raise on damaged bytes into a MetadataError about `what`."""
    try:
        yield
    except MetadataError:
        raise
    except _MALFORMED as error:
        raise MetadataError(f"malformed {what}: {error!r}", path) from None


def _vocabulary_file(vocabulary: Sequence[str]) -> bytes:
    if isinstance(vocabulary, (str, bytes)) or not isinstance(vocabulary, Sequence):
        raise MetadataError(f"vocabulary must be a sequence of tokens, got {type(vocabulary).__name__}")
    rule = "a non-empty string without whitespace (one token per line)"
    _check_lines(
        vocabulary, VOCABULARY_FILE_NAME, "token", rule, lambda token: not any(map(str.isspace, token))
    )
    missing = [token for token in REQUIRED_TOKENS if token not in vocabulary]
    if missing:
        raise MetadataError(
            f"the vocabulary lacks {', '.join(missing)}: MediaPipe's BERT tokenizer looks them up by string",
            VOCABULARY_FILE_NAME,
        )
    return _encode("".join(token + "\n" for token in vocabulary), VOCABULARY_FILE_NAME)


def _labels_file(labels: Sequence[str]) -> bytes:
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence) or not labels:
        raise MetadataError(
            f"labels must be a non-empty sequence of strings, got {labels!r}", LABELS_FILE_NAME
        )
    rule = "a non-empty string without line breaks"
    _check_lines(labels, LABELS_FILE_NAME, "label", rule, lambda label: not set("\r\n") & set(label))
    return _encode("\n".join(labels), LABELS_FILE_NAME)


def _check_lines(items: Sequence, file_name: str, noun: str, rule: str, allowed) -> None:
    """Each item a non-empty string that `allowed` accepts, none repeated (errors name the line)."""
    seen: dict[str, int] = {}
    for line, item in enumerate(items, start=1):
        if not isinstance(item, str) or not item or not allowed(item):
            raise MetadataError(f"{noun} {item!r} must be {rule}", file_name, line)
        if item in seen:
            raise MetadataError(f"{noun} {item!r} repeats line {seen[item]}", file_name, line)
        seen[item] = line


def _encode(text: str, file_name: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise MetadataError(f"cannot be UTF-8 encoded ({error.reason})", file_name) from None


def _check_layout(inputs: list, outputs: list, input_tensor_names: Mapping[str, str], num_labels: int, path):
    """The metadata names in model input order, after checking the (name, type, shape) of each model
    input and output against MediaPipe's BERT text classifier."""
    if not isinstance(input_tensor_names, Mapping) or set(input_tensor_names) != set(BERT_INPUT_TENSOR_NAMES):
        raise MetadataError(
            f"input_tensor_names must map exactly {sorted(BERT_INPUT_TENSOR_NAMES)} to tensor names, "
            f"got {input_tensor_names!r}"
        )
    by_tensor = {tensor_name: name for name, tensor_name in input_tensor_names.items()}
    model_names = [name for name, _, _ in inputs]
    if len(by_tensor) != 3 or sorted(model_names) != sorted(by_tensor):
        raise MetadataError(
            f"the model's inputs are {model_names}; MediaPipe's BERT text classifier needs three int32 "
            f"inputs, here named {sorted(by_tensor)}",
            path,
        )
    for name, type_name, shape in inputs:
        if type_name != "INT32" or len(shape) != 2 or shape[0] != 1 or shape[1] < 2:
            raise MetadataError(
                f"input {name!r} is {type_name} {shape}; MediaPipe feeds int32 [1, sequence_length] "
                f"(sequence_length >= 2)",
                path,
            )
    lengths = sorted({shape[1] for _, _, shape in inputs})
    if len(lengths) != 1:
        raise MetadataError(f"the three inputs differ in length: {lengths}", path)
    if len(outputs) != 1:
        raise MetadataError(f"the model has {len(outputs)} outputs; a classifier for MediaPipe has one", path)
    name, type_name, shape = outputs[0]
    if type_name != "FLOAT32":
        raise MetadataError(
            f"output {name!r} is {type_name}; MediaPipe reports a float32 output as the scores "
            f"(and refuses int8): convert with float32 probabilities out",
            path,
        )
    if shape != [1, num_labels]:
        raise MetadataError(
            f"output {name!r} has shape {shape} but there are {num_labels} labels: "
            f"expected [1, {num_labels}]",
            path,
        )
    return [by_tensor[name] for name in model_names]


def _classifier_file_names(subgraph: dict[str, Any], path) -> dict[str, str]:
    """ "vocabulary" and "labels" -> the associated file names the tokenizer and the output name."""
    units = [
        unit
        for unit in subgraph.get("input_process_units", [])
        if unit.get("options_type") == "BertTokenizerOptions"
    ]
    if not units:
        raise MetadataError(
            "the metadata has no BERT tokenizer (input process unit BertTokenizerOptions)", path
        )
    files = units[0].get("options", {}).get("vocab_file", [])
    if not (files and files[0].get("name")):
        raise MetadataError("the BERT tokenizer metadata names no vocabulary file", path)
    outputs = subgraph.get("output_tensor_metadata", [])
    if len(outputs) != 1:
        raise MetadataError(f"the metadata describes {len(outputs)} outputs, not 1", path)
    for file in outputs[0].get("associated_files", []):
        if file.get("type") == "TENSOR_AXIS_LABELS" and file.get("name"):
            return {"vocabulary": files[0]["name"], "labels": file["name"]}
    raise MetadataError("the output metadata has no labels file (associated file TENSOR_AXIS_LABELS)", path)
