import keras
import numpy as np
import pytest
import tensorflow as tf

from fnet_keras.layers import FourierMixing

ALL_SHAPES = [(3, 37, 24), (2, 100, 96), (1, 128, 256), (1, 512, 64), (2, 1, 5), (2, 8, 2)]
POW2_SHAPES = [(1, 128, 256), (1, 512, 64), (2, 8, 2), (4, 1, 1)]


def relative_error(y, x, norm="backward"):
    ref = np.fft.fft2(x.astype(np.float64), norm=norm).real
    return np.abs(np.asarray(y, np.float64) - ref).max() / np.abs(ref).max()


def random_input(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# Measured worst relative error over these shapes: 9.7e-7 (dft), 2.3e-7 (fft), 1.6e-7 (rfft); the
# bound leaves 10x for other CPUs and kernels.

# FourierMixing's normalization -> numpy's `norm` of the same transform.
NUMPY_NORM = {"none": "backward", "ortho": "ortho"}


@pytest.mark.parametrize("normalization", ["none", "ortho"])
@pytest.mark.parametrize("method", ["fft", "dft", "auto"])
@pytest.mark.parametrize("shape", ALL_SHAPES)
def test_matches_numpy_fft2_real(method, shape, normalization):
    x = random_input(shape)
    y = FourierMixing(method, normalization=normalization)(x)
    assert relative_error(y, x, NUMPY_NORM[normalization]) <= 1e-5


@pytest.mark.parametrize("normalization", ["none", "ortho"])
@pytest.mark.parametrize("shape", POW2_SHAPES)
def test_rfft_matches_numpy_fft2_real(shape, normalization):
    x = random_input(shape)
    y = FourierMixing("rfft", normalization=normalization)(x)
    assert relative_error(y, x, NUMPY_NORM[normalization]) <= 1e-5


def test_default_is_orthonormal_and_keeps_the_input_scale():
    # Parseval: the orthonormal 2D DFT keeps the energy; the real part of a real input's
    # spectrum holds about half of it. The unscaled one grows it by sequence × hidden.
    x = random_input((4, 128, 64))
    assert FourierMixing().normalization == "ortho"
    ratio = float(np.std(FourierMixing()(x)) / np.std(x))
    assert 0.6 < ratio < 0.8
    unscaled = float(np.std(FourierMixing(normalization="none")(x)) / np.std(x))
    assert unscaled == pytest.approx(ratio * np.sqrt(128 * 64), rel=1e-3)


@pytest.mark.parametrize("shape", [(3, 37, 24), (2, 100, 96), (1, 64, 24)])
def test_rfft_rejects_non_power_of_two(shape):
    bad = shape[1] if shape[1] & (shape[1] - 1) else shape[2]
    with pytest.raises(ValueError, match=rf"length is {bad}\b"):
        FourierMixing("rfft")(random_input(shape))


@pytest.mark.parametrize("normalization", ["none", "ortho"])
@pytest.mark.parametrize("method", ["fft", "dft"])
def test_dynamic_sequence_length(method, normalization):
    layer = FourierMixing(method, normalization=normalization)
    fn = tf.function(layer, input_signature=[tf.TensorSpec((None, None, None), tf.float32)])
    for seq_len, hidden in ((5, 24), (37, 24), (64, 8)):
        x = random_input((2, seq_len, hidden), seed=seq_len)
        assert relative_error(fn(x), x, NUMPY_NORM[normalization]) <= 1e-5


def test_unknown_normalization_quotes_value():
    with pytest.raises(ValueError, match="received normalization='backward'"):
        FourierMixing(normalization="backward")


def test_config_without_normalization_loads_unscaled():
    # Configs saved before the option existed were unscaled: they must load as they were.
    config = FourierMixing("dft").get_config()
    assert config["normalization"] == "ortho"
    del config["normalization"]
    legacy = FourierMixing.from_config(config)
    assert legacy.normalization == "none"
    x = random_input((2, 12, 8))
    assert relative_error(legacy(x), x, "backward") <= 1e-5
    clone = FourierMixing.from_config(FourierMixing(normalization="ortho").get_config())
    assert clone.normalization == "ortho"


@pytest.mark.parametrize("method", ["dft", "rfft"])
def test_orthonormal_scale_costs_no_matmul_and_at_most_one_multiplication(method):
    # dft folds the scale into a matrix, rfft multiplies the half spectrum once: the traced
    # graphs differ from the unscaled ones by at most one Mul and nothing else.
    def op_counts(normalization):
        layer = FourierMixing(method, normalization=normalization)
        graph = tf.function(layer.call).get_concrete_function(tf.TensorSpec((1, 16, 8), tf.float32)).graph
        counts = {}
        for op in graph.get_operations():
            counts[op.type] = counts.get(op.type, 0) + 1
        return counts

    unscaled, scaled = op_counts("none"), op_counts("ortho")
    extra = {k: scaled.get(k, 0) - unscaled.get(k, 0) for k in set(scaled) | set(unscaled)}
    assert {k: v for k, v in extra.items() if v} == {"Mul": 1, "Const": 1}


def test_unknown_method_quotes_value():
    with pytest.raises(ValueError, match="received method='fast'"):
        FourierMixing("fast")


def test_bad_rank_quotes_shape():
    with pytest.raises(ValueError, match=r"received shape \(2, 8\)"):
        FourierMixing()(np.zeros((2, 8), "float32"))


# The op that gives each method away in a traced graph (the other methods trace none of it).
SIGNATURE_OP = {"fft": "FFT2D", "rfft": "RFFT2D", "dft": "BatchMatMulV2"}


def test_method_switch_on_built_layer_applies_to_new_traces():
    x = random_input((2, 16, 8))
    layer = FourierMixing()
    reference = np.asarray(layer(x))
    for method in ("rfft", "dft", "fft"):
        layer.method = method
        function = tf.function(layer.call)  # a new trace
        graph = function.get_concrete_function(tf.TensorSpec(x.shape, tf.float32)).graph
        types = {op.type for op in graph.get_operations()}
        assert {name for name, op in SIGNATURE_OP.items() if op in types} == {method}
        np.testing.assert_allclose(function(tf.constant(x)), reference, atol=1e-5 * np.abs(reference).max())


def test_rfft_switch_refused_on_non_power_of_two_built_layer():
    layer = FourierMixing()
    layer(random_input((1, 12, 8)))
    with pytest.raises(ValueError, match="length is 12"):
        layer.method = "rfft"
    assert layer.method == "auto"


def test_rfft_traces_rfft2d_and_no_complex_fft():
    layer = FourierMixing("rfft")
    graph = tf.function(layer.call).get_concrete_function(
        tf.TensorSpec((1, 16, 8), tf.float32)
    ).graph
    op_types = {op.type for op in graph.get_operations()}
    assert "RFFT2D" in op_types
    assert not op_types & {"FFT2D", "FFT", "Complex"}


@pytest.mark.parametrize("normalization", ["none", "ortho"])
@pytest.mark.parametrize("method", ["fft", "dft", "rfft"])
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_computes_in_float32(method, policy, normalization):
    x = random_input((2, 32, 16))
    try:
        keras.config.set_dtype_policy(policy)
        layer = FourierMixing(method, normalization=normalization)
        y = layer(x)
    finally:
        keras.config.set_dtype_policy("float32")
    assert layer.compute_dtype == y.dtype == policy.split("_")[1]
    # Only the final cast rounds: float16 keeps 11 bits, bfloat16 8 bits.
    tolerance = 1e-3 if policy == "mixed_float16" else 8e-3
    x_rounded = np.asarray(keras.ops.cast(keras.ops.cast(x, y.dtype), "float32"))
    y = np.asarray(keras.ops.cast(y, "float32"))
    assert relative_error(y, x_rounded, NUMPY_NORM[normalization]) <= tolerance


def test_bfloat16_keeps_large_dc_term():
    # Unscaled, the sum of 512 * 256 twos = 262144: beyond float16's range, fine in
    # float32/bfloat16.
    x = np.full((1, 512, 256), 2.0, "float32")
    try:
        keras.config.set_dtype_policy("mixed_bfloat16")
        y = FourierMixing("dft", normalization="none")(x)
    finally:
        keras.config.set_dtype_policy("float32")
    assert float(keras.ops.cast(y, "float32")[0, 0, 0]) == pytest.approx(262144, rel=1e-2)


def test_sequential_and_unknown_dimensions():  # the config round trip: test_layer_contracts
    model = keras.Sequential([keras.Input((128, 256)), FourierMixing(), keras.layers.Dense(2)])
    assert model(random_input((2, 128, 256))).shape == (2, 128, 2)
    assert FourierMixing("dft", name="mix").compute_output_shape((None, 7, 3)) == (None, 7, 3)


@pytest.mark.parametrize("normalization", ["none", "ortho"])
@pytest.mark.parametrize("method", ["fft", "dft", "rfft"])
@pytest.mark.parametrize("shape", [(2, 16, 8), (1, 128, 256), (3, 1, 4), (2, 8, 2)])
def test_first_position_only_is_row_zero_of_numpy_fft2(method, shape, normalization):
    x = random_input(shape, seed=5)
    y = np.asarray(FourierMixing(method, normalization=normalization)(x, first_position_only=True))
    reference = np.fft.fft2(x.astype(np.float64), norm=NUMPY_NORM[normalization]).real[:, :1, :]
    assert y.shape == (shape[0], 1, shape[2])
    assert np.abs(y - reference).max() <= 1e-4 * np.abs(reference).max()


@pytest.mark.parametrize("shape", [(1, 4, 4), (2, 2, 8), (1, 32, 16), (1, 1, 8), (2, 8, 1)])
def test_rfft_reconstruction_at_small_and_degenerate_sizes(shape):
    x = random_input(shape, seed=6)
    assert relative_error(FourierMixing("rfft", normalization="none")(x), x) <= 1e-5


def test_rfft_graph_is_rfft2d_real_two_reversals_two_slices_two_concatenations():
    # The Hermitian reconstruction as data movement only, without strided slices of negative stride
    # (LiteRT's kernel for those is ~30x slower than REVERSE_V2).
    layer = FourierMixing("rfft", normalization="none")
    graph = tf.function(layer.call).get_concrete_function(tf.TensorSpec((1, 16, 8), tf.float32)).graph
    counts = {}
    for op in graph.get_operations():
        counts[op.type] = counts.get(op.type, 0) + 1
    assert counts.get("RFFT2D") == 1 and counts.get("ReverseV2") == 2 and counts.get("ConcatV2") == 2
    for op in graph.get_operations():
        if op.type == "StridedSlice":
            strides = tf.get_static_value(op.inputs[3])
            assert strides is not None and (strides > 0).all(), strides
