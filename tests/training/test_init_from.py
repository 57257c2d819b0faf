"""Fine-tuning from a pre-training directory: settings, loaded weights, fresh head, clear mismatches."""

import json
import shutil

import numpy as np
import pytest
from pretrain_text import TINY_BACKBONE

from fnet_keras.models import TextClassifier
from fnet_keras.training.pretrain import init_classifier_from
from fnet_keras.training.pretrain_dir import (
    PretrainedLengthWarning,
    PretrainedMismatchError,
    file_sha256,
    load_pretrained,
)
from fnet_keras.training.run_dir import RunDirError
from fnet_keras.training.settings import TrainSettings


def classifier_for(settings: TrainSettings, vocabulary_size: int) -> TextClassifier:
    return TextClassifier.from_preset(
        settings.preset,
        vocabulary_size=vocabulary_size,
        num_classes=3,
        mixing=settings.mixing,
        sequence_length=settings.sequence_length,
        num_attention_layers=settings.num_attention_layers,
        dropout=settings.dropout,
        **settings.backbone_overrides,
    )


def test_fine_tuning_starts_from_the_pretrained_backbone(pretrained_run):
    pretrained = load_pretrained(pretrained_run.pre_dir)
    assert pretrained.vocabulary == pretrained_run.vocabulary
    assert pretrained.tokenizer.sequence_length == pretrained.sequence_length == 16
    settings = pretrained.fine_tuning_settings(epochs=2, batch_size=8)
    assert (settings.preset, settings.mixing, settings.sequence_length) == ("tiny", "fourier", 16)
    assert settings.backbone_overrides == TINY_BACKBONE and settings.epochs == 2
    assert settings.vocabulary_size == len(pretrained.vocabulary)
    assert settings.tokenizer_config() == pretrained.tokenizer

    model = classifier_for(settings, len(pretrained.vocabulary))
    head_before = model.get_layer("logits").kernel.numpy().copy()
    init_classifier_from(pretrained, model)
    trained = pretrained_run.model.backbone
    for loaded, original in zip(model.backbone.weights, trained.weights, strict=True):
        np.testing.assert_array_equal(loaded.numpy(), original.numpy())
    np.testing.assert_array_equal(model.get_layer("logits").kernel.numpy(), head_before)  # a fresh head
    ids = np.random.default_rng(0).integers(5, len(pretrained.vocabulary), (2, 16)).astype("int32")
    np.testing.assert_allclose(
        np.asarray(model.backbone(ids)["sequence_output"]),
        np.asarray(trained(ids)["sequence_output"]),
        rtol=0,
        atol=1e-6,
    )

    provenance = pretrained.provenance()
    assert provenance["pretrained_dir"] == str(pretrained_run.pre_dir.resolve())
    assert provenance["weights_sha256"] == file_sha256(pretrained_run.pre_dir / "backbone.weights.h5")
    assert provenance["steps"] == 600


@pytest.mark.parametrize(
    "given, message",
    [
        ({"preset": "mini"}, "preset 'mini' \\(pre-trained: 'tiny'\\)"),
        ({"mixing": "attention"}, "mixing 'attention' \\(pre-trained: 'fourier'\\)"),
        ({"backbone_overrides": dict(TINY_BACKBONE, hidden_dim=64)}, "backbone_overrides"),
        ({"tokenizer_rules": "keras_hub"}, "tokenizer rules 'keras_hub' \\(pre-trained: 'mediapipe'\\)"),
        ({"vocabulary_size": 20}, "vocabulary_size 20 is below the pre-trained vocabulary's"),
    ],
)
def test_mismatches_are_clear_errors(pretrained_run, given, message):
    pretrained = load_pretrained(pretrained_run.pre_dir)
    expected = f"config.json: cannot fine-tune from this pre-training: {message}"
    with pytest.raises(PretrainedMismatchError, match=expected):
        pretrained.fine_tuning_settings(**given)


