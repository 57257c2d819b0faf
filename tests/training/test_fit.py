"""fit: the run directory, learning, determinism, and resuming after a kill."""

import hashlib
import json
import shutil

import keras
import numpy as np
import pytest
from support import TINY_BACKBONE, TINY_SETTINGS

import fnet_keras
from fnet_keras.data import DataError
from fnet_keras.text import TokenizerConfig, load_vocabulary
from fnet_keras.training import RunDirError, TrainSettings, fit
from fnet_keras.training.run_dir import RunDir


def test_run_directory_holds_everything(trained_run, keyword_data_dir):
    run = RunDir(trained_run.run_dir)
    assert sorted(p.name for p in run.path.iterdir()) == [
        "config.json",
        "history.json",
        "labels.txt",
        "metrics.json",
        "model.keras",
        "vocab.txt",
    ]  # the checkpoint is gone once the run finished
    config = json.loads(run.config.read_text())
    # Format 2: each fact once (labels in labels.txt, the vocabulary in vocab.txt, the rest in settings).
    assert config["init"] is None  # random weights: no pre-training
    assert config["distillation"] is None  # no teacher
    assert sorted(config) == [
        "data",
        "data_notes",
        "distillation",
        "format_version",
        "init",
        "package_version",
        "schedule",
        "settings",
        "strategy",
        "tokenizer_rules_version",
    ]
    assert config["format_version"] == 2 and config["package_version"] == fnet_keras.__version__
    assert run.labels.read_text().split() == ["neg", "neu", "pos"] == list(trained_run.labels)
    assert load_vocabulary(run.vocabulary) == trained_run.vocabulary
    loaded = run.load()
    assert loaded.tokenizer_config == TokenizerConfig(sequence_length=16) and loaded.sequence_length == 16
    assert loaded.settings == trained_run.settings == TrainSettings.from_dict(config["settings"])
    for name, entry in config["data"]["files"].items():
        path = keyword_data_dir / f"{name}.tsv"
        assert entry["path"] == str(path) and entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()

    history = json.loads(run.history.read_text())
    assert [record["epoch"] for record in history] == [1, 2, 3, 4, 5]
    assert history == trained_run.history
    metrics = json.loads(run.metrics.read_text())
    assert metrics["best_epoch"] == trained_run.best_epoch
    assert metrics["dev"]["accuracy"] == pytest.approx(history[trained_run.best_epoch - 1]["val_accuracy"])
    assert metrics["dev"]["accuracy"] == pytest.approx(max(record["val_accuracy"] for record in history))
    # Learned: the label is a keyword of the sentence.
    assert metrics["test"]["accuracy"] >= 0.85 and metrics["test"] == trained_run.test_metrics

    model = keras.saving.load_model(run.model, safe_mode=True)
    ids = np.random.default_rng(0).integers(0, 50, (4, 16)).astype("int32")
    np.testing.assert_array_equal(model.predict(ids, verbose=0), trained_run.model.predict(ids, verbose=0))
    assert getattr(model, "optimizer", None) is None  # the saved model is for inference, no optimizer state


def test_a_used_run_directory_is_refused(trained_run, keyword_data_dir, tmp_path):
    with pytest.raises(RunDirError, match="already holds a finished run"):
        fit(keyword_data_dir, trained_run.run_dir, trained_run.settings, verbose=0)
    # --resume on a finished run returns it as it is, without training.
    again = fit(None, trained_run.run_dir, resume=True, verbose=0)
    assert again.history == trained_run.history and again.test_metrics == trained_run.test_metrics


def test_missing_data_and_single_label_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="nope.tsv: no such file"):
        fit(tmp_path / "nope.tsv", tmp_path / "run", TrainSettings(**TINY_SETTINGS), verbose=0)
    train = tmp_path / "one.tsv"
    train.write_text("sentence\tlabel\n" + "a b c\tyes\n" * 30)
    with pytest.raises(DataError, match="single label 'yes'"):
        fit(train, tmp_path / "run", TrainSettings(**TINY_SETTINGS), verbose=0)


class CaptureFinalWeights(keras.callbacks.Callback):
    def on_train_end(self, logs=None):
        self.weights = [np.array(v.numpy()) for v in self.model.variables]


