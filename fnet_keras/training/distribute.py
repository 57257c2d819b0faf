"""tf.distribute strategies, and the training loop for `MultiWorkerMirroredStrategy`.

`default` and `mirrored` train with Keras' `Model.fit`. Keras 3's `fit` does not run under
`MultiWorkerMirroredStrategy` (keras-team/keras#20585), so `multiworker` uses
`custom_training_loop`: the same model, optimizer, data order, callbacks (progress bar and
`RunCheckpoint`) and logs, with the step run through `strategy.run`. Gradients are summed
across replicas by the Keras optimizer itself (`all_reduce` in `apply_gradients`); the loss
is divided by the global example count, so every strategy takes the same step for the
same global batch. The loss is the model's compiled one (cross-entropy, or distillation's with
its packed targets), and accuracy counts labelled rows only.
"""

from __future__ import annotations

import json
import os

import keras
import numpy as np
import tensorflow as tf

from fnet_keras.edge.classification import softmax
from fnet_keras.training.distillation import target_labels
from fnet_keras.training.input_pipeline import epoch_batches, predict_logits, steps_per_epoch, targets_tensor
from fnet_keras.training.settings import STRATEGIES


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The strategy called `name`; `multiworker` reads the cluster from `TF_CONFIG`."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        raw = os.environ.get("TF_CONFIG")
        if not raw:
            raise ValueError(
                "--strategy multiworker needs the TF_CONFIG environment variable (the cluster "
                'and this task), e.g. {"cluster": {"worker": ["host1:port", "host2:port"]}, '
                '"task": {"type": "worker", "index": 0}}'
            )
        try:
            config = json.loads(raw)
            config["cluster"], config["task"]["type"], config["task"]["index"]  # noqa: B018
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"TF_CONFIG is not a valid cluster description ({error}): {raw}") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {name!r}")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this task writes the run directory: the chief, else worker 0, else alone."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type or resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def distribute_parts(strategy: tf.distribute.Strategy, part_dataset) -> tf.distribute.DistributedDataset:
    """The global batches distributed: each replica takes its slice, `part_dataset((index, count))`;
    an input pipeline interleaves its local replicas' slices in turn (round robin)."""

    def dataset_fn(context):
        replicas = context.num_replicas_in_sync
        local = replicas // context.num_input_pipelines
        first = context.input_pipeline_id * local
        return tf.data.Dataset.range(local).interleave(
            lambda r: part_dataset((first + r, replicas)), cycle_length=local, block_length=1
        ).prefetch(tf.data.AUTOTUNE)

    return strategy.distribute_datasets_from_function(dataset_fn)


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean sparse softmax cross-entropy, as Keras' loss computes it (float64 here)."""
    probabilities = softmax(logits)[np.arange(len(labels)), labels]
    return float(-np.log(np.maximum(probabilities, np.finfo(np.float64).tiny)).mean())


def custom_training_loop(strategy: tf.distribute.Strategy, model: keras.Model, train: tuple[np.ndarray, ...],
                         dev: tuple[np.ndarray, ...], batch_size: int, seed: int, first_epoch: int,
                         epochs: int, callbacks: keras.callbacks.CallbackList) -> None:
    """`Model.fit` for strategies it does not support, epochs `first_epoch..epochs-1`: each replica
    takes its slice of every global batch of `epoch_batches` (their union is what `fit` trains on),
    every worker scores dev alike, and the callbacks' hooks get the logs `fit` would give."""
    optimizer = model.optimizer
    # The compiled loss per row (summed here, divided by the global row count below).
    loss_fn = model.loss.__class__.from_config({**model.loss.get_config(), "reduction": None})
    train_ids, train_labels = tf.constant(train[0], tf.int32), targets_tensor(train[1])
    steps = steps_per_epoch(len(train[1]), batch_size)

    def replica_step(token_ids, labels):
        context = tf.distribute.get_replica_context()
        count = tf.cast(tf.shape(labels)[0], tf.float32)
        global_count = context.all_reduce(tf.distribute.ReduceOp.SUM, count)
        with tf.GradientTape() as tape:
            logits = model(token_ids, training=True)
            loss_sum = tf.reduce_sum(loss_fn(labels, logits))
            loss = loss_sum / global_count
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        predicted = tf.argmax(logits, -1, output_type=tf.int32)
        classes, labelled = target_labels(labels, logits)
        correct = tf.reduce_sum(tf.cast(tf.equal(predicted, classes), tf.float32) * labelled)
        return loss_sum, correct, count, tf.reduce_sum(labelled)

    @tf.function(reduce_retracing=True)
    def train_step(iterator):
        results = strategy.run(replica_step, args=next(iterator))
        return [strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None) for value in results]

    callbacks.on_train_begin()
    for epoch in range(first_epoch, epochs):
        iterator = iter(distribute_parts(
            strategy, lambda part, e=epoch: epoch_batches(train_ids, train_labels, batch_size, seed, e, part)
        ))
        callbacks.on_epoch_begin(epoch)
        totals = np.zeros(4)  # loss sum, correct, rows, labelled rows
        logs = {}
        for step in range(steps):
            callbacks.on_train_batch_begin(step)
            totals += [float(value) for value in train_step(iterator)]
            logs = {"loss": totals[0] / totals[2], "accuracy": totals[1] / max(totals[3], 1.0)}
            callbacks.on_train_batch_end(step, logs)
        callbacks.on_test_begin()
        logits = predict_logits(model, dev[0], batch_size)
        logs = dict(
            logs,
            val_loss=cross_entropy(logits, dev[1]),
            val_accuracy=float(np.mean(np.argmax(logits, axis=1) == dev[1])),
        )
        callbacks.on_test_end()
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callbacks.on_train_end(logs)
