"""The end-of-epoch checkpoint (`RunCheckpoint`), and the training state that follows from the history.

A checkpoint holds every model variable (weights and the dropout seed generators' states) and every
optimizer variable (step counter, moments), and the number of finished epochs; everything else the
loop needs follows from history.json's first `epochs_done` records (the best epoch, the epochs since,
whether patience ran out). Restoring both into a freshly built model and optimizer gives bit-identical
continuation: the learning rate schedule reads the restored step, dropout the restored seed state,
and the data order depends on `(seed, epoch)` alone.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from fnet_keras.atomic import atomic_output
from fnet_keras.training.run_dir import RunDir, RunDirError, read_json, write_json

STATE_VERSION = 2
SELECTION_METRIC = "val_accuracy"  # the best epoch is the one with the highest dev accuracy
# Keys of Keras' epoch logs kept in the history, in this order.
LOG_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


def best_epoch(history: Sequence[dict[str, Any]]) -> int:
    """The 1-based epoch with the highest dev accuracy (the first of equals); 0 before any epoch."""
    if not history:
        return 0
    scores = [record[SELECTION_METRIC] for record in history]
    return scores.index(max(scores)) + 1


def stopped_early(
    history: Sequence[dict[str, Any]], patience: int | None, epochs: int, warmup_epochs: int = 0
) -> bool:
    """Whether `patience` epochs in a row brought no better dev accuracy before the last planned epoch.

    Epochs that end inside the learning-rate warm-up do not count: on a small data set the warm-up
    spans many epochs, and dev accuracy can sit at chance through it while the rate is still tiny.
    """
    return (
        patience is not None
        and len(history) < epochs
        and len(history) - max(best_epoch(history), warmup_epochs) >= patience
    )


class RunCheckpoint(keras.callbacks.Callback):
    """At the end of every epoch: appends a record to `history` (the finished epochs'), saves
    model.keras (without optimizer) when dev accuracy beat every earlier epoch, writes the
    checkpoint's variables, history.json and state.json (which commits the epoch) into `run` (the run
    directory, or a worker's scratch directory), and stops training once `patience` epochs in a row
    after the `warmup_epochs` brought no improvement (`stopped_early`)."""

    def __init__(self, run: RunDir, history: list[dict], patience: int | None, epochs: int,
                 steps_per_epoch: int, warmup_epochs: int = 0):
        super().__init__()
        self.run, self.history, self.patience, self.epochs = run, history, patience, epochs
        self.steps_per_epoch, self.warmup_epochs = steps_per_epoch, warmup_epochs
        self._epoch_start = self._train_end = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start, self._train_end = time.perf_counter(), None

    def on_test_begin(self, logs=None):
        if self._epoch_start is not None and self._train_end is None:
            self._train_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        missing = [key for key in LOG_KEYS if key not in logs]
        if missing:
            raise RuntimeError(f"epoch logs lack {missing}; got {sorted(logs)}")
        now = time.perf_counter()
        train_seconds = (self._train_end or now) - self._epoch_start
        self.history.append({
            "epoch": epoch + 1, **{key: float(logs[key]) for key in LOG_KEYS},
            "learning_rate": float(self.model.optimizer.learning_rate), "steps": self.steps_per_epoch,
            "seconds": now - self._epoch_start, "train_seconds": train_seconds,
            "seconds_per_step": train_seconds / self.steps_per_epoch,
        })
        if best_epoch(self.history) == len(self.history):
            self._save_inference_copy()
        # Variables, then history.json, then state.json: a kill in between leaves the previous
        # epoch committed, and resuming reads only the first `epochs_done` history records.
        save_checkpoint(self.run.checkpoint, self.model, self.model.optimizer, len(self.history),
                        before_commit=lambda: write_json(self.run.history, self.history))
        if stopped_early(self.history, self.patience, self.epochs, self.warmup_epochs):
            self.model.stop_training = True

    def _save_inference_copy(self) -> None:
        """model.keras: the model without optimizer or compile state, built outside any strategy."""
        python_random = random.getstate()  # building draws layer seeds; keep the global stream as it was
        copy = self.model.__class__.from_config(self.model.get_config())
        random.setstate(python_random)
        copy.set_weights([np.asarray(weight) for weight in self.model.get_weights()])
        with atomic_output(self.run.model) as temp:
            copy.save(temp)


def save_checkpoint(directory: Path, model, optimizer, epochs_done: int,
                    before_commit: Callable[[], None] | None = None) -> None:
    """Writes the variables of `model` and `optimizer` after `epochs_done` epochs (`save_variables`)."""
    save_variables(directory, model, optimizer, f"{epochs_done:04d}",
                   {"version": STATE_VERSION, "epochs_done": epochs_done}, before_commit)


def load_checkpoint(directory: Path, model, optimizer) -> int:
    """Restores a checkpoint into `model` and a built `optimizer`; its finished epochs (0 without one)."""
    hint = "an older fnet-keras started this run; resume it with that version, or start again"
    record = load_variables(directory, model, optimizer, STATE_VERSION, hint)
    return 0 if record is None else int(record["epochs_done"])


def save_variables(directory: Path, model, optimizer, tag: str, record: dict[str, Any],
                   before_commit: Callable[[], None] | None = None) -> None:
    """The checkpoint of a training or pre-training loop: `variables-TAG.npz` (every model and
    optimizer variable, in the order Keras lists them), then `before_commit()` (which writes
    history.json), then `state.json` = `record` plus the file's name (the commit point); older
    variables files are removed after."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"variables-{tag}.npz"
    arrays = {f"model_{i:05d}": np.asarray(v.numpy()) for i, v in enumerate(model.variables)}
    arrays.update({f"optimizer_{i:05d}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)})
    with atomic_output(directory / name) as temp:
        with open(temp, "wb") as file:
            np.savez(file, **arrays)
    if before_commit is not None:
        before_commit()
    write_json(directory / "state.json", {**record, "variables": name})
    for old in directory.glob("variables-*.npz"):
        if old.name != name:
            old.unlink(missing_ok=True)


def load_variables(directory: Path, model, optimizer, version: int, other_version_hint: str) -> dict | None:
    """Restores `save_variables`' checkpoint into `model` and a built `optimizer`; its state.json
    record, or None when there is no checkpoint. A record of another `version` is refused with
    `other_version_hint`; variables that do not fit the model are refused, naming the file."""
    state_path = directory / "state.json"
    if not state_path.is_file():
        return None
    record = read_json(state_path)
    if not isinstance(record, dict) or record.get("version") != version:
        raise RunDirError(f"not a checkpoint of version {version}: {other_version_hint}", state_path)
    variables_path = directory / record["variables"]
    try:
        with np.load(variables_path) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except OSError as error:
        raise RunDirError(f"cannot read checkpoint variables: {error}", variables_path) from None
    for prefix, variables in (("model", model.variables), ("optimizer", optimizer.variables)):
        values = [arrays[key] for key in sorted(arrays) if key.startswith(prefix + "_")]
        shapes = [tuple(v.shape) for v in variables]
        if [value.shape for value in values] != shapes:
            raise RunDirError(
                f"the checkpoint's {prefix} variables ({len(values)}) do not match this {prefix} "
                f"({len(shapes)} variables); the run was made with other settings",
                variables_path,
            )
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)
    return record
