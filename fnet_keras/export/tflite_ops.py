"""The operators of a LiteRT flatbuffer, read from the file itself (no interpreter, no delegates).

This is the one place that lists a model's ops: the builtin-only check, the op counts in
bundle.json and the int8 report's float ops all come from `read_ops`.
"""

from __future__ import annotations

import collections
import dataclasses
import functools

from fnet_keras.export.errors import ExportError, UnsupportedOpsError

# Ops that only move tensors between the int8 and float domains; they are the boundaries
# of float islands, not float computation.
BOUNDARY_OPS = ("QUANTIZE", "DEQUANTIZE")
FLOAT_TYPES = ("FLOAT32", "FLOAT16", "FLOAT64", "COMPLEX64", "COMPLEX128")
# The ops that carry the model's arithmetic: an int8 export wants none of them in float.
MATMUL_FFT_OPS = ("FULLY_CONNECTED", "BATCH_MATMUL", "CONV_2D", "RFFT2D", "REAL", "IMAG", "COMPLEX_ABS")


@dataclasses.dataclass(frozen=True)
class TfliteOp:
    """One operator of the graph.

    Attributes:
        name: builtin name (`"FULLY_CONNECTED"`) or, for a custom op, its custom code
            (`"FlexFFT2D"`).
        builtin: False for custom (including Flex) ops.
        input_types, output_types: tensor types (`"INT8"`, `"FLOAT32"`, ...), optional
            inputs left out.
    """

    name: str
    builtin: bool
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]

    @property
    def computes_in_float(self) -> bool:
        """True for a non-boundary op with a float tensor among its inputs or outputs."""
        if self.name in BOUNDARY_OPS:
            return False
        return any(kind in FLOAT_TYPES for kind in self.input_types + self.output_types)


@functools.cache
def _schema():
    # The converter's own schema module, so builtin codes always match the converter.
    from tensorflow.lite.python import schema_py_generated

    names = {
        value: key
        for key, value in vars(schema_py_generated.BuiltinOperator).items()
        if not key.startswith("_")
    }
    types = {
        value: key for key, value in vars(schema_py_generated.TensorType).items() if not key.startswith("_")
    }
    return schema_py_generated, names, types


def read_ops(tflite_bytes: bytes) -> list[TfliteOp]:
    """Every operator of every subgraph, in graph order.

    Raises:
        ExportError: the bytes are not a LiteRT flatbuffer.
    """
    schema, names, types = _schema()
    data = bytes(tflite_bytes)
    if len(data) < 16 or not schema.Model.ModelBufferHasIdentifier(data, 0):
        raise ExportError(f"not a LiteRT flatbuffer ({len(data)} bytes, no 'TFL3' identifier)")
    model = schema.Model.GetRootAsModel(data, 0)
    ops = []
    for subgraph_index in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(subgraph_index)

        def tensor_types(indices, subgraph=subgraph):
            return tuple(types.get(subgraph.Tensors(i).Type(), "UNKNOWN") for i in indices if i >= 0)

        for op_index in range(subgraph.OperatorsLength()):
            op = subgraph.Operators(op_index)
            code = model.OperatorCodes(op.OpcodeIndex())
            # Codes above 127 live only in BuiltinCode; older files only fill DeprecatedBuiltinCode.
            builtin_code = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            if builtin_code == schema.BuiltinOperator.CUSTOM:
                custom = code.CustomCode()
                name, builtin = (custom.decode("utf-8", "replace") if custom else "CUSTOM"), False
            else:
                name, builtin = names.get(builtin_code, f"BUILTIN_{builtin_code}"), True
            ops.append(
                TfliteOp(name, builtin, tensor_types(op.InputsAsNumpy()), tensor_types(op.OutputsAsNumpy()))
            )
    return ops


def op_counts(ops: list[TfliteOp]) -> dict[str, int]:
    """Op name -> count, most frequent first (ties by name)."""
    counts = collections.Counter(op.name for op in ops)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def float_op_counts(ops: list[TfliteOp]) -> dict[str, int]:
    """The ops that still compute in float (see `TfliteOp.computes_in_float`), name -> count."""
    return op_counts([op for op in ops if op.computes_in_float])


def check_builtin_only(ops: list[TfliteOp], what: str = "the model") -> None:
    """Raises `UnsupportedOpsError` if any op is a Flex or other custom op."""
    custom = op_counts([op for op in ops if not op.builtin])
    if custom:
        listing = ", ".join(f"{name} x{count}" for name, count in custom.items())
        flex = any(name.startswith("Flex") for name in custom)
        raise UnsupportedOpsError(
            f"{what} uses ops outside LiteRT's builtin set: {listing}"
            + (
                " (Flex ops need the TensorFlow Select runtime, which edge interpreters lack)" if flex else ""
            ),
            list(custom),
        )
