"""Builtin-ops-only: a model traced with FourierMixing 'fft' needs Flex and is refused."""

import numpy as np
import pytest

from fnet_keras.export import (
    ExportError,
    UnsupportedOpsError,
    check_builtin_only,
    convert_saved_model,
    load_model,
    read_ops,
)
from fnet_keras.export.convert import write_saved_model
from fnet_keras.export.mixing import apply_mixing


@pytest.fixture(scope="module")
def fft_saved_model(run_dir, tmp_path_factory):
    model = load_model(run_dir)
    apply_mixing(model, "fft")
    return write_saved_model(model, 16, tmp_path_factory.mktemp("fft") / "saved_model")


def test_converting_fft_mixing_with_builtins_only_names_the_flex_ops(fft_saved_model):
    with pytest.raises(UnsupportedOpsError, match=r"FFT2D.*Flex") as caught:
        convert_saved_model(fft_saved_model, "fp32")
    assert "FFT2D" in caught.value.ops
    assert caught.value.exit_code == 1


def test_a_flatbuffer_with_flex_ops_fails_the_op_check(fft_saved_model):
    import tensorflow as tf

    # Convert the same graph with TF Select allowed, as a careless exporter would.
    converter = tf.lite.TFLiteConverter.from_saved_model(str(fft_saved_model))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    ops = read_ops(converter.convert())
    flex = sorted({op.name for op in ops if not op.builtin})
    assert "FlexFFT2D" in flex
    with pytest.raises(UnsupportedOpsError, match=r"FlexFFT2D x1.*Flex") as caught:
        check_builtin_only(ops, "the fp32 model")
    assert "FlexFFT2D" in caught.value.ops


def test_read_ops_refuses_bytes_that_are_not_a_flatbuffer():
    with pytest.raises(ExportError, match="not a LiteRT flatbuffer"):
        read_ops(b"not a model at all, just some text bytes")
    with pytest.raises(ExportError, match="not a LiteRT flatbuffer"):
        read_ops(np.zeros(64, np.uint8).tobytes())
