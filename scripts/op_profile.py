"""Per-op latency of a LiteRT model, measured op by op in single-op models (TF-free).

The Python interpreter APIs expose no op profiler, so `profile_ops(model_bytes)` measures each
operator of the main subgraph on its own:

1. the whole model runs once with `experimental_preserve_all_tensors` on the bench's synthetic
   inputs (`fnet_keras.edge.bench_session`), which gives every intermediate tensor's real value;
2. for each op, a model holding only that op (its tensors, its constant buffers, the same op
   code) is written with ai-edge-litert's flatbuffer schema, loaded with the default resolver
   (XNNPACK takes it where it can, as it would in the whole model), fed the values the op saw,
   and timed: the median of `runs` invokes after `warmup`, in CPU time of the calling thread
   (one interpreter thread computes there, so other processes on a shared machine drop out).

What a single-op model does not show: the fusions XNNPACK makes across ops (an activation
folded into a FULLY_CONNECTED) and the hand-over between delegate partitions in the whole
model. `invoke_overhead_us` (the median of an op that copies one element) is the fixed cost in
every row; `OpProfile.whole_model_us` is the whole model's median, for comparison with the sum.

    profile = profile_ops(Path("model.tflite").read_bytes())
    print(profile.format(top=20))        # the slowest ops, and the totals per op type
"""

from __future__ import annotations

import collections
import dataclasses
import importlib
import statistics
import time
from typing import Any

import numpy as np

from fnet_keras.edge.bench_session import input_specs, synthetic_inputs
from fnet_keras.edge.errors import EdgeRuntimeError
from fnet_keras.edge.model_ops import SCHEMA_MODULE
from fnet_keras.edge.runtime import detect_runtime


@dataclasses.dataclass(frozen=True)
class OpTiming:
    """One op of the model, timed alone.

    Attributes:
        index: position in the main subgraph's operator list.
        name: builtin op name ("FULLY_CONNECTED").
        output_shape: shape of its first output.
        dtype: its first output's type name ("FLOAT32", "INT8").
        median_us: median invoke time of the single-op model.
        delegated: whether XNNPACK took the op.
        location: the name of its first output tensor (where in the graph it is).
    """

    index: int
    name: str
    output_shape: tuple[int, ...]
    dtype: str
    median_us: float
    delegated: bool
    location: str


@dataclasses.dataclass
class OpProfile:
    """Every op's time, the invoke overhead, and the whole model's time."""

    ops: list[OpTiming]
    invoke_overhead_us: float
    whole_model_us: float

    def by_type(self) -> dict[str, dict[str, float]]:
        """Op name -> {"count", "total_us" (overhead subtracted per op), "share" of the ops' sum}."""
        totals: dict[str, list[float]] = collections.defaultdict(list)
        for op in self.ops:
            totals[op.name].append(max(0.0, op.median_us - self.invoke_overhead_us))
        grand = sum(sum(values) for values in totals.values()) or 1.0
        rows = {
            name: {"count": len(values), "total_us": sum(values), "share": sum(values) / grand}
            for name, values in totals.items()
        }
        return dict(sorted(rows.items(), key=lambda item: -item[1]["total_us"]))

    @property
    def ops_total_us(self) -> float:
        return sum(max(0.0, op.median_us - self.invoke_overhead_us) for op in self.ops)

    def to_dict(self) -> dict[str, Any]:
        return {
            "invoke_overhead_us": self.invoke_overhead_us,
            "whole_model_us": self.whole_model_us,
            "ops_total_us": self.ops_total_us,
            "by_type": self.by_type(),
            "ops": [dataclasses.asdict(op) for op in self.ops],
        }

    def format(self, top: int = 15) -> str:
        """Markdown: totals per op type, then the `top` slowest ops."""
        lines = [
            f"Whole model {self.whole_model_us:.1f} us; sum of single ops {self.ops_total_us:.1f} us "
            f"(invoke overhead {self.invoke_overhead_us:.1f} us subtracted per op).",
            "",
            "| op | count | total (us) | share |",
            "|---|---:|---:|---:|",
        ]
        for name, row in self.by_type().items():
            lines.append(f"| {name} | {row['count']} | {row['total_us']:.1f} | {100 * row['share']:.1f}% |")
        lines += ["", "| # | op | output | type | us | XNNPACK | tensor |", "|---:|---|---|---|---:|---|---|"]
        for op in sorted(self.ops, key=lambda op: -op.median_us)[:top]:
            lines.append(
                f"| {op.index} | {op.name} | {list(op.output_shape)} | {op.dtype} | {op.median_us:.1f} "
                f"| {'yes' if op.delegated else 'no'} | {op.location} |"
            )
        return "\n".join(lines)


