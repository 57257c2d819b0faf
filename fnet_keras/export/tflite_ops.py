"""Op policy of the export: builtin ops only, and which ops carry the arithmetic.

The ops are read by the package's one op reader, `fnet_keras.edge.model_ops.read_ops`; `read_ops`
here turns its errors into `ExportError`s.
"""

from __future__ import annotations

from fnet_keras.edge.errors import BundleError
from fnet_keras.edge.model_ops import ModelOp, custom_op_counts
from fnet_keras.edge.model_ops import read_ops as _read_ops
from fnet_keras.export.errors import ExportError, UnsupportedOpsError

# The ops that carry the model's arithmetic: a fully integer export wants none of them in float.
MATMUL_FFT_OPS = ("FULLY_CONNECTED", "BATCH_MATMUL", "CONV_2D", "RFFT2D", "REAL", "IMAG", "COMPLEX_ABS")


def read_ops(tflite_bytes: bytes) -> list[ModelOp]:
    """Every operator of every subgraph, in graph order; an ExportError for bytes that are not a model."""
    try:
        return _read_ops(tflite_bytes)
    except BundleError as error:
        raise ExportError(f"the converted model: {error.reason}") from None


def check_builtin_only(ops: list[ModelOp], what: str = "the model") -> None:
    """Raises `UnsupportedOpsError` if any op is a Flex or other custom op."""
    if custom := custom_op_counts(ops):
        listing = ", ".join(f"{name} x{count}" for name, count in custom.items())
        flex = any(name.startswith("Flex") for name in custom)
        why = " (Flex ops need the TensorFlow Select runtime, which edge interpreters lack)" if flex else ""
        raise UnsupportedOpsError(f"{what} uses ops outside LiteRT's builtin set: {listing}{why}", [*custom])
