"""Train a text classifier into a run directory, resume it, and score a finished run.

    result = fit("../shared/data/sst2", "runs/sst2-mini", TrainSettings(preset="mini", epochs=3))
    result.test_metrics["accuracy"]
    metrics = evaluate("runs/sst2-mini", "../shared/data/sst2/test.tsv")

`fit` learns a WordPiece vocabulary on the training split, tokenizes every split in-graph,
and trains AdamW with warmup and decay, scoring the dev split after every epoch. The best
epoch by dev accuracy is kept as `model.keras`; every epoch ends with a checkpoint, so a
killed run continues with `resume=True` and loses at most the epoch it was in. The same
seed gives the same weights on the same machine. The layout of the run directory is in
`fnet_keras.training.run_dir`.
"""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

import fnet_keras
from fnet_keras.data import (
    DataError,
    Dataset,
    LabelMap,
    Split,
    load_dataset,
    load_dataset_from_info,
    read_evaluation_split,
)
from fnet_keras.metrics import classification_metrics
from fnet_keras.models import TextClassifier
from fnet_keras.text import TokenizerConfig, load_vocabulary, save_vocabulary
from fnet_keras.text.learn import learn_vocabulary
from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
from fnet_keras.training.callbacks import RunCheckpoint
from fnet_keras.training.checkpoint import TrainingState, load_checkpoint
from fnet_keras.training.distribute import custom_training_loop, is_chief, make_strategy
from fnet_keras.training.pipeline import (
    encode_texts,
    evaluation_dataset,
    predict_logits,
    steps_per_epoch,
    training_dataset,
)
from fnet_keras.training.run_dir import (
    CONFIG_FORMAT_VERSION,
    RunDir,
    RunDirError,
    atomic_output,
    read_json,
    write_json,
)
from fnet_keras.training.schedule import WarmupDecay
from fnet_keras.training.settings import HOLDOUT_SEED, TrainSettings

__all__ = [
    "FitResult", "RunDirError", "TrainSettings", "build_classifier", "evaluate", "fit", "recorded_settings",
]

EVAL_BATCH_SIZE = 256
# AdamW does not decay these (BERT's convention): biases, LayerNorm and embedding tables.
NO_WEIGHT_DECAY = ["bias", "gamma", "beta", "embeddings"]


@dataclasses.dataclass
class FitResult:
    """What `fit` returns.

    Attributes:
        run_dir: the run directory.
        settings: the settings trained with.
        history: one record per epoch (loss, accuracy, val_loss, val_accuracy, timings).
        best_epoch: the 1-based epoch kept as model.keras.
        stopped_early: whether early stopping ended the run.
        dev_metrics, test_metrics: `classification_metrics` of the best model (test: None
            without a labelled test split).
        model: the best model, in memory.
        vocabulary: the WordPiece tokens.
        labels: the label of each class id.
        notes: facts about the data worth reporting (held-out dev split, ...).
    """

    run_dir: Path
    settings: TrainSettings
    history: list[dict[str, Any]]
    best_epoch: int
    stopped_early: bool
    dev_metrics: dict[str, Any]
    test_metrics: dict[str, Any] | None
    model: keras.Model
    vocabulary: list[str]
    labels: tuple[str, ...]
    notes: list[str]


def recorded_settings(run_dir: str | os.PathLike) -> TrainSettings | None:
    """The settings recorded in a run directory, or None if no run was started there."""
    run = RunDir(run_dir)
    return TrainSettings.from_dict(run.read_config()["settings"]) if run.has_started() else None


