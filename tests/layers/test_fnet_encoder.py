import keras
import keras_hub
import numpy as np
import pytest

from fnet_keras.layers import FNetEncoder, FourierMixing, LinearMixing, gelu_approximate

SHAPE = (2, 16, 32)


def sublayers(layer):
    return {s.name: s for s in layer._flatten_layers(include_self=False, recursive=False)}


def randomize(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0.5, 0.2, w.shape).astype("float32") for w in layer.get_weights()])


def copy_by_name(source, target, names):
    src, dst = sublayers(source), sublayers(target)
    for source_name, target_name in names.items():
        dst[target_name].set_weights(src[source_name].get_weights())


def test_loads_keras_hub_fnet_encoder_weights_by_name():
    x = np.random.default_rng(1).standard_normal(SHAPE).astype("float32")
    theirs = keras_hub.layers.FNetEncoder(
        intermediate_dim=64, activation=gelu_approximate, layer_norm_epsilon=1e-12
    )
    theirs(x)
    randomize(theirs)
    ours = FNetEncoder(intermediate_dim=64, fourier_normalization="none")  # keras-hub's DFT is unscaled
    ours(x)
    names = ["mixing_layer_norm", "intermediate_dense", "output_dense", "output_layer_norm"]
    copy_by_name(theirs, ours, {n: n for n in names})
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5)
    # A swap of the two LayerNorms (same shapes) must show: randomized weights differ.
    swapped = FNetEncoder(intermediate_dim=64, fourier_normalization="none")
    swapped(x)
    copy_by_name(theirs, swapped, {
        "mixing_layer_norm": "output_layer_norm", "output_layer_norm": "mixing_layer_norm",
        "intermediate_dense": "intermediate_dense", "output_dense": "output_dense",
    })
    assert np.abs(np.asarray(swapped(x)) - np.asarray(theirs(x))).max() > 1e-2


def test_attention_block_equals_keras_hub_transformer_encoder():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(SHAPE).astype("float32")
    padding_mask = np.ones(SHAPE[:2], bool)
    padding_mask[0, 10:] = False
    theirs = keras_hub.layers.TransformerEncoder(
        intermediate_dim=64, num_heads=4, activation=gelu_approximate,
        layer_norm_epsilon=1e-12, normalize_first=False,
    )
    theirs(x, padding_mask=padding_mask)
    randomize(theirs)
    ours = FNetEncoder(intermediate_dim=64, mixing="attention", num_heads=4)
    ours(x, padding_mask=padding_mask)
    copy_by_name(theirs, ours, {
        "self_attention_layer": "self_attention",
        "self_attention_layer_norm": "mixing_layer_norm",
        "feedforward_intermediate_dense": "intermediate_dense",
        "feedforward_output_dense": "output_dense",
        "feedforward_layer_norm": "output_layer_norm",
    })
    expected = np.asarray(theirs(x, padding_mask=padding_mask))
    np.testing.assert_allclose(ours(x, padding_mask=padding_mask), expected, atol=1e-5)
    # The mask matters: without it the first sequence changes.
    assert np.abs(np.asarray(ours(x))[0] - expected[0]).max() > 1e-3


def test_twins_differ_only_in_mixing_sublayer():
    names = {}
    for mixing in ("fourier", "attention", "linear"):
        block = FNetEncoder(intermediate_dim=64, mixing=mixing, num_heads=4)
        block(np.zeros(SHAPE, "float32"))
        names[mixing] = set(sublayers(block)) - {block.mixing_layer.name}
    assert names["fourier"] == names["attention"] == names["linear"]


def layer_norm(x, layer, epsilon=1e-12):
    gamma, beta = (np.asarray(w, np.float64) for w in layer.get_weights())
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def dense(x, layer):
    kernel, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
    return x @ kernel + bias


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


@pytest.mark.parametrize("normalization", ["none", "ortho"])
@pytest.mark.parametrize("mixing", ["fourier", "none"])
def test_block_equals_numpy_post_norm_block(mixing, normalization):
    # An independent float64 computation of LN(x + mix(x)) -> FF -> LN, with mix the real
    # 2D DFT (numpy's norm) or, for mixing="none", no mixing sublayer: LN(x) -> FF -> LN.
    rng = np.random.default_rng(7)
    x = rng.standard_normal(SHAPE).astype("float32")
    block = FNetEncoder(intermediate_dim=64, mixing=mixing, fourier_normalization=normalization)
    block(x)
    randomize(block, seed=8)
    layers = sublayers(block)
    x64 = x.astype(np.float64)
    if mixing == "fourier":
        norm = {"none": "backward", "ortho": "ortho"}[normalization]
        mixed = x64 + np.fft.fft2(x64, norm=norm).real
    else:
        mixed = x64
    h = layer_norm(mixed, layers["mixing_layer_norm"])
    ff = dense(gelu_tanh(dense(h, layers["intermediate_dense"])), layers["output_dense"])
    expected = layer_norm(h + ff, layers["output_layer_norm"])
    np.testing.assert_allclose(block(x), expected, rtol=1e-4, atol=1e-4)


