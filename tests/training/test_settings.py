import pytest
from import_check import packages_loaded_by

from fnet_keras.training.settings import TrainSettings


def test_round_trip_and_differences():
    settings = TrainSettings(preset="tiny", mixing="hybrid", epochs=5, backbone_overrides={"hidden_dim": 64})
    assert settings.num_attention_layers == 1  # hybrid's default
    assert TrainSettings.from_dict(settings.to_dict()) == settings
    other = settings.replace(epochs=6, seed=3)
    assert other.differences(settings) == ["epochs: 6 != 5", "seed: 3 != 0"]
    assert settings.tokenizer_config().sequence_length == settings.sequence_length


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"preset": "huge"}, "unknown preset 'huge'"),
        ({"mixing": "conv"}, "mixing must be one of"),
        ({"num_attention_layers": 2}, "mixing 'hybrid' only"),
        ({"mixing": "hybrid", "num_attention_layers": 5}, "between 1 and 4"),
        ({"epochs": 0}, "epochs must be an integer at least 1"),
        ({"min_steps": 0}, "min_steps must be an integer at least 1"),
        ({"min_steps": 2.5}, "min_steps must be an integer"),
        ({"learning_rate": 0.0}, "learning_rate must be a number > 0"),
        ({"warmup_fraction": 1.0}, "warmup_fraction"),
        ({"dropout": -0.1}, "dropout"),
        ({"patience": 0}, "patience"),
        ({"sequence_length": 1}, "sequence_length"),
        ({"backbone_overrides": {"hidden": 3}}, "unknown key"),
        ({"decay": "step"}, "decay must be one of"),
    ],
)
def test_bad_settings_name_the_setting(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainSettings(**changes)


def test_unknown_recorded_setting():
    with pytest.raises(ValueError, match="unknown training setting"):
        TrainSettings.from_dict({"epochz": 3})


def test_settings_load_no_tensorflow():
    # The CLI checks settings before it imports the trainer: a bad preset fails fast.
    statements = "from fnet_keras.training.settings import TrainSettings; TrainSettings(preset='tiny')"
    assert packages_loaded_by(statements) == []


def test_tokenizer_rules_default_to_mediapipe_and_old_records_read_as_keras_hub():
    from fnet_keras.text import TokenizerConfig, TokenizerError

    settings = TrainSettings(preset="tiny", sequence_length=32)
    assert settings.tokenizer_config() == TokenizerConfig(sequence_length=32)  # rules "mediapipe"
    recorded = settings.to_dict()
    flags = (recorded["tokenizer_rules"], recorded["lowercase"], recorded["strip_accents"])
    assert flags == ("mediapipe", True, False)  # recorded resolved
    assert TrainSettings.from_dict(recorded) == settings
    keras_hub = TrainSettings(preset="tiny", tokenizer_rules="keras_hub", strip_accents=False)
    assert keras_hub.tokenizer_config() == TokenizerConfig(rules="keras_hub", strip_accents=False)
    # Recorded before the rules existed: no "tokenizer_rules", flags as they were.
    old = {key: value for key, value in keras_hub.to_dict().items() if key != "tokenizer_rules"}
    assert TrainSettings.from_dict(old) == keras_hub
    with pytest.raises(TokenizerError, match="'strip_accents' must be false under rules 'mediapipe'"):
        TrainSettings(strip_accents=True)


def test_epochs_none_plans_min_steps_and_at_least_three_epochs():
    settings = TrainSettings(min_steps=2000)
    assert settings.resolved_epochs(77) == 26  # TREC: 4,907 rows / 64 -> 77 steps; 26 * 77 >= 2000
    assert settings.resolved_epochs(2000) == 3  # a large data set keeps three epochs
    assert settings.resolved_epochs(1) == 2000
    assert TrainSettings(epochs=4, min_steps=2000).resolved_epochs(77) == 4  # a given number wins
    assert settings.warmup_steps(2002) == 200 and TrainSettings(warmup_fraction=0.0).warmup_steps(10) == 0


def test_settings_recorded_before_min_steps_load():
    recorded = TrainSettings(epochs=3).to_dict()
    del recorded["min_steps"]
    assert TrainSettings.from_dict(recorded).resolved_epochs(10_000) == 3


def test_defaults_plan_at_least_1000_steps():
    assert (TrainSettings().epochs, TrainSettings().min_steps) == (None, 1000)
    assert TrainSettings().resolved_epochs(77) == 13 and TrainSettings().resolved_epochs(947) == 3


def test_word_valued_backbone_overrides_parse_and_bad_words_are_named():
    from fnet_keras.training.settings import SettingsError, settings_from_items

    items = ["pooling=mean", "fourier_normalization=none", "hidden_dim=64"]
    assert settings_from_items(items, "--backbone-override", sizes_only=True) == {
        "backbone_overrides": {"pooling": "mean", "fourier_normalization": "none", "hidden_dim": 64}}
    with pytest.raises(SettingsError, match="'pooling=max': pooling is one of first, mean"):
        settings_from_items(["pooling=max"], "--backbone-override", sizes_only=True)
