import keras
import numpy as np
import pytest

from fnet_keras.layers import FourierMixing
from fnet_keras.models import PRESETS, FNetBackbone, TextClassifier, count_parameters

SEQ = 32


def token_ids(batch=4, vocab=100, seed=0):
    return np.random.default_rng(seed).integers(1, vocab, (batch, SEQ)).astype("int32")


@pytest.mark.parametrize("mixing", ["fourier", "attention", "linear", "hybrid"])
@pytest.mark.parametrize("preset", ["tiny", "mini"])
def test_parameter_count_formula_matches_model(preset, mixing):
    model = TextClassifier.from_preset(
        preset, mixing=mixing, vocabulary_size=500, num_classes=3, sequence_length=SEQ
    )
    expected = count_parameters(preset, 500, 3, mixing, num_attention_layers=1, sequence_length=SEQ)
    assert model.count_params() == expected["total"]


def test_twin_differs_only_in_mixing_sublayers():
    def layout(model):
        return [
            (w.path.replace("self_attention", "MIX").replace("fourier_mixing", "MIX"), w.shape)
            for w in model.weights if "self_attention" not in w.path
        ]
    fnet = TextClassifier.from_preset("tiny", vocabulary_size=100, num_classes=2, sequence_length=SEQ)
    twin = TextClassifier.from_preset(
        "tiny", mixing="attention", vocabulary_size=100, num_classes=2, sequence_length=SEQ
    )
    assert layout(fnet) == layout(twin)
    assert any("self_attention" in w.path for w in twin.weights)
    assert not any("self_attention" in w.path for w in fnet.weights)


def test_hybrid_puts_attention_in_top_blocks():
    model = TextClassifier.from_preset(
        "mini", mixing="hybrid", num_attention_layers=2, vocabulary_size=100, num_classes=2
    )
    assert [b.mixing for b in model.backbone.encoder_blocks] == [
        "fourier", "fourier", "attention", "attention"
    ]


def test_save_load_safe_mode_identical_outputs(tmp_path):
    model = TextClassifier.from_preset(
        "tiny", mixing="hybrid", vocabulary_size=100, num_classes=3, sequence_length=SEQ
    )
    x = token_ids()
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert isinstance(loaded, TextClassifier) and isinstance(loaded.backbone, FNetBackbone)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)


def test_training_step_reduces_loss():
    keras.utils.set_random_seed(0)
    model = TextClassifier.from_preset(
        "tiny", vocabulary_size=100, num_classes=2, sequence_length=SEQ, dropout=0.0
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(3e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x = token_ids(batch=32)
    y = (x[:, 1] > 50).astype("int32")  # learnable from one token
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.7 * first


def test_mixed_precision_model():
    try:
        keras.config.set_dtype_policy("mixed_float16")
        model = TextClassifier.from_preset(
            "tiny", vocabulary_size=100, num_classes=2, sequence_length=SEQ
        )
        logits = model(token_ids())
    finally:
        keras.config.set_dtype_policy("float32")
    block = model.backbone.encoder_blocks[0]
    assert block.compute_dtype == "float16" and logits.dtype == "float32"
    assert np.isfinite(np.asarray(logits)).all()


def test_fourier_method_switch_changes_traced_path_not_outputs():
    model = TextClassifier.from_preset("tiny", vocabulary_size=100, num_classes=2, sequence_length=SEQ)
    x = token_ids()
    expected = np.asarray(model(x))
    mixers = [layer for layer in model._flatten_layers() if isinstance(layer, FourierMixing)]
    assert len(mixers) == PRESETS["tiny"]["num_layers"]
    for layer in mixers:
        layer.method = "rfft"
    np.testing.assert_allclose(model(x), expected, atol=1e-4)


def test_segments_add_an_input():
    backbone = FNetBackbone(
        vocabulary_size=50, num_layers=1, hidden_dim=16, intermediate_dim=32, num_segments=2
    )
    out = backbone({"token_ids": token_ids(vocab=50), "segment_ids": np.zeros((4, SEQ), "int32")})
    assert out["sequence_output"].shape == (4, SEQ, 16)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mixing": "conv"}, "received mixing='conv'"),
        ({"mixing": "hybrid", "num_attention_layers": 5}, "received num_attention_layers=5"),
        ({"mixing": "linear"}, "needs a fixed `sequence_length`"),
        ({"sequence_length": 1000}, "received sequence_length=1000"),
        ({"vocabulary_size": 0}, "received vocabulary_size=0"),
    ],
)
def test_bad_backbone_arguments(kwargs, message):
    args = dict(vocabulary_size=50, num_layers=2, hidden_dim=16, intermediate_dim=32, num_heads=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        FNetBackbone(**args)


def test_bad_preset_and_classes():
    with pytest.raises(ValueError, match="Unknown preset 'huge'"):
        TextClassifier.from_preset("huge", vocabulary_size=10, num_classes=2)
    with pytest.raises(ValueError, match="received 1"):
        TextClassifier.from_preset("tiny", vocabulary_size=10, num_classes=1)


def test_rfft_model_needs_power_of_two_length():
    with pytest.raises(ValueError, match="length is 24"):
        TextClassifier.from_preset(
            "tiny", vocabulary_size=10, num_classes=2, sequence_length=24, fourier_method="rfft"
        )
