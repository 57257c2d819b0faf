"""Pre-train a backbone with masked-language modelling into a pre-training directory; resume it.

    result = pretrain(["../shared/data/imdb/unsup.txt.gz"], "pre/imdb-mini",
                      PretrainSettings(preset="mini", steps=20000))
    pretrained = load_pretrained("pre/imdb-mini")      # fine-tuning: same vocabulary and tokenizer,
    init_classifier_from(pretrained, classifier)       # the backbone's weights, a fresh head

`pretrain` learns a WordPiece vocabulary on the text (keras-hub, as `fit` does), cuts the
documents into windows (`pretrain_data`), and trains `MaskedLM` (the backbone plus a head on the
masked positions only) with AdamW to predict the masked pieces (`masking`: BERT's 15%, 80/10/10).
One custom loop runs every strategy (`default`, `mirrored`, `multiworker` from `TF_CONFIG`):
each replica takes its slice of each global batch, the loss is divided by the global number of
masked pieces, and the clock that drives the learning rate is agreed on by all replicas (the
largest), so every worker takes the same step and stops at the same step.

Checkpoints (model and optimizer variables, step, clock, history) are written every
`checkpoint_steps` steps and every `checkpoint_minutes` minutes, atomically; `resume=True`
continues from the last one exactly: the batches and masks of step `s` depend on `(seed, s)`
alone and the learning rate on the restored step (or the restored clock with `hours`).
The layout of the directory is in `fnet_keras.training.pretrain_dir`.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from fnet_keras.data import DataError
from fnet_keras.models.masked_lm import MaskedLM
from fnet_keras.text import load_vocabulary, save_vocabulary
from fnet_keras.text.learn import learn_vocabulary
from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
from fnet_keras.training import masking
from fnet_keras.training.checkpoint import load_variables, save_variables
from fnet_keras.training.distribute import distribute_parts, is_chief, make_strategy
from fnet_keras.training.pretrain_data import (
    Corpus,
    Windows,
    cut_windows,
    pretraining_dataset,
    read_corpus,
    reload_corpus,
    steps_per_epoch,
    tokenize_documents,
)
from fnet_keras.training.pretrain_dir import PretrainDir, Pretrained
from fnet_keras.training.pretrain_settings import PretrainSettings
from fnet_keras.training.run_dir import RunDirError, read_json, write_json
from fnet_keras.training.schedule import NO_WEIGHT_DECAY, WarmupDecay
from fnet_keras.training.settings import SettingsError, backbone_arguments
from fnet_keras.training.stages import stage_printer

STATE_VERSION = 1
MILLISECONDS_PER_HOUR = 3_600_000


@dataclasses.dataclass
class PretrainState:
    """What the loop needs besides variables to continue where it stopped: the steps done, the
    training time over all sessions (the clock of `hours`), the history, and the sums over the steps
    since the last record (`interval`), so that a resumed run's next record equals an uninterrupted run's."""

    step: int = 0
    elapsed_seconds: float = 0.0
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    interval: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"loss_sum": 0.0, "correct": 0.0, "predictions": 0.0, "steps": 0}
    )


@dataclasses.dataclass
class PretrainResult:
    """What `pretrain` returns: `model` is the `MaskedLM` (its `backbone` is what fine-tuning loads; None
    when the run had finished before), `windows` the corpus counts (`Windows.summary()`)."""

    pre_dir: Path
    settings: PretrainSettings
    history: list[dict[str, Any]]
    steps: int
    elapsed_seconds: float
    stopped_by: str
    model: MaskedLM | None
    vocabulary: list[str]
    windows: dict[str, Any]


def build_masked_lm(settings: PretrainSettings,
                    vocabulary_size: int) -> tuple[MaskedLM, keras.optimizers.AdamW]:
    """The model `pretrain` trains and its AdamW (built); build them inside a strategy's scope."""
    model = MaskedLM.from_preset(settings.preset, vocabulary_size, **backbone_arguments(settings))
    slots = masking.max_predictions(settings.sequence_length)
    model({"token_ids": np.zeros((1, settings.sequence_length), np.int32),
           "mask_positions": np.zeros((1, slots), np.int32)})  # creates the head's variables
    # A float rate (a variable the loop sets each step from its clock), not a schedule of
    # `iterations`: with `hours` the schedule runs on time.
    # No next-sentence task trains the pooler: it keeps its initial weights (fine-tuning trains it).
    model.backbone.get_layer("pooled_dense").trainable = False
    optimizer = keras.optimizers.AdamW(settings.learning_rate, weight_decay=settings.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
    optimizer.build(model.trainable_variables)
    return model, optimizer


def learning_rate_schedule(settings: PretrainSettings) -> WarmupDecay:
    """The rate as a function of the clock: the step (`steps`) or elapsed milliseconds (`hours`)."""
    total = settings.steps if settings.steps is not None else round(settings.hours * MILLISECONDS_PER_HOUR)
    return WarmupDecay(settings.learning_rate, settings.warmup_steps(total), total, settings.decay)


def pretrain(text: str | os.PathLike | Sequence[str | os.PathLike] | None, out: str | os.PathLike,
             settings: PretrainSettings | None = None, *, resume: bool = False, strategy: str = "default",
             checkpoint_steps: int | None = 1000, checkpoint_minutes: float | None = 10.0,
             verbose: str | int = "auto", on_step: Callable[[int], None] | None = None,
             vocabulary: str | os.PathLike | None = None) -> PretrainResult:
    """Pre-trains a backbone on unlabelled text into the pre-training directory `out` (new or empty),
    or with `resume` continues the run started there, if any, from its last checkpoint (a finished
    one is returned as is). With `settings.encoder` the objective is an encoder's sentence embeddings
    (`embedding_pretrain`, default strategy only, a checkpoint every `log_every` steps).

    Args:
        text: `.txt` / `.txt.gz` files (one document per line) or folders of them; None to
            resume on the files recorded in `out`.
        settings: with `steps` or `hours`; on resume the recorded ones, which given ones must equal.
        strategy: "default", "mirrored" or "multiworker" (cluster from `TF_CONFIG`; only the chief
            writes `out`; every worker reads the text and `out` on resume).
        checkpoint_steps, checkpoint_minutes: checkpoint every so many steps and minutes of training
            (None: not by that measure); the end is always saved.
        verbose: 0 silent; 1 a progress line rewritten in place; 2 a line per history record;
            "auto": 1 on a terminal, else 2. Progress goes to stderr.
        on_step: called with the number of steps done after each step (and its checkpoint).
        vocabulary: a `vocab.txt` to use instead of learning one (e.g. another pre-training's, so
            that models pre-trained apart share token ids).

    Raises:
        DataError, TokenizerError: unreadable text or vocabulary, naming file and line.
        RunDirError: `out` is unusable as asked (finished, not empty, settings differ).
        ValueError: bad settings, or too little text for one batch.
    """
    # The strategy comes first: MultiWorkerMirroredStrategy must exist before TF runs ops.
    distribution = make_strategy(strategy)
    chief = is_chief(distribution)
    pre = PretrainDir(out)
    recorded = pre.read_config() if resume and pre.has_started() else None
    if recorded is not None:
        settings = pre.resumed_settings(settings, PretrainSettings.from_dict(recorded["settings"]))
    elif settings is None:
        raise ValueError("pre-training needs settings with steps or hours")
    if recorded is not None and pre.is_finished():
        return _finished_result(pre, recorded)
    if recorded is None and chief:
        pre.check_new()
    for name, value in (("checkpoint_steps", checkpoint_steps), ("checkpoint_minutes", checkpoint_minutes)):
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be > 0 or None; got {value!r}")

    say = stage_printer(verbose if chief else 0)
    say("reading the text")
    documents = _read_text(text, recorded)
    if settings.encoder is not None and strategy != "default":
        raise SettingsError(f"pre-training from an encoder runs with the default strategy, not {strategy!r}")
    tokenizer_config = settings.tokenizer_config()
    vocabulary_source = None
    if recorded is not None:
        vocabulary = load_vocabulary(pre.vocabulary)
    elif vocabulary is not None:
        vocabulary_source = Path(vocabulary)
        vocabulary = load_vocabulary(vocabulary_source)
        if len(vocabulary) > settings.vocabulary_size:
            raise DataError(f"the vocabulary holds {len(vocabulary)} tokens, more than vocabulary_size "
                            f"{settings.vocabulary_size}", vocabulary_source)
    else:
        say(f"learning a WordPiece vocabulary of up to {settings.vocabulary_size} tokens on "
            f"{len(documents.texts):,} documents (minutes on a large text)")
        vocabulary = learn_vocabulary(documents.texts, settings.vocabulary_size, tokenizer_config)
    if len(vocabulary) <= masking.FIRST_ORDINARY_ID:
        raise DataError("the vocabulary learned holds only the special tokens; the text is too small",
                        documents.files()[0][0])
    if settings.encoder is not None:
        from fnet_keras.training.embedding_pretrain import pretrain_from_encoder

        pretrain_from_encoder(documents, pre, settings, recorded is not None, vocabulary, vocabulary_source,
                              say)
        return _finished_result(pre, read_json(pre.config))
    tokenizer = make_tf_tokenizer(vocabulary, tokenizer_config)
    say(f"tokenizing and cutting windows of {settings.sequence_length} pieces")
    windows = cut_windows(tokenize_documents(tokenizer, documents.texts), settings.sequence_length)
    replicas = distribution.num_replicas_in_sync
    if settings.batch_size < replicas:
        raise ValueError(f"batch_size {settings.batch_size} is smaller than the {replicas} replicas")
    if steps_per_epoch(len(windows), settings.batch_size) < 1:
        raise DataError(f"the text gives {len(windows)} window(s) of up to {settings.sequence_length - 2} "
                        f"pieces, fewer than one batch of {settings.batch_size}",
                        documents.files()[0][0])

    keras.utils.set_random_seed(settings.seed)
    with distribution.scope():
        model, optimizer = build_masked_lm(settings, len(vocabulary))
    if recorded is None and chief:
        pre.path.mkdir(parents=True, exist_ok=True)
        save_vocabulary(vocabulary, pre.vocabulary)
        schedule = learning_rate_schedule(settings)
        pre.write_config(
            settings, vocabulary, model.backbone, vocabulary_source,
            masking={
                "selection_rate": masking.SELECTION_RATE,
                "mask": masking.MASK_PROBABILITY,
                "random": masking.RANDOM_PROBABILITY,
                "keep": round(1 - masking.MASK_PROBABILITY - masking.RANDOM_PROBABILITY, 6),
                "never_masked": list(masking.NEVER_MASKED),
                "predictions_per_sequence": masking.max_predictions(settings.sequence_length),
                "rules": "fnet_keras.training.masking",
            },
            optimization={
                "optimizer": "AdamW",
                "schedule": f"linear warmup then {settings.decay} decay to 0 over "
                + ("the steps" if settings.steps is not None else "the time budget (milliseconds)"),
                "warmup": schedule.warmup_steps,
                "total": schedule.total_steps,
                "no_weight_decay": NO_WEIGHT_DECAY,
                "steps_per_epoch": steps_per_epoch(len(windows), settings.batch_size),
            },
            initialization={"kind": "random", "seed": settings.seed},
            data={**documents.source_info(), "windows": windows.summary()},
            strategy=strategy,
        )
    record = load_variables(pre.checkpoint, model, optimizer, STATE_VERSION,
                            "another fnet-keras started this pre-training; resume it with that version")
    state = PretrainState(**record["state"]) if record is not None else PretrainState()
    _check_workers_agree(distribution, state.step, vocabulary, len(windows))
    loop = PretrainLoop(distribution, model, optimizer, settings, windows, len(vocabulary))
    progress = _Progress(settings, _verbosity(verbose) if chief else 0)
    writer = pre if chief else None
    loop.run(state, writer, progress, checkpoint_steps, checkpoint_minutes, on_step)

    stopped_by = "steps" if settings.steps is not None else "hours"
    if writer is not None:
        metrics = state.history[-1] if state.history else {}
        pre.finish(model.backbone, state.history, steps=state.step, elapsed_seconds=state.elapsed_seconds,
                   stopped_by=stopped_by, loss=metrics.get("loss"),
                   masked_accuracy=metrics.get("masked_accuracy"))
    return PretrainResult(pre.path, settings, state.history, state.step, state.elapsed_seconds, stopped_by,
                          model, vocabulary, windows.summary())


class PretrainLoop:
    """The distributed masked-LM training step, its input pipeline, and the loop around them; `model`
    and `optimizer` (`build_masked_lm`) were built under `strategy`."""

    def __init__(self, strategy, model, optimizer, settings: PretrainSettings, windows: Windows,
                 vocabulary_size: int):
        self.strategy, self.model, self.optimizer, self.settings = strategy, model, optimizer, settings
        self.windows, self.vocabulary_size = windows, vocabulary_size
        self.schedule = learning_rate_schedule(settings)
        self.slots = masking.max_predictions(settings.sequence_length)
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
        self._step = tf.function(self._distributed_step)

    def dataset(self, first_step: int):
        """The distributed batches from global step `first_step` on."""
        settings = self.settings
        return distribute_parts(self.strategy, lambda part: pretraining_dataset(
            self.windows, settings.batch_size, settings.seed, first_step, self.vocabulary_size, self.slots,
            part,
        ))

    def _replica_step(self, batch, clock):
        context = tf.distribute.get_replica_context()
        # One clock for all workers, the latest (exact: a max, not a float sum).
        clock = tf.reduce_max(context.all_gather(tf.reshape(clock, [1]), axis=0))
        self.optimizer.learning_rate.assign(self.schedule(clock))
        weights = batch["mask_weights"]
        predictions = tf.reduce_sum(weights)
        global_predictions = tf.maximum(context.all_reduce(tf.distribute.ReduceOp.SUM, predictions), 1.0)
        inputs = {"token_ids": batch["token_ids"], "mask_positions": batch["mask_positions"]}
        with tf.GradientTape() as tape:
            logits = self.model(inputs, training=True)
            loss_sum = tf.reduce_sum(self.loss_fn(batch["mask_ids"], logits) * weights)
            loss = loss_sum / global_predictions
        variables = self.model.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        hits = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), batch["mask_ids"]), tf.float32)
        return loss_sum, tf.reduce_sum(hits * weights), predictions, clock

    def _distributed_step(self, iterator, clock):
        """One optimizer step on the next global batch; `clock` is this worker's step or milliseconds.
        Returns the global sums of the loss and of the correct predictions, the number of masked
        pieces, and the clock all replicas agreed on (which set the learning rate)."""
        results = self.strategy.run(self._replica_step, args=(next(iterator), clock))
        loss_sum, correct, predictions, clock = results
        total = lambda value: self.strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)  # noqa: E731
        agreed_clock = self.strategy.experimental_local_results(clock)[0]  # equal on every replica
        return total(loss_sum), total(correct), total(predictions), agreed_clock

    def run(self, state: PretrainState, writer: PretrainDir | None, progress: _Progress,
            checkpoint_steps: int | None, checkpoint_minutes: float | None, on_step) -> None:
        settings = self.settings
        budget_ms = None if settings.hours is None else settings.hours * MILLISECONDS_PER_HOUR

        def done(clock_ms: float) -> bool:
            return state.step >= settings.steps if budget_ms is None else clock_ms >= budget_ms

        if done(state.elapsed_seconds * 1000):
            return
        iterator = iter(self.dataset(state.step))
        session_start, elapsed_before = time.perf_counter(), state.elapsed_seconds
        last_checkpoint = session_start
        progress.start()
        while True:
            elapsed = elapsed_before + time.perf_counter() - session_start
            clock = float(state.step) if budget_ms is None else elapsed * 1000
            results = self._step(iterator, tf.constant(clock, tf.float32))
            loss_sum, correct, predictions, agreed_clock = (float(value) for value in results)
            state.step += 1
            state.elapsed_seconds = elapsed_before + time.perf_counter() - session_start
            interval = state.interval
            interval["loss_sum"] += loss_sum
            interval["correct"] += correct
            interval["predictions"] += predictions
            interval["steps"] += 1
            finished = done(agreed_clock)
            progress.step_done()
            learning_rate = float(self.optimizer.learning_rate.numpy())
            record = None
            if interval["steps"] == settings.log_every or finished:
                predictions_so_far = max(interval["predictions"], 1.0)
                record = {
                    "step": state.step,
                    "loss": interval["loss_sum"] / predictions_so_far,
                    "masked_accuracy": interval["correct"] / predictions_so_far,
                    "learning_rate": learning_rate,
                    "elapsed_seconds": state.elapsed_seconds,
                    "steps_per_second": progress.interval_rate(),
                }
                state.history.append(record)
                state.interval = PretrainState().interval
                if writer is not None:
                    write_json(writer.history, state.history)
            progress.show(state, loss_sum / max(predictions, 1.0), correct / max(predictions, 1.0),
                          learning_rate, record)
            now = time.perf_counter()
            due = (checkpoint_steps is not None and state.step % checkpoint_steps == 0) or (
                checkpoint_minutes is not None and now - last_checkpoint >= 60 * checkpoint_minutes)
            if writer is not None and due and not finished:
                save_variables(writer.checkpoint, self.model, self.optimizer, f"{state.step:09d}",
                               {"version": STATE_VERSION, "state": dataclasses.asdict(state)})
                last_checkpoint = now
            if on_step is not None:
                on_step(state.step)
            if finished:
                break
        progress.finish()