def test_a_backbone_of_another_shape_is_refused_before_loading(pretrained_run):
    pretrained = load_pretrained(pretrained_run.pre_dir)
    deeper = dict(TINY_BACKBONE, num_layers=2)
    settings = TrainSettings(preset="tiny", sequence_length=16, backbone_overrides=deeper)
    model = classifier_for(settings, len(pretrained.vocabulary))
    with pytest.raises(PretrainedMismatchError, match="num_layers 2 \\(pre-trained: 1\\)"):
        init_classifier_from(pretrained, model)
    other_vocabulary = classifier_for(pretrained.fine_tuning_settings(), len(pretrained.vocabulary) + 1)
    with pytest.raises(PretrainedMismatchError, match="vocabulary_size"):
        init_classifier_from(pretrained, other_vocabulary)


def test_another_sequence_length_warns(pretrained_run):
    pretrained = load_pretrained(pretrained_run.pre_dir)
    message = "fine-tuning at sequence length 32, but .* pre-trained at 16"
    with pytest.warns(PretrainedLengthWarning, match=message):
        settings = pretrained.fine_tuning_settings(sequence_length=32)
    model = classifier_for(settings, len(pretrained.vocabulary))
    init_classifier_from(pretrained, model)  # warned once; the weights load: positions are a 512-row table
    np.testing.assert_array_equal(
        model.backbone.get_layer("token_embedding").embeddings.numpy(),
        pretrained_run.model.backbone.get_layer("token_embedding").embeddings.numpy(),
    )
    with pytest.warns(PretrainedLengthWarning, match="sequence length 8"):
        init_classifier_from(
            load_pretrained(pretrained_run.pre_dir),
            classifier_for(settings.replace(sequence_length=8), len(pretrained.vocabulary)),
        )


def test_load_pretrained_refuses_unfinished_foreign_and_changed_directories(pretrained_run, tmp_path):
    copy = shutil.copytree(pretrained_run.pre_dir, tmp_path / "copy")
    (copy / "result.json").rename(copy / "result.json.bak")
    with pytest.raises(RunDirError, match="has not finished .*--resume"):
        load_pretrained(copy)
    (copy / "result.json.bak").rename(copy / "result.json")
    with open(copy / "backbone.weights.h5", "ab") as file:
        file.write(b"\0")
    with pytest.raises(RunDirError, match="backbone.weights.h5: changed since pre-training"):
        load_pretrained(copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({"format_version": 1, "settings": config["settings"]}))
    with pytest.raises(RunDirError, match="not a pre-training config"):
        load_pretrained(copy)
    with pytest.raises(RunDirError, match="no such pre-training directory"):
        load_pretrained(tmp_path / "absent")


def test_fit_with_init_from_uses_the_pretraining_and_records_it(pretrained_run, keyword_data, tmp_path):
    from fnet_keras.training import RunDir, fit

    pretrained = load_pretrained(pretrained_run.pre_dir)
    # A learning rate too small to move the weights: what fit starts from is what it ends with.
    settings = pretrained.fine_tuning_settings(epochs=1, batch_size=16, learning_rate=1e-12, dropout=0.0)
    result = fit(keyword_data, tmp_path / "run", settings, init_from=pretrained_run.pre_dir, verbose=0)
    assert result.vocabulary == pretrained.vocabulary  # no vocabulary was learned
    for loaded, original in zip(
        result.model.backbone.weights, pretrained_run.model.backbone.weights, strict=True
    ):
        np.testing.assert_allclose(loaded.numpy(), original.numpy(), rtol=0, atol=1e-6)
    run = RunDir(tmp_path / "run").load()
    assert run.init == pretrained.provenance() and run.init["weights_sha256"] == file_sha256(
        pretrained.weights
    )
    with pytest.raises(PretrainedMismatchError, match="preset 'mini'"):
        fit(
            keyword_data,
            tmp_path / "other",
            settings.replace(preset="mini", backbone_overrides={}),
            init_from=pretrained_run.pre_dir,
            verbose=0,
        )
