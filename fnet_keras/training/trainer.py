"""`fit`: train a text classifier into a run directory, or resume one.

    result = fit("../shared/data/sst2", "runs/sst2-mini", TrainSettings(preset="mini", epochs=3))
    result.test_metrics["accuracy"]

`fit` learns a WordPiece vocabulary on the training split, tokenizes every split in-graph,
and trains AdamW with warmup and decay, scoring the dev split after every epoch. The best
epoch by dev accuracy is kept as `model.keras`; every epoch ends with a checkpoint, so a
killed run continues with `resume=True` and loses at most the epoch it was in. The same
seed gives the same weights on the same machine. The run directory's layout is in
`fnet_keras.training.run_dir`.

With `teacher=RUN_DIR` the model learns from the labels and from a finished run's softened
probabilities (`fnet_keras.training.distillation`), optionally also on unlabelled text
(`distill_text`).
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from fnet_keras.data import (
    DataError,
    Dataset,
    Documents,
    LabelMap,
    load_dataset,
    load_dataset_from_info,
    load_documents_from_info,
    read_documents,
)
from fnet_keras.metrics import classification_metrics
from fnet_keras.models import TextClassifier
from fnet_keras.text import save_vocabulary
from fnet_keras.text.learn import learn_vocabulary
from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
from fnet_keras.training.callbacks import RunCheckpoint
from fnet_keras.training.checkpoint import best_epoch, load_checkpoint, stopped_early
from fnet_keras.training.distillation import (
    DistillationAccuracy,
    DistillationLoss,
    pack_targets,
    teacher_logits,
)
from fnet_keras.training.distribute import custom_training_loop, is_chief, make_strategy
from fnet_keras.training.input_pipeline import (
    encode_texts,
    evaluation_dataset,
    predict_logits,
    steps_per_epoch,
    training_dataset,
)
from fnet_keras.training.run_dir import RunDir, RunDirError, new_config, read_json, write_json
from fnet_keras.training.schedule import NO_WEIGHT_DECAY, WarmupDecay
from fnet_keras.training.settings import HOLDOUT_SEED, SettingsError, TrainSettings, backbone_arguments
from fnet_keras.training.stages import stage_printer
from fnet_keras.training.teacher import Teacher, TeacherError, load_teacher

EVAL_BATCH_SIZE = 256


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

    @property
    def still_improving(self) -> bool:
        """Whether dev accuracy rose in the last epoch run (so more epochs may help)."""
        return still_improving(self.history, self.best_epoch, self.stopped_early)

    def improvement_line(self) -> str:
        """One line for people: was the model still improving when training stopped, and what to do."""
        return improvement_line(self.history, self.best_epoch, self.stopped_early)


def still_improving(history: Sequence[dict[str, Any]], best_epoch: int, stopped_early: bool) -> bool:
    """True when the last epoch run was the best on dev and it beat every epoch before it (one epoch
    alone shows no trend: False)."""
    if stopped_early or len(history) < 2 or best_epoch != len(history):
        return False
    return history[-1]["val_accuracy"] > max(record["val_accuracy"] for record in history[:-1])


def improvement_line(history: Sequence[dict[str, Any]], best_epoch: int, stopped_early: bool) -> str:
    """The end-of-run verdict printed by `fnet-keras train` (`FitResult.improvement_line`)."""
    epochs = len(history)
    if still_improving(history, best_epoch, stopped_early):
        gain = (
            f" (dev accuracy {history[-2]['val_accuracy']:.4f} -> {history[-1]['val_accuracy']:.4f})"
            if epochs > 1
            else ""
        )
        return (
            f"still improving when training stopped: the last epoch was the best{gain}; more epochs may "
            f"help (--epochs {2 * epochs}, or --min-steps to plan more steps)"
        )
    if epochs == 1 and not stopped_early:
        return (
            f"one epoch run (dev accuracy {history[0]['val_accuracy']:.4f}): too few to tell whether more "
            f"would help; train 3 or more (--epochs 3) and this line will say whether dev accuracy still rose"
        )
    best = history[best_epoch - 1]["val_accuracy"] if history else float("nan")
    why = "early stopping ended it" if stopped_early else "the planned epochs ran out"
    return (
        f"no longer improving: dev accuracy peaked at epoch {best_epoch} of {epochs} ({best:.4f}) and {why}; "
        "more epochs are unlikely to help"
    )


def fit(
    data: str | Path | Dataset | None,
    out: str | Path,
    settings: TrainSettings | None = None,
    *,
    resume: bool = False,
    strategy: str = "default",
    text_column: str | int | None = None,
    label_column: str | int | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: str | int = "auto",
    init_from: str | Path | None = None,
    teacher: str | Path | None = None,
    distill_text: str | Path | None = None,
) -> FitResult:
    """Trains a classifier on `data` into the run directory `out`.

    Args:
        data: a data directory or file for `fnet_keras.data.load_dataset`, a `Dataset`, or
            None to resume on the data recorded in the run.
        out: the run directory: new or empty, or (with `resume`) one a run was started in.
        settings: model and training settings (default `TrainSettings()`; on resume, the
            recorded ones, which any given settings must equal).
        resume: continue the run in `out` from its last finished epoch. A run that already
            finished is returned as it is; resuming where no run was started is an error.
        strategy: `"default"`, `"mirrored"` or `"multiworker"` (cluster from `TF_CONFIG`;
            only the chief writes `out`, other workers a scratch directory).
        text_column, label_column: columns to read (None: found from the header).
        callbacks: more Keras callbacks, called after the checkpointing one.
        verbose: Keras' progress output (`"auto"`, 0, 1 or 2); stage messages (reading data,
            learning the vocabulary, ...) go to stderr unless it is 0.
        init_from: a pre-training directory (`fnet-keras pretrain`): its vocabulary instead of a
            learned one and its backbone weights under a fresh head; `settings` must fit it (see
            `Pretrained.fine_tuning_settings`). A resumed run restores its own checkpoint instead.
        teacher: a finished run to distil from (any preset, mixing or vocabulary; the same labels
            in the same order): the loss mixes the labels with its temperature-softened
            probabilities (`settings.distill_alpha`, `settings.temperature`; defaults filled in and
            recorded). Its logits are computed once and kept in the run directory. On resume,
            None means the recorded teacher (which is then needed only if its logits are gone).
        distill_text: with a teacher, extra unlabelled text (one text per line, `.txt`/`.txt.gz`
            or a folder of them) on which the teacher's soft labels are the only labels; its rows
            join every training epoch. On resume, None means the recorded one.

    Raises:
        DataError, TokenizerError: bad data or vocabulary, naming file and line.
        RunDirError: `out` is unusable as asked (finished, not empty, nothing to resume, settings
            differ).
        TeacherError: a teacher that is unfinished, has other labels, or is not the recorded one.
        ValueError: bad settings.
    """
    say = stage_printer(verbose)
    # The strategy comes first: MultiWorkerMirroredStrategy must exist before TF runs ops.
    distribution = make_strategy(strategy)
    chief = is_chief(distribution)
    run = RunDir(out)
    if resume and not run.has_started():
        raise RunDirError("no run was started here, so there is nothing to resume; leave out --resume to "
                          "start one", run.path)
    recorded = run.load() if resume else None
    distillation = recorded.distillation if recorded is not None else None
    if recorded is not None and distillation is None and (teacher is not None or distill_text is not None):
        raise RunDirError("the run was started without a teacher; one cannot join on resume (start a new "
                          "run with --teacher)", run.path)
    distilling = teacher is not None or distillation is not None
    if distilling and settings is not None:
        settings = settings.with_distillation()  # the defaults filled in, as they were recorded
    settings = _resolve_settings(settings, recorded)
    if distilling:
        settings = settings.with_distillation()
    elif settings.distills:
        raise SettingsError(f"distill_alpha {settings.distill_alpha} and temperature {settings.temperature} "
                            f"apply to distillation only: give a teacher (--teacher RUN_DIR)")
    if distill_text is not None and not distilling:
        raise SettingsError(f"distill_text {distill_text} is text for a teacher to label: give a teacher "
                            f"(--teacher RUN_DIR)")
    if recorded is not None and recorded.format_version != 2:
        raise RunDirError(f"a format-{recorded.format_version} run (an older fnet-keras) cannot be resumed; "
                          f"evaluate or export it, or start a new run", run.path)
    if recorded is not None and run.is_finished():
        return _finished_result(run)
    if recorded is None and chief:
        run.check_new()

    # The teacher and extra text are checked before any data is read (their errors come first).
    teacher_run, teacher_record = _resolve_teacher(teacher, distillation)
    documents = _load_distill_text(distill_text, distillation)
    pretrained = None
    if init_from is not None and recorded is None:
        from fnet_keras.training.pretrain_dir import load_pretrained

        pretrained = load_pretrained(init_from)
        pretrained.check_settings(settings)
    say("reading the data")
    dataset = _load_training_data(data, recorded, text_column, label_column)
    if settings.train_rows is not None and settings.train_rows < len(dataset.train):
        rng = np.random.default_rng(settings.seed)
        sample = rng.choice(len(dataset.train), settings.train_rows, replace=False)
        dataset.train = dataset.train.subset("train", np.sort(sample).tolist())
        say(f"note: training on {settings.train_rows:,} rows sampled from the training split (train_rows)")
    for note in dataset.notes:
        say(f"note: {note}")
    if recorded:
        label_map = recorded.label_map
    else:
        label_map = LabelMap.from_labels(dataset.train.labels, dataset.train.path)
    if teacher_run is not None:
        teacher_run.check_labels(label_map.labels, dataset.train.path)
    tokenizer_config = settings.tokenizer_config()
    if recorded:
        vocabulary = recorded.vocabulary
    elif settings.encoder is not None:
        from fnet_keras.training.encoder import encoder_vocabulary, resolve_encoder

        vocabulary, _ = encoder_vocabulary(resolve_encoder(settings.encoder))
        say(f"fine-tuning the pre-trained encoder {settings.encoder} (its vocabulary of "
            f"{len(vocabulary):,} tokens)")
    elif pretrained is not None:
        say(f"starting from the pre-trained backbone in {init_from} (its vocabulary of "
            f"{len(pretrained.vocabulary)} tokens)")
        vocabulary = pretrained.vocabulary
    else:
        # The extra distillation text is training text too: its words get pieces of their own.
        vocabulary_texts = list(dataset.train.texts) + (documents.texts if documents is not None else [])
        say(f"learning a WordPiece vocabulary of up to {settings.vocabulary_size} tokens "
            f"from {len(vocabulary_texts):,} training texts")
        vocabulary = learn_vocabulary(vocabulary_texts, settings.vocabulary_size, tokenizer_config)
    tokenizer = make_tf_tokenizer(vocabulary, tokenizer_config)
    splits = {"train": dataset.train, "dev": dataset.dev}
    if dataset.test is not None and dataset.test.has_labels:
        splits["test"] = dataset.test
    labels = {name: np.asarray(label_map.encode(split), np.int32) for name, split in splits.items()}
    texts = {name: split.texts for name, split in splits.items()}
    if documents is not None:
        texts["text"] = documents.texts
    say(f"tokenizing {sum(len(part) for part in texts.values()):,} texts "
        f"({', '.join(f'{name} {len(part):,}' for name, part in texts.items())})")
    # One tokenizer pass over all splits (one graph trace instead of one per split).
    token_ids = encode_texts(tokenizer, [text for part in texts.values() for text in part])
    ends = np.cumsum([len(part) for part in texts.values()])
    pieces = dict(zip(texts, np.split(token_ids, ends[:-1]), strict=True))
    encoded = {name: (pieces[name], labels[name]) for name in splits}

    logits = None
    if distilling:
        teacher_texts = {name: texts[name] for name in ("train", "dev", "text") if name in texts}
        logits = teacher_logits(
            run.teacher_logits, teacher_record, teacher_texts,
            lambda: teacher_run if teacher_run is not None else _recorded_teacher(teacher_record), say,
        )
        teacher_dev = float(np.mean(np.argmax(logits.logits["dev"], axis=1) == labels["dev"]))
        say(f"teacher's dev accuracy on this data: {teacher_dev:.4f}")
        encoded["train"] = _distillation_targets(encoded["train"], pieces.get("text"), logits.logits)
        if distillation is None:
            distillation = {"teacher": teacher_record, "teacher_dev_accuracy": teacher_dev,
                            "text": documents.source_info() if documents is not None else None}

    writer = run if chief else RunDir(tempfile.mkdtemp(prefix="fnet-keras-worker-"))
    try:
        if recorded is None:
            writer.path.mkdir(parents=True, exist_ok=True)
            save_vocabulary(vocabulary, writer.vocabulary)
            label_map.save(writer.labels)
            config = new_config(settings, strategy, dataset.source_info(), dataset.notes)
            config["schedule"] = planned_schedule(settings, len(encoded["train"][0]))
            if settings.encoder is not None:
                from fnet_keras.training.encoder import encoder_provenance

                config["init"] = encoder_provenance(settings.encoder)
            else:
                config["init"] = pretrained.provenance() if pretrained is not None else None
            config["distillation"] = distillation
            writer.write_config(config)
        if logits is not None and (logits.computed or not writer.teacher_logits.is_file()):
            logits.save(writer.teacher_logits)
        return _train(run, writer, distribution, strategy, settings, vocabulary, label_map, dataset,
                      encoded, callbacks, verbose, say, pretrained)
    finally:
        if writer is not run:
            shutil.rmtree(writer.path, ignore_errors=True)


def _resolve_teacher(teacher, distillation) -> tuple[Teacher | None, dict | None]:
    """The given teacher (checked against the recorded one on resume) and the teacher's provenance
    record; (None, None) without distillation."""
    recorded = distillation["teacher"] if distillation is not None else None
    if teacher is None:
        return None, recorded
    loaded = load_teacher(teacher)
    if recorded is not None:
        loaded.check_recorded(recorded)
        return loaded, recorded
    return loaded, loaded.provenance()


def _recorded_teacher(record: dict) -> Teacher:
    """The teacher a run recorded, from its path, checked to be unchanged (its logits are recomputed)."""
    try:
        loaded = load_teacher(record["run"])
    except RunDirError as error:
        raise TeacherError(
            f"the teacher's logits are not cached here (teacher_logits.npz), and the teacher run they come "
            f"from cannot be read: {error}; restore it, or give it with --teacher", record["run"],
        ) from None
    loaded.check_recorded(record)
    return loaded


def _load_distill_text(distill_text, distillation) -> Documents | None:
    """The extra unlabelled text: read from `distill_text` (on resume: checked to be the recorded
    one), else the recorded text, else None."""
    recorded = (distillation or {}).get("text")
    if distill_text is None:
        return load_documents_from_info(recorded) if recorded is not None else None
    documents = read_documents(distill_text)
    if distillation is not None and (recorded is None or documents.sha256 != recorded.get("sha256")):
        started = (
            "no --distill-text" if recorded is None else f"{recorded['path']} (SHA-256 {recorded['sha256']})"
        )
        raise DataError(f"the run was started with {started}, not this text (SHA-256 {documents.sha256}): "
                        f"resume with the same text, or without --distill-text", documents.path)
    return documents


def _distillation_targets(train, text_ids, logits) -> tuple[np.ndarray, np.ndarray]:
    """`(token_ids, packed targets)` of the training rows, then the unlabelled text's rows."""
    train_ids, train_labels = train
    if text_ids is None:
        return train_ids, pack_targets(train_labels, np.ones(len(train_labels)), logits["train"])
    return (
        np.concatenate([train_ids, text_ids]),
        pack_targets(
            np.concatenate([train_labels, np.zeros(len(text_ids), np.int32)]),
            np.concatenate([np.ones(len(train_labels)), np.zeros(len(text_ids))]),
            np.concatenate([logits["train"], logits["text"]]),
        ),
    )


