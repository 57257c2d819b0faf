"""Builtin ops only: a model traced with FourierMixing 'fft' needs Flex and is refused."""

import pytest

from fnet_keras.export import ExportError, Recipe, UnsupportedOpsError
from fnet_keras.export.convert import convert, write_saved_model
from fnet_keras.export.tflite_ops import check_builtin_only, read_ops


@pytest.fixture(scope="module")
def fft_saved_model(trained_run, tmp_path_factory):
    from fnet_keras.training import RunDir

    model = RunDir(trained_run.run_dir).load().load_model()
    return write_saved_model(model, 16, Recipe("fp32", "fft"), tmp_path_factory.mktemp("fft"))


def test_converting_fft_mixing_with_builtins_only_names_the_flex_ops(fft_saved_model):
    with pytest.raises(UnsupportedOpsError, match=r"FFT2D.*Flex") as caught:
        convert(fft_saved_model, Recipe("fp32", "fft"))
    assert "FFT2D" in caught.value.ops and caught.value.exit_code == 1


def test_a_flatbuffer_with_flex_ops_fails_the_op_check(fft_saved_model):
    import tensorflow as tf

    # Convert the same graph with TF Select allowed, as a careless exporter would.
    converter = tf.lite.TFLiteConverter.from_saved_model(str(fft_saved_model))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    ops = read_ops(converter.convert())
    assert "FlexFFT2D" in sorted({op.name for op in ops if not op.builtin})
    with pytest.raises(UnsupportedOpsError, match=r"FlexFFT2D x1.*Flex") as caught:
        check_builtin_only(ops, "the fp32 model")
    assert "FlexFFT2D" in caught.value.ops


def test_read_ops_refuses_bytes_that_are_not_a_flatbuffer():
    with pytest.raises(ExportError, match="not a LiteRT flatbuffer"):
        read_ops(b"not a model at all, just some text bytes, long enough to be checked for the header")
    with pytest.raises(ExportError, match="too small|not a LiteRT flatbuffer"):
        read_ops(bytes(64))