class _Progress:
    """Steps/s, loss, masked accuracy and an ETA on stderr: with `verbosity` 1 one line rewritten in
    place (a terminal), with 2 a line per history record, with 0 nothing."""

    def __init__(self, settings: PretrainSettings, verbosity: int):
        self.settings, self.verbosity = settings, verbosity
        self._times: collections.deque = collections.deque(maxlen=51)  # the rate over the last 50 steps
        self._last_print = 0.0

    def start(self) -> None:
        self._times.clear()
        self._times.append(time.perf_counter())
        self._interval_start, self._interval_steps = self._times[-1], 0

    def step_done(self) -> None:
        self._times.append(time.perf_counter())
        self._interval_steps += 1

    def interval_rate(self) -> float:
        """Steps per second since the last call (or the start of the session); restarts the count."""
        now = self._times[-1]
        rate = self._interval_steps / max(now - self._interval_start, 1e-9)
        self._interval_start, self._interval_steps = now, 0
        return rate

    def show(self, state: PretrainState, loss: float, accuracy: float, learning_rate: float,
             record: dict[str, Any] | None) -> None:
        if self.verbosity == 2 and record is not None:
            loss, accuracy = record["loss"], record["masked_accuracy"]
        elif self.verbosity != 1 or self._times[-1] - self._last_print < 0.25:
            return
        times, steps = self._times, self.settings.steps
        rate = (len(times) - 1) / max(times[-1] - times[0], 1e-9) if len(times) > 1 else 0.0
        if steps is not None:
            position = f"{state.step}/{steps}"
            remaining = (steps - state.step) / rate if rate else float("nan")
        else:
            position, remaining = f"{state.step}", self.settings.hours * 3600 - state.elapsed_seconds
        line = (f"step {position}  {rate:.2f} steps/s  loss {loss:.4f}  masked acc {accuracy:.4f}  "
                f"lr {learning_rate:.2e}  ETA {_duration(remaining)}")
        sys.stderr.write(("\r" + line + "\x1b[K") if self.verbosity == 1 else line + "\n")
        sys.stderr.flush()
        self._last_print = self._times[-1]

    def finish(self) -> None:
        if self.verbosity == 1:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def _verbosity(verbose: str | int) -> int:
    if verbose == "auto":
        return 1 if sys.stderr.isatty() else 2
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto'; got {verbose!r}")
    return int(verbose)