def _resolve_settings(settings: TrainSettings | None, recorded) -> TrainSettings:
    if recorded is None:
        return settings or TrainSettings()
    if settings is not None and settings != recorded.settings:
        raise RunDirError(
            "cannot resume with other settings than the run was started with (given != recorded): "
            + "; ".join(settings.differences(recorded.settings)),
            recorded.path,
        )
    return recorded.settings


def _load_training_data(data, recorded, text_column, label_column) -> Dataset:
    if isinstance(data, Dataset):
        dataset = data
    elif data is not None:
        dataset = load_dataset(
            data, text_column=text_column, label_column=label_column, holdout_seed=HOLDOUT_SEED
        )
    elif recorded is not None:
        return load_dataset_from_info(recorded.data_info)
    else:
        raise ValueError("no training data given (--data)")
    if recorded is not None and _file_hashes(dataset.source_info()) != _file_hashes(recorded.data_info):
        raise DataError(
            f"the data differs from the data the run was started on ({recorded.data_info['source']}): "
            f"resume with the same files, or without --data to use the recorded ones",
            dataset.source,
        )
    return dataset


def _file_hashes(info: dict) -> dict[str, Any]:
    return {name: entry.get("sha256") for name, entry in info["files"].items()} | {"holdout": info["holdout"]}




