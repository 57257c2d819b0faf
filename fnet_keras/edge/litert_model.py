"""`LiteRTModel`: a classifier .tflite in a LiteRT interpreter: token ids in, float logits out.

Bytes reach the interpreter only after `check_tflite_bytes` (size and the flatbuffer file
identifier); an interpreter that does not verify flatbuffers itself (tflite_runtime) gets them
only after a child process loaded and ran them without crashing (`probe_in_subprocess`); and
every interpreter exception becomes a `BundleError` (loading) or an `EdgeRuntimeError`
(running). So a bad file is an error message, never a crash.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fnet_keras.edge.errors import BundleError, EdgeRuntimeError
from fnet_keras.edge.runtime import RuntimeInfo, detect_runtime

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
    """Refuses (BundleError) bytes that cannot be a LiteRT flatbuffer: too short or no "TFL3" at 4..8."""
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
            completed = subprocess.run(
                [sys.executable, "-c", _PROBE_SCRIPT, runtime.name, str(model_path)],
                capture_output=True,
                timeout=PROBE_TIMEOUT_SECONDS,
                # The child imports the interpreter from wherever this process found it.
                env={**os.environ, "PYTHONPATH": os.pathsep.join(entry for entry in sys.path if entry)},
            )
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
    """One classifier model in an interpreter, batch 1: `logits(token_ids)` for one text at a time.

    Args:
        model_bytes: the .tflite file's bytes.
        runtime: the interpreter package (`detect_runtime()` if None).
        num_threads: CPU threads the interpreter may use (>= 1).
        path: the file the bytes came from, named in errors.

    Attributes:
        input_shape, output_shape: the tensor shapes, e.g. `(1, 64)` and `(1, 2)`.
        input_dtype, output_dtype: numpy dtype names ("int32"; "float32" or "int8").
        output_quantization: `(scale, zero_point)` of a quantized output, else None.

    Raises:
        BundleError: the bytes are not a model this interpreter can load, or it does not have
            exactly one input and one output.
    """

    def __init__(
        self,
        model_bytes: bytes,
        runtime: RuntimeInfo | None = None,
        *,
        num_threads: int = 1,
        path: str | os.PathLike | None = None,
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
            self._interpreter = self.runtime.module.Interpreter(
                model_content=self._model_bytes, num_threads=num_threads
            )
            self._interpreter.allocate_tensors()
        except Exception as error:  # The wrappers raise ValueError or RuntimeError with the C++ message.
            raise BundleError(
                f"{self.runtime.name} {self.runtime.version} cannot load the model: {error}", self.path
            ) from None
        inputs = self._interpreter.get_input_details()
        outputs = self._interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise BundleError(
                f"expected a model with one input (token ids) and one output (logits), found "
                f"{len(inputs)} input(s) and {len(outputs)} output(s)",
                self.path,
            )
        self._input, self._output = inputs[0], outputs[0]
        self.input_shape = tuple(int(size) for size in self._input["shape"])
        self.output_shape = tuple(int(size) for size in self._output["shape"])
        self.input_dtype = _dtype_name(self._input["dtype"])
        self.output_dtype = _dtype_name(self._output["dtype"])
        self.output_quantization = None
        if self.output_dtype in ("int8", "uint8"):
            scale, zero_point = self._output["quantization"]
            if not scale > 0:
                raise BundleError(
                    f"the quantized output has scale {scale}, expected a positive number", self.path
                )
            self.output_quantization = (float(scale), int(zero_point))
        if len(self.input_shape) != 2 or self.input_shape[0] != 1 or self.input_dtype != "int32":
            raise BundleError(
                f"the model input is {self.input_dtype} {list(self.input_shape)}, "
                f"expected int32 [1, sequence_length]",
                self.path,
            )
        if len(self.output_shape) != 2 or self.output_shape[0] != 1:
            raise BundleError(
                f"the model output has shape {list(self.output_shape)}, expected [1, num_classes]", self.path
            )

    @property
    def sequence_length(self) -> int:
        return self.input_shape[1]

    @property
    def num_classes(self) -> int:
        return self.output_shape[1]

    def logits(self, token_ids: Sequence[int]) -> np.ndarray:
        """float32 logits `[num_classes]` of one packed id sequence (an int8 output is dequantized)."""
        ids = np.asarray(token_ids, dtype=np.int32).reshape(self.input_shape)
        try:
            self._interpreter.set_tensor(self._input["index"], ids)
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self._output["index"])[0]
        except Exception as error:
            raise EdgeRuntimeError(f"{self.runtime.name} failed to run the model: {error}") from None
        if self.output_quantization is None:
            return raw.astype(np.float32)
        return dequantize(raw, *self.output_quantization)


def dequantize(raw: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """float32 values of a quantized tensor: (q - zero_point) * scale, as LiteRT defines it."""
    return ((np.asarray(raw).astype(np.float32) - zero_point) * scale).astype(np.float32)