def _read_text(text, recorded: dict | None) -> Corpus:
    if text is None:
        if recorded is None:
            raise DataError("no text given (--text)")
        return reload_corpus(recorded["data"])
    corpus = read_corpus(text)
    if recorded is not None and corpus.files() != reload_corpus(recorded["data"]).files():
        raise DataError(
            "the text differs from the text the run was started on; resume with the same files, or without "
            "--text to use the recorded ones",
            corpus.files()[0][0],
        )
    return corpus


def _check_workers_agree(strategy, step: int, vocabulary: list[str], num_windows: int) -> None:
    """Refuses to train when the workers of a cluster start from different steps, vocabularies or texts.

    A worker that cannot read the chief's PRE_DIR on `--resume` would start from step 0 (with
    its own fresh variables) while the others continue: the replicas would silently diverge.
    """
    if strategy.num_replicas_in_sync == 1:
        return
    facts = tf.constant([step, zlib.crc32("\n".join(vocabulary).encode()), num_windows], tf.int64)

    @tf.function
    def gather():
        context = lambda: tf.distribute.get_replica_context().all_gather(facts[None, :], axis=0)  # noqa: E731
        return strategy.experimental_local_results(strategy.run(context))[0]

    everyone = gather().numpy()
    if not (everyone == everyone[0]).all():
        raise RunDirError(
            "the workers disagree on (step, vocabulary checksum, windows): "
            f"{[tuple(int(v) for v in row) for row in everyone]}; every worker must read the same text "
            "and, on --resume, the same pre-training directory (a shared filesystem)"
        )


def _finished_result(pre: PretrainDir, config: dict) -> PretrainResult:
    result = read_json(pre.result)
    data = config["data"]
    windows = data.get("windows") or {"documents": data["texts"], "windows": data["texts"]}  # one per text
    return PretrainResult(pre.path, PretrainSettings.from_dict(config["settings"]), read_json(pre.history),
                          result["steps"], result["elapsed_seconds"], result["stopped_by"], None,
                          load_vocabulary(pre.vocabulary), windows)


def init_classifier_from(pretrained: Pretrained, model: keras.Model) -> None:
    """Loads the pre-trained backbone weights into `model` (a `TextClassifier`, or a backbone); the
    head stays as built. A `PretrainedMismatchError` for a backbone of other sizes, mixing or
    vocabulary size; a `PretrainedLengthWarning` for another sequence length."""
    backbone = getattr(model, "backbone", model)
    pretrained.check_backbone(backbone.get_config())
    backbone.load_weights(pretrained.weights)