def planned_schedule(settings: TrainSettings, train_rows: int) -> dict[str, int]:
    """The optimizer steps a run plans for (recorded in config.json so a user can see them):
    epochs, steps per epoch, all steps and the warm-up's."""
    steps = steps_per_epoch(train_rows, settings.batch_size)
    epochs = settings.resolved_epochs(steps)
    return {"epochs": epochs, "steps_per_epoch": steps, "total_steps": epochs * steps,
            "warmup_steps": settings.warmup_steps(epochs * steps)}


def build_classifier(
    settings: TrainSettings, vocabulary_size: int, num_classes: int, steps_per_epoch: int
) -> TextClassifier:
    """The classifier `fit` trains, compiled with its optimizer (built) and loss: sparse
    cross-entropy, or with distillation settings the `DistillationLoss` (its targets:
    `fnet_keras.training.distillation.pack_targets`).

    AdamW follows `WarmupDecay` over `steps_per_epoch * settings.resolved_epochs(steps_per_epoch)`
    steps. Build it
    inside a strategy's scope to distribute it.
    """
    if settings.encoder is not None:
        from fnet_keras.training.encoder import build_encoder_classifier

        model = build_encoder_classifier(
            settings.encoder, num_classes, settings.sequence_length, settings.dropout
        )
    elif settings.mixing == "bag":
        from fnet_keras.models.bag_of_embeddings import BagOfEmbeddingsClassifier

        model = BagOfEmbeddingsClassifier(
            vocabulary_size, num_classes, sequence_length=settings.sequence_length
        )
    else:
        model = TextClassifier.from_preset(
            settings.preset, vocabulary_size, num_classes, **backbone_arguments(settings)
        )
    total = steps_per_epoch * settings.resolved_epochs(steps_per_epoch)
    schedule = WarmupDecay(settings.learning_rate, settings.warmup_steps(total), total, settings.decay)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=settings.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
    if settings.distills:
        loss = DistillationLoss(settings.distill_alpha, settings.temperature)
        accuracy = DistillationAccuracy(name="accuracy")
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    model.compile(optimizer=optimizer, loss=loss, metrics=[accuracy])
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
    from fnet_keras.atomic import atomic_output

    with atomic_output(path) as temp:
        model.save(temp)


