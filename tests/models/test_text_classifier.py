import json
import zipfile

import keras
import numpy as np
import pytest

from fnet_keras.layers import FourierMixing
from fnet_keras.models import PRESETS, FNetBackbone, TextClassifier, count_parameters

SEQ = 32


def token_ids(batch=4, vocab=100, seed=0):
    return np.random.default_rng(seed).integers(1, vocab, (batch, SEQ)).astype("int32")


@pytest.mark.parametrize("mixing", ["fourier", "attention", "linear", "hybrid", "none"])
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


def test_ff_only_twin_has_fnets_weights():
    fnet = TextClassifier.from_preset("tiny", vocabulary_size=100, num_classes=2, sequence_length=SEQ)
    ff_only = TextClassifier.from_preset(
        "tiny", mixing="none", vocabulary_size=100, num_classes=2, sequence_length=SEQ
    )
    assert [(w.path, w.shape) for w in ff_only.weights] == [(w.path, w.shape) for w in fnet.weights]
    assert [b.mixing for b in ff_only.backbone.encoder_blocks] == ["none", "none"]


def padded_batch():
    ids = token_ids(batch=3)
    ids[0, 10:] = 0
    ids[1, 1:] = 0
    return ids


@pytest.mark.parametrize("mixing", ["fourier", "attention"])
def test_pooling_reads_first_token_or_mean_of_real_tokens(mixing):
    x = padded_batch()
    for pooling in ("first", "mean"):
        backbone = FNetBackbone(
            vocabulary_size=100, num_layers=2, hidden_dim=16, intermediate_dim=32, num_heads=2,
            sequence_length=SEQ, mixing=mixing, pooling=pooling,
        )
        out = backbone(x)
        sequence = np.asarray(out["sequence_output"], np.float64)
        real = (x != 0)[..., None]
        read = sequence[:, 0] if pooling == "first" else (sequence * real).sum(1) / real.sum(1)
        kernel, bias = (np.asarray(w, np.float64) for w in backbone.get_layer("pooled_dense").get_weights())
        np.testing.assert_allclose(out["pooled_output"], np.tanh(read @ kernel + bias), atol=1e-5)


def test_bad_pooling_is_refused():
    with pytest.raises(ValueError, match="received pooling='max'"):
        FNetBackbone(vocabulary_size=50, num_layers=1, hidden_dim=16, intermediate_dim=32, pooling="max")


def test_default_fourier_mixing_is_orthonormal():
    model = TextClassifier.from_preset("tiny", vocabulary_size=100, num_classes=2, sequence_length=SEQ)
    mixers = [layer for layer in model._flatten_layers() if isinstance(layer, FourierMixing)]
    assert [m.normalization for m in mixers] == ["ortho", "ortho"]
    assert model.backbone.pooling == "first"


def strip_keys(value, keys):
    if isinstance(value, dict):
        return {k: strip_keys(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [strip_keys(v, keys) for v in value]
    return value


def test_model_saved_before_normalization_and_pooling_existed_loads_unscaled(tmp_path):
    # A .keras file whose config lacks the new keys (as every model saved before them) must
    # load with the behaviour it was trained with: unscaled DFT, first-token pooling.
    model = TextClassifier.from_preset(
        "tiny", mixing="hybrid", vocabulary_size=100, num_classes=3, sequence_length=SEQ,
        fourier_normalization="none",
    )
    x = padded_batch()
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "new.keras")
    with zipfile.ZipFile(tmp_path / "new.keras") as new, zipfile.ZipFile(tmp_path / "old.keras", "w") as old:
        for item in new.infolist():
            data = new.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                data = json.dumps(strip_keys(config, {"fourier_normalization", "normalization", "pooling"}))
                assert data != json.dumps(config)
            old.writestr(item, data)
    loaded = keras.saving.load_model(tmp_path / "old.keras", safe_mode=True)
    assert loaded.backbone.fourier_normalization == "none" and loaded.backbone.pooling == "first"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)
    # The orthonormal model differs: the test would notice a load that ignored the old default.
    ortho = TextClassifier.from_preset(
        "tiny", mixing="hybrid", vocabulary_size=100, num_classes=3, sequence_length=SEQ
    )
    ortho.set_weights(model.get_weights())
    assert np.abs(ortho.predict(x, verbose=0) - expected).max() > 1e-3


def test_mean_pooling_and_ortho_survive_save_and_load(tmp_path):
    model = TextClassifier.from_preset(
        "tiny", vocabulary_size=100, num_classes=3, sequence_length=SEQ, pooling="mean"
    )
    x = padded_batch()
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert (loaded.backbone.pooling, loaded.backbone.fourier_normalization) == ("mean", "ortho")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("mixing", ["none", "hybrid", "linear"])
def test_pooled_first_token_is_the_full_last_blocks_first_row(mixing):
    # The pooled output comes from a call of the last block that computes position 0 only; it must
    # equal the pooler applied to the full sequence output's first row.
    x = padded_batch()
    backbone = FNetBackbone(
        vocabulary_size=100, num_layers=2, hidden_dim=16, intermediate_dim=32, num_heads=2,
        sequence_length=SEQ, mixing=mixing, num_attention_layers=1 if mixing == "hybrid" else None,
    )
    out = backbone(x)
    first = np.asarray(out["sequence_output"], np.float64)[:, 0]
    kernel, bias = (np.asarray(w, np.float64) for w in backbone.get_layer("pooled_dense").get_weights())
    np.testing.assert_allclose(out["pooled_output"], np.tanh(first @ kernel + bias), atol=1e-5)


def test_model_saved_with_keras_attention_and_layer_norms_loads_and_predicts_the_same(tmp_path, monkeypatch):
    # Models saved before BoundedMaskAttention and fnet_keras' LayerNormalization hold Keras's
    # MultiHeadAttention and LayerNormalization (weights under the same names, a -1e9 mask).
    import fnet_keras.layers.fnet_encoder as encoder_module
    import fnet_keras.models.fnet_backbone as backbone_module

    with monkeypatch.context() as patch:
        patch.setattr(encoder_module, "BoundedMaskAttention", keras.layers.MultiHeadAttention)
        patch.setattr(encoder_module, "LayerNormalization", keras.layers.LayerNormalization)
        patch.setattr(backbone_module, "LayerNormalization", keras.layers.LayerNormalization)
        old = TextClassifier.from_preset(
            "tiny", mixing="hybrid", vocabulary_size=100, num_classes=3, sequence_length=SEQ
        )
        rng = np.random.default_rng(3)
        old.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in old.get_weights()])
        x = padded_batch()
        expected = old.predict(x, verbose=0)
        old.save(tmp_path / "model.keras")
        assert type(old.backbone.get_layer("encoder_block_1").mixing_layer) is keras.layers.MultiHeadAttention
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert type(loaded.backbone.get_layer("encoder_block_1").mixing_layer).__name__ == "BoundedMaskAttention"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-5)
