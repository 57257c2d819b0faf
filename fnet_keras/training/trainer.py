"""`fit`: train a text classifier into a run directory, or resume one.

    result = fit("../shared/data/sst2", "runs/sst2-mini", TrainSettings(preset="mini", epochs=3))
    result.test_metrics["accuracy"]

`fit` learns a WordPiece vocabulary on the training split, tokenizes every split in-graph,
and trains AdamW with warmup and decay, scoring the dev split after every epoch. The best
epoch by dev accuracy is kept as `model.keras`; every epoch ends with a checkpoint, so a
killed run continues with `resume=True` and loses at most the epoch it was in. The same
seed gives the same weights on the same machine. The run directory's layout is in
`fnet_keras.training.run_dir`; distilling from a teacher run in `fnet_keras.training.distillation`.
"""

from __future__ import annotations

import dataclasses
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
from fnet_keras.training.checkpoint import RunCheckpoint, best_epoch, load_checkpoint, stopped_early
from fnet_keras.training.distillation import (
    DistillationAccuracy,
    DistillationLoss,
    pack_targets,
    teacher_logits,
)
from fnet_keras.training.distribute import custom_training_loop, is_chief, make_strategy
from fnet_keras.training.input_pipeline import (
    EVAL_BATCH_SIZE,
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


@dataclasses.dataclass
class FitResult:
    """What `fit` returns: one history record per epoch, the 1-based best epoch (kept as model.keras,
    `model` in memory) and its `classification_metrics` (test: None without a labelled test split),
    the labels by class id, and facts about the data worth reporting (`notes`)."""

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
        return still_improving(self.history, self.best_epoch, self.stopped_early)

    def improvement_line(self) -> str:
        return improvement_line(self.history, self.best_epoch, self.stopped_early)


def still_improving(history: Sequence[dict[str, Any]], best_epoch: int, stopped_early: bool) -> bool:
    """True when the last epoch run was the best on dev and it beat every epoch before it (one epoch
    alone shows no trend: False), so more epochs may help."""
    if stopped_early or len(history) < 2 or best_epoch != len(history):
        return False
    return history[-1]["val_accuracy"] > max(record["val_accuracy"] for record in history[:-1])


def improvement_line(history: Sequence[dict[str, Any]], best_epoch: int, stopped_early: bool) -> str:
    """The end-of-run verdict `fnet-keras train` prints: was the model still improving, and what to do."""
    epochs = len(history)
    if still_improving(history, best_epoch, stopped_early):
        return (
            f"still improving when training stopped: the last epoch was the best (dev accuracy "
            f"{history[-2]['val_accuracy']:.4f} -> {history[-1]['val_accuracy']:.4f}); more epochs may "
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


def fit(data: str | Path | Dataset | None, out: str | Path, settings: TrainSettings | None = None, *,
        resume: bool = False, strategy: str = "default", text_column: str | int | None = None,
        label_column: str | int | None = None, callbacks: Sequence[keras.callbacks.Callback] = (),
        verbose: str | int = "auto", init_from: str | Path | None = None, teacher: str | Path | None = None,
        distill_text: str | Path | None = None) -> FitResult:
    """Trains a classifier on `data` into the run directory `out` (new or empty), or with `resume`
    continues the run started there from its last finished epoch (a finished one is returned as is).

    Args:
        data: a data directory or file (`fnet_keras.data.load_dataset`), a `Dataset`, or None to
            resume on the data recorded in the run.
        settings: default `TrainSettings()`; on resume the recorded ones, which given ones must equal.
        strategy: "default", "mirrored" or "multiworker" (cluster from `TF_CONFIG`; only the chief
            writes `out`, other workers a scratch directory).
        text_column, label_column: columns to read (None: found from the header).
        callbacks: more Keras callbacks, called after the checkpointing one.
        verbose: Keras' progress output ("auto", 0, 1 or 2); stage messages go to stderr unless 0.
        init_from: a pre-training directory: its vocabulary and backbone weights under a fresh head;
            `settings` must fit it (`Pretrained.fine_tuning_settings`). Not used on resume.
        teacher: a finished run with the same labels, in the same order, to distil from: the loss mixes
            the labels with its temperature-softened probabilities (`settings.distill_alpha` and
            `temperature`, defaults filled in and recorded). On resume, None means the recorded one.
        distill_text: with a teacher, unlabelled text (one per line, `.txt`/`.txt.gz` or a folder of
            them) the teacher's soft labels alone teach on, every epoch. On resume, None: the recorded one.

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
    settings = run.resumed_settings(settings, recorded.settings) if recorded else settings or TrainSettings()
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
        metrics = read_json(run.metrics)
        return FitResult(
            run.path, recorded.settings, read_json(run.history), metrics["best_epoch"],
            metrics["stopped_early"], metrics["dev"], metrics["test"], recorded.load_model(),
            recorded.vocabulary, recorded.labels, list(recorded.data_notes),
        )
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
    label_map = recorded.label_map if recorded else LabelMap.from_labels(dataset.train.labels,
                                                                         dataset.train.path)
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
        # The unlabelled text's rows follow the training rows: no label, the teacher's logits only.
        train_ids, train_labels = encoded["train"]
        text_ids = pieces.get("text", train_ids[:0])
        encoded["train"] = np.concatenate([train_ids, text_ids]), pack_targets(
            np.concatenate([train_labels, np.zeros(len(text_ids), np.int32)]),
            np.concatenate([np.ones(len(train_labels)), np.zeros(len(text_ids))]),
            np.concatenate([logits.logits["train"], logits.logits.get("text", logits.logits["train"][:0])]),
        )
        if distillation is None:
            distillation = {"teacher": teacher_record, "teacher_dev_accuracy": teacher_dev,
                            "text": documents.source_info() if documents is not None else None}

    steps = steps_per_epoch(len(encoded["train"][1]), settings.batch_size)
    plan = planned_schedule(settings, steps)
    writer = run if chief else RunDir(tempfile.mkdtemp(prefix="fnet-keras-worker-"))
    try:
        if recorded is None:
            writer.path.mkdir(parents=True, exist_ok=True)
            save_vocabulary(vocabulary, writer.vocabulary)
            label_map.save(writer.labels)
            if settings.encoder is not None:
                from fnet_keras.training.encoder import encoder_provenance

                init = encoder_provenance(settings.encoder)
            else:
                init = pretrained.provenance() if pretrained is not None else None
            write_json(writer.config, new_config(settings, strategy, dataset.source_info(), dataset.notes,
                                                 schedule=plan, init=init, distillation=distillation))
        if logits is not None and (logits.computed or not writer.teacher_logits.is_file()):
            logits.save(writer.teacher_logits)

        # Build the model (restoring a checkpoint), run the remaining epochs, score the best one.
        keras.utils.set_random_seed(settings.seed)
        with distribution.scope():
            model = build_classifier(settings, len(vocabulary), len(label_map), steps)
            if pretrained is not None:
                from fnet_keras.training.pretrain import init_classifier_from

                init_classifier_from(pretrained, model)
        epochs_done = load_checkpoint(run.checkpoint, model, model.optimizer)
        history = read_json(run.history)[:epochs_done] if epochs_done else []
        epochs = plan["epochs"]
        warmup_epochs = -(-plan["warmup_steps"] // steps)  # early stopping waits for them
        all_callbacks = [RunCheckpoint(writer, history, settings.patience, epochs, steps, warmup_epochs),
                         *callbacks]
        if epochs_done < epochs and not stopped_early(history, settings.patience, epochs, warmup_epochs):
            what = (f"encoder {settings.encoder}" if settings.encoder
                    else f"{settings.preset} {settings.mixing}")
            say(f"training {what}: {model.count_params():,} parameters, {steps} steps per epoch, up to "
                f"{epochs} epochs" + (f", resuming after epoch {epochs_done}" if epochs_done else ""))
            if strategy == "multiworker":
                callback_list = keras.callbacks.CallbackList(
                    all_callbacks, add_progbar=verbose != 0, model=model,
                    verbose=1 if verbose == "auto" else verbose, epochs=epochs, steps=steps,
                )
                model.stop_training = False
                custom_training_loop(distribution, model, encoded["train"], encoded["dev"],
                                     settings.batch_size, settings.seed, epochs_done, epochs, callback_list)
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
        best = keras.saving.load_model(writer.model if writer.model.is_file() else run.model, safe_mode=True)
        scores = {
            name: classification_metrics(classes, predict_logits(best, ids).argmax(axis=1), label_map.labels)
            for name, (ids, classes) in encoded.items() if name != "train"
        }
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
    return loaded, recorded or loaded.provenance()


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


def _load_training_data(data, recorded, text_column, label_column) -> Dataset:
    if isinstance(data, Dataset):
        dataset = data
    elif data is not None:
        dataset = load_dataset(data, text_column=text_column, label_column=label_column,
                               holdout_seed=HOLDOUT_SEED)
    elif recorded is not None:
        return load_dataset_from_info(recorded.data_info)
    else:
        raise ValueError("no training data given (--data)")

    def hashes(info: dict) -> dict[str, Any]:
        return {"holdout": info["holdout"], **{name: f.get("sha256") for name, f in info["files"].items()}}

    if recorded is not None and hashes(dataset.source_info()) != hashes(recorded.data_info):
        raise DataError(
            f"the data differs from the data the run was started on ({recorded.data_info['source']}): "
            f"resume with the same files, or without --data to use the recorded ones",
            dataset.source,
        )
    return dataset


def planned_schedule(settings: TrainSettings, steps_per_epoch: int) -> dict[str, int]:
    """The optimizer steps a run plans for (recorded in config.json so a user can see them):
    epochs, steps per epoch, all steps and the warm-up's."""
    epochs = settings.resolved_epochs(steps_per_epoch)
    total = epochs * steps_per_epoch
    return {"epochs": epochs, "steps_per_epoch": steps_per_epoch, "total_steps": total,
            "warmup_steps": settings.warmup_steps(total)}


def build_classifier(settings: TrainSettings, vocabulary_size: int, num_classes: int,
                     steps_per_epoch: int) -> TextClassifier:
    """The classifier `fit` trains, compiled with its optimizer (built) and loss: sparse
    cross-entropy, or with distillation settings the `DistillationLoss` (its targets:
    `fnet_keras.training.distillation.pack_targets`). AdamW follows `WarmupDecay` over the
    `planned_schedule`. Build it inside a strategy's scope to distribute it.
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
    plan = planned_schedule(settings, steps_per_epoch)
    schedule = WarmupDecay(settings.learning_rate, plan["warmup_steps"], plan["total_steps"], settings.decay)
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
