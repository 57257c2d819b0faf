"""`RunCheckpoint`: the end-of-epoch bookkeeping shared by `Model.fit` and the custom loop."""

from __future__ import annotations

import time
from collections.abc import Callable

import keras

from fnet_keras.training.checkpoint import best_epoch, save_checkpoint, stopped_early
from fnet_keras.training.run_dir import RunDir, write_json

# Keys of Keras' epoch logs kept in the history, in this order.
LOG_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


class RunCheckpoint(keras.callbacks.Callback):
    """Records each epoch, keeps the best model by dev accuracy, checkpoints, stops early.

    At the end of every epoch: appends a history record, saves the model via `save_best`
    when dev accuracy (`val_accuracy`) beat every earlier epoch, writes the checkpoint's
    variables, history.json and the checkpoint's state (which commits the epoch), and sets
    `model.stop_training` once `patience` epochs in a row after the warm-up brought no improvement.

    Args:
        run: where to write (the run directory, or a worker's scratch directory).
        history: the records of the finished epochs, extended in place.
        patience: epochs without improvement before stopping; None never stops early.
        epochs: the planned number of epochs (stopping after the last is not "early").
        steps_per_epoch: training steps per epoch (recorded with the timings).
        save_best: called with the model when it is the best so far.
        warmup_epochs: epochs the learning-rate warm-up spans; patience counts only after them.
    """

    def __init__(
        self,
        run: RunDir,
        history: list[dict],
        patience: int | None,
        epochs: int,
        steps_per_epoch: int,
        save_best: Callable[[keras.Model], None],
        warmup_epochs: int = 0,
    ):
        super().__init__()
        self.run = run
        self.history = history
        self.patience = patience
        self.epochs = epochs
        self.steps_per_epoch = steps_per_epoch
        self.save_best = save_best
        self.warmup_epochs = warmup_epochs
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
        record = {"epoch": epoch + 1, **{key: float(logs[key]) for key in LOG_KEYS}}
        record.update(
            learning_rate=float(self.model.optimizer.learning_rate),
            steps=self.steps_per_epoch,
            seconds=now - self._epoch_start,
            train_seconds=train_seconds,
            seconds_per_step=train_seconds / self.steps_per_epoch,
        )
        self.history.append(record)
        if best_epoch(self.history) == len(self.history):
            self.save_best(self.model)
        # Variables, then history.json, then state.json: a kill in between leaves the previous
        # epoch committed, and resuming reads only the first `epochs_done` history records.
        save_checkpoint(self.run.checkpoint, self.model, self.model.optimizer, len(self.history),
                        before_commit=lambda: write_json(self.run.history, self.history))
        if stopped_early(self.history, self.patience, self.epochs, self.warmup_epochs):
            self.model.stop_training = True