def fit(
    data: str | os.PathLike | Dataset | None,
    out: str | os.PathLike,
    settings: TrainSettings | None = None,
    *,
    resume: bool = False,
    strategy: str = "default",
    text_column: str | int | None = None,
    label_column: str | int | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: str | int = "auto",
) -> FitResult:
    """Trains a classifier on `data` into the run directory `out`.

    Args:
        data: a data directory or file for `fnet_keras.data.load_dataset`, a `Dataset`, or
            None to resume on the data recorded in the run.
        out: the run directory: new or empty, or (with `resume`) one a run was started in.
        settings: model and training settings (default `TrainSettings()`; on resume, the
            recorded ones, which any given settings must equal).
        resume: continue the run in `out` from its last finished epoch. A run that already
            finished is returned as it is; an empty or missing `out` starts a new run.
        strategy: `"default"`, `"mirrored"` or `"multiworker"` (cluster from `TF_CONFIG`;
            only the chief writes `out`, other workers a scratch directory).
        text_column, label_column: columns to read (None: found from the header).
        callbacks: more Keras callbacks, called after the checkpointing one.
        verbose: Keras' progress output (`"auto"`, 0, 1 or 2).

    Raises:
        DataError, TokenizerError: bad data or vocabulary, naming file and line.
        RunDirError: `out` is unusable as asked (finished, not empty, settings differ).
        ValueError: bad settings.
    """
    # The strategy comes first: MultiWorkerMirroredStrategy must exist before TF runs ops.
    distribution = make_strategy(strategy)
    chief = is_chief(distribution)
    run = RunDir(out)
    recorded = run.read_config() if resume and run.has_started() else None
    settings = _resolve_settings(settings, recorded, run)
    if recorded is not None and run.is_finished():
        return _finished_result(run, recorded)
    if recorded is None and chief:
        run.check_new()

    dataset = _load_training_data(data, recorded, text_column, label_column)
    if recorded:
        label_map = LabelMap(tuple(recorded["labels"]))
    else:
        label_map = LabelMap.from_labels(dataset.train.labels)
    if len(label_map) < 2:
        raise DataError(f"the training split has a single label {label_map.labels[0]!r}; need two or more",
                        dataset.train.path)
    tokenizer_config = settings.tokenizer_config()
    if recorded:
        vocabulary = load_vocabulary(run.vocabulary)
    else:
        vocabulary = learn_vocabulary(dataset.train.texts, settings.vocabulary_size, tokenizer_config)
    tokenizer = make_tf_tokenizer(vocabulary, tokenizer_config)
    splits = {"train": dataset.train, "dev": dataset.dev}
    if dataset.test is not None and dataset.test.has_labels:
        splits["test"] = dataset.test
    labels = {name: np.asarray(label_map.encode(split), np.int32) for name, split in splits.items()}
    # One tokenizer pass over all splits (one graph trace instead of one per split).
    token_ids = encode_texts(tokenizer, [text for split in splits.values() for text in split.texts])
    ends = np.cumsum([len(split) for split in splits.values()])
    pieces = np.split(token_ids, ends[:-1])
    encoded = {name: (ids, labels[name]) for name, ids in zip(splits, pieces, strict=True)}

    writer = run if chief else RunDir(tempfile.mkdtemp(prefix="fnet-keras-worker-"))
    try:
        if recorded is None:
            _write_run_files(writer, settings, strategy, dataset, label_map, vocabulary, tokenizer_config)
        return _train(run, writer, distribution, strategy, settings, vocabulary, label_map, dataset,
                      encoded, callbacks, verbose)
    finally:
        if writer is not run:
            shutil.rmtree(writer.path, ignore_errors=True)


def evaluate(
    run_dir: str | os.PathLike,
    data: str | os.PathLike | None = None,
    *,
    split: str = "test",
    text_column: str | int | None = None,
    label_column: str | int | None = None,
    batch_size: int = EVAL_BATCH_SIZE,
) -> dict[str, Any]:
    """Scores the model of a run directory on labelled data.

    Args:
        run_dir: a run directory written by `fit`.
        data: a labelled file, or a data directory (its `split` file is read); None: the
            `split` of the data recorded in the run.
        split: which split of a directory (or of the recorded data): train, dev or test.
        text_column, label_column: columns of `data` (None: found from the header).
        batch_size: examples per inference batch.

    Returns:
        `fnet_keras.metrics.classification_metrics` output plus `data` (the file read) and
        `split` (the split's name, or None when `data` is a file).

    Raises:
        DataError: unreadable data, or a label the run does not know (file, line, label).
        RunDirError: not a run directory, or an unfinished run.
    """
    if split not in ("train", "dev", "test"):
        raise ValueError(f"split must be train, dev or test; got {split!r}")
    run = RunDir(run_dir)
    config = run.read_config()
    if not run.model.is_file():
        raise RunDirError(f"{run.path}: no model.keras yet (the run has not finished an epoch)")
    label_map = LabelMap.load(run.labels)
    examples = _evaluation_split(config, data, split, text_column, label_column)
    true_ids = label_map.encode(examples)
    tokenizer_config = TokenizerConfig.from_dict(config["tokenizer"], run.config)
    tokenizer = make_tf_tokenizer(load_vocabulary(run.vocabulary), tokenizer_config)
    model = keras.saving.load_model(run.model, safe_mode=True)
    logits = predict_logits(model, encode_texts(tokenizer, examples.texts), batch_size)
    metrics = classification_metrics(true_ids, np.argmax(logits, axis=1), label_map.labels)
    split_name = None if data is not None and Path(data).is_file() else split
    return {**metrics, "split": split_name, "data": examples.path}


