import keras
import numpy as np
import pytest

from fnet_keras.models import BagOfEmbeddingsClassifier

SEQ = 16


def token_ids():
    ids = np.random.default_rng(0).integers(1, 50, (3, SEQ)).astype("int32")
    ids[0, 5:] = 0
    ids[1, 1:] = 0
    return ids


def weights(model, name):
    return [np.asarray(w, np.float64) for w in model.get_layer(name).get_weights()]


def numpy_logits(model, ids):
    # Independent float64 forward pass: masked mean of embeddings -> ReLU dense -> logits.
    table = np.asarray(model.get_layer("token_embedding").embeddings, np.float64)
    hidden_kernel, hidden_bias = weights(model, "hidden_dense")
    kernel, bias = weights(model, "logits")
    real = (ids != 0)[..., None]
    mean = (table[ids] * real).sum(1) / real.sum(1)
    return np.maximum(mean @ hidden_kernel + hidden_bias, 0) @ kernel + bias


def test_logits_equal_numpy_masked_mean_and_ignore_padding_length():
    model = BagOfEmbeddingsClassifier(vocabulary_size=50, num_classes=4)
    ids = token_ids()
    logits = np.asarray(model(ids, training=False))
    assert logits.shape == (3, 4)
    np.testing.assert_allclose(logits, numpy_logits(model, ids), atol=1e-5)
    longer = np.concatenate([ids, np.zeros((3, 9), "int32")], axis=1)
    np.testing.assert_allclose(model(longer, training=False), logits, atol=1e-6)
    # Word order does not matter.
    np.testing.assert_allclose(model(ids[:, ::-1], training=False), logits, atol=1e-6)


def test_model_maker_sizes_and_parameter_count():
    model = BagOfEmbeddingsClassifier(vocabulary_size=1000, num_classes=5)
    assert model.count_params() == 1000 * 16 + (16 * 16 + 16) + (16 * 5 + 5)
    plain = BagOfEmbeddingsClassifier(vocabulary_size=1000, num_classes=5, embedding_dim=32, hidden_dim=None)
    assert plain.count_params() == 1000 * 32 + 32 * 5 + 5


def test_save_load_safe_mode_identical_outputs(tmp_path):
    model = BagOfEmbeddingsClassifier(vocabulary_size=50, num_classes=3, sequence_length=SEQ)
    ids = token_ids()
    expected = model.predict(ids, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert isinstance(loaded, BagOfEmbeddingsClassifier) and loaded.sequence_length == SEQ
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), expected)


def test_learns_a_keyword_task():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(1)
    ids = rng.integers(3, 50, (256, SEQ)).astype("int32")
    labels = (ids == 7).any(axis=1).astype("int32")
    model = BagOfEmbeddingsClassifier(vocabulary_size=50, num_classes=2, dropout=0.0)
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(ids, labels, epochs=30, batch_size=32, verbose=0)
    assert model.evaluate(ids, labels, verbose=0)[1] > 0.9


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_classes": 1}, "received 1"),
        ({"vocabulary_size": 0}, "received vocabulary_size=0"),
        ({"hidden_dim": 0}, "received hidden_dim=0"),
        ({"dropout": 1.0}, "received dropout=1.0"),
    ],
)
def test_bad_arguments(kwargs, message):
    args = {"vocabulary_size": 50, "num_classes": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        BagOfEmbeddingsClassifier(**args)
