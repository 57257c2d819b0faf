"""The quickstart's sizes and the length it picks for the user's texts."""

from __future__ import annotations

import pytest

from fnet_keras.presets import PRESETS
from fnet_keras.quickstart import SIZES, QuickstartError
from fnet_keras.quickstart.sizes import choose_sequence_length, get_size, user_data_settings


def _texts(words: int, count: int) -> list[str]:
    return [" ".join(["word"] * words)] * count


@pytest.mark.parametrize(
    "texts, length",
    [
        # 20 words ~ 26 pieces + [CLS] + [SEP] = 28 -> 32; 30 words ~ 39 + 2 = 41 -> 64.
        (_texts(20, 10), 32),
        (_texts(30, 10), 64),
        # The 95th percentile decides: 95 of 100 short texts fit in 32, 94 of 100 do not.
        (_texts(5, 95) + _texts(300, 5), 32),
        (_texts(5, 94) + _texts(300, 6), 512),
        (_texts(5000, 3), 512),  # longer than the longest: the longest
        ([], 32),
    ],
    ids=["20-words", "30-words", "95-percent-short", "94-percent-short", "very-long", "no-texts"],
)
def test_the_length_is_the_shortest_power_of_two_that_holds_95_percent(texts, length):
    assert choose_sequence_length(texts) == length


def test_sizes_are_powers_of_two_within_the_preset_with_distinct_data():
    for size in SIZES.values():
        length = size.sequence_length
        assert length & (length - 1) == 0 and length <= PRESETS["tiny"]["max_sequence_length"]
        assert size.parity_examples >= 500 and size.bench_runs > 0
        settings = size.train_settings("attention")
        assert settings.mixing == "attention"
        assert (settings.epochs, settings.sequence_length) == (size.epochs, length)
    assert get_size("small") is SIZES["small"] and get_size(SIZES["default"]) is SIZES["default"]
    with pytest.raises(QuickstartError, match="unknown quickstart size 'huge'"):
        get_size("huge")


def test_user_data_gets_the_packages_schedule_unless_epochs_are_given():
    scheduled, fixed = user_data_settings("fourier", 128), user_data_settings("fourier", 128, epochs=3)
    assert scheduled.epochs is None and fixed.epochs == 3
    assert scheduled.sequence_length == 128 and scheduled.preset == "tiny"
