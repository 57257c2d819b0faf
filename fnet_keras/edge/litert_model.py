"""`LiteRTModel`: a classifier .tflite in a LiteRT interpreter: token ids in, the output row out.

A bad file is an error message, never a crash: bytes reach an interpreter only after
`check_tflite_bytes`; one that does not verify flatbuffers itself (tflite_runtime) gets them only
after a child process ran them without crashing (`probe_in_subprocess`); and interpreter exceptions
become a `BundleError` (loading) or an `EdgeRuntimeError` (running).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from fnet_keras.edge.errors import BundleError, EdgeRuntimeError
from fnet_keras.edge.manifest import INPUTS, OUTPUT
from fnet_keras.edge.runtime import RuntimeInfo, detect_runtime, run_python_child
from fnet_keras.edge.tflite_metadata import SIGNATURE_KEY, TFLITE_FILE_IDENTIFIER
from fnet_keras.quiet import quiet_native_output
from fnet_keras.text.vocabulary import PAD_ID

MIN_TFLITE_BYTES = 64  # smaller than any model a converter writes
PROBE_TIMEOUT_SECONDS = 120

# Loads the model at argv[2] with argv[1]'s interpreter and runs it once on zeros; a crash kills
# only this child. Exit 3 with the message for a Python exception.
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
    """Refuses (BundleError) bytes that cannot be a whole LiteRT flatbuffer: too small, no "TFL3"
    identifier at bytes 4..8, or a root table or weight buffer that does not lie inside the bytes (a
    truncated file fails here, before tflite_runtime, which verifies nothing, reads past its end)."""
    if len(data) < MIN_TFLITE_BYTES:
        raise BundleError(
            f"{len(data)} bytes is too small for a LiteRT model (at least {MIN_TFLITE_BYTES}): "
            f"empty or truncated",
            path,
        )
    if data[4:8] != TFLITE_FILE_IDENTIFIER:
        raise BundleError(
            f"not a LiteRT flatbuffer: bytes 4..8 are {bytes(data[4:8])!r}, expected "
            f"{TFLITE_FILE_IDENTIFIER!r}",
            path,
        )
    problem = _buffer_extent_problem(bytes(data))
    if problem:
        raise BundleError(f"a damaged or truncated LiteRT flatbuffer: {problem}", path)


def _buffer_extent_problem(data: bytes) -> str | None:
    """Why the root table or a weight buffer does not fit in `data`, or None.

    Reads raw flatbuffer offsets (no schema module is needed, so tflite_runtime devices get the check
    too): the Model's field 4 (`buffers`) and each Buffer's field 0 (`data`) or fields 1-2 (`offset`,
    `size`: data outside the flatbuffer, for models over 2 GB).
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
        slot = 4 + 2 * index
        if slot + 2 > int.from_bytes(data[vtable : vtable + 2], "little") or vtable + slot + 2 > size:
            return None
        offset = int.from_bytes(data[vtable + slot : vtable + slot + 2], "little")
        return table + offset if offset else None

    def u64(at: int) -> int:
        return int.from_bytes(data[at : at + 8], "little")

    try:
        root = u32(0)
        u32(root)
        buffers = field(root, 4)
        if buffers is None:
            return None
        vector = buffers + u32(buffers)
        for index in range(u32(vector)):
            buffer = vector + 4 + 4 * index
            buffer += u32(buffer)
            data_field, offset_field, size_field = field(buffer, 0), field(buffer, 1), field(buffer, 2)
            end = 0
            if data_field is not None:
                start = data_field + u32(data_field)
                end = start + 4 + u32(start)
            if end <= size and offset_field is not None and size_field is not None:
                end = u64(offset_field) + u64(size_field)
            if end > size:
                return f"weight buffer {index} ends at byte {end}, beyond the file's {size}"
    except IndexError as error:
        return f"an offset ({error}) points outside the file's {size} bytes"
    return None


