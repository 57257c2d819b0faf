"""MaskedLM: the head on the masked positions, computed again with numpy from the weights."""

import math

import keras
import numpy as np
import pytest

from fnet_keras.models.masked_lm import MaskedLM

SIZES = {"num_layers": 1, "hidden_dim": 32, "intermediate_dim": 64, "num_heads": 2}


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def layer_norm(x, gamma, beta, epsilon):
    mean, variance = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


@pytest.mark.parametrize("mixing, embedding_dim", [("fourier", 16), ("attention", 32), ("hybrid", 16)])
def test_logits_at_masked_positions_match_numpy(mixing, embedding_dim):
    keras.utils.set_random_seed(1)
    model = MaskedLM.from_preset("tiny", vocabulary_size=50, mixing=mixing, sequence_length=12,
                                 embedding_dim=embedding_dim, dropout=0.0, **SIZES)
    rng = np.random.default_rng(0)
    token_ids = rng.integers(0, 50, (3, 12)).astype("int32")
    positions = np.array([[1, 5, 0], [11, 2, 2], [0, 0, 0]], "int32")
    # Non-trivial head weights (the bias starts at zero).
    model.output_bias.assign(rng.normal(size=50).astype("float32"))
    logits = np.asarray(model({"token_ids": token_ids, "mask_positions": positions}))
    assert logits.shape == (3, 3, 50) and logits.dtype == np.float32

    sequence = np.asarray(model.backbone(token_ids)["sequence_output"])
    picked = np.stack([sequence[row, positions[row]] for row in range(3)])
    dense, norm = model.get_layer("mlm_dense"), model.get_layer("mlm_layer_norm")
    hidden = gelu_tanh(picked @ dense.kernel.numpy() + dense.bias.numpy())
    hidden = layer_norm(hidden, norm.gamma.numpy(), norm.beta.numpy(), 1e-12)
    table = model.backbone.get_layer("token_embedding").embeddings.numpy()
    assert table.shape == (50, embedding_dim)
    expected = hidden @ table.T + model.output_bias.numpy()  # tied to the token embedding table
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)


def test_config_round_trip_keeps_the_model():
    model = MaskedLM.from_preset("tiny", vocabulary_size=40, sequence_length=8, dropout=0.0, **SIZES)
    copy = MaskedLM.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    inputs = {"token_ids": np.arange(16, dtype="int32").reshape(2, 8),
              "mask_positions": np.ones((2, 2), "int32")}
    np.testing.assert_array_equal(np.asarray(copy(inputs)), np.asarray(model(inputs)))
    head = len(model.trainable_variables) - len(model.backbone.trainable_variables)
    assert head == 5  # dense kernel and bias, LayerNorm gamma and beta, output bias
