"""The candidate grid, `--setting` parsing and the reuse check (plain Python, no training)."""

from __future__ import annotations

import pytest

from fnet_keras.budget.candidates import MODEL_KINDS, candidate_grid
from fnet_keras.budget.errors import BudgetError
from fnet_keras.training.settings import SettingsError, TrainSettings, parse_setting, settings_from_items


def test_the_grid_is_presets_by_kinds_by_lengths_in_order_with_the_given_settings(tmp_path):
    grid = candidate_grid(
        tmp_path, ["tiny", "mini"], ["fourier", "hybrid"], [128, 256],
        {"vocabulary_size": 16000, "num_attention_layers": 2},
    )
    assert [candidate.name for candidate in grid] == [
        "tiny-fourier-128", "tiny-fourier-256", "tiny-hybrid-128", "tiny-hybrid-256",
        "mini-fourier-128", "mini-fourier-256", "mini-hybrid-128", "mini-hybrid-256",
    ]
    for candidate in grid:
        assert candidate.run_dir == tmp_path / candidate.name
        settings = candidate.settings
        assert (settings.preset, settings.mixing, settings.sequence_length) == (
            candidate.preset, candidate.kind.name, candidate.sequence_length)
        assert settings.vocabulary_size == 16000
        # num_attention_layers applies to the hybrid only (TrainSettings refuses it elsewhere)
        assert settings.num_attention_layers == (2 if settings.mixing == "hybrid" else None)
        # everything not given is the package's training default
        assert settings.learning_rate == TrainSettings().learning_rate


def test_repeated_grid_values_count_once(tmp_path):
    grid = candidate_grid(tmp_path, ["tiny", "tiny"], ["fourier"], [64, 64, 32])
    assert [candidate.name for candidate in grid] == ["tiny-fourier-64", "tiny-fourier-32"]


@pytest.mark.parametrize(
    "presets, kinds, lengths, settings, message",
    [
        ([], ["fourier"], [64], None, "no candidates: --presets is empty"),
        (["tiny"], [], [64], None, "no candidates: --kinds is empty"),
        (["tiny"], ["fourier"], [], None, "no candidates: --lengths is empty"),
        (["huge"], ["fourier"], [64], None, "unknown preset(s) 'huge'"),
        (["tiny"], ["fourier", "fnet"], [64], None, "unknown model kind(s) 'fnet' in --kinds"),
        (["tiny"], ["fourier"], [513], None, "sequence length 513 is out of range for preset 'tiny' (3 to"),
        (["tiny"], ["fourier"], [2], None, "sequence length 2 is out of range"),
        (["tiny"], ["fourier"], [64], {"sequence_length": 32}, "setting(s) sequence_length are the"),
    ],
)
def test_bad_grids_are_refused_with_the_reason(tmp_path, presets, kinds, lengths, settings, message):
    with pytest.raises(BudgetError) as caught:
        candidate_grid(tmp_path, presets, kinds, lengths, settings)
    assert message in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_model_kind_is_one_entry_of_training_settings():
    for name, kind in MODEL_KINDS.items():
        assert TrainSettings(**kind.settings).mixing == kind.settings["mixing"]
        assert kind.name == name


@pytest.mark.parametrize(
    "item, expected",
    [
        ("vocabulary_size=16000", ("vocabulary_size", 16000)),
        ("vocabulary-size=16000", ("vocabulary_size", 16000)),
        ("learning_rate=1e-3", ("learning_rate", 0.001)),
        ("patience=none", ("patience", None)),
        ("lowercase=false", ("lowercase", False)),
        ("decay=cosine", ("decay", "cosine")),
        ("hidden_dim=64", ("backbone_overrides", {"hidden_dim": 64})),
    ],
)
def test_settings_parse_to_the_field_types(item, expected):
    assert parse_setting(item) == expected


@pytest.mark.parametrize(
    "item, message",
    [
        ("vocabulary_size", "expects KEY=VALUE"),
        ("colour=blue", "unknown setting 'colour'"),
        ("epochs=1.5", "epochs is an integer"),
        ("lowercase=maybe", "lowercase is true or false"),
        ("dropout=high", "the value must be a number"),
    ],
)
def test_bad_settings_name_the_problem(item, message):
    with pytest.raises(SettingsError, match=message):
        parse_setting(item)


def test_backbone_sizes_merge_into_one_override():
    assert settings_from_items(["hidden_dim=64", "num_layers=1", "epochs=2"]) == {
        "backbone_overrides": {"hidden_dim": 64, "num_layers": 1},
        "epochs": 2,
    }


def test_a_recorded_run_must_agree_on_the_grid_and_the_given_settings_only(tmp_path):
    (candidate,) = candidate_grid(tmp_path, ["tiny"], ["fourier"], [64], {"vocabulary_size": 300})
    same = TrainSettings(preset="tiny", sequence_length=64, vocabulary_size=300, learning_rate=1e-3)
    candidate.check_recorded(same)  # another learning rate: not asked for, so not compared
    other = TrainSettings(preset="tiny", sequence_length=32, vocabulary_size=200)
    with pytest.raises(BudgetError) as caught:
        candidate.check_recorded(other)
    assert "sequence_length: 32 (recorded) != 64 (asked)" in str(caught.value)
    assert "vocabulary_size: 200 (recorded) != 300 (asked)" in str(caught.value)
    assert str(tmp_path / "tiny-fourier-64") in str(caught.value)
