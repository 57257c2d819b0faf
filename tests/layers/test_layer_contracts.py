"""Every layer of fnet_keras.layers keeps the layer contract (`layer_contract.run_layer_test`): output
shape, config round trip, saving, mixed precision."""

import numpy as np
import pytest
from layer_contract import run_layer_test

from fnet_keras.layers import FNetEncoder, FourierMixing, LinearMixing, PositionEmbedding
from fnet_keras.layers.bounded_mask_attention import BoundedMaskAttention
from fnet_keras.layers.layer_normalization import LayerNormalization

X = np.random.default_rng(5).standard_normal((2, 16, 32)).astype("float32")
ENCODER = {"intermediate_dim": 64, "num_heads": 4, "dropout": 0.1}
CASES = {
    "fourier_mixing": (FourierMixing, {"method": "dft", "name": "mix"}, X, X.shape),
    "fourier_mixing_rfft": (FourierMixing, {"method": "rfft", "normalization": "none"}, X, X.shape),
    "linear_mixing": (LinearMixing, {}, X, X.shape),
    "position_embedding": (PositionEmbedding, {"max_sequence_length": 20}, X, X.shape[1:]),
    "layer_normalization": (LayerNormalization, {"epsilon": 1e-7, "name": "n"}, X, X.shape),
    "bounded_mask_attention": (
        BoundedMaskAttention, {"num_heads": 2, "key_dim": 4, "mask_bias": -30.0}, (X, X), X.shape
    ),
    **{
        f"fnet_encoder_{mixing}": (FNetEncoder, {**ENCODER, "mixing": mixing}, X, X.shape)
        for mixing in ("fourier", "attention", "linear", "none")
    },
}


@pytest.mark.parametrize("case", CASES)
def test_layer_contract(case, tmp_path):
    layer_class, init_kwargs, input_data, expected_shape = CASES[case]
    run_layer_test(layer_class, init_kwargs, input_data, expected_shape, tmp_path)
