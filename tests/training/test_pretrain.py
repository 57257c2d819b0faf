"""pretrain: the pre-training directory, learning, exact resume after a kill, the time budget."""

import hashlib
import json
import shutil

import numpy as np
import pytest
from pretrain_text import TINY_BACKBONE, TINY_PRETRAIN, cycle_documents, write_text

import fnet_keras
from fnet_keras.data import DataError
from fnet_keras.text import TokenizerConfig, load_vocabulary
from fnet_keras.training.pretrain import learning_rate_schedule, pretrain
from fnet_keras.training.pretrain_dir import PretrainDir
from fnet_keras.training.pretrain_settings import PretrainSettings
from fnet_keras.training.run_dir import RunDirError

TIMING = ("elapsed_seconds", "steps_per_second")


def without_timing(history):
    return [{key: value for key, value in record.items() if key not in TIMING} for record in history]


def test_pretraining_directory_holds_each_fact(pretrained_run):
    pre = PretrainDir(pretrained_run.pre_dir)
    assert sorted(p.name for p in pre.path.iterdir()) == [
        "backbone.weights.h5",
        "config.json",
        "history.json",
        "result.json",
        "vocab.txt",
    ]  # the checkpoint is gone once the run finished
    config = json.loads(pre.config.read_text())
    assert config["format_version"] == 1 and config["kind"] == "fnet-keras pre-training"
    assert config["fnet_keras_version"] == fnet_keras.__version__
    assert PretrainSettings.from_dict(config["settings"]) == pretrained_run.settings
    assert TokenizerConfig.from_dict(config["tokenizer"]) == TokenizerConfig(sequence_length=16)
    vocabulary = load_vocabulary(pre.vocabulary)
    assert vocabulary == pretrained_run.vocabulary and config["vocabulary"]["size"] == len(vocabulary)
    assert config["vocabulary"]["sha256"] == hashlib.sha256(pre.vocabulary.read_bytes()).hexdigest()
    assert config["vocabulary"]["learned_from"] == "text"
    text = pre.path.parent / "text" / "topics.txt"
    [source] = config["data"]["sources"]
    assert (source["path"], source["documents"]) == (str(text.resolve()), 400)
    assert source["sha256"] == hashlib.sha256(text.read_bytes()).hexdigest()
    assert config["data"]["windows"] == pretrained_run.windows
    assert config["data"]["windows"]["documents"] == 400
    backbone = config["backbone"]
    assert {key: backbone[key] for key in TINY_BACKBONE} == TINY_BACKBONE
    assert backbone["vocabulary_size"] == len(vocabulary) and backbone["mixing"] == "fourier"
    assert "sequence_length" not in backbone  # a setting, recorded once
    assert config["masking"]["predictions_per_sequence"] == 2  # round(0.15 * 14)

    result = json.loads(pre.result.read_text())
    assert result["steps"] == 600 and result["stopped_by"] == "steps"
    assert result["weights_sha256"] == hashlib.sha256(pre.weights.read_bytes()).hexdigest()
    history = json.loads(pre.history.read_text())
    assert [record["step"] for record in history] == [100, 200, 300, 400, 500, 600]
    assert history == pretrained_run.history
    assert result["masked_accuracy"] == history[-1]["masked_accuracy"]


def test_the_model_learns_the_topics(pretrained_run):
    # A masked word is one of the five words of its document's topic: about 0.2 is the best
    # achievable accuracy, chance is 0.05 (and the loss ln 20 = 3.0 versus ln 5 = 1.6).
    first, last = pretrained_run.history[0], pretrained_run.history[-1]
    assert first["masked_accuracy"] < 0.1 and first["loss"] > 3.0
    assert last["masked_accuracy"] > 0.14 and last["loss"] < 2.5  # orthonormal mixing: slower in loss
    assert last["learning_rate"] == pytest.approx(5e-3 / 540, rel=1e-3)  # linear decay: 1 of 540 steps left


def capture_weights(model):
    return [np.array(variable.numpy()) for variable in model.variables]


