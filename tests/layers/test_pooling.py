"""Mean pooling: the mean of the real tokens, and an int8 export MediaPipe can run (no int8 DIV)."""

import numpy as np

from fnet_keras.layers.pooling import masked_mean


def test_masked_mean_equals_the_numpy_mean_of_the_real_tokens():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 8, 5)).astype("float32")
    mask = np.zeros((3, 8), bool)
    mask[0, :3] = True
    mask[1, :] = True  # no padding
    # row 2: no real token at all -> zeros, not NaN
    pooled = np.asarray(masked_mean(x, mask))
    np.testing.assert_allclose(pooled[0], x[0, :3].mean(axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(pooled[1], x[1].mean(axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(pooled[2], np.zeros(5, "float32"))


def test_int8_export_of_a_mean_pooling_model_has_no_div_and_passes_the_mediapipe_op_check(tmp_path):
    from support import TINY_BACKBONE

    from fnet_keras.export import Recipe
    from fnet_keras.export.convert import convert, write_saved_model
    from fnet_keras.export.mediapipe_layout import check_mediapipe_ops
    from fnet_keras.export.tflite_ops import read_ops
    from fnet_keras.models import TextClassifier

    model = TextClassifier.from_preset(
        "tiny", vocabulary_size=50, num_classes=3, sequence_length=16, pooling="mean",
        **{key: value for key, value in TINY_BACKBONE.items() if key != "num_heads"},
    )
    calibration = np.random.default_rng(0).integers(1, 50, (20, 16)).astype("int32")
    calibration[:, 10:] = 0
    recipe = Recipe("int8", "dft")
    ops = read_ops(convert(write_saved_model(model, 16, recipe, tmp_path), recipe, calibration))
    assert "DIV" not in {op.name for op in ops}
    check_mediapipe_ops(ops, "the int8 mean-pooling model")  # raises on an int8 kernel MediaPipe lacks
