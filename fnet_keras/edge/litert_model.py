"""`LiteRTModel`: a classifier .tflite in a LiteRT interpreter: token ids in, the output row out.

Bytes reach the interpreter only after `check_tflite_bytes` (size and the flatbuffer file
identifier); an interpreter that does not verify flatbuffers itself (tflite_runtime) gets them
only after a child process loaded and ran them without crashing (`probe_in_subprocess`); and
every interpreter exception becomes a `BundleError` (loading) or an `EdgeRuntimeError`
(running). So a bad file is an error message, never a crash.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from fnet_keras.edge.errors import BundleError, EdgeRuntimeError
from fnet_keras.edge.runtime import RuntimeInfo, detect_runtime, run_python_child
from fnet_keras.edge.tflite_metadata import SIGNATURE_KEY
from fnet_keras.quiet import quiet_native_output
from fnet_keras.text.vocabulary import PAD_ID

# Bytes 4..8 of every LiteRT flatbuffer ("TFL3": schema version 3).
TFLITE_IDENTIFIER = b"TFL3"
# Smaller than any model a converter writes (root offset, identifier, a few tables).
MIN_TFLITE_BYTES = 64
# Seconds a child process may take to load and run a model once (`probe_in_subprocess`).
PROBE_TIMEOUT_SECONDS = 120

# Loads the model at argv[2] with argv[1]'s interpreter and runs it once on zeros; a crash
# here kills only the child. Exit 3 with the message for a Python exception.
_PROBE_SCRIPT = """
import importlib, sys
import numpy as np
module = importlib.import_module(sys.argv[1] + ".interpreter")
try:
    interpreter = module.Interpreter(model_path=sys.argv[2])
    interpreter.allocate_tensors()
    for tensor in interpreter.get_input_details():
        interpreter.set_tensor(tensor["index"], np.zeros(tensor["shape"], tensor["dtype"]))
    interpreter.invoke()
except Exception as error:
    print(error, file=sys.stderr)
    sys.exit(3)
"""


def check_tflite_bytes(data: bytes, path: str | os.PathLike | None = None) -> None:
    """Refuses (BundleError) bytes that cannot be a whole LiteRT flatbuffer.

    Checks the size, the "TFL3" identifier at bytes 4..8, and that the root table and every weight
    buffer lie inside the bytes: a truncated file fails here, before any interpreter reads past its
    end (tflite_runtime does not verify models; ai_edge_litert does).
    """
    if len(data) < MIN_TFLITE_BYTES:
        raise BundleError(
            f"{len(data)} bytes is too small for a LiteRT model (at least {MIN_TFLITE_BYTES}): "
            f"empty or truncated",
            path,
        )
    if data[4:8] != TFLITE_IDENTIFIER:
        raise BundleError(
            f"not a LiteRT flatbuffer: bytes 4..8 are {bytes(data[4:8])!r}, expected {TFLITE_IDENTIFIER!r}",
            path,
        )
    problem = _buffer_extent_problem(bytes(data))
    if problem:
        raise BundleError(f"a damaged or truncated LiteRT flatbuffer: {problem}", path)


def _buffer_extent_problem(data: bytes) -> str | None:
    """Why the model's root table or a weight buffer does not fit in `data`, or None.

    Reads only what the schema fixes: the root offset, the Model table's field 4 (`buffers`, a
    vector of Buffer tables) and each Buffer's field 0 (`data`, a byte vector) or fields 1-2
    (`offset`, `size`: data outside the flatbuffer, for models over 2 GB).
    """
    size = len(data)

    def u32(at: int) -> int:
        if not 0 <= at <= size - 4:
            raise IndexError(at)
        return int.from_bytes(data[at : at + 4], "little")

    def field(table: int, index: int) -> int | None:
        """The position of a table's field, or None when the field is absent."""
        vtable = table - int.from_bytes(data[table : table + 4], "little", signed=True)
        if not 0 <= vtable <= size - 4:
            raise IndexError(vtable)
        vtable_size = int.from_bytes(data[vtable : vtable + 2], "little")
        slot = 4 + 2 * index
        if slot + 2 > vtable_size or vtable + slot + 2 > size:
            return None
        offset = int.from_bytes(data[vtable + slot : vtable + slot + 2], "little")
        return table + offset if offset else None

    try:
        root = u32(0)
        u32(root)
        buffers_field = field(root, 4)
        if buffers_field is None:
            return None
        vector = buffers_field + u32(buffers_field)
        for index in range(u32(vector)):
            element = vector + 4 + 4 * index
            buffer = element + u32(element)
            data_field = field(buffer, 0)
            if data_field is not None:
                start = data_field + u32(data_field)
                end = start + 4 + u32(start)
                if end > size:
                    return f"weight buffer {index} ends at byte {end}, beyond the file's {size}"
            offset_field, size_field = field(buffer, 1), field(buffer, 2)
            if offset_field is not None and size_field is not None:
                end = int.from_bytes(data[offset_field : offset_field + 8], "little") + int.from_bytes(
                    data[size_field : size_field + 8], "little"
                )
                if end > size:
                    return f"weight buffer {index} ends at byte {end}, beyond the file's {size}"
    except IndexError as error:
        return f"an offset ({error}) points outside the file's {size} bytes"
    return None


