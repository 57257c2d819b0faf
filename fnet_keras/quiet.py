"""Output for people: library start-up noise captured at the file-descriptor level, replayed on failure.

TensorFlow 2.21 writes `I0000 ... oneDNN custom operations are on`, absl's `WARNING: All log
messages before absl::InitializeLog() is called ...`, `Could not find cuda drivers`, `failed call
to cuInit` and, at its first int64 op, `oneDNN supports DT_INT64 only on platforms with AVX-512`
from C++ straight to file descriptor 2; `TF_CPP_MIN_LOG_LEVEL` does not remove the `I0000` lines
(absl writes them before TensorFlow reads it). The TFLite converter prints `fully_quantize: 0,
inference_type: 6, ...` the same way, and every LiteRT interpreter `INFO: Created TensorFlow
Lite XNNPACK delegate for CPU.`.

`quiet_native_output()` points descriptor 2 at a temporary file for the duration of a block and
gives Python its own copy of the real stderr meanwhile, so the package's progress lines, notes and
errors (written through `sys.stderr`) still reach the user while native writes do not. What was
captured is replayed when the block fails, so a crash still explains itself. Blocks nest (the
outermost one captures). With `FNET_KERAS_VERBOSE=1` (the CLI's `--verbose`) nothing is captured.
Nothing here turns oneDNN off (that changes numerics) or hides devices. Pure Python: the edge
runtime uses it too.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator

VERBOSE_ENVIRONMENT = "FNET_KERAS_VERBOSE"
_depth = 0  # nested quiet blocks: only the outermost one redirects


def is_verbose() -> bool:
    return os.environ.get(VERBOSE_ENVIRONMENT, "") not in ("", "0")


@contextlib.contextmanager
def quiet_native_output(expected: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Captures native writes to file descriptor 2 inside the block; replays them on an exception.

    Args:
        expected: exceptions that explain themselves (a user's mistake reported as such): no replay.
    """
    global _depth
    if is_verbose() or _depth:
        yield
        return
    try:
        sys.stderr.flush()
        real_stderr = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real descriptor 2 (an embedding host)
        yield
        return
    python_stderr = sys.stderr
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        if _writes_to_descriptor_2(python_stderr):  # else Python's stderr goes elsewhere already
            sys.stderr = io.TextIOWrapper(
                io.FileIO(real_stderr, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                line_buffering=True,
            )
        _depth += 1
        failed = False
        try:
            yield
        except BaseException as error:
            failed = not isinstance(error, expected)
            raise
        finally:
            _depth -= 1
            with contextlib.suppress(ValueError, OSError):
                sys.stderr.flush()
            sys.stderr = python_stderr
            os.dup2(real_stderr, 2)
            os.close(real_stderr)
            if failed:
                captured.seek(0)
                text = captured.read().decode("utf-8", "replace")
                if text:
                    python_stderr.write(text)
                    python_stderr.flush()


def _writes_to_descriptor_2(stream) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):  # a test's capture object, a StringIO...
        return False


def load_tensorflow():
    """Imports TensorFlow and starts its devices quietly; returns the module.

    Python-side TensorFlow and absl logging are set to errors only (warnings still show with
    `FNET_KERAS_VERBOSE=1`).
    """
    if not is_verbose():
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_native_output():
        import tensorflow as tf

        tf.config.list_physical_devices()  # device start-up: the CUDA probe logs here
        if not is_verbose():
            import absl.logging

            absl.logging.set_verbosity(absl.logging.ERROR)
            tf.get_logger().setLevel("ERROR")
    return tf
