"""The package's op reader (ai-edge-litert's schema module) against TensorFlow's own schema module."""

from __future__ import annotations

import dataclasses

import pytest

from fnet_keras.edge import BundleError, detect_runtime, model_ops
from fnet_keras.edge.model_ops import DELEGATE_OP, custom_op_counts, float_op_counts, op_counts, read_ops


def _fields(ops):
    return [(op.name, op.builtin, op.input_types, op.output_types) for op in ops]


def _tensorflow_schema_fields(data: bytes):
    """The same fields read with TensorFlow's schema module: an independent reader of the flatbuffer."""
    from tensorflow.lite.python import schema_py_generated as schema

    names = {value: key for key, value in vars(schema.BuiltinOperator).items() if not key.startswith("_")}
    types = {value: key for key, value in vars(schema.TensorType).items() if not key.startswith("_")}
    model = schema.Model.GetRootAsModel(data, 0)
    fields = []
    for index in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(index)
        for op_index in range(subgraph.OperatorsLength()):
            op = subgraph.Operators(op_index)
            code = model.OperatorCodes(op.OpcodeIndex())
            builtin_code = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            custom = builtin_code == schema.BuiltinOperator.CUSTOM
            name = code.CustomCode().decode() if custom else names[builtin_code]

            def kinds(indices, subgraph=subgraph):
                return tuple(types[subgraph.Tensors(i).Type()] for i in indices if i >= 0)

            inputs = op.InputsAsNumpy() if op.InputsLength() else []
            outputs = op.OutputsAsNumpy() if op.OutputsLength() else []
            fields.append((name, not custom, kinds(inputs), kinds(outputs)))
    return fields


@pytest.fixture(scope="module")
def flex_model() -> bytes:
    """A model with a Flex (custom) op: FFT2D converts only with SELECT_TF_OPS."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, 4, 4], tf.float32)])
    def fft(x):
        return tf.math.real(tf.signal.fft2d(tf.complex(x, tf.zeros_like(x))))

    converter = tf.lite.TFLiteConverter.from_concrete_functions([fft.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    return converter.convert()


@pytest.mark.parametrize("which", ["fp32_bundle", "int8_bundle", "dynamic_bundle"])
def test_same_ops_as_tensorflows_schema_reader(which, request):
    tflite_bytes = request.getfixturevalue(which).tflite_bytes
    ours = read_ops(tflite_bytes)
    assert ours.source == "schema"
    assert _fields(ours) == _tensorflow_schema_fields(tflite_bytes)
    assert custom_op_counts(ours) == {}
    if which == "int8_bundle":
        assert "FULLY_CONNECTED" not in float_op_counts(ours)  # The int8 model's matmuls are integer.
    else:
        assert "RFFT2D" in op_counts(ours)


def test_custom_flex_op_is_named_and_not_builtin(flex_model):
    ours = read_ops(flex_model)
    assert _fields(ours) == _tensorflow_schema_fields(flex_model)
    assert custom_op_counts(ours) == {"FlexComplex": 1, "FlexFFT2D": 1}


def test_histogram_has_no_delegate_node_unlike_the_default_resolver(fp32_bundle):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    data = fp32_bundle.tflite_bytes
    default = Interpreter(model_content=data)
    default.allocate_tensors()  # XNNPACK is applied here and shows as DELEGATE nodes.
    assert DELEGATE_OP in [op["op_name"] for op in default._get_ops_details()]
    plain = Interpreter(
        model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    plain.allocate_tensors()
    own = [op["op_name"] for op in plain._get_ops_details()]
    counts = op_counts(read_ops(data))
    assert DELEGATE_OP not in counts
    assert counts == op_counts([_Named(name) for name in own])  # single subgraph: the same list


@dataclasses.dataclass
class _Named:
    name: str


@pytest.mark.parametrize("which", ["fp32_bundle", "int8_bundle"])
def test_interpreter_fallback_matches_the_schema_reader(which, request, monkeypatch):
    """Without a schema module (tflite_runtime 2.14 ships none) the interpreter lists the same ops."""
    tflite_bytes = request.getfixturevalue(which).tflite_bytes
    from_schema = read_ops(tflite_bytes)
    monkeypatch.setattr(model_ops, "schema_module", lambda: None)
    from_interpreter = read_ops(tflite_bytes, runtime=detect_runtime("ai_edge_litert"))
    assert from_interpreter.source == "interpreter"
    assert _fields(from_interpreter) == _fields(from_schema)


def test_bad_bytes_are_a_bundle_error(fp32_bundle):
    good = fp32_bundle.tflite_bytes
    with pytest.raises(BundleError, match="not a LiteRT flatbuffer"):
        read_ops(b"x" * 100, path="m.tflite")
    with pytest.raises(BundleError, match="too small"):
        read_ops(good[:10])
    with pytest.raises(BundleError, match="cannot read the model's operators|damaged or truncated"):
        read_ops(good[:8] + b"\xff" * 200)


def test_edge_op_reader_imports_no_tensorflow():
    from import_check import packages_loaded_by

    assert packages_loaded_by("import fnet_keras.edge.model_ops") == []


def test_a_damaged_operator_count_is_refused_quickly(fp32_bundle):
    from ai_edge_litert import schema_py_generated as schema

    data = bytearray(fp32_bundle.tflite_bytes)
    subgraph = schema.Model.GetRootAsModel(bytes(data), 0).Subgraphs(0)
    table = subgraph._tab
    length_at = table.Vector(table.Offset(10)) - 4  # SubGraph field 3 (operators): uint32 length, then data
    assert int.from_bytes(data[length_at : length_at + 4], "little") == subgraph.OperatorsLength()
    data[length_at : length_at + 4] = (2**31 - 1).to_bytes(4, "little")
    with pytest.raises(BundleError, match="exceed the file size"):
        read_ops(bytes(data))
