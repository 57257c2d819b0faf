"""Per-op latency of a LiteRT model, measured op by op in single-op models (TF-free).

The interpreter's Python API has no op profiler, so `profile_ops(model_bytes)` runs the whole model once
with `experimental_preserve_all_tensors` on the bench's synthetic inputs (`fnet_keras.edge.bench_session`),
which gives every tensor's value; then each op of the main subgraph becomes a model of its own (its
tensors, constant buffers and op code, written with ai-edge-litert's flatbuffer schema), loaded with the
default resolver (XNNPACK takes it where it would in the whole model), fed the values the op saw, and
timed: the median of `runs` invokes after `warmup`, in CPU time of the calling thread (one interpreter
thread computes there, so other processes on a shared machine drop out).

A single-op model misses XNNPACK's fusions across ops (an activation folded into a FULLY_CONNECTED) and
the hand-overs between delegate partitions. `invoke_overhead_us` (an op that copies one element) is the
fixed cost in every row; `whole_model_us` is the whole model's median, to compare with the sum.

    profile = profile_ops(Path("model.tflite").read_bytes())
    print(profile.format(top=20))        # the slowest ops, and the totals per op type
"""

from __future__ import annotations

import collections
import dataclasses
import statistics
import time

import numpy as np

from fnet_keras.edge.bench_session import input_specs, synthetic_inputs
from fnet_keras.edge.errors import EdgeRuntimeError
from fnet_keras.edge.model_ops import DELEGATE_OP, SCHEMA_MODULE, read_ops, schema_module
from fnet_keras.edge.runtime import detect_runtime
from fnet_keras.report_tables import markdown_table

# What a single-op model copies of the original tensors and op.
TENSOR_FIELDS = ("shape", "shapeSignature", "type", "name", "quantization", "isVariable", "sparsity")
OP_FIELDS = ("opcodeIndex", "builtinOptionsType", "builtinOptions", "customOptions", "customOptionsFormat")


@dataclasses.dataclass(frozen=True)
class OpTiming:
    """One op of the main subgraph (`index` in its operator list), timed alone: `median_us` of the
    single-op model, whether XNNPACK took it (`delegated`), its first output's shape, type name and
    tensor name (`location`: where in the graph it is)."""

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

    def _net_us(self, op: OpTiming) -> float:
        return max(0.0, op.median_us - self.invoke_overhead_us)

    def by_type(self) -> dict[str, dict[str, float]]:
        """Op name -> {"count", "total_us" (overhead subtracted per op), "share" of the ops' sum}."""
        totals = collections.defaultdict(list)
        for op in self.ops:
            totals[op.name].append(self._net_us(op))
        grand = sum(map(sum, totals.values())) or 1.0
        rows = {name: {"count": len(values), "total_us": sum(values), "share": sum(values) / grand}
                for name, values in totals.items()}
        return dict(sorted(rows.items(), key=lambda item: -item[1]["total_us"]))

    @property
    def ops_total_us(self) -> float:
        return sum(map(self._net_us, self.ops))

    def to_dict(self) -> dict:
        return {"invoke_overhead_us": self.invoke_overhead_us, "whole_model_us": self.whole_model_us,
                "ops_total_us": self.ops_total_us, "by_type": self.by_type(),
                "ops": [dataclasses.asdict(op) for op in self.ops]}

    def format(self, top: int = 15) -> str:
        """Markdown: totals per op type, then the `top` slowest ops."""
        types = [(name, row["count"], f"{row['total_us']:.1f}", f"{100 * row['share']:.1f}%")
                 for name, row in self.by_type().items()]
        slowest = [(op.index, op.name, list(op.output_shape), op.dtype, f"{op.median_us:.1f}",
                    "yes" if op.delegated else "no", op.location)
                   for op in sorted(self.ops, key=lambda op: -op.median_us)[:top]]
        return "\n".join([
            f"Whole model {self.whole_model_us:.1f} us; sum of single ops {self.ops_total_us:.1f} us "
            f"(invoke overhead {self.invoke_overhead_us:.1f} us subtracted per op).", "",
            *markdown_table(("op", "count", "total (us)", "share"), types, "lrrr"), "",
            *markdown_table(("#", "op", "output", "type", "us", "XNNPACK", "tensor"), slowest, "rlllrll"),
        ])


