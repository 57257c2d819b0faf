"""What `fnet-keras bench` measures: a model in an interpreter fed valid inputs, timed run by run.

Any .tflite runs, not only bundles: each input gets a valid array chosen by its role (`InputSpec`):
- `token_ids`: an integer input read by a GATHER (or EMBEDDING_LOOKUP), possibly through ops
  that keep it ids (CAST, RESHAPE, a MUL by the mask), or named like ids (`input_word_ids`):
  random ids in [1, rows of the table it indexes) (else the bundle's vocabulary size, else zeros);
- `mask` (an integer or bool input named like `input_mask`): ones;
- `type_ids` (named like `input_type_ids` or `segment_ids`): zeros;
- anything else: floats uniform in [-1, 1), other integers zeros, bools true.
So format-1 bundles (`token_ids`), format-2 bundles (MediaPipe's `input_word_ids`, `input_mask`,
`input_type_ids`) and float models all run. With texts, `feed_from_token_ids` feeds a bundle's
tokenizer output instead: the one place the bench relates a bundle's inputs to its tokenizer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fnet_keras import target_kind
from fnet_keras.edge.bundle import Bundle, load_bundle
from fnet_keras.edge.errors import BundleError, EdgeRuntimeError
from fnet_keras.edge.litert_model import check_tflite_bytes, probe_in_subprocess
from fnet_keras.edge.manifest import MANIFEST_NAME
from fnet_keras.edge.model_ops import DELEGATE_OP
from fnet_keras.edge.runtime import RuntimeInfo
from fnet_keras.text import PAD_ID

ROLE_TOKEN_IDS, ROLE_MASK, ROLE_TYPE_IDS, ROLE_OTHER = "token_ids", "mask", "type_ids", "other"
_MASK_NAME = re.compile(r"mask", re.IGNORECASE)
_TYPE_IDS_NAME = re.compile(r"type_ids|segment", re.IGNORECASE)
_TOKEN_IDS_NAME = re.compile(r"word_ids|token_ids|input_ids", re.IGNORECASE)
_LOOKUP_OPS = {"GATHER": (1, 0), "EMBEDDING_LOOKUP": (0, 1)}  # op -> (ids input, table input)
_VALUE_PRESERVING_OPS = ("CAST", "RESHAPE", "EXPAND_DIMS", "SQUEEZE", "SLICE", "STRIDED_SLICE")
# Ops whose integer output of the ids' rank holds no id (segment ids made as zeros_like(ids)).
_VALUE_FORGETTING_OPS = ("ZEROS_LIKE", "ONES_LIKE", "FILL", "SHAPE", "RANGE")
# What one inference time is: wall-clock (what a user waits), or the calling thread's CPU time (what
# the model costs, nearly free of other processes: with one thread LiteRT computes on the caller).
CLOCK_WALL, CLOCK_THREAD_CPU = "wall", "thread_cpu"
CLOCKS = (CLOCK_WALL, CLOCK_THREAD_CPU)
# (runtime name, model sha256) already loaded without crashing a child (interpreters that do not
# verify models); one probe per model is enough for all thread counts.
_PROBED: set[tuple[str, str]] = set()


@dataclasses.dataclass(frozen=True)
class InputSpec:
    """One input tensor and how the bench fills it.

    Attributes:
        index, name, dtype, shape: the interpreter's tensor index, name, numpy dtype name and
            allocated shape.
        role: "token_ids", "mask", "type_ids" or "other" (module docstring).
        id_limit: for token ids, the exclusive upper bound of the ids drawn (None if unknown).
    """

    index: int
    name: str
    dtype: str
    shape: tuple[int, ...]
    role: str
    id_limit: int | None = None

    @property
    def fill(self) -> str:
        """How the synthetic array is made (`synthetic_inputs` follows it), in words for the report."""
        kind = np.dtype(self.dtype)
        if self.role == ROLE_TOKEN_IDS:
            return f"random ids in [1, {self.id_limit})" if self.id_limit and self.id_limit > 1 else "zeros"
        if self.role == ROLE_MASK or kind == np.bool_:
            return "ones"
        return "uniform [-1, 1)" if np.issubdtype(kind, np.floating) else "zeros"

    def describe(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape), "role": self.role,
                "fill": self.fill}


@dataclasses.dataclass
class BenchTarget:
    """A model to benchmark: a bundle (directory or .zip) or a bare .tflite.

    Attributes:
        name: short unique name in reports (the file or directory name).
        path: as given.
        kind: "bundle" or "tflite".
        model_bytes: the .tflite bytes.
        bundle: the loaded bundle (tokenizer, quantization), None for a bare .tflite.
    """

    name: str
    path: str
    kind: str
    model_bytes: bytes
    bundle: Bundle | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.model_bytes).hexdigest()

    @property
    def vocabulary_size(self) -> int | None:
        return None if self.bundle is None else len(self.bundle.tokenizer.vocabulary)

    def describe(self) -> dict:
        bundle = self.bundle
        return {
            "name": self.name, "path": self.path, "kind": self.kind, "bytes": len(self.model_bytes),
            "sha256": self.sha256, "quantization": None if bundle is None else bundle.quantization,
            "sequence_length": None if bundle is None else bundle.sequence_length,
        }


def load_target(path: str | os.PathLike, runtime: RuntimeInfo) -> BenchTarget:
    """A bundle through `load_bundle` (all its checks), or a .tflite file read and checked.

    Raises:
        BundleError: missing or unreadable file, not a LiteRT flatbuffer, a bad bundle.
    """
    shown, path = os.fspath(path), Path(path)
    if target_kind(path) == "bundle":
        bundle = load_bundle(path, runtime=runtime.name)
        name = path.stem if path.suffix.lower() == ".zip" else path.name
        return BenchTarget(name, shown, "bundle", bundle.model_bytes, bundle)
    if path.is_dir():
        raise BundleError(f"a directory without {MANIFEST_NAME} is neither a bundle nor a .tflite file",
                          shown)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BundleError("no such bundle or .tflite file", shown) from None
    except OSError as error:
        raise BundleError(f"cannot read: {error.strerror}", shown) from None
    check_tflite_bytes(data, shown)
    return BenchTarget(path.stem, shown, "tflite", data)


def unique_names(names: Sequence[str], paths: Sequence[str | os.PathLike] | None = None) -> list[str]:
    """`names` made unique, so that a report says which model is which.

    With `paths` (one per name), a name that repeats becomes the shortest tail of its path that
    tells the repeats apart: "fnet/bundles/int8" and "twin/bundles/int8" rather than "int8" twice.
    What no path tells apart (the same path given twice) is numbered: ["a", "a", "b"] -> ["a",
    "a#2", "b"].
    """
    names = list(names)
    result = list(names)
    for name in set(names) if paths is not None else ():
        group = [index for index, other in enumerate(names) if other == name]
        if len(group) < 2 or len({Path(paths[index]) for index in group}) == 1:
            continue
        parents = {index: [part for part in Path(paths[index]).parent.parts if part not in ("", ".")]
                   for index in group}
        depth = max(len(parts) for parts in parents.values())
        for keep in range(1, depth + 1):
            tails = {index: "/".join([*parents[index][-keep:], name]) for index in group}
            if len(set(tails.values())) == len(group) or keep == depth:
                result = [tails.get(index, value) for index, value in enumerate(result)]
                break
    seen: dict[str, int] = {}
    for position, name in enumerate(result):
        seen[name] = seen.get(name, 0) + 1
        result[position] = name if seen[name] == 1 else f"{name}#{seen[name]}"
    return result


def input_specs(interpreter, vocabulary_size: int | None = None) -> list[InputSpec]:
    """How to fill each input of an allocated interpreter (see the module docstring)."""
    tables = _lookup_table_rows(interpreter)
    specs = []
    for detail in interpreter.get_input_details():
        index, name = int(detail["index"]), str(detail["name"])
        dtype = np.dtype(detail["dtype"])
        integer = np.issubdtype(dtype, np.integer)
        role, limit = ROLE_OTHER, None
        if (integer or dtype == np.bool_) and _MASK_NAME.search(name):
            role = ROLE_MASK
        elif integer and _TYPE_IDS_NAME.search(name):
            role = ROLE_TYPE_IDS
        elif integer and (index in tables or _TOKEN_IDS_NAME.search(name)):
            role, limit = ROLE_TOKEN_IDS, tables.get(index, vocabulary_size)
        specs.append(
            InputSpec(index, name, dtype.name, tuple(int(size) for size in detail["shape"]), role, limit)
        )
    return specs


def _like_ids(interpreter, ids: dict, outputs) -> bool:
    """Whether an op makes integer tensors of the ids' rank: the ids times the mask, ids with negative
    indices wrapped, or ids cut to the longest text (MUL, ADD, SELECT, STRIDED_SLICE before a GATHER;
    a sliced shape is only known once the model runs)."""
    details = [interpreter._get_tensor_details(int(output), 0) for output in outputs]
    return bool(details) and all(np.issubdtype(np.dtype(detail["dtype"]), np.integer)
                                 and len(detail["shape"]) == len(ids["shape"]) for detail in details)


def _lookup_table_rows(interpreter) -> dict[int, int]:
    """Input tensor index -> rows of the smallest table it indexes (possibly through value-preserving ops)."""
    try:
        ops = interpreter._get_ops_details()  # Private, in both runtimes; tolerated to fail.
        consumers: dict[int, list[dict]] = {}
        for op in ops:
            for tensor in op["inputs"]:
                consumers.setdefault(int(tensor), []).append(op)
        rows: dict[int, int] = {}
        for detail in interpreter.get_input_details():
            start = int(detail["index"])
            frontier, seen = [start], {start}
            while frontier:
                tensor = frontier.pop()
                for op in consumers.get(tensor, []):
                    name, inputs = op["op_name"], [int(i) for i in op["inputs"]]
                    if name in _LOOKUP_OPS:
                        ids_at, table_at = _LOOKUP_OPS[name]
                        if len(inputs) > max(ids_at, table_at) and inputs[ids_at] == tensor:
                            table_rows = int(interpreter._get_tensor_details(inputs[table_at], 0)["shape"][0])
                            rows[start] = min(rows.get(start, table_rows), table_rows)
                    elif (name in _VALUE_PRESERVING_OPS and inputs and inputs[0] == tensor or name
                          not in _VALUE_FORGETTING_OPS and _like_ids(interpreter, detail, op["outputs"])):
                        for output in (int(i) for i in op["outputs"]):
                            if output not in seen:
                                seen.add(output)
                                frontier.append(output)
        return rows
    except Exception:  # Detection is a refinement; the fallback fill is still valid.
        return {}


def synthetic_inputs(specs: Sequence[InputSpec], seed: int = 0) -> dict[int, np.ndarray]:
    """Tensor index -> a valid array for each input (the fill each spec describes)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for spec in specs:
        dtype, fill = np.dtype(spec.dtype), spec.fill
        if fill.startswith("random ids"):
            array = rng.integers(1, spec.id_limit, spec.shape)
        elif fill == "ones":
            array = np.ones(spec.shape)
        elif fill.startswith("uniform"):
            array = rng.uniform(-1.0, 1.0, spec.shape)
        elif np.issubdtype(dtype, np.integer):
            array = np.zeros(spec.shape)
        else:
            raise BundleError(f"cannot make a value for input {spec.name!r} of type {spec.dtype}")
        arrays[spec.index] = array.astype(dtype)
    return arrays