def probe_in_subprocess(
    model_bytes: bytes, runtime: RuntimeInfo, path: str | os.PathLike | None = None
) -> None:
    """Loads and runs the model once in a child process; refuses (BundleError) a model that crashes it.

    For interpreters that do not verify flatbuffers (`RuntimeInfo.verifies_models` False), which a
    corrupted model with a matching hash would otherwise kill. A model that merely raises there is
    left for the in-process load to report.
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


class LiteRTModel:
    """A classifier .tflite in a LiteRT interpreter, batch 1: `predict(token_ids)` for one text at a time.

    The inputs are bound by name through the signature (the converter orders tensors as it likes):
    `inputs` maps each role to a signature input: "token_ids" (required), "mask" (fed 1 on real
    tokens, 0 on padding) and "segment_ids" (fed 0), all int32 `[1, sequence_length]`.

    Args:
        model_bytes: the .tflite file's bytes.
        runtime: the interpreter package (`detect_runtime()` if None).
        num_threads: CPU threads the interpreter may use (>= 1).
        path: the file the bytes came from, named in errors.
        inputs: role -> signature input name (default: the bundle's, `manifest.INPUTS`).
        output: the signature output to read (default: the bundle's, "probabilities").

    Attributes:
        model_bytes: the bytes the interpreter runs.
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
        inputs: Mapping[str, str] = INPUTS,
        output: str = OUTPUT["name"],
    ):
        if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"num_threads must be an integer >= 1, got {num_threads!r}")
        self.runtime = detect_runtime() if runtime is None else runtime
        self.path = None if path is None else os.fspath(path)
        check_tflite_bytes(model_bytes, self.path)
        self.model_bytes = bytes(model_bytes)  # kept alive: the interpreter may point into it
        if not self.runtime.verifies_models:
            probe_in_subprocess(self.model_bytes, self.runtime, self.path)
        try:
            with quiet_native_output():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
                self._interpreter = self.runtime.module.Interpreter(
                    model_content=self.model_bytes, num_threads=num_threads
                )
                self._interpreter.allocate_tensors()
                signatures = self._interpreter.get_signature_list()
                if SIGNATURE_KEY in signatures:
                    runner = self._interpreter.get_signature_runner(SIGNATURE_KEY)
        except Exception as error:  # the wrappers raise ValueError or RuntimeError with the C++ message
            raise BundleError(
                f"{self.runtime.name} {self.runtime.version} cannot load the model: {error}", self.path
            ) from None
        if SIGNATURE_KEY not in signatures:
            raise BundleError(
                f"the model has no {SIGNATURE_KEY!r} signature (it has {sorted(signatures)})", self.path
            )
        input_details, output_details = runner.get_input_details(), runner.get_output_details()
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
        shapes = {role: [int(size) for size in detail["shape"]] for role, detail in self._inputs.items()}
        self.sequence_length = shapes["token_ids"][-1]
        for role, detail in self._inputs.items():
            dtype = np.dtype(detail["dtype"]).name
            if dtype != "int32" or shapes[role] != [1, self.sequence_length]:
                raise BundleError(
                    f"the model's {role} input {inputs[role]!r} is {dtype} {shapes[role]}, expected "
                    f"int32 [1, sequence_length] like the token ids {shapes['token_ids']}",
                    self.path,
                )
        output_shape = [int(size) for size in self._output["shape"]]
        if len(output_shape) != 2 or output_shape[0] != 1:
            raise BundleError(
                f"the model output has shape {output_shape}, expected [1, num_classes]", self.path
            )
        self.num_classes = output_shape[1]
        self.output_dtype = np.dtype(self._output["dtype"]).name
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

    def predict(self, token_ids: Sequence[int]) -> np.ndarray:
        """The float32 output row `[num_classes]` of one packed id sequence (a quantized one dequantized
        as LiteRT defines it: (q - zero_point) * scale)."""
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
        scale, zero_point = self.output_quantization
        return ((raw.astype(np.float32) - zero_point) * scale).astype(np.float32)

    def check_matches(self, sequence_length: int, num_labels: int) -> None:
        """Refuses (BundleError) a model whose tensors do not fit the tokenizer's length and the labels
        (the writer's and the loader's one check of model against tokenizer and labels)."""
        if self.sequence_length != sequence_length:
            raise BundleError(
                f"the model takes {self.sequence_length} token ids, the tokenizer packs {sequence_length}",
                self.path,
            )
        if self.num_classes != num_labels:
            raise BundleError(
                f"the model gives {self.num_classes} outputs for {num_labels} labels", self.path
            )