def _resolve_settings(settings: TrainSettings | None, recorded: dict | None, run: RunDir) -> TrainSettings:
    if recorded is None:
        return settings or TrainSettings()
    before = TrainSettings.from_dict(recorded["settings"])
    if settings is not None and settings != before:
        raise RunDirError(
            f"{run.path}: cannot resume with other settings than the run was started with "
            f"(given != recorded): {'; '.join(settings.differences(before))}"
        )
    return before


def _load_training_data(data, recorded, text_column, label_column) -> Dataset:
    if isinstance(data, Dataset):
        dataset = data
    elif data is not None:
        dataset = load_dataset(
            data, text_column=text_column, label_column=label_column, holdout_seed=HOLDOUT_SEED
        )
    elif recorded is not None:
        return load_dataset_from_info(recorded["data"])
    else:
        raise ValueError("no training data given (--data)")
    if recorded is not None and _file_hashes(dataset.source_info()) != _file_hashes(recorded["data"]):
        raise DataError(
            f"the data differs from the data the run was started on ({recorded['data']['source']}): "
            f"resume with the same files, or without --data to use the recorded ones",
            dataset.source,
        )
    return dataset


def _file_hashes(info: dict) -> dict[str, Any]:
    return {name: entry.get("sha256") for name, entry in info["files"].items()} | {"holdout": info["holdout"]}


def _write_run_files(run, settings, strategy, dataset, label_map, vocabulary, tokenizer_config) -> None:
    run.path.mkdir(parents=True, exist_ok=True)
    save_vocabulary(vocabulary, run.vocabulary)
    label_map.save(run.labels)
    steps = steps_per_epoch(len(dataset.train), settings.batch_size)
    epochs = settings.resolved_epochs(steps)
    total = steps * epochs
    config = {
        "format_version": CONFIG_FORMAT_VERSION,
        "fnet_keras_version": fnet_keras.__version__,
        "preset": settings.preset,
        "mixing": settings.mixing,
        "num_attention_layers": settings.num_attention_layers,
        "sequence_length": settings.sequence_length,
        "vocabulary_size": len(vocabulary),
        "num_classes": len(label_map),
        "labels": list(label_map.labels),
        "seed": settings.seed,
        "tokenizer": tokenizer_config.to_dict(),
        "settings": settings.to_dict(),
        "training": {
            "optimizer": "AdamW",
            "learning_rate": settings.learning_rate,
            "schedule": f"linear warmup then {settings.decay} decay to 0",
            "warmup_steps": settings.warmup_steps(total),
            "steps_per_epoch": steps,
            "total_steps": total,
            "weight_decay": settings.weight_decay,
            "no_weight_decay": NO_WEIGHT_DECAY,
            "batch_size": settings.batch_size,
            "epochs": epochs,
            "patience": settings.patience,
            "selection": "best dev accuracy",
            "strategy": strategy,
        },
        "data": dataset.source_info(),
        "data_notes": dataset.notes,
        "files": {"model": "model.keras", "vocabulary": "vocab.txt", "labels": "labels.txt",
                  "history": "history.json", "metrics": "metrics.json"},
    }
    write_json(run.config, config)


def build_classifier(
    settings: TrainSettings, vocabulary_size: int, num_classes: int, steps_per_epoch: int
) -> TextClassifier:
    """The classifier `fit` trains, compiled with its optimizer (built) and loss.

    AdamW follows `WarmupDecay` over `steps_per_epoch * settings.resolved_epochs(steps_per_epoch)`
    steps. Build it
    inside a strategy's scope to distribute it.
    """
    model = TextClassifier.from_preset(
        settings.preset,
        vocabulary_size=vocabulary_size,
        num_classes=num_classes,
        mixing=settings.mixing,
        sequence_length=settings.sequence_length,
        num_attention_layers=settings.num_attention_layers,
        dropout=settings.dropout,
        fourier_method=settings.fourier_method,
        **settings.backbone_overrides,
    )
    total = steps_per_epoch * settings.resolved_epochs(steps_per_epoch)
    schedule = WarmupDecay(settings.learning_rate, settings.warmup_steps(total), total, settings.decay)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=settings.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    optimizer.build(model.trainable_variables)
    return model


