"""The shipped general backbone: it loads as a pre-training directory within the size budget, and
`train` starts from it exactly when it fits the settings given and covers the text."""

import json

import numpy as np
import pytest
from support import TINY_FLAGS, run_cli, write_keyword_data

from fnet_keras.backbones import MAX_UNKNOWN, SHIPPED, choose_backbone, unknown_share
from fnet_keras.training.pretrain_dir import file_sha256, load_pretrained

ENGLISH = ["a gripping , funny film", "what is the capital of france ?", "the plot is dull and slow"] * 10
RUSSIAN = ["фильм очень скучный", "где находится эйфелева башня", "актёры играют прекрасно"] * 10


def test_the_shipped_backbone_loads_and_fits_the_size_budget():
    pretrained = load_pretrained(SHIPPED)  # checks the weights and vocabulary against their records
    assert sum(path.stat().st_size for path in SHIPPED.iterdir()) <= 6 * 2**20
    assert (pretrained.settings.preset, pretrained.settings.mixing) == ("tiny", "fourier")
    config = json.loads((SHIPPED / "config.json").read_text())
    assert config["objective"]["encoder"]["encoder"] == "minilm"
    assert config["objective"]["pad_embedding"] == "held at zero"
    from fnet_keras.models import TextClassifier
    from fnet_keras.training.pretrain import init_classifier_from

    model = TextClassifier.from_preset("tiny", len(pretrained.vocabulary), 2, sequence_length=64)
    init_classifier_from(pretrained, model)
    table = model.backbone.get_layer("token_embedding").embeddings.numpy()
    # One int8 scale covers the whole table in a dynamic-range bundle: no row may dwarf the others.
    assert not table[0].any() and abs(table).max() < 30 * np.median(abs(table).max(axis=1))
    assert config["objective"]["encoder"]["license"].startswith("Apache-2.0")


def test_english_text_starts_from_it_with_its_settings():
    settings, pretrained, why = choose_backbone(ENGLISH, {"epochs": 2})
    assert pretrained is not None, why
    assert (settings.preset, settings.sequence_length, settings.epochs) == ("tiny", 64, 2)
    assert settings.vocabulary_size == len(pretrained.vocabulary)
    assert unknown_share(ENGLISH, pretrained.vocabulary, pretrained.tokenizer) < MAX_UNKNOWN


@pytest.mark.parametrize("texts, given, reason", [
    (RUSSIAN, {}, "unknown to the shipped backbone's vocabulary"),
    (ENGLISH, {"preset": "mini"}, "do not fit the shipped backbone"),
    (ENGLISH, {"mixing": "attention"}, "do not fit the shipped backbone"),
    (ENGLISH, {"sequence_length": 128}, "is not the shipped backbone's 64"),
    (ENGLISH, {"mixing": "bag"}, "do not fit"),
])
def test_it_is_left_out_when_it_does_not_fit(texts, given, reason):
    settings, pretrained, why = choose_backbone(texts, given)
    assert settings is None and pretrained is None
    assert reason in why


def test_train_starts_from_it_by_default_and_from_scratch_when_asked(tmp_path):
    data = write_keyword_data(tmp_path / "data", train=64, dev=16, test=16)
    fast = ["--epochs", "1", "--batch-size", "16", "--min-steps", "1"]
    result = run_cli("train", "--data", data, "--out", tmp_path / "default", *fast)
    assert result.returncode == 0, result.stderr.decode()
    assert b"starting from the shipped backbone tiny-en" in result.stderr
    config = json.loads((tmp_path / "default" / "config.json").read_text())
    assert config["init"]["weights_sha256"] == file_sha256(SHIPPED / "backbone.weights.h5")
    assert (tmp_path / "default" / "vocab.txt").read_bytes() == (SHIPPED / "vocab.txt").read_bytes()

    scratch = tmp_path / "scratch"
    result = run_cli("train", "--data", data, "--out", scratch, "--from-scratch", *fast, *TINY_FLAGS)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads((tmp_path / "scratch" / "config.json").read_text())["init"] is None

    both = ["--from-scratch", "--init-from", SHIPPED]
    result = run_cli("train", "--data", data, "--out", tmp_path / "both", *both)
    assert result.returncode == 2 and b"contradict" in result.stderr
