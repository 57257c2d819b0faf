"""Masked-language-modelling masks drawn statelessly from `(seed, epoch, example index)`.

The rules (BERT's, which the FNet paper pre-trains with):
1. Candidates: every position whose id is not [PAD], [CLS], [SEP] or [MASK]. [UNK] is a
   candidate (the model learns to predict it like any piece).
2. Selection: of `n` candidates, exactly `k = min(max_predictions, max(1, floor(rate * n +
   0.5)))` are selected (rate 0.15), uniformly without replacement; `k = 0` when `n = 0`.
   Every non-empty window therefore trains at least one prediction, and the number of
   predictions per sequence never exceeds `max_predictions(sequence_length)`, the fixed
   number of prediction slots (unused slots have weight 0).
3. Replacement, independently per selected position: with probability 0.8 the id becomes
   [MASK], 0.1 a random id drawn uniformly from the non-special ids (5 .. vocabulary_size - 1;
   it may equal the original), 0.1 it stays unchanged. The label is the original id.

Why stateless: keras-hub's `MaskedLMMaskGenerator` draws from stateful random ops that no
seed reaches, so a resumed run would mask differently from an uninterrupted one. Here every
random number comes from Philox keyed by `fold_in([seed, epoch], index)`: the masks of an
example depend on nothing else, not on the batch it lands in, the replica that reads it or
the step the run was resumed at. A new epoch draws new masks (dynamic masking, as RoBERTa).
"""

from __future__ import annotations

import math

import tensorflow as tf

from fnet_keras.text.vocabulary import CLS_ID, MASK_ID, PAD_ID, SEP_ID, SPECIAL_TOKENS

SELECTION_RATE = 0.15
MASK_PROBABILITY = 0.8
RANDOM_PROBABILITY = 0.1  # then KEEP: 1 - 0.8 - 0.1
NEVER_MASKED = (PAD_ID, CLS_ID, SEP_ID, MASK_ID)
FIRST_ORDINARY_ID = len(SPECIAL_TOKENS)  # ids below are special tokens, never a random replacement
_ALGORITHM = "philox"  # named, not "auto_select", so CPU and GPU draw the same numbers


def max_predictions(sequence_length: int, rate: float = SELECTION_RATE) -> int:
    """Prediction slots per sequence: the selection count of a full window of `sequence_length - 2`."""
    return max(1, math.floor(rate * (sequence_length - 2) + 0.5))


def example_seed(seed, epoch, index) -> tf.Tensor:
    """The Philox key of one example: `fold_in([seed, epoch], index)`, int32 `(2,)`."""
    base = tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)])
    return tf.random.experimental.stateless_fold_in(base, tf.cast(index, tf.int64), alg=_ALGORITHM)


def mask_sequence(token_ids: tf.Tensor, seed: tf.Tensor, vocabulary_size: int, num_slots: int,
                  rate: float = SELECTION_RATE) -> dict[str, tf.Tensor]:
    """Masks one packed sequence (`[CLS] pieces [SEP] [PAD]...`) by the rules above with the example's
    key `seed` (`example_seed`) into `num_slots` prediction slots (at least `max_predictions`);
    graph-friendly (use it in `Dataset.map`).

    Returns:
        `token_ids` (the masked sequence), `mask_positions` int32 `(num_slots,)` (selected positions
        in ascending order, then 0s), `mask_ids` int32 (original ids, 0 in unused slots),
        `mask_weights` float32 (1.0 for a selected position, else 0.0).
    """
    if vocabulary_size <= FIRST_ORDINARY_ID:
        raise ValueError(
            f"vocabulary_size must exceed the {FIRST_ORDINARY_ID} special tokens; got {vocabulary_size}"
        )
    token_ids = tf.cast(token_ids, tf.int32)
    length = tf.shape(token_ids)[0]
    select_seed, kind_seed, random_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, 3, alg=_ALGORITHM)
    )
    is_candidate = tf.reduce_all(
        tf.not_equal(token_ids[:, None], tf.constant(NEVER_MASKED, tf.int32)[None, :]), axis=1
    )
    num_candidates = tf.reduce_sum(tf.cast(is_candidate, tf.int32))
    wanted = tf.cast(tf.floor(tf.cast(num_candidates, tf.float64) * rate + 0.5), tf.int32)
    count = tf.where(num_candidates > 0, tf.clip_by_value(wanted, 1, num_slots), 0)

    # The `count` candidates with the smallest uniform scores; non-candidates score 2 (> any uniform).
    scores = tf.random.stateless_uniform([length], select_seed, alg=_ALGORITHM)
    scores = tf.where(is_candidate, scores, 2.0)
    slots = tf.minimum(num_slots, length)
    _, ranked = tf.math.top_k(-scores, k=slots)
    used = tf.range(slots) < count
    positions = tf.sort(tf.where(used, ranked, length))  # selected first, in position order
    positions = tf.where(used, positions, 0)
    originals = tf.gather(token_ids, positions)

    kind = tf.random.stateless_uniform([slots], kind_seed, alg=_ALGORITHM)
    random_ids = tf.random.stateless_uniform(
        [slots], random_seed, minval=FIRST_ORDINARY_ID, maxval=vocabulary_size, dtype=tf.int32, alg=_ALGORITHM
    )
    replacements = tf.where(
        kind < MASK_PROBABILITY,
        MASK_ID,
        tf.where(kind < MASK_PROBABILITY + RANDOM_PROBABILITY, random_ids, originals),
    )
    masked = tf.tensor_scatter_nd_update(
        token_ids, tf.boolean_mask(positions, used)[:, None], tf.boolean_mask(replacements, used)
    )
    padding = [[0, num_slots - slots]]
    return {
        "token_ids": masked,
        "mask_positions": tf.ensure_shape(tf.pad(positions, padding), [num_slots]),
        "mask_ids": tf.ensure_shape(tf.pad(tf.where(used, originals, 0), padding), [num_slots]),
        "mask_weights": tf.ensure_shape(tf.pad(tf.cast(used, tf.float32), padding), [num_slots]),
    }
