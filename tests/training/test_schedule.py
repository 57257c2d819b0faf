import math

import keras
import numpy as np
import pytest

from fnet_keras.training.schedule import WarmupDecay


def rates(schedule, steps):
    return np.array([float(schedule(step)) for step in steps])


def test_linear_warmup_then_linear_decay():
    schedule = WarmupDecay(1.0, warmup_steps=4, total_steps=12)
    steps = [0, 1, 3, 4, 8, 11, 12, 50]
    np.testing.assert_allclose(rates(schedule, steps), [0.25, 0.5, 1, 1, 0.5, 0.125, 0, 0], atol=1e-6)


def test_cosine_decay_and_no_warmup():
    schedule = WarmupDecay(2.0, warmup_steps=0, total_steps=8, decay="cosine")
    expected = [2.0, 1.0 + math.cos(math.pi / 4), 1.0, 0.0]
    np.testing.assert_allclose(rates(schedule, [0, 2, 4, 8]), expected, atol=1e-6)


def test_serialization_round_trip():
    schedule = WarmupDecay(5e-4, 10, 100, "cosine")
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert restored.get_config() == schedule.get_config()
    np.testing.assert_allclose(rates(restored, range(0, 100, 7)), rates(schedule, range(0, 100, 7)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="warmup_steps < total_steps"):
        WarmupDecay(1.0, 10, 10)
    with pytest.raises(ValueError, match="decay"):
        WarmupDecay(1.0, 0, 10, decay="step")
