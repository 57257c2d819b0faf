"""TokenizerConfig: defaults, dict round trip through JSON, and clear errors for bad dicts."""

import json
from pathlib import Path

import pytest

from fnet_keras.text import RULES_VERSION, TokenizerConfig, TokenizerError


def test_defaults_and_json_round_trip():
    config = TokenizerConfig(rules="keras_hub")
    assert (config.lowercase, config.strip_accents, config.split_on_cjk) == (True, True, True)
    assert (config.sequence_length, config.max_word_bytes) == (128, 100)
    for original in (
        config,
        TokenizerConfig(
            rules="keras_hub", lowercase=False, strip_accents=False, split_on_cjk=False, sequence_length=7
        ),
    ):
        data = json.loads(json.dumps(original.to_dict()))
        assert data["version"] == RULES_VERSION
        assert TokenizerConfig.from_dict(data) == original


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        TokenizerConfig().lowercase = False


@pytest.mark.parametrize(
    "change, message",
    [
        ({"colour": "red"}, "unknown tokenizer setting(s) ['colour']"),
        ({"version": RULES_VERSION + 1}, f"rules version {RULES_VERSION + 1} is not supported"),
        ({"version": True}, "rules version True is not supported"),
        ({"lowercase": "yes"}, "'lowercase' must be true or false, got 'yes'"),
        ({"strip_accents": 1}, "'strip_accents' must be true or false, got 1"),
        ({"sequence_length": 1}, "'sequence_length' must be an integer >= 2"),
        ({"sequence_length": 64.0}, "'sequence_length' must be an integer >= 2"),
        ({"max_word_bytes": 200}, "'max_word_bytes' must be 100"),
    ],
)
def test_from_dict_rejects_bad_values_naming_the_file(change, message):
    data = {**TokenizerConfig().to_dict(), **change}
    with pytest.raises(TokenizerError) as error:
        TokenizerConfig.from_dict(data, path="run/config.json")
    assert message in str(error.value)
    assert str(error.value).startswith("run/config.json: ")
    assert isinstance(error.value, ValueError)


def test_from_dict_requires_every_key_and_an_object():
    data = TokenizerConfig().to_dict()
    del data["version"], data["split_on_cjk"]
    with pytest.raises(TokenizerError, match=r"lacks \['split_on_cjk', 'version'\]"):
        TokenizerConfig.from_dict(data)
    with pytest.raises(TokenizerError, match="must be a JSON object"):
        TokenizerConfig.from_dict(["lowercase"])


def test_constructor_checks_too():
    with pytest.raises(TokenizerError, match="'sequence_length' must be an integer >= 2"):
        TokenizerConfig(sequence_length=True)


def test_mediapipe_rules_are_the_default_and_fix_the_flags():
    config = TokenizerConfig()
    assert config.rules == "mediapipe"
    assert (config.lowercase, config.strip_accents, config.split_on_cjk) == (True, False, True)
    flags = {"lowercase": True, "strip_accents": False, "split_on_cjk": True}
    assert config == TokenizerConfig(rules="mediapipe", **flags)
    data = json.loads(json.dumps(TokenizerConfig(sequence_length=64).to_dict()))
    assert data == {
        "version": 2,
        "rules": "mediapipe",
        "lowercase": True,
        "strip_accents": False,
        "split_on_cjk": True,
        "sequence_length": 64,
        "max_word_bytes": 100,
    }
    assert TokenizerConfig.from_dict(data) == TokenizerConfig(sequence_length=64)


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"strip_accents": True}, "'strip_accents' must be false under rules 'mediapipe' (MediaPipe keeps"),
        ({"lowercase": False}, "'lowercase' must be true under rules 'mediapipe' (MediaPipe always lower"),
        ({"split_on_cjk": False}, "'split_on_cjk' must be true under rules 'mediapipe'"),
    ],
)
def test_mediapipe_rules_refuse_other_flags(flags, message):
    with pytest.raises(TokenizerError) as error:
        TokenizerConfig(**flags)
    assert message in str(error.value) and "use rules 'keras_hub'" in str(error.value)
    with pytest.raises(TokenizerError, match="bundle.json: .*must be"):
        TokenizerConfig.from_dict({**TokenizerConfig().to_dict(), **flags}, path="bundle.json")


def test_unknown_rules_are_refused():
    with pytest.raises(TokenizerError, match="'rules' must be one of 'mediapipe', 'keras_hub', got 'bert'"):
        TokenizerConfig(rules="bert")
    with pytest.raises(TokenizerError, match="run/config.json: .*got 'bert'"):
        TokenizerConfig.from_dict({**TokenizerConfig().to_dict(), "rules": "bert"}, path="run/config.json")


# Written by fnet_keras before the MediaPipe rules (runs' config.json, bundles' bundle.json).
VERSION_1 = {
    "version": 1,
    "lowercase": True,
    "strip_accents": False,
    "split_on_cjk": True,
    "sequence_length": 64,
    "max_word_bytes": 100,
}


def test_version_1_dicts_read_as_keras_hub_rules():
    config = TokenizerConfig.from_dict(json.loads(json.dumps(VERSION_1)))
    assert config == TokenizerConfig(rules="keras_hub", strip_accents=False, sequence_length=64)
    assert config.to_dict() == {**VERSION_1, "version": 2, "rules": "keras_hub"}
    assert TokenizerConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    "data, message",
    [
        ({**VERSION_1, "rules": "mediapipe"}, "unknown tokenizer setting(s) ['rules']"),
        ({key: value for key, value in VERSION_1.items() if key != "lowercase"}, "lacks ['lowercase']"),
        ({**VERSION_1, "version": 2}, "lacks ['rules']"),
        ({**TokenizerConfig().to_dict(), "lowercase": None}, "'lowercase' must be true or false, got None"),
    ],
)
def test_version_and_keys_must_agree(data, message):
    with pytest.raises(TokenizerError) as error:
        TokenizerConfig.from_dict(data, path="bundle.json")
    assert message in str(error.value) and str(error.value).startswith("bundle.json: ")


def test_the_frozen_format_1_run_and_bundle_read_as_keras_hub_rules():
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "format1"
    for path in (fixtures / "bundle" / "bundle.json", fixtures / "run" / "config.json"):
        data = json.loads(path.read_text(encoding="utf-8"))["tokenizer"]
        assert data["version"] == 1 and "rules" not in data
        config = TokenizerConfig.from_dict(data, path)
        assert config == TokenizerConfig(rules="keras_hub", sequence_length=16)