def profile_ops(model_bytes: bytes, runs: int = 30, warmup: int = 3, seed: int = 0) -> OpProfile:
    """Times each op of the main subgraph alone (module docstring). Needs ai_edge_litert.

    Raises:
        EdgeRuntimeError: ai_edge_litert or its schema module is missing, or a single-op model fails.
    """
    runtime = detect_runtime("ai_edge_litert")
    try:
        schema = importlib.import_module(SCHEMA_MODULE)
    except ImportError as error:
        raise EdgeRuntimeError(f"the op profiler needs {SCHEMA_MODULE}: {error}") from None
    Interpreter = runtime.module.Interpreter
    resolver = runtime.module.OpResolverType

    values = _all_tensor_values(Interpreter, resolver, model_bytes, seed)
    whole_model_us = _time(Interpreter(model_content=model_bytes, num_threads=1), None, runs, warmup, seed)

    model = schema.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    graph = model.subgraphs[0]
    code_names = {index: _op_name(schema, code) for index, code in enumerate(model.operatorCodes)}
    type_names = {value: key for key, value in vars(schema.TensorType).items() if not key.startswith("_")}
    timings = []
    for index, op in enumerate(graph.operators):
        single = _single_op_model(schema, model, graph, op)
        interpreter = Interpreter(model_content=single, num_threads=1)
        interpreter.allocate_tensors()
        feeds = {}
        for detail in interpreter.get_input_details():
            original = _original_index(graph, op, detail["name"])
            value = np.asarray(values[original], dtype=detail["dtype"])
            feeds[detail["index"]] = value.reshape(detail["shape"])
        delegated = any(node["op_name"] == "DELEGATE" for node in interpreter._get_ops_details())
        output = graph.tensors[op.outputs[0]]
        timings.append(
            OpTiming(
                index=index,
                name=code_names[op.opcodeIndex],
                output_shape=tuple(int(s) for s in (output.shape if output.shape is not None else [])),
                dtype=type_names.get(output.type, str(output.type)),
                median_us=_time(interpreter, feeds, runs, warmup, seed),
                delegated=delegated,
                location=_decode(output.name),
            )
        )
    overhead = _invoke_overhead(Interpreter, schema, runs, warmup)
    return OpProfile(timings, overhead, whole_model_us)


def _decode(name) -> str:
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)


def _op_name(schema, code) -> str:
    builtin = max(int(code.builtinCode or 0), int(code.deprecatedBuiltinCode or 0))
    if builtin == schema.BuiltinOperator.CUSTOM:
        return _decode(code.customCode)
    names = {value: key for key, value in vars(schema.BuiltinOperator).items() if not key.startswith("_")}
    return names.get(builtin, str(builtin))


def _all_tensor_values(Interpreter, resolver, model_bytes, seed) -> dict[int, np.ndarray]:
    interpreter = Interpreter(
        model_content=model_bytes,
        num_threads=1,
        experimental_op_resolver_type=resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        experimental_preserve_all_tensors=True,
    )
    interpreter.allocate_tensors()
    for tensor_index, array in synthetic_inputs(input_specs(interpreter), seed).items():
        interpreter.set_tensor(tensor_index, array)
    interpreter.invoke()
    values = {}
    for detail in interpreter.get_tensor_details():
        try:
            values[detail["index"]] = np.array(interpreter.get_tensor(detail["index"]))
        except ValueError:  # a tensor without data (an optional input)
            continue
    return values


