"""tf.data input pipelines: texts tokenized in-graph once, then batched in a seeded order.

Texts go through the in-graph `TFWordPieceTokenizer` in batches of `TOKENIZE_BATCH` (a
60k-row file takes seconds, no Python loop over rows) and are kept as one int32 array. Each
epoch then reads that array in an order drawn by `stateless_shuffle` from `(seed, epoch)`
alone: epoch 3 has the same batches whether the run started at epoch 0 or was resumed at
epoch 2, which is what makes a resumed run equal an uninterrupted one.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

TOKENIZE_BATCH = 1024
EVAL_BATCH_SIZE = 256
AUTOTUNE = tf.data.AUTOTUNE
_PREDICT_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def encode_texts(tokenizer, texts: Sequence[str]) -> np.ndarray:
    """Token ids `(len(texts), sequence_length)` int32 of `texts`, tokenized in-graph."""
    length = tokenizer.config.sequence_length
    if not texts:
        return np.zeros((0, length), np.int32)
    texts = tf.data.Dataset.from_tensor_slices(tf.constant(list(texts), tf.string))
    batches = texts.batch(TOKENIZE_BATCH).map(tokenizer, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)
    return np.concatenate([batch.numpy() for batch in batches], axis=0)


def steps_per_epoch(num_examples: int, batch_size: int) -> int:
    return -(-num_examples // batch_size)


def epoch_batches(token_ids: tf.Tensor, labels: tf.Tensor, batch_size: int, seed: int, epoch,
                  part=None) -> tf.data.Dataset:
    """The global batches `(token_ids, labels)` of one epoch of the split (tensors), in the order fixed
    by `(seed, epoch)` (`epoch` may be a scalar tensor); the last batch may be smaller. With `part`
    `(index, count)`: only slice `index` of `count` near-equal slices of each global batch (one
    replica's share under a distribution strategy)."""
    count = tf.shape(labels, out_type=tf.int64)[0]
    order_seed = tf.stack([tf.constant(seed, tf.int64), tf.cast(epoch, tf.int64)])
    order = tf.random.experimental.stateless_shuffle(tf.range(count), seed=order_seed)
    batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
    if part is not None:
        index, parts = part

        def take_part(indices):
            size = tf.shape(indices, out_type=tf.int64)[0]
            return indices[index * size // parts : (index + 1) * size // parts]

        batches = batches.map(take_part)
    return batches.map(lambda indices: (tf.gather(token_ids, indices), tf.gather(labels, indices)))


def targets_tensor(targets: np.ndarray) -> tf.Tensor:
    """Training targets as a tensor: class ids as int32, float targets (distillation's packed
    label, labelled flag and teacher logits) as float32."""
    targets = np.asarray(targets)
    return tf.constant(targets, tf.float32 if targets.dtype.kind == "f" else tf.int32)


def training_dataset(token_ids: np.ndarray, labels: np.ndarray, batch_size: int, seed: int, first_epoch: int,
                     epochs: int) -> tf.data.Dataset:
    """Epochs `first_epoch .. epochs - 1` back to back, for `Model.fit(steps_per_epoch=...)`.
    `labels`: class ids, or rows of float targets (`targets_tensor`)."""
    token_ids, labels = tf.constant(token_ids, tf.int32), targets_tensor(labels)
    epoch_numbers = tf.data.Dataset.range(first_epoch, epochs)
    dataset = epoch_numbers.flat_map(lambda epoch: epoch_batches(token_ids, labels, batch_size, seed, epoch))
    return dataset.prefetch(AUTOTUNE)


def evaluation_dataset(token_ids: np.ndarray, labels: np.ndarray | None, batch_size: int) -> tf.data.Dataset:
    """The split in file order, batched: `(token_ids, labels)`, or `token_ids` alone."""
    elements = token_ids if labels is None else (token_ids, np.asarray(labels, np.int32))
    return tf.data.Dataset.from_tensor_slices(elements).batch(batch_size).prefetch(AUTOTUNE)


def predict_logits(model, token_ids: np.ndarray, batch_size: int = EVAL_BATCH_SIZE) -> np.ndarray:
    """Logits `(n, num_classes)` of `model` in inference mode, batch by batch: a plain `tf.function`
    rather than `model.predict`, so it also runs where Keras' own loops do not (under
    `MultiWorkerMirroredStrategy`) and prints nothing."""
    predict = _PREDICT_FUNCTIONS.get(model)
    if predict is None:  # one traced function per model, not one per call
        model_ref = weakref.ref(model)  # a strong reference would keep the cache key alive
        signature = [tf.TensorSpec([None, token_ids.shape[1]], tf.int32)]  # any batch size: one trace
        predict = tf.function(lambda batch: model_ref()(batch, training=False), input_signature=signature)
        _PREDICT_FUNCTIONS[model] = predict
    outputs = [predict(batch).numpy() for batch in evaluation_dataset(token_ids, None, batch_size)]
    if not outputs:
        return np.zeros((0, model.output_shape[-1]), np.float32)
    return np.concatenate(outputs, axis=0)
