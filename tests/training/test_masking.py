"""Masked-LM masks: BERT's rates on a large sample, specials never masked, determinism by seed."""

import numpy as np
import pytest
import tensorflow as tf

from fnet_keras.training.masking import example_seed, mask_sequence, max_predictions

VOCABULARY_SIZE = 1000
PAD, UNK, CLS, SEP, MASK = range(5)
LENGTH = 64


def packed_rows(count, seed):
    """Rows [CLS] pieces [SEP] [PAD]... with 0..LENGTH-2 pieces, some [UNK] and some literal [MASK]."""
    rng = np.random.default_rng(seed)
    rows = np.full((count, LENGTH), PAD, np.int32)
    for row, size in zip(rows, rng.integers(0, LENGTH - 1, count), strict=True):
        pieces = rng.integers(5, VOCABULARY_SIZE, size)
        pieces[rng.random(size) < 0.05] = UNK
        pieces[rng.random(size) < 0.02] = MASK  # not produced by the tokenizer; must stay unselected anyway
        row[0], row[1 : size + 1], row[size + 1] = CLS, pieces, SEP
    return rows


def mask_rows(rows, seed, epoch=0, first_index=0, slots=None):
    slots = slots or max_predictions(rows.shape[1])
    indices = np.arange(first_index, first_index + len(rows))
    dataset = tf.data.Dataset.from_tensor_slices((rows, indices)).map(
        lambda ids, index: mask_sequence(ids, example_seed(seed, epoch, index), VOCABULARY_SIZE, slots)
    )
    batches = list(dataset.batch(4096).as_numpy_iterator())
    return {key: np.concatenate([batch[key] for batch in batches]) for key in batches[0]}


def test_bert_rates_on_a_large_sample():
    rows = packed_rows(6000, seed=1)
    out = mask_rows(rows, seed=3)
    slots = out["mask_positions"].shape[1]
    assert slots == round(0.15 * (LENGTH - 2)) == 9

    kinds = {"mask": 0, "random": 0, "keep": 0}
    random_ids = []
    selected_at = np.zeros(LENGTH)
    candidates_at = np.zeros(LENGTH)
    for row, masked, positions, labels, weights in zip(
        rows, out["token_ids"], out["mask_positions"], out["mask_ids"], out["mask_weights"], strict=True
    ):
        candidates = np.flatnonzero(~np.isin(row, [PAD, CLS, SEP, MASK]))
        # 15% of the candidates, rounded half up, at least one, at most the slots.
        rounded = int(np.floor(0.15 * len(candidates) + 0.5))
        expected = 0 if len(candidates) == 0 else min(slots, max(1, rounded))
        used = weights == 1.0
        assert used.sum() == expected and np.all(weights[~used] == 0.0)
        assert np.all(used[: used.sum()])  # selected slots first
        chosen = positions[used]
        assert np.all(np.diff(chosen) > 0)  # ascending, no repeats
        assert set(chosen) <= set(candidates)  # [PAD], [CLS], [SEP], [MASK] never selected
        np.testing.assert_array_equal(labels[used], row[chosen])
        assert np.all(positions[~used] == 0) and np.all(labels[~used] == 0)
        untouched = np.setdiff1d(np.arange(LENGTH), chosen)
        np.testing.assert_array_equal(masked[untouched], row[untouched])
        for position in chosen:
            if masked[position] == MASK:
                kinds["mask"] += 1
            elif masked[position] == row[position]:
                kinds["keep"] += 1
            else:
                kinds["random"] += 1
                random_ids.append(masked[position])
        if len(candidates) >= 40:  # rows with many candidates: positions 1..60 all used often
            candidates_at[candidates] += 1
            selected_at[chosen] += 1

    total = sum(kinds.values())
    assert total > 25_000
    # Binomial standard deviations are about 0.002; a random id equal to the original (1 in 995) keeps it.
    assert kinds["mask"] / total == pytest.approx(0.8, abs=0.01)
    assert kinds["random"] / total == pytest.approx(0.1 * 994 / 995, abs=0.008)
    assert kinds["keep"] / total == pytest.approx(0.1 + 0.1 / 995, abs=0.008)
    random_ids = np.array(random_ids)
    assert random_ids.min() >= 5 and random_ids.max() < VOCABULARY_SIZE  # never a special token
    assert random_ids.mean() == pytest.approx((5 + VOCABULARY_SIZE - 1) / 2, rel=0.03)  # uniform
    # Every candidate position is equally likely: early and late positions at the same rate.
    rate = selected_at[1:61].reshape(3, 20).sum(1) / candidates_at[1:61].reshape(3, 20).sum(1)
    np.testing.assert_allclose(rate, rate.mean(), rtol=0.06)


def test_empty_and_single_piece_windows():
    rows = np.full((3, 8), PAD, np.int32)
    rows[:, 0], rows[0, 1] = CLS, SEP  # [CLS] [SEP]: nothing to predict
    rows[1, 1:3] = [77, SEP]  # one piece: always selected
    rows[2, 1:7] = [11, 12, 13, 14, 15, SEP]
    out = mask_rows(rows, seed=0, slots=2)
    np.testing.assert_array_equal(out["mask_weights"], [[0, 0], [1, 0], [1, 0]])  # 0.15 * 5 rounds to 1
    np.testing.assert_array_equal(out["token_ids"][0], rows[0])
    assert out["mask_positions"][1, 0] == 1 and out["mask_ids"][1, 0] == 77


def test_masks_depend_on_seed_epoch_and_index_only():
    rows = packed_rows(64, seed=2)
    first = mask_rows(rows, seed=5, epoch=1)
    again = mask_rows(rows, seed=5, epoch=1)
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    # The same example masked alone (another batch, another pipeline) gets the same mask.
    single = mask_rows(rows[10:11], seed=5, epoch=1, first_index=10)
    for key in first:
        np.testing.assert_array_equal(single[key][0], first[key][10])
    for changed in (
        mask_rows(rows, seed=6, epoch=1),
        mask_rows(rows, seed=5, epoch=2),
        mask_rows(rows, seed=5, epoch=1, first_index=1),
    ):
        differing = np.any(changed["mask_positions"] != first["mask_positions"], axis=1)
        assert differing.mean() > 0.5
