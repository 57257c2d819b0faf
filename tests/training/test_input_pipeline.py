import numpy as np
from support import keyword_rows

from fnet_keras.text import TokenizerConfig, WordPieceEncoder
from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
from fnet_keras.training.input_pipeline import TOKENIZE_BATCH, encode_texts, epoch_batches, training_dataset

VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "great", "awful", "##s", "a", "."]


def test_encode_texts_matches_the_python_encoder_across_batches():
    config = TokenizerConfig(sequence_length=8)
    texts = [text for text, _ in keyword_rows(TOKENIZE_BATCH + 300, seed=5)] + ["", "The movies.", "naïve"]
    ids = encode_texts(make_tf_tokenizer(VOCABULARY, config), texts)
    assert ids.shape == (len(texts), 8) and ids.dtype == np.int32
    np.testing.assert_array_equal(ids, WordPieceEncoder(VOCABULARY, config).encode_batch(texts))


def order(dataset):
    return np.concatenate([ids[:, 0] for ids, _ in dataset])


def test_epoch_order_depends_on_seed_and_epoch_only():
    ids = np.arange(50, dtype=np.int32)[:, None]
    labels = np.arange(50, dtype=np.int32)
    first = order(epoch_batches(ids, labels, 8, seed=1, epoch=3))
    assert sorted(first) == list(range(50))
    np.testing.assert_array_equal(first, order(epoch_batches(ids, labels, 8, seed=1, epoch=3)))
    assert not np.array_equal(first, order(epoch_batches(ids, labels, 8, seed=1, epoch=4)))
    assert not np.array_equal(first, order(epoch_batches(ids, labels, 8, seed=2, epoch=3)))
    # A run resumed at epoch 3 sees exactly the batches an uninterrupted run sees there.
    whole = order(training_dataset(ids, labels, 8, seed=1, first_epoch=0, epochs=5))
    resumed = order(training_dataset(ids, labels, 8, seed=1, first_epoch=3, epochs=5))
    np.testing.assert_array_equal(whole[150:], resumed)
    np.testing.assert_array_equal(resumed[:50], first)


def test_replica_parts_split_each_global_batch():
    ids = np.arange(21, dtype=np.int32)[:, None]
    labels = np.arange(21, dtype=np.int32)
    full = [batch[1].numpy() for batch in epoch_batches(ids, labels, 8, seed=0, epoch=0)]
    parts = [
        [batch[1].numpy() for batch in epoch_batches(ids, labels, 8, 0, 0, part=(i, 3))] for i in range(3)
    ]
    for step, batch in enumerate(full):  # sizes 8, 8, 5
        np.testing.assert_array_equal(np.concatenate([part[step] for part in parts]), batch)