def _inference_copy(model: keras.Model) -> keras.Model:
    """The model without optimizer or compile state, built outside any strategy."""
    python_random = random.getstate()  # building draws layer seeds; keep the global stream as it was
    copy = model.__class__.from_config(model.get_config())
    random.setstate(python_random)
    copy.set_weights([np.asarray(weight) for weight in model.get_weights()])
    return copy


def _save_model(model: keras.Model, path: Path) -> None:
    with atomic_output(path) as temp:
        model.save(temp)


def _train(run, writer, distribution, strategy_name, settings, vocabulary, label_map, dataset,
           encoded, callbacks, verbose) -> FitResult:
    """Builds the model (restoring a checkpoint), runs the remaining epochs, scores the best one."""
    steps = steps_per_epoch(len(encoded["train"][1]), settings.batch_size)
    keras.utils.set_random_seed(settings.seed)
    with distribution.scope():
        model = build_classifier(settings, len(vocabulary), len(label_map), steps)
    state = load_checkpoint(run.checkpoint, model, model.optimizer) or TrainingState(seed=settings.seed)

    def save_best(trained: keras.Model) -> None:
        _save_model(_inference_copy(trained), writer.model)

    epochs = settings.resolved_epochs(steps)
    checkpointing = RunCheckpoint(writer, state, settings.patience, epochs, steps, save_best)
    if state.epochs_done < epochs and not state.stopped_early:
        all_callbacks = [checkpointing, *callbacks]
        if strategy_name == "multiworker":
            callback_list = keras.callbacks.CallbackList(
                all_callbacks, add_progbar=verbose != 0, model=model,
                verbose=1 if verbose == "auto" else verbose, epochs=epochs, steps=steps,
            )
            model.stop_training = False
            custom_training_loop(distribution, model, encoded["train"], encoded["dev"], settings.batch_size,
                                 settings.seed, state.epochs_done, epochs, callback_list)
        else:
            model.fit(
                training_dataset(*encoded["train"], settings.batch_size, settings.seed, state.epochs_done,
                                 epochs),
                validation_data=evaluation_dataset(*encoded["dev"], EVAL_BATCH_SIZE),
                epochs=epochs,
                initial_epoch=state.epochs_done,
                steps_per_epoch=steps,
                callbacks=all_callbacks,
                shuffle=False,  # the dataset is already in its seeded order
                verbose=verbose,
            )

    best_path = writer.model if writer.model.is_file() else run.model
    best = keras.saving.load_model(best_path, safe_mode=True)
    scores = {name: _score(best, *encoded[name], label_map) for name in encoded if name != "train"}
    metrics = {
        "best_epoch": state.best_epoch,
        "epochs_run": state.epochs_done,
        "stopped_early": state.stopped_early,
        "parameters": best.count_params(),
        "dev": scores["dev"],
        "test": scores.get("test"),
        "notes": dataset.notes,
    }
    write_json(writer.metrics, metrics)
    shutil.rmtree(writer.checkpoint, ignore_errors=True)
    return FitResult(run.path, settings, state.history, state.best_epoch, state.stopped_early, scores["dev"],
                     scores.get("test"), best, vocabulary, label_map.labels, dataset.notes)


def _score(model: keras.Model, token_ids: np.ndarray, labels: np.ndarray, label_map: LabelMap) -> dict:
    logits = predict_logits(model, token_ids, EVAL_BATCH_SIZE)
    return classification_metrics(labels, np.argmax(logits, axis=1), label_map.labels)


def _finished_result(run: RunDir, config: dict) -> FitResult:
    metrics = read_json(run.metrics)
    model = keras.saving.load_model(run.model, safe_mode=True)
    return FitResult(
        run.path, TrainSettings.from_dict(config["settings"]), read_json(run.history), metrics["best_epoch"],
        metrics["stopped_early"], metrics["dev"], metrics["test"], model, load_vocabulary(run.vocabulary),
        LabelMap.load(run.labels).labels, metrics["notes"],
    )


def _evaluation_split(config: dict, data, split: str, text_column, label_column) -> Split:
    if data is None:
        dataset = load_dataset_from_info(config["data"])
        examples = getattr(dataset, split)
        if examples is None:
            raise DataError(f"the data recorded in the run has no {split} split; give --data or --split dev",
                            config["data"]["source"])
    else:
        examples = read_evaluation_split(data, split, text_column=text_column, label_column=label_column)
    if not examples.has_labels:
        raise DataError(f"the {split} split has no labels to score against", examples.path)
    return examples