def feed_from_token_ids(token_ids: Sequence[int], specs: Sequence[InputSpec]) -> dict[int, np.ndarray]:
    """The model inputs for packed ids: ids, mask (ids != [PAD]) and zero type ids, as the specs ask.

    Raises:
        BundleError: an input is neither ids, mask nor type ids, or the lengths differ.
    """
    ids = np.asarray(token_ids)
    arrays = {}
    for spec in specs:
        if spec.role == ROLE_OTHER:
            raise BundleError(
                f"input {spec.name!r} ({spec.dtype} {list(spec.shape)}) is not token ids, a mask or type "
                f"ids, so texts cannot feed this model"
            )
        if int(np.prod(spec.shape)) != ids.size:
            raise BundleError(
                f"the tokenizer gives {ids.size} ids, input {spec.name!r} has shape {list(spec.shape)}"
            )
        if spec.role == ROLE_TOKEN_IDS:
            values = ids
        elif spec.role == ROLE_MASK:
            values = ids != PAD_ID
        else:
            values = np.zeros_like(ids)
        arrays[spec.index] = values.reshape(spec.shape).astype(spec.dtype)
    return arrays


class TimedModel:
    """One model loaded in one interpreter (default resolver, so XNNPACK applies where it can), timed;
    `threads` is the interpreter's `num_threads`, `seed` that of the synthetic inputs.

    Attributes:
        init_us: microseconds to load the model and allocate tensors (delegate applied there).
        specs: the inputs and how they are filled.
        delegate_partitions: `DELEGATE` nodes the default resolver added (0: no delegate ran).
        outputs: the output tensors' details (name, dtype, shape).
    """

    def __init__(self, target: BenchTarget, runtime: RuntimeInfo, threads: int, seed: int = 0):
        self.target = target  # Keeps the model bytes alive: the interpreter may point into them.
        self._runtime = runtime
        if not runtime.verifies_models and (runtime.name, target.sha256) not in _PROBED:
            probe_in_subprocess(target.model_bytes, runtime, target.path)
            _PROBED.add((runtime.name, target.sha256))
        start = time.perf_counter_ns()
        try:
            interpreter = runtime.module.Interpreter(model_content=target.model_bytes, num_threads=threads)
            interpreter.allocate_tensors()
        except Exception as error:
            raise BundleError(
                f"{runtime.name} {runtime.version} cannot load the model: {error}", target.path
            ) from None
        self.init_us = (time.perf_counter_ns() - start) / 1000
        self._interpreter = interpreter
        self.specs = input_specs(interpreter, target.vocabulary_size)
        for index, array in synthetic_inputs(self.specs, seed).items():
            interpreter.set_tensor(index, array)
        self.delegate_partitions = sum(op["op_name"] == DELEGATE_OP for op in interpreter._get_ops_details())
        outputs = interpreter.get_output_details()
        self.outputs = [{"name": str(out["name"]), "dtype": np.dtype(out["dtype"]).name,
                         "shape": [int(size) for size in out["shape"]]} for out in outputs]
        self._output_indices = [int(out["index"]) for out in outputs]

    def invoke_us(self, clock: str = CLOCK_WALL) -> float:
        """One inference on the inputs already set, in microseconds on `clock` (invoke only)."""
        wall_us, cpu_us = self.invoke_both_us()
        return cpu_us if clock == CLOCK_THREAD_CPU else wall_us

    def invoke_both_us(self) -> tuple[float, float]:
        """One inference timed on both `CLOCKS`: (wall-clock, CPU time of the calling thread) microseconds."""
        wall_start, cpu_start = time.perf_counter_ns(), time.thread_time_ns()
        try:
            self._interpreter.invoke()
        except Exception as error:
            raise self._failed(error) from None
        cpu_end, wall_end = time.thread_time_ns(), time.perf_counter_ns()
        return (wall_end - wall_start) / 1000, (cpu_end - cpu_start) / 1000

    def text_us(self, text: str) -> tuple[float, float]:
        """(tokenize, inference) microseconds of one text: tokenizer; inputs set, invoke, outputs read."""
        start = time.perf_counter_ns()
        token_ids = self._encode(text)
        middle = time.perf_counter_ns()
        feed = feed_from_token_ids(token_ids, self.specs)
        try:
            for index, array in feed.items():
                self._interpreter.set_tensor(index, array)
            self._interpreter.invoke()
            for index in self._output_indices:
                self._interpreter.get_tensor(index)
        except Exception as error:
            raise self._failed(error) from None
        return (middle - start) / 1000, (time.perf_counter_ns() - middle) / 1000

    def check_text_inputs(self) -> None:
        """Raises BundleError now, before any timing, if texts cannot feed this model."""
        feed_from_token_ids(self._encode(""), self.specs)

    def _encode(self, text: str) -> list[int]:
        if self.target.bundle is None:
            raise BundleError("a bare .tflite has no tokenizer: texts need a bundle", self.target.path)
        return self.target.bundle.tokenizer.encode(text)

    def _failed(self, error: Exception) -> EdgeRuntimeError:
        return EdgeRuntimeError(f"{self._runtime.name} failed to run {self.target.name}: {error}")


def interleaved_schedule(model_count: int, runs: int, round_runs: int) -> list[tuple[int, int, int]]:
    """`(round, model, runs)` steps: every model runs `round_runs` times per round, order rotated by round.

    Round r starts with model r mod model_count (A B, B A, A B, ... for two models), so no
    model is always first after a pause; the last round is shorter when `runs` is not a
    multiple of `round_runs`. Each model gets exactly `runs` runs.
    """
    if model_count < 1 or runs < 1 or round_runs < 1:
        raise ValueError(f"need model_count, runs, round_runs >= 1, got {model_count}, {runs}, {round_runs}")
    steps = []
    for round_index in range(-(-runs // round_runs)):
        count = min(round_runs, runs - round_index * round_runs)
        steps += [(round_index, model, count) for model in rotated_order(model_count, round_index)]
    return steps


def rotated_order(model_count: int, step: int) -> list[int]:
    """Model order for the `step`-th round or text: model `step mod model_count` first."""
    return [(step + offset) % model_count for offset in range(model_count)]


def default_round_runs(runs: int) -> int:
    """Runs per model per round: about ten rounds (at least one run per round)."""
    return max(1, -(-runs // 10))