def _train(run, writer, distribution, strategy_name, settings, vocabulary, label_map, dataset,
           encoded, callbacks, verbose, say, pretrained=None) -> FitResult:
    """Builds the model (restoring a checkpoint), runs the remaining epochs, scores the best one."""
    steps = steps_per_epoch(len(encoded["train"][1]), settings.batch_size)
    keras.utils.set_random_seed(settings.seed)
    with distribution.scope():
        model = build_classifier(settings, len(vocabulary), len(label_map), steps)
        if pretrained is not None:
            from fnet_keras.training.pretrain import init_classifier_from

            init_classifier_from(pretrained, model)
    epochs_done = load_checkpoint(run.checkpoint, model, model.optimizer) or 0
    history = read_json(run.history)[:epochs_done] if epochs_done else []

    def save_best(trained: keras.Model) -> None:
        _save_model(_inference_copy(trained), writer.model)

    epochs = settings.resolved_epochs(steps)
    warmup_epochs = -(-settings.warmup_steps(epochs * steps) // steps)  # early stopping waits for them
    checkpointing = RunCheckpoint(writer, history, settings.patience, epochs, steps, save_best, warmup_epochs)
    if epochs_done < epochs and not stopped_early(history, settings.patience, epochs, warmup_epochs):
        what = f"encoder {settings.encoder}" if settings.encoder else f"{settings.preset} {settings.mixing}"
        say(f"training {what}: {model.count_params():,} parameters, "
            f"{steps} steps per epoch, up to {epochs} epochs"
            + (f", resuming after epoch {epochs_done}" if epochs_done else ""))
        all_callbacks = [checkpointing, *callbacks]
        if strategy_name == "multiworker":
            callback_list = keras.callbacks.CallbackList(
                all_callbacks, add_progbar=verbose != 0, model=model,
                verbose=1 if verbose == "auto" else verbose, epochs=epochs, steps=steps,
            )
            model.stop_training = False
            custom_training_loop(distribution, model, encoded["train"], encoded["dev"], settings.batch_size,
                                 settings.seed, epochs_done, epochs, callback_list)
        else:
            model.fit(
                training_dataset(*encoded["train"], settings.batch_size, settings.seed, epochs_done,
                                 epochs),
                validation_data=evaluation_dataset(*encoded["dev"], EVAL_BATCH_SIZE),
                epochs=epochs,
                initial_epoch=epochs_done,
                steps_per_epoch=steps,
                callbacks=all_callbacks,
                shuffle=False,  # the dataset is already in its seeded order
                verbose=verbose,
            )

    say("scoring the best epoch's model")
    best_path = writer.model if writer.model.is_file() else run.model
    best = keras.saving.load_model(best_path, safe_mode=True)
    scores = {name: _score(best, *encoded[name], label_map) for name in encoded if name != "train"}
    metrics = {
        "best_epoch": best_epoch(history),
        "epochs_run": len(history),
        "stopped_early": stopped_early(history, settings.patience, epochs, warmup_epochs),
        "parameters": best.count_params(),
        "dev": scores["dev"],
        "test": scores.get("test"),
    }
    write_json(writer.metrics, metrics)
    shutil.rmtree(writer.checkpoint, ignore_errors=True)
    return FitResult(run.path, settings, history, metrics["best_epoch"], metrics["stopped_early"],
                     scores["dev"], scores.get("test"), best, vocabulary, label_map.labels, dataset.notes)


def _score(model: keras.Model, token_ids: np.ndarray, labels: np.ndarray, label_map: LabelMap) -> dict:
    logits = predict_logits(model, token_ids, EVAL_BATCH_SIZE)
    return classification_metrics(labels, np.argmax(logits, axis=1), label_map.labels)


def _finished_result(run: RunDir) -> FitResult:
    loaded = run.load()
    metrics = read_json(run.metrics)
    return FitResult(
        run.path, loaded.settings, read_json(run.history), metrics["best_epoch"], metrics["stopped_early"],
        metrics["dev"], metrics["test"], loaded.load_model(), loaded.vocabulary, loaded.labels,
        list(loaded.data_notes),
    )

