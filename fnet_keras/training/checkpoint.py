"""The end-of-epoch checkpoint, and the training state that follows from the history.

`checkpoint/variables-EEEE.npz` holds every model variable (weights and the dropout seed
generators' states) and every optimizer variable (step counter, moments), in the order Keras
lists them; `checkpoint/state.json` (written last, so it is the commit point) names that file and
the number of finished epochs. Everything else the loop needs follows from history.json (its
first `epochs_done` records): the best epoch, the epochs since, whether patience ran out.
Restoring both into a freshly built model and optimizer gives bit-identical continuation: the
learning rate schedule reads the restored step, dropout the restored seed state, and the data
order depends on `(seed, epoch)` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fnet_keras.atomic import atomic_output
from fnet_keras.training.run_dir import RunDirError, read_json, write_json

STATE_VERSION = 2
SELECTION_METRIC = "val_accuracy"  # the best epoch is the one with the highest dev accuracy


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


def save_checkpoint(
    directory: Path, model, optimizer, epochs_done: int, before_commit: Callable[[], None] | None = None
) -> None:
    """Writes the variables of `model` and `optimizer` after `epochs_done` epochs, atomically.

    `before_commit` runs after the variables are written and before state.json commits them (the
    caller writes history.json there).
    """
    save_variables(directory, model, optimizer, f"{epochs_done:04d}",
                   {"version": STATE_VERSION, "epochs_done": epochs_done}, before_commit)


def load_checkpoint(directory: Path, model, optimizer) -> int | None:
    """Restores a checkpoint into `model` and a built `optimizer`; its finished epochs, or None if none."""
    record = load_variables(
        directory, model, optimizer, STATE_VERSION,
        "an older fnet-keras started this run; resume it with that version, or start again",
    )
    return None if record is None else int(record["epochs_done"])


def save_variables(
    directory: Path, model, optimizer, tag: str, record: dict[str, Any],
    before_commit: Callable[[], None] | None = None,
) -> None:
    """The checkpoint of a training or pre-training loop: `variables-TAG.npz` (every model and
    optimizer variable, in the order Keras lists them), then `state.json` = `record` plus the
    file's name (the commit point); older variables files are removed after."""
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
