"""The end-of-epoch checkpoint: model and optimizer variables plus the loop's own state.

`checkpoint/variables-EEEE.npz` holds every model variable (weights and the dropout seed
generators' states) and every optimizer variable (step counter, moments), in the order
Keras lists them; `checkpoint/state.json` (written after it, so it is the commit point)
names that file and holds the epoch counter, history and early-stopping state. Restoring
both into a freshly built model and optimizer gives bit-identical continuation: the learning
rate schedule reads the restored step, dropout the restored seed state, and the data order
depends on `(seed, epoch)` alone.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np

from fnet_keras.training.run_dir import RunDirError, atomic_output, read_json, write_json

STATE_VERSION = 1


@dataclasses.dataclass
class TrainingState:
    """What the training loop needs besides variables to continue where it stopped.

    Attributes:
        epochs_done: finished epochs (the next epoch to run, 0-based).
        history: one dict per finished epoch (loss, accuracy, val_loss, val_accuracy, ...).
        best_epoch: 1-based epoch with the best dev accuracy so far (0: none yet).
        best_dev_accuracy: that accuracy (-inf before the first epoch).
        epochs_without_improvement: epochs since the best one, for early stopping.
        stopped_early: whether early stopping ended the run.
        seed: the run's seed (the data order of epoch e is drawn from (seed, e)).
    """

    epochs_done: int = 0
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    best_epoch: int = 0
    best_dev_accuracy: float = -math.inf
    epochs_without_improvement: int = 0
    stopped_early: bool = False
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if self.best_epoch == 0:
            data["best_dev_accuracy"] = None  # JSON has no -inf
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingState:
        data = dict(data)
        if data.get("best_dev_accuracy") is None:
            data["best_dev_accuracy"] = -math.inf
        return cls(**data)


def save_checkpoint(directory: Path, model, optimizer, state: TrainingState) -> None:
    """Writes the variables of `model` and `optimizer` and `state`, atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"variables-{state.epochs_done:04d}.npz"
    arrays = {f"model_{i:05d}": np.asarray(v.numpy()) for i, v in enumerate(model.variables)}
    arrays.update({f"optimizer_{i:05d}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)})
    with atomic_output(directory / name) as temp:
        with open(temp, "wb") as file:
            np.savez(file, **arrays)
    write_json(
        directory / "state.json",
        {"version": STATE_VERSION, "variables": name, "state": state.to_dict()},
    )
    for old in directory.glob("variables-*.npz"):
        if old.name != name:
            old.unlink(missing_ok=True)


def load_checkpoint(directory: Path, model, optimizer) -> TrainingState | None:
    """Restores a checkpoint into `model` and a built `optimizer`; None if there is none."""
    state_path = directory / "state.json"
    if not state_path.is_file():
        return None
    record = read_json(state_path)
    if not isinstance(record, dict) or record.get("version") != STATE_VERSION:
        raise RunDirError(f"{state_path}: not a checkpoint state of version {STATE_VERSION}")
    variables_path = directory / record["variables"]
    try:
        with np.load(variables_path) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except OSError as error:
        raise RunDirError(f"{variables_path}: cannot read checkpoint variables: {error}") from None
    for prefix, variables in (("model", model.variables), ("optimizer", optimizer.variables)):
        values = [arrays[key] for key in sorted(arrays) if key.startswith(prefix + "_")]
        shapes = [tuple(v.shape) for v in variables]
        if [value.shape for value in values] != shapes:
            raise RunDirError(
                f"{variables_path}: the checkpoint's {prefix} variables ({len(values)}) do not match "
                f"this {prefix} ({len(shapes)} variables); the run was made with other settings"
            )
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)
    return TrainingState.from_dict(record["state"])
