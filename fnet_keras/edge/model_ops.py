"""The operators of a LiteRT model, read without TensorFlow: the package's one op reader.

`read_ops(model_bytes)` lists every operator of every subgraph from the flatbuffer itself, through
the schema module ai-edge-litert ships (`ai_edge_litert.schema_py_generated`), so no delegate is
involved and no `DELEGATE` node appears. tflite_runtime 2.14 ships none: then an interpreter built
with `BUILTIN_WITHOUT_DEFAULT_DELEGATES` lists its nodes (the same names and tensor types, for the
primary subgraph only, and only for a model it can load). `OpList.source` says which reader ran.

    ops = read_ops(Path("model.tflite").read_bytes())
    op_counts(ops)          # {"FULLY_CONNECTED": 8, "ADD": 6, ...}, most frequent first
    float_op_counts(ops)    # the ops that still compute in float (int8 reports)
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import importlib
import os
import re
from types import ModuleType

import numpy as np

from fnet_keras.edge.errors import BundleError
from fnet_keras.edge.litert_model import check_tflite_bytes, probe_in_subprocess
from fnet_keras.edge.runtime import RuntimeInfo, detect_runtime

# Ops that only move tensors between the integer and float domains: the edges of float islands in
# a quantized model, not float computation.
BOUNDARY_OPS = ("QUANTIZE", "DEQUANTIZE")
FLOAT_TYPES = ("FLOAT32", "FLOAT16", "FLOAT64", "BFLOAT16", "COMPLEX64", "COMPLEX128")
DELEGATE_OP = "DELEGATE"  # the node an interpreter's default resolver adds where XNNPACK takes over
SCHEMA_MODULE = "ai_edge_litert.schema_py_generated"
SOURCE_SCHEMA, SOURCE_INTERPRETER = "schema", "interpreter"
# The interpreter fallback has no op codes: builtin names are upper-case identifiers, custom ops
# have their own (`FlexFFT2D`).
_BUILTIN_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclasses.dataclass(frozen=True)
class ModelOp:
    """One operator of the graph.

    Attributes:
        name: builtin name (`"FULLY_CONNECTED"`) or, for a custom op, its custom code (`"FlexFFT2D"`).
        builtin: False for custom (including Flex) ops.
        input_types, output_types: tensor types (`"INT8"`, `"FLOAT32"`, ...), optional inputs left out.
        subgraph: the subgraph index (0 is the model's main graph).
    """

    name: str
    builtin: bool
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]
    subgraph: int = 0

    @property
    def computes_in_float(self) -> bool:
        """True for a non-boundary op with a float tensor among its inputs or outputs."""
        return self.name not in BOUNDARY_OPS and any(
            kind in FLOAT_TYPES for kind in self.input_types + self.output_types
        )


class OpList(list):
    """A list of `ModelOp` in graph order, with `source`: "schema" or "interpreter" (see module doc)."""

    def __init__(self, ops, source: str):
        super().__init__(ops)
        self.source = source


@functools.cache
def schema_module() -> ModuleType | None:
    """ai-edge-litert's generated schema module, or None where it (or `flatbuffers`) is missing."""
    try:
        return importlib.import_module(SCHEMA_MODULE)
    except ImportError:
        return None


def read_ops(
    model_bytes: bytes, *, runtime: RuntimeInfo | None = None, path: str | os.PathLike | None = None
) -> OpList:
    """Every operator of the model, in graph order (subgraph by subgraph).

    Args:
        model_bytes: the .tflite file's bytes.
        runtime: the interpreter used only when no schema module is installed (`detect_runtime()` if None).
        path: the file named in errors.

    Raises:
        BundleError: the bytes are not a readable LiteRT flatbuffer (or, without a schema module,
            the interpreter cannot load them).
    """
    check_tflite_bytes(model_bytes, path)
    schema = schema_module()
    if schema is None:
        ops = _read_with_interpreter(bytes(model_bytes), runtime or detect_runtime(), path)
        return OpList(ops, SOURCE_INTERPRETER)
    try:
        return OpList(_read_with_schema(schema, bytes(model_bytes)), SOURCE_SCHEMA)
    except Exception as error:  # a damaged flatbuffer surfaces as struct.error, IndexError, ...
        kind = "" if isinstance(error, _DamagedModel) else f"{type(error).__name__}: "
        raise BundleError(f"cannot read the model's operators: {kind}{error}", path) from None


class _DamagedModel(ValueError):
    pass


def _read_with_schema(schema: ModuleType, data: bytes) -> list[ModelOp]:
    op_names, type_names = (
        {value: key for key, value in vars(enum).items() if not key.startswith("_")}
        for enum in (schema.BuiltinOperator, schema.TensorType)
    )
    model = schema.Model.GetRootAsModel(data, 0)
    # Each subgraph, operator and tensor index takes at least 4 bytes of the file, so damaged
    # lengths above len(data) / 4 in all are refused instead of looping for ages.
    budget = [len(data) // 4]

    def counted(length: int) -> range:
        budget[0] -= length
        if length < 0 or budget[0] < 0:
            raise _DamagedModel("vector lengths exceed the file size: damaged flatbuffer")
        return range(length)

    ops = []
    for subgraph_index in counted(model.SubgraphsLength()):
        subgraph = model.Subgraphs(subgraph_index)

        def tensor_types(count, tensor_at, subgraph=subgraph) -> tuple[str, ...]:
            indices = (tensor_at(position) for position in counted(count))
            return tuple(type_names.get(subgraph.Tensors(i).Type(), "UNKNOWN") for i in indices if i >= 0)

        for op_index in counted(subgraph.OperatorsLength()):
            op = subgraph.Operators(op_index)
            code = model.OperatorCodes(op.OpcodeIndex())
            # Codes above 127 live only in BuiltinCode; older files fill only DeprecatedBuiltinCode.
            builtin_code = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            if builtin_code == schema.BuiltinOperator.CUSTOM:
                custom = code.CustomCode()
                name, builtin = (custom.decode("utf-8", "replace") if custom else "CUSTOM"), False
            else:
                name, builtin = op_names.get(builtin_code, f"BUILTIN_{builtin_code}"), True
            inputs = tensor_types(op.InputsLength(), op.Inputs)
            ops.append(
                ModelOp(name, builtin, inputs, tensor_types(op.OutputsLength(), op.Outputs), subgraph_index)
            )
    return ops


def _read_with_interpreter(data: bytes, runtime: RuntimeInfo, path) -> list[ModelOp]:
    module = runtime.module
    if not runtime.verifies_models:  # tflite_runtime: a damaged file could crash this process
        probe_in_subprocess(data, runtime, path)
    try:
        interpreter = module.Interpreter(
            model_content=data,
            experimental_op_resolver_type=module.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
        nodes = interpreter._get_ops_details()  # private, but in both runtimes; no public op list exists
    except Exception as error:
        raise BundleError(
            f"{runtime.name} {runtime.version} cannot list the model's operators (no {SCHEMA_MODULE} "
            f"installed to read them from the file): {error}",
            path,
        ) from None

    def tensor_types(indices) -> tuple[str, ...]:
        # tflite_runtime 2.14's node details carry no types; both runtimes have _get_tensor_details.
        names = (
            np.dtype(interpreter._get_tensor_details(int(i), 0)["dtype"]).name for i in indices if i >= 0
        )
        # The schema's TensorType names are the numpy names in upper case, but for strings.
        return tuple("STRING" if name in ("object", "bytes_") else name.upper() for name in names)

    ops = []
    for node in nodes:
        name = str(node["op_name"])
        inputs, outputs = tensor_types(node["inputs"]), tensor_types(node["outputs"])
        ops.append(ModelOp(name, bool(_BUILTIN_NAME.fullmatch(name)), inputs, outputs))
    return ops


def op_counts(ops) -> dict[str, int]:
    """Op name -> count, most frequent first (ties by name)."""
    counts = collections.Counter(op.name for op in ops)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def float_op_counts(ops) -> dict[str, int]:
    """The ops that still compute in float (see `ModelOp.computes_in_float`), name -> count."""
    return op_counts([op for op in ops if op.computes_in_float])


def custom_op_counts(ops) -> dict[str, int]:
    """The custom (including Flex) ops, name -> count; empty for a builtin-only model."""
    return op_counts([op for op in ops if not op.builtin])