def probe_in_subprocess(
    model_bytes: bytes, runtime: RuntimeInfo, path: str | os.PathLike | None = None
) -> None:
    """Loads and runs the model once in a child process; refuses (BundleError) a model that crashes it.

    For interpreters that do not verify flatbuffers (`RuntimeInfo.verifies_models` False): a
    corrupted model whose hash was made to match would otherwise kill this process.
    A model that merely raises in the child is left for the in-process load to report.
    """
    with tempfile.TemporaryDirectory(prefix="fnet-keras-probe-") as directory:
        model_path = Path(directory) / "model.tflite"
        model_path.write_bytes(model_bytes)
        try:
            arguments = [runtime.name, str(model_path)]
            completed = run_python_child(_PROBE_SCRIPT, arguments, PROBE_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise BundleError(
                f"{runtime.name} {runtime.version} did not load and run the model within "
                f"{PROBE_TIMEOUT_SECONDS} s: corrupted?",
                path,
            ) from None
    if completed.returncode < 0:
        raise BundleError(
            f"{runtime.name} {runtime.version} crashed (signal {-completed.returncode}) loading and running "
            f"the model: the file is corrupted (it does not verify models; ai_edge_litert would say more)",
            path,
        )


def _dtype_name(dtype) -> str:
    return np.dtype(dtype).name


class LiteRTModel:
    """A classifier .tflite in a LiteRT interpreter, batch 1: `predict(token_ids)` for one text at a time.

    The model's inputs are bound by name through its signature (the converter orders tensors as
    it likes): `inputs` maps each role to a signature input: "token_ids" (required), "mask" (fed
    1 on real tokens, 0 on padding) and "segment_ids" (fed 0). All are int32 `[1, sequence_length]`.

    Args:
        model_bytes: the .tflite file's bytes.
        runtime: the interpreter package (`detect_runtime()` if None).
        num_threads: CPU threads the interpreter may use (>= 1).
        path: the file the bytes came from, named in errors.
        inputs: role -> signature input name (default: the model's only input is the token ids).
        output: the signature output to read (default: the model's only output).
        signature_key: the signature to run.

    Attributes:
        sequence_length, num_classes: from the tensor shapes.
        output_dtype: "float32" (or "int8"/"uint8", dequantized by `predict`).
        output_quantization: `(scale, zero_point)` of a quantized output, else None.

    Raises:
        BundleError: the bytes are not a model this interpreter can load, or its tensors are not
            the named int32 `[1, sequence_length]` inputs and one `[1, num_classes]` output.
    """

    def __init__(
        self,
        model_bytes: bytes,
        runtime: RuntimeInfo | None = None,
        *,
        num_threads: int = 1,
        path: str | os.PathLike | None = None,
        inputs: Mapping[str, str] | None = None,
        output: str | None = None,
        signature_key: str = SIGNATURE_KEY,
    ):
        if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"num_threads must be an integer >= 1, got {num_threads!r}")
        self.runtime = detect_runtime() if runtime is None else runtime
        self.path = None if path is None else os.fspath(path)
        check_tflite_bytes(model_bytes, self.path)
        self._model_bytes = bytes(model_bytes)  # The interpreter may keep pointers into it.
        if not self.runtime.verifies_models:
            probe_in_subprocess(self._model_bytes, self.runtime, self.path)
        try:
            with quiet_native_output():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
                self._interpreter = self.runtime.module.Interpreter(
                    model_content=self._model_bytes, num_threads=num_threads
                )
                self._interpreter.allocate_tensors()
                signatures = self._interpreter.get_signature_list()
                runner = (
                    self._interpreter.get_signature_runner(signature_key)
                    if signature_key in signatures
                    else None
                )
        except Exception as error:  # The wrappers raise ValueError or RuntimeError with the C++ message.
            raise BundleError(
                f"{self.runtime.name} {self.runtime.version} cannot load the model: {error}", self.path
            ) from None
        if runner is None:
            raise BundleError(
                f"the model has no {signature_key!r} signature (it has {sorted(signatures)})", self.path
            )
        input_details = runner.get_input_details()
        output_details = runner.get_output_details()
        if inputs is None:
            if len(input_details) != 1:
                raise BundleError(f"expected one input (token ids), found {sorted(input_details)}", self.path)
            inputs = {"token_ids": next(iter(input_details))}
        if output is None:
            if len(output_details) != 1:
                raise BundleError(f"expected one output, found {sorted(output_details)}", self.path)
            output = next(iter(output_details))
        if set(inputs.values()) != set(input_details) or "token_ids" not in inputs:
            raise BundleError(
                f"the model's inputs are {sorted(input_details)}, expected {sorted(inputs.values())} "
                f"(roles {dict(inputs)})",
                self.path,
            )
        if output not in output_details:
            raise BundleError(
                f"the model's outputs are {sorted(output_details)}, expected {output!r}", self.path
            )
        self._inputs = {role: input_details[name] for role, name in inputs.items()}
        self._output = output_details[output]
        shapes = {role: tuple(int(size) for size in detail["shape"]) for role, detail in self._inputs.items()}
        self.sequence_length = shapes["token_ids"][-1]
        for role, detail in self._inputs.items():
            dtype = _dtype_name(detail["dtype"])
            if dtype != "int32" or shapes[role] != (1, self.sequence_length):
                raise BundleError(
                    f"the model's {role} input {inputs[role]!r} is {dtype} {list(shapes[role])}, expected "
                    f"int32 [1, sequence_length] like the token ids {list(shapes['token_ids'])}",
                    self.path,
                )
        output_shape = tuple(int(size) for size in self._output["shape"])
        if len(output_shape) != 2 or output_shape[0] != 1:
            raise BundleError(
                f"the model output has shape {list(output_shape)}, expected [1, num_classes]", self.path
            )
        self.num_classes = output_shape[1]
        self.output_dtype = _dtype_name(self._output["dtype"])
        self.output_quantization = None
        if self.output_dtype in ("int8", "uint8"):
            scale, zero_point = self._output["quantization"]
            if not scale > 0:
                raise BundleError(
                    f"the quantized output has scale {scale}, expected a positive number", self.path
                )
            self.output_quantization = (float(scale), int(zero_point))
        elif self.output_dtype != "float32":
            raise BundleError(f"the model output is {self.output_dtype}, expected float32", self.path)

    @property
    def model_bytes(self) -> bytes:
        return self._model_bytes

    def predict(self, token_ids: Sequence[int]) -> np.ndarray:
        """The float32 output row `[num_classes]` of one packed id sequence (a quantized one dequantized)."""
        ids = np.asarray(token_ids, dtype=np.int32).reshape(1, self.sequence_length)
        feeds = {
            "token_ids": ids,
            "mask": (ids != PAD_ID).astype(np.int32),
            "segment_ids": np.zeros_like(ids),
        }
        try:
            for role, detail in self._inputs.items():
                self._interpreter.set_tensor(detail["index"], feeds[role])
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self._output["index"])[0]
        except Exception as error:
            raise EdgeRuntimeError(f"{self.runtime.name} failed to run the model: {error}") from None
        if self.output_quantization is None:
            return raw.astype(np.float32)
        return dequantize(raw, *self.output_quantization)

    def check_matches(self, sequence_length: int, num_labels: int) -> None:
        """Refuses (BundleError) a model whose tensors do not fit the tokenizer's length and the labels.

        The one check of model against tokenizer and labels: the bundle writer and the loader call it.
        """
        if self.sequence_length != sequence_length:
            raise BundleError(
                f"the model takes {self.sequence_length} token ids, the tokenizer packs {sequence_length}",
                self.path,
            )
        if self.num_classes != num_labels:
            raise BundleError(
                f"the model gives {self.num_classes} outputs for {num_labels} labels", self.path
            )


def dequantize(raw: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """float32 values of a quantized tensor: (q - zero_point) * scale, as LiteRT defines it."""
    return ((np.asarray(raw).astype(np.float32) - zero_point) * scale).astype(np.float32)