class EpochsRun(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.started = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started.append(epoch)


class ScrambleAtEpoch(keras.callbacks.Callback):
    """Replaces the weights with noise when epoch `epoch` (0-based) begins: its dev accuracy dips."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch
        self.best_weights = None

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            self.best_weights = [np.array(v) for v in self.model.get_weights()]  # the previous epoch's
            rng = np.random.default_rng(0)
            self.model.set_weights(
                [rng.normal(size=w.shape).astype(w.dtype) for w in self.model.get_weights()]
            )


def kill_before_commit_of_epoch(monkeypatch, epochs_done: int) -> None:
    """Kills the run from the checkpoint's `before_commit` hook after `epochs_done` epochs: that
    epoch's variables and history.json are written, its state.json is not (the commit point)."""
    from fnet_keras.training import checkpoint

    save_checkpoint = checkpoint.save_checkpoint

    def killing_save_checkpoint(directory, model, optimizer, done, before_commit=None):
        def hook():
            if before_commit is not None:
                before_commit()
            if done == epochs_done:
                raise KeyboardInterrupt("simulated kill")

        save_checkpoint(directory, model, optimizer, done, before_commit=hook)

    monkeypatch.setattr(checkpoint, "save_checkpoint", killing_save_checkpoint)


def test_resume_after_a_kill_equals_an_uninterrupted_run(keyword_data, tmp_path, monkeypatch):
    # Hybrid with dropout: Fourier and attention blocks, and dropout seed state to restore.
    backbone = dict(TINY_BACKBONE, num_layers=2)
    settings = TrainSettings(
        **dict(TINY_SETTINGS, backbone_overrides=backbone),
        mixing="hybrid",
        epochs=2,
        dropout=0.1,
        patience=None,
        seed=7,
    )
    capture = CaptureFinalWeights()
    uninterrupted = fit(keyword_data, tmp_path / "uninterrupted", settings, callbacks=[capture], verbose=0)
    expected_weights = capture.weights

    killed = tmp_path / "killed"
    with monkeypatch.context() as patched:
        # Killed in epoch 2's commit: epoch 1 stays the committed one (a swapped write order, state.json
        # before the variables it names, would leave a checkpoint that cannot be restored).
        kill_before_commit_of_epoch(patched, epochs_done=2)
        with pytest.raises(KeyboardInterrupt):
            fit(keyword_data, killed, settings, verbose=0)
    assert (killed / "checkpoint" / "state.json").is_file() and not (killed / "metrics.json").exists()
    state = json.loads((killed / "checkpoint" / "state.json").read_text())
    assert state["epochs_done"] == 1 and (killed / "checkpoint" / state["variables"]).is_file()
    with pytest.raises(RunDirError, match="unfinished run; pass --resume"):
        fit(keyword_data, killed, settings, verbose=0)
    with pytest.raises(RunDirError, match="epochs: 3 != 2"):
        fit(None, killed, settings.replace(epochs=3), resume=True, verbose=0)
    other = shutil.copytree(keyword_data, tmp_path / "other")
    with open(other / "train.tsv", "a") as file:
        file.write("one more great line\tpos\n")
    with pytest.raises(DataError, match="differs from the data the run was started on"):
        fit(other, killed, resume=True, verbose=0)

    capture, epochs = CaptureFinalWeights(), EpochsRun()
    resumed = fit(keyword_data, killed, resume=True, callbacks=[capture, epochs], verbose=0)
    # Only epoch 2 ran after the restore (same seed: a restart from scratch would end with the same
    # weights, so the epochs that ran are what shows the checkpoint was used).
    assert epochs.started == [1]
    assert len(capture.weights) == len(expected_weights)
    for a, b in zip(expected_weights, capture.weights, strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-6)
    timing = ("seconds", "train_seconds", "seconds_per_step")
    strip = lambda history: [{k: v for k, v in record.items() if k not in timing} for record in history]  # noqa: E731
    assert strip(resumed.history) == strip(uninterrupted.history)
    assert resumed.test_metrics == uninterrupted.test_metrics


def test_the_best_epoch_is_kept_and_patience_stops_the_run(keyword_data, tmp_path):
    settings = TrainSettings(**TINY_SETTINGS, epochs=6, dropout=0.0, patience=1, seed=3)
    scramble = ScrambleAtEpoch(epoch=3)  # epoch 4's weights are noise: its dev accuracy drops
    result = fit(keyword_data, tmp_path / "run", settings, callbacks=[scramble], verbose=0)
    accuracies = [record["val_accuracy"] for record in result.history]
    assert len(accuracies) == 4 and accuracies[3] < max(accuracies[:3])  # the dip, then patience 1 stopped it
    assert result.stopped_early and result.best_epoch == 1 + accuracies.index(max(accuracies)) <= 3
    saved = keras.saving.load_model(tmp_path / "run" / "model.keras", safe_mode=True)
    if result.best_epoch == 3:  # the weights captured when epoch 4 began are epoch 3's
        for kept, best in zip(saved.get_weights(), scramble.best_weights, strict=True):
            np.testing.assert_allclose(kept, best, rtol=0, atol=1e-6)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert (metrics["best_epoch"], metrics["epochs_run"], metrics["stopped_early"]) == (
        result.best_epoch,
        4,
        True,
    )
    assert not result.still_improving
    line = result.improvement_line()
    assert line.startswith(f"no longer improving: dev accuracy peaked at epoch {result.best_epoch} of 4")
    assert "early stopping ended it" in line


@pytest.mark.parametrize(
    ("dev_accuracies", "best_epoch", "stopped_early", "improving"),
    [
        ([0.5, 0.6, 0.7], 3, False, True),  # the last epoch was the best: more may help
        ([0.5], 1, False, None),  # one epoch shows no trend: no advice either way
        ([0.5, 0.7, 0.7], 2, False, False),  # a tie is kept at its first epoch: a plateau
        ([0.5, 0.7, 0.6], 2, False, False),
        ([0.5, 0.7, 0.6, 0.6], 2, True, False),
    ],
)
def test_the_end_of_run_line_says_whether_dev_was_still_improving(
    dev_accuracies, best_epoch, stopped_early, improving
):
    from fnet_keras.training.trainer import improvement_line, still_improving

    history = [{"val_accuracy": accuracy} for accuracy in dev_accuracies]
    assert still_improving(history, best_epoch, stopped_early) == bool(improving)
    line = improvement_line(history, best_epoch, stopped_early)
    if improving is None:
        assert line.startswith("one epoch run (dev accuracy 0.5000): too few to tell")
        assert "--epochs 3" in line
        assert "--epochs 2" not in line and "improving" not in line
        return
    assert line.startswith("still improving" if improving else "no longer improving")
    if improving:
        assert f"--epochs {2 * len(history)}" in line
    else:
        best = dev_accuracies[best_epoch - 1]
        assert f"peaked at epoch {best_epoch} of {len(history)} ({best:.4f})" in line


def test_the_same_seed_gives_the_same_weights_and_another_seed_others(keyword_data, tmp_path):
    settings = TrainSettings(**TINY_SETTINGS, epochs=1, patience=None)
    first = fit(keyword_data, tmp_path / "a", settings, verbose=0).model.get_weights()
    again = fit(keyword_data, tmp_path / "b", settings, verbose=0).model.get_weights()
    other = fit(keyword_data, tmp_path / "c", settings.replace(seed=1), verbose=0).model.get_weights()
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, z) for x, z in zip(first, other, strict=True))


def test_epochs_none_trains_min_steps_and_decays_to_zero(keyword_data, tmp_path):
    # 200 rows / 16 -> 13 steps per epoch; min_steps 40 -> 4 epochs (52 steps), not the minimum 3.
    settings = TrainSettings(**{**TINY_SETTINGS, "min_steps": 40}, patience=None)
    result = fit(keyword_data, tmp_path / "run", settings, verbose=0)
    schedule = json.loads(RunDir(result.run_dir).config.read_text())["schedule"]
    assert schedule == {"epochs": 4, "steps_per_epoch": 13, "total_steps": 52, "warmup_steps": 5}
    assert [record["epoch"] for record in result.history] == [1, 2, 3, 4]
    assert result.history[-1]["learning_rate"] == 0.0 < result.history[-2]["learning_rate"]