def profile_ops(model_bytes: bytes, runs: int = 30, warmup: int = 3, seed: int = 0) -> OpProfile:
    """Times each op of the main subgraph alone (module docstring). Needs ai_edge_litert.

    Raises:
        EdgeRuntimeError: ai_edge_litert or its schema module is missing, or a single-op model fails.
    """
    runtime = detect_runtime("ai_edge_litert")
    schema = schema_module()
    if schema is None:
        raise EdgeRuntimeError(f"the op profiler needs {SCHEMA_MODULE} (and flatbuffers)")
    Interpreter = runtime.module.Interpreter

    values = _all_tensor_values(Interpreter, runtime.module.OpResolverType, model_bytes, seed)
    whole = _loaded(Interpreter, model_bytes)
    whole_model_us = _time(whole, synthetic_inputs(input_specs(whole), seed), runs, warmup)

    model = schema.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    graph = model.subgraphs[0]
    read = [op for op in read_ops(model_bytes) if op.subgraph == 0]  # names and types, as the bench
    timings = []
    for index, (op, described) in enumerate(zip(graph.operators, read, strict=True)):
        interpreter = _loaded(Interpreter, _single_op_model(schema, model, graph, op))
        feeds = {detail["index"]: np.asarray(values[_original_index(graph, op, detail["name"])],
                                             dtype=detail["dtype"]).reshape(detail["shape"])
                 for detail in interpreter.get_input_details()}
        output = graph.tensors[op.outputs[0]]
        timings.append(OpTiming(
            index=index, name=described.name,
            output_shape=tuple(int(s) for s in (output.shape if output.shape is not None else [])),
            dtype=described.output_types[0], median_us=_time(interpreter, feeds, runs, warmup),
            delegated=any(node["op_name"] == DELEGATE_OP for node in interpreter._get_ops_details()),
            location=_decode(output.name),
        ))
    return OpProfile(timings, _invoke_overhead(Interpreter, schema, runs, warmup), whole_model_us)


def _decode(name) -> str:
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)


def _loaded(Interpreter, model_bytes: bytes, **options):
    interpreter = Interpreter(model_content=model_bytes, num_threads=1, **options)
    interpreter.allocate_tensors()
    return interpreter


def _all_tensor_values(Interpreter, resolver, model_bytes, seed) -> dict[int, np.ndarray]:
    """Every tensor's value in one run of the model on the bench's synthetic inputs (no delegate)."""
    interpreter = _loaded(Interpreter, model_bytes, experimental_preserve_all_tensors=True,
                          experimental_op_resolver_type=resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
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


def _time(interpreter, feeds, runs, warmup) -> float:
    """The median thread-CPU microseconds of `runs` invokes on `feeds`, after `warmup`."""
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
    used = [index for index in [*op.inputs, *op.outputs, *(op.intermediates or [])] if index >= 0]
    remap = {old: new for new, old in enumerate(dict.fromkeys(used))}
    buffers = [schema.BufferT()]  # buffer 0 is the empty sentinel
    tensors = []
    for old in remap:
        source = graph.tensors[old]
        data = model.buffers[source.buffer].data if source.buffer else None
        buffer = len(buffers) if data is not None and len(data) else 0
        if buffer:
            buffers.append(schema.BufferT(data=data))
        copied = {name: getattr(source, name) for name in TENSOR_FIELDS}
        tensors.append(schema.TensorT(buffer=buffer, **copied))
    single = schema.OperatorT(**{name: getattr(op, name) for name in OP_FIELDS},
                              inputs=[remap[i] if i >= 0 else -1 for i in op.inputs],
                              outputs=[remap[i] for i in op.outputs],
                              intermediates=[remap[i] for i in (op.intermediates or [])])
    inputs = [remap[i] for i in dict.fromkeys(op.inputs) if i >= 0 and tensors[remap[i]].buffer == 0]
    return _pack(schema, model.version, model.operatorCodes, buffers, tensors, single, inputs, b"single op")


def _pack(schema, version, codes, buffers, tensors, op, inputs, description=None) -> bytes:
    """The flatbuffer bytes of a model whose one subgraph runs `op` on `tensors`."""
    import flatbuffers  # a dependency of ai-edge-litert

    subgraph = schema.SubGraphT(tensors=tensors, operators=[op], inputs=inputs, outputs=list(op.outputs))
    model = schema.ModelT(version=version, description=description, operatorCodes=codes, buffers=buffers,
                          subgraphs=[subgraph])
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _invoke_overhead(Interpreter, schema, runs, warmup) -> float:
    """The median invoke of a model whose one op reshapes a one-element float tensor."""
    reshape = schema.BuiltinOperator.RESHAPE
    code = schema.OperatorCodeT(builtinCode=reshape, deprecatedBuiltinCode=reshape, version=1)
    tensors = [schema.TensorT(shape=[1], type=schema.TensorType.FLOAT32, buffer=0, name=name)
               for name in (b"x", b"y")]
    op = schema.OperatorT(opcodeIndex=0, inputs=[0], outputs=[1], builtinOptions=schema.ReshapeOptionsT([1]),
                          builtinOptionsType=schema.BuiltinOptions.ReshapeOptions)
    interpreter = _loaded(Interpreter, _pack(schema, 3, [code], [schema.BufferT()], tensors, op, [0]))
    return _time(interpreter, {interpreter.get_input_details()[0]["index"]: np.zeros([1], np.float32)},
                 runs, warmup)