def _time(interpreter, feeds, runs, warmup, seed) -> float:
    if feeds is None:  # the whole model: the bench's synthetic inputs
        interpreter.allocate_tensors()
        feeds = synthetic_inputs(input_specs(interpreter), seed)
    for tensor_index, array in feeds.items():
        interpreter.set_tensor(tensor_index, array)
    try:
        for _ in range(warmup):
            interpreter.invoke()
        samples = []
        for _ in range(runs):
            start = time.thread_time_ns()
            interpreter.invoke()
            samples.append((time.thread_time_ns() - start) / 1000)
    except Exception as error:
        raise EdgeRuntimeError(f"a single-op model failed to run: {error}") from None
    return statistics.median(samples)


def _original_index(graph, op, tensor_name) -> int:
    for tensor_index in op.inputs:
        if tensor_index >= 0 and _decode(graph.tensors[tensor_index].name) == tensor_name:
            return tensor_index
    raise EdgeRuntimeError(f"single-op model input {tensor_name!r} not found among the op's inputs")


def _single_op_model(schema, model, graph, op) -> bytes:
    """A model whose only op is `op`: its variable inputs become model inputs, its outputs outputs."""
    indices = list(op.inputs) + list(op.outputs) + list(op.intermediates or [])
    used = [index for index in indices if index >= 0]
    remap = {old: new for new, old in enumerate(dict.fromkeys(used))}
    buffers = [schema.BufferT()]  # buffer 0 is the empty sentinel
    tensors = []
    for old in remap:
        source = graph.tensors[old]
        tensor = schema.TensorT()
        tensor.shape, tensor.shapeSignature, tensor.type = source.shape, source.shapeSignature, source.type
        tensor.name, tensor.quantization = source.name, source.quantization
        tensor.isVariable = source.isVariable
        tensor.sparsity = source.sparsity
        data = model.buffers[source.buffer].data if source.buffer else None
        if data is not None and len(data):
            buffer = schema.BufferT()
            buffer.data = data
            buffers.append(buffer)
            tensor.buffer = len(buffers) - 1
        else:
            tensor.buffer = 0
        tensors.append(tensor)
    single = schema.OperatorT()
    single.opcodeIndex = op.opcodeIndex
    single.builtinOptionsType, single.builtinOptions = op.builtinOptionsType, op.builtinOptions
    single.customOptions, single.customOptionsFormat = op.customOptions, op.customOptionsFormat
    single.inputs = [remap[i] if i >= 0 else -1 for i in op.inputs]
    single.outputs = [remap[i] for i in op.outputs]
    single.intermediates = [remap[i] for i in (op.intermediates or [])]
    subgraph = schema.SubGraphT()
    subgraph.tensors = tensors
    subgraph.operators = [single]
    subgraph.inputs = [
        remap[i] for i in dict.fromkeys(op.inputs) if i >= 0 and tensors[remap[i]].buffer == 0
    ]
    subgraph.outputs = [remap[i] for i in op.outputs]
    result = schema.ModelT()
    result.version, result.description = model.version, b"single op"
    result.operatorCodes = model.operatorCodes
    result.subgraphs = [subgraph]
    result.buffers = buffers
    return _pack(schema, result)


def _pack(schema, model) -> bytes:
    import flatbuffers  # a dependency of ai-edge-litert

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _invoke_overhead(Interpreter, schema, runs, warmup) -> float:
    """The median invoke of a model whose one op reshapes a one-element float tensor."""
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.RESHAPE
    code.version = 1
    tensors = []
    for name in (b"x", b"y"):
        tensor = schema.TensorT()
        tensor.shape, tensor.type, tensor.buffer, tensor.name = [1], schema.TensorType.FLOAT32, 0, name
        tensors.append(tensor)
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0], [1]
    options = schema.ReshapeOptionsT()
    options.newShape = [1]
    op.builtinOptionsType, op.builtinOptions = schema.BuiltinOptions.ReshapeOptions, options
    subgraph = schema.SubGraphT()
    subgraph.tensors, subgraph.operators, subgraph.inputs, subgraph.outputs = tensors, [op], [0], [1]
    model = schema.ModelT()
    model.version, model.operatorCodes, model.subgraphs = 3, [code], [subgraph]
    model.buffers = [schema.BufferT()]
    interpreter = Interpreter(model_content=_pack(schema, model), num_threads=1)
    interpreter.allocate_tensors()
    feeds = {interpreter.get_input_details()[0]["index"]: np.zeros([1], np.float32)}
    return _time(interpreter, feeds, runs, warmup, 0)
