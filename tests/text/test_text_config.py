"""TokenizerConfig: defaults, dict round trip through JSON, and clear errors for bad dicts."""

import json

import pytest

from fnet_keras.text import RULES_VERSION, TokenizerConfig, TokenizerError


def test_defaults_and_json_round_trip():
    config = TokenizerConfig()
    assert (config.lowercase, config.strip_accents, config.split_on_cjk) == (True, True, True)
    assert (config.sequence_length, config.max_word_bytes) == (128, 100)
    for original in (
        config,
        TokenizerConfig(lowercase=False, strip_accents=False, split_on_cjk=False, sequence_length=7),
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
