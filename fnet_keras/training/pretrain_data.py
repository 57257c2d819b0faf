"""Pre-training data: documents → word pieces → windows → masked batches in a seeded order.

Windows. Each document is tokenized with the run's tokenizer (unpacked word pieces) and cut
into windows of `sequence_length - 2` pieces, front to back; the tail (the last `n mod
(sequence_length - 2)` pieces, when not 0) is a window of its own, shorter, as is a whole
document shorter than one window. Documents without a single piece give no window. A window
is packed as `[CLS] pieces [SEP]` and padded with [PAD] to `sequence_length`, so the model
trains on the varied lengths and padding it meets when fine-tuned.

Order. An epoch is every window once, in the order `stateless_shuffle` draws from `(seed,
epoch)`, cut into global batches of `batch_size` (the last `num_windows mod batch_size`
windows of an epoch's order are left out of that epoch; the next epoch's order differs). Step
`s` (0-based) is batch `s mod steps_per_epoch` of epoch `s // steps_per_epoch`, and its
masks come from `(seed, epoch, window index)` (`fnet_keras.training.masking`): a run resumed
at step `s` gets exactly the batches an uninterrupted run gets there.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from fnet_keras.data import load_documents_from_info, read_documents
from fnet_keras.text.vocabulary import CLS_ID, PAD_ID, SEP_ID
from fnet_keras.training.masking import example_seed, mask_sequence

TOKENIZE_BATCH = 256  # documents per tokenizer call: long documents make big ragged batches


@dataclasses.dataclass(frozen=True)
class Corpus:
    """The documents of every `--text` source (one per non-blank line, source after source), and
    each source's `Documents.source_info()` (paths, SHA-256, document counts)."""

    texts: list[str]
    sources: list[dict]

    def source_info(self) -> dict:
        return {"sources": self.sources}

    def files(self) -> list[tuple[str, str]]:
        """(path, sha256) of every source (a folder has one digest over its files), to compare a
        resumed run's text with the recorded one."""
        return [(info["path"], info["sha256"]) for info in self.sources]


def read_corpus(sources: Sequence[str | os.PathLike] | str | os.PathLike) -> Corpus:
    """Reads every source: a `.txt`/`.txt.gz` file (one document per line) or a folder of them.

    Raises:
        DataError: a missing or unreadable source, naming the file and line.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    return _corpus([read_documents(source) for source in sources])


def reload_corpus(info: dict) -> Corpus:
    """The corpus a run recorded (`Corpus.source_info()`), checked against its SHA-256s."""
    return _corpus([load_documents_from_info(source) for source in info["sources"]])


def _corpus(read: list) -> Corpus:
    return Corpus([text for documents in read for text in documents.texts], [d.source_info() for d in read])


@dataclasses.dataclass(frozen=True)
class Windows:
    """Every window of the corpus, as slices of `pieces` (int32, the word pieces of all documents back
    to back): each starts at `starts` (int64) and has `lengths` (int32, 1 .. sequence_length - 2)
    pieces. `documents` counts the documents cut, including ones without pieces."""

    pieces: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    sequence_length: int
    documents: int

    def __len__(self) -> int:
        return len(self.starts)

    def packed(self, index: int) -> np.ndarray:
        """Window `index` as the model sees it before masking: [CLS] pieces [SEP] [PAD]..."""
        start, length = int(self.starts[index]), int(self.lengths[index])
        ids = np.full(self.sequence_length, PAD_ID, np.int32)
        ids[0], ids[1 : length + 1], ids[length + 1] = CLS_ID, self.pieces[start : start + length], SEP_ID
        return ids

    def summary(self) -> dict:
        full = int(np.sum(self.lengths == self.sequence_length - 2))
        mean = float(np.mean(self.lengths)) if len(self) else 0.0
        return {"documents": self.documents, "pieces": int(len(self.pieces)), "windows": len(self),
                "full_windows": full, "mean_window_pieces": mean}


def cut_windows(document_pieces: Sequence[np.ndarray], sequence_length: int) -> Windows:
    """Cuts each document's unpacked piece ids into windows (module docstring)."""
    width = sequence_length - 2
    if width < 1:
        raise ValueError(f"sequence_length must be at least 3 for pre-training; got {sequence_length}")
    lengths = np.array([len(pieces) for pieces in document_pieces], np.int64)
    pieces = (np.concatenate(document_pieces).astype(np.int32) if len(document_pieces)
              else np.zeros(0, np.int32))
    document_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    counts = -(-lengths // width)  # ceil: full windows plus the tail
    owner = np.repeat(np.arange(len(lengths)), counts)
    offset = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) * width
    window_lengths = np.minimum(width, lengths[owner] - offset).astype(np.int32)
    return Windows(pieces, document_starts[owner] + offset, window_lengths, sequence_length, len(lengths))


def tokenize_documents(tokenizer, texts: Sequence[str]) -> list[np.ndarray]:
    """The unpacked word-piece ids of each text (the in-graph tokenizer's `token_ids`)."""
    if not texts:
        return []
    dataset = tf.data.Dataset.from_tensor_slices(tf.constant(list(texts), tf.string)).batch(TOKENIZE_BATCH)
    dataset = dataset.map(tokenizer.token_ids, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    documents = []
    for ragged in dataset:
        values, splits = ragged.flat_values.numpy().astype(np.int32), ragged.row_splits.numpy()
        documents.extend(np.split(values, splits[1:-1]))
    return documents


def steps_per_epoch(num_windows: int, batch_size: int) -> int:
    return num_windows // batch_size


def pretraining_dataset(windows: Windows, batch_size: int, seed: int, first_step: int, vocabulary_size: int,
                        num_slots: int, part: tuple[int, int] | None = None) -> tf.data.Dataset:
    """Masked batches (`masking.mask_sequence`'s dicts) from the 0-based global step `first_step` on,
    endlessly (the caller stops), in the order (and with the masks) `seed` fixes. With `part`
    `(index, count)`: only slice `index` of `count` near-equal slices of each global batch (one
    replica's share under a distribution strategy)."""
    steps = steps_per_epoch(len(windows), batch_size)
    if steps < 1:
        raise ValueError(f"the text gives {len(windows)} window(s), fewer than one batch of {batch_size}")
    index, count = part if part is not None else (0, 1)
    low, high = index * batch_size // count, (index + 1) * batch_size // count
    pieces = tf.constant(windows.pieces)
    starts = tf.constant(windows.starts, tf.int64)
    lengths = tf.constant(windows.lengths, tf.int64)
    length = windows.sequence_length
    num_windows = len(windows)

    def epoch_batches(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(num_windows, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch]),
            alg="philox",
        )
        batches = tf.reshape(order[: steps * batch_size], [steps, batch_size])[:, low:high]
        return tf.data.Dataset.from_tensor_slices(batches).map(
            lambda indices: (tf.fill(tf.shape(indices), epoch), indices)
        )

    def example(epoch, window):
        start, size = starts[window], lengths[window]
        ids = tf.concat([[CLS_ID], pieces[start : start + size], [SEP_ID]], axis=0)
        ids = tf.pad(ids, [[0, length - 2 - size]], constant_values=PAD_ID)
        return mask_sequence(tf.ensure_shape(ids, [length]), example_seed(seed, epoch, window),
                             vocabulary_size, num_slots)

    first_epoch, skip = divmod(first_step, steps)
    dataset = tf.data.Dataset.range(first_epoch, np.iinfo(np.int64).max).flat_map(epoch_batches).skip(skip)
    dataset = dataset.unbatch().map(example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.batch(high - low, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