@pytest.mark.slow
def test_resume_after_a_kill_equals_an_uninterrupted_run(tmp_path):
    text = write_text(tmp_path / "text.txt", cycle_documents(120, seed=1))
    # Hybrid with dropout: Fourier and attention blocks, and dropout seed states to restore.
    settings = PretrainSettings(
        **dict(TINY_PRETRAIN, backbone_overrides=dict(TINY_BACKBONE, num_layers=2)),
        mixing="hybrid",
        steps=12,
        dropout=0.1,
        seed=3,
    )
    uninterrupted = pretrain(text, tmp_path / "whole", settings, checkpoint_steps=5, verbose=0)

    killed = tmp_path / "killed"

    def kill_at_step_8(step):
        if step == 8:
            raise KeyboardInterrupt("simulated kill")

    with pytest.raises(KeyboardInterrupt):
        pretrain(text, killed, settings, checkpoint_steps=5, verbose=0, on_step=kill_at_step_8)
    state = json.loads((killed / "checkpoint" / "state.json").read_text())
    assert state["state"]["step"] == 5 and not (killed / "result.json").exists()
    with pytest.raises(RunDirError, match="unfinished pre-training run; pass --resume"):
        pretrain(text, killed, settings, verbose=0)
    with pytest.raises(RunDirError, match="steps: 13 != 12"):
        pretrain(None, killed, settings.replace(steps=13), resume=True, verbose=0)
    changed = shutil.copy(text, tmp_path / "changed.txt")
    with open(changed, "a") as file:
        file.write("one more document\n")
    with pytest.raises(DataError, match="differs from the text the run was started on"):
        pretrain(changed, killed, resume=True, verbose=0)

    resumed = pretrain(None, killed, resume=True, checkpoint_steps=5, verbose=0)
    assert resumed.steps == 12
    expected = capture_weights(uninterrupted.model)
    got = capture_weights(resumed.model)
    assert len(got) == len(expected) > 20
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-6)
    # Records at steps 5, 10 and 12: the one at 10 spans the kill (steps 6-8 run twice, 6-10 counted once).
    assert [record["step"] for record in resumed.history] == [5, 10, 12]
    assert without_timing(resumed.history) == without_timing(uninterrupted.history)
    assert not (killed / "checkpoint").exists()
    # A finished run is returned as it is.
    again = pretrain(None, killed, resume=True, verbose=0)
    assert again.steps == 12 and again.history == resumed.history and again.model is None


def test_time_budget_drives_the_schedule_and_the_stop(tmp_path, capsys):
    text = write_text(tmp_path / "text.txt", cycle_documents(60, seed=2))
    settings = PretrainSettings(**TINY_PRETRAIN, hours=3 / 3600)  # 3 seconds
    result = pretrain(text, tmp_path / "pre", settings, checkpoint_steps=None, verbose=2)
    assert result.stopped_by == "hours" and result.steps >= 1
    last = result.history[-1]
    # The last step is the first one to start at or after the budget: its rate is the schedule's end, 0.
    assert last["step"] == result.steps and last["learning_rate"] == 0.0
    assert last["elapsed_seconds"] >= 3.0
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[:3] == [
        "reading the text",
        "learning a WordPiece vocabulary of up to 100 tokens on 60 documents (minutes on a large text)",
        "tokenizing and cutting windows of 16 pieces",
    ]
    progress = lines[3:]
    assert len(progress) == len(result.history)
    assert "steps/s" in progress[-1] and "masked acc" in progress[-1] and "ETA" in progress[-1]
    schedule = learning_rate_schedule(settings)  # milliseconds of the budget
    assert (schedule.warmup_steps, schedule.total_steps) == (300, 3000)


def test_settings_are_checked():
    chosen = PretrainSettings(
        steps=1, tokenizer={"rules": "keras_hub", "lowercase": True, "strip_accents": False}
    )
    assert chosen.tokenizer == {"rules": "keras_hub", "strip_accents": False}  # a default value is no choice
    assert chosen == PretrainSettings(steps=1, tokenizer={"rules": "keras_hub", "strip_accents": False})
    with pytest.raises(ValueError, match="exactly one of steps and hours"):
        PretrainSettings(steps=10, hours=1.0)
    with pytest.raises(ValueError, match="exactly one of steps and hours"):
        PretrainSettings()
    with pytest.raises(ValueError, match="mixing must be one of fourier, attention, hybrid"):
        PretrainSettings(steps=10, mixing="linear")
    with pytest.raises(ValueError, match="unknown preset"):
        PretrainSettings(steps=10, preset="huge")
    with pytest.raises(ValueError, match="tokenizer: unknown setting"):
        PretrainSettings(steps=10, tokenizer={"lowercse": False})
    with pytest.raises(ValueError, match="'lowercase' must be true or false"):
        PretrainSettings(steps=10, tokenizer={"lowercase": "no"})
    with pytest.raises(ValueError, match="hours must be a number > 0"):
        PretrainSettings(hours=float("nan"))


def test_a_given_vocabulary_is_used_and_recorded(pretrained_run, tmp_path):
    # The twin pre-trained on another's vocab.txt shares its token ids (teacher and student, FNet and twin).
    given = PretrainDir(pretrained_run.pre_dir).vocabulary
    text = write_text(tmp_path / "text.txt", cycle_documents(60, seed=2))
    settings = PretrainSettings(**TINY_PRETRAIN, steps=2, mixing="attention")
    twin = pretrain(text, tmp_path / "twin", settings, checkpoint_steps=None, verbose=0, vocabulary=given)
    assert twin.vocabulary == pretrained_run.vocabulary
    config = json.loads(PretrainDir(twin.pre_dir).config.read_text())
    assert config["vocabulary"]["learned_from"] == str(given.resolve())
    assert PretrainDir(twin.pre_dir).vocabulary.read_bytes() == given.read_bytes()
    too_small = PretrainSettings(**dict(TINY_PRETRAIN, vocabulary_size=10), steps=2)
    with pytest.raises(DataError, match=r"holds \d+ tokens, more than vocabulary_size 10"):
        pretrain(text, tmp_path / "small", too_small, verbose=0, vocabulary=given)