def test_ff_only_block_has_the_fourier_blocks_weights_and_mixes_nothing():
    x = np.random.default_rng(9).standard_normal(SHAPE).astype("float32")
    fnet = FNetEncoder(intermediate_dim=64, name="block")
    ff_only = FNetEncoder(intermediate_dim=64, mixing="none", name="block")
    fnet(x)
    ff_only(x)
    assert ff_only.mixing_layer is None
    assert [(w.path, w.shape) for w in ff_only.weights] == [(w.path, w.shape) for w in fnet.weights]
    # Each position is processed alone: changing one position changes only that one.
    changed = x.copy()
    # A random change, not a shift: LayerNorm removes shifts.
    changed[:, 3] += np.random.default_rng(11).standard_normal(32).astype("float32")
    difference = np.abs(np.asarray(ff_only(changed)) - np.asarray(ff_only(x))).max(axis=(0, 2))
    assert difference[3] > 1e-3 and np.all(np.delete(difference, 3) == 0)


def test_fourier_mixes_padding_attention_ignores_it():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 16, 32)).astype("float32")
    x_other_padding = x.copy()
    x_other_padding[0, 12:] = rng.standard_normal((4, 32))
    mask = np.arange(16)[None] < 12
    for mixing, changes in (("fourier", True), ("attention", False)):
        block = FNetEncoder(intermediate_dim=64, mixing=mixing, num_heads=4)
        a = np.asarray(block(x, padding_mask=mask))[0, :12]
        b = np.asarray(block(x_other_padding, padding_mask=mask))[0, :12]
        assert (np.abs(a - b).max() > 1e-3) == changes, mixing


def test_linear_mixing_is_dense_along_both_axes():
    layer = LinearMixing()
    x = np.random.default_rng(4).standard_normal((2, 6, 4)).astype("float32")
    y = layer(x)
    ws, wh = (np.asarray(w) for w in (layer.sequence_kernel, layer.hidden_kernel))
    np.testing.assert_allclose(y, np.einsum("st,bth,hk->bsk", ws, x, wh), atol=1e-5)
    with pytest.raises(ValueError, match=r"received shape \(None, None, 4\)"):
        LinearMixing().build((None, None, 4))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"intermediate_dim": 0}, "received intermediate_dim=0"),
        ({"intermediate_dim": 8, "mixing": "conv"}, "received mixing='conv'"),
        ({"intermediate_dim": 8, "mixing": "attention"}, "received num_heads=None"),
        ({"intermediate_dim": 8, "dropout": 1.5}, "received dropout=1.5"),
        ({"intermediate_dim": 8, "fourier_method": "fast"}, "received method='fast'"),
        ({"intermediate_dim": 8, "fourier_normalization": "unit"}, "received normalization='unit'"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FNetEncoder(**kwargs)


def test_the_activation_is_serialized_in_the_config():  # the round trip itself: test_layer_contracts
    assert isinstance(FNetEncoder(8).get_config()["activation"], (str, dict))


def test_method_of_fourier_block_is_settable_after_build():
    block = FNetEncoder(intermediate_dim=64)
    x = np.random.default_rng(6).standard_normal(SHAPE).astype("float32")
    before = np.asarray(block(x))
    assert isinstance(block.mixing_layer, FourierMixing)
    block.mixing_layer.method = "dft"
    np.testing.assert_allclose(block(x), before, atol=1e-4)


def test_config_without_fourier_normalization_loads_unscaled():
    x = np.random.default_rng(10).standard_normal(SHAPE).astype("float32")
    unscaled = FNetEncoder(intermediate_dim=64, fourier_normalization="none")
    unscaled(x)
    config = keras.layers.serialize(FNetEncoder(intermediate_dim=64))
    assert config["config"].pop("fourier_normalization") == "ortho"  # the default is orthonormal
    legacy = keras.layers.deserialize(config)
    legacy(x)
    legacy.set_weights(unscaled.get_weights())
    assert legacy.fourier_normalization == legacy.mixing_layer.normalization == "none"
    np.testing.assert_allclose(legacy(x), unscaled(x), atol=1e-6)


@pytest.mark.parametrize("mixing", ["fourier", "attention", "linear", "none"])
def test_first_position_only_equals_row_zero_of_the_full_block(mixing):
    rng = np.random.default_rng(12)
    x = rng.standard_normal(SHAPE).astype("float32")
    mask = np.arange(SHAPE[1])[None, :] < np.array([[11], [16]])
    block = FNetEncoder(intermediate_dim=64, mixing=mixing, num_heads=4)
    full = np.asarray(block(x, padding_mask=mask))
    randomize(block, seed=13)
    full = np.asarray(block(x, padding_mask=mask))
    first = np.asarray(block(x, padding_mask=mask, first_position_only=True))
    assert first.shape == (SHAPE[0], 1, SHAPE[2])
    np.testing.assert_allclose(first, full[:, :1], rtol=1e-5, atol=1e-5)
