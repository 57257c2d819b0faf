"""`TFWordPieceTokenizer`: the in-graph tokenizer for tf.data pipelines (keras-hub WordPiece + packing).

It gives the same ids as the pure-Python `fnet_keras.text.wordpiece.WordPieceEncoder`, whose
docstring states the rules; here they are carried out by step 1 (`map_unicode_spaces_tf`) and
keras-hub's `WordPieceTokenizer` (steps 2-5) and `StartEndPacker` (step 6).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras_hub
import tensorflow as tf

from fnet_keras.text.config import TokenizerConfig
from fnet_keras.text.vocabulary import (
    CLS_ID,
    PAD_ID,
    SEP_ID,
    SUFFIX_INDICATOR,
    UNK_TOKEN,
    load_vocabulary,
    validate_vocabulary,
)
from fnet_keras.text.wordpiece import MAPPED_TO_SPACE

# RE2 character class of the code points in MAPPED_TO_SPACE, escaped (one is U+0000).
_MAPPED_TO_SPACE_PATTERN = "[" + "".join(f"\\x{{{ord(char):X}}}" for char in MAPPED_TO_SPACE) + "]"


def map_unicode_spaces_tf(texts: tf.Tensor) -> tf.Tensor:
    """Rule step 1 in-graph: U+0000 and the non-ASCII spaces of `MAPPED_TO_SPACE` become U+0020."""
    return tf.strings.regex_replace(texts, _MAPPED_TO_SPACE_PATTERN, " ")


class TFWordPieceTokenizer:
    """Maps a batch of strings to packed token ids inside a TensorFlow graph.

    Call it on a `tf.string` tensor of shape `[batch]` (e.g. in `Dataset.batch(...).map(...)`);
    it returns int32 `[batch, config.sequence_length]`: [CLS] tokens [SEP] [PAD]....
    Eager calls run the same graph (a `tf.function`), never keras-hub's Python fallback.

    Args:
        vocabulary: the tokens, special tokens first.
        config: the tokenizer settings the vocabulary was learned with.
    """

    def __init__(self, vocabulary: Sequence[str], config: TokenizerConfig | None = None):
        self.vocabulary = validate_vocabulary(vocabulary)
        self.config = TokenizerConfig() if config is None else config
        self._word_piece = keras_hub.tokenizers.WordPieceTokenizer(
            vocabulary=self.vocabulary,
            lowercase=self.config.lowercase,
            strip_accents=self.config.strip_accents,
            split=True,
            split_on_cjk=self.config.split_on_cjk,
            suffix_indicator=SUFFIX_INDICATOR,
            oov_token=UNK_TOKEN,
            dtype="int32",
        )
        self._packer = keras_hub.layers.StartEndPacker(
            sequence_length=self.config.sequence_length,
            start_value=CLS_ID,
            end_value=SEP_ID,
            pad_value=PAD_ID,
        )
        # tf.function makes eager calls take keras-hub's TensorFlow path too (outside a graph it
        # would run its own Python re-implementation instead).
        signature = [tf.TensorSpec([None], tf.string)]
        self._token_ids = tf.function(self._token_ids_graph, input_signature=signature)
        self._encode = tf.function(self._encode_graph, input_signature=signature)

    def _token_ids_graph(self, texts: tf.Tensor) -> tf.RaggedTensor:
        return self._word_piece(map_unicode_spaces_tf(texts))

    def _encode_graph(self, texts: tf.Tensor) -> tf.Tensor:
        return tf.cast(self._packer(self._token_ids_graph(texts)), tf.int32)

    def token_ids(self, texts: tf.Tensor) -> tf.RaggedTensor:
        """Unpacked token ids, int32 `[batch, None]` (e.g. to choose a sequence length)."""
        return self._token_ids(texts)

    def __call__(self, texts: tf.Tensor) -> tf.Tensor:
        """Packed token ids, int32 `[batch, sequence_length]`."""
        return self._encode(texts)


def make_tf_tokenizer(
    vocabulary: Sequence[str] | str | os.PathLike, config: TokenizerConfig | None = None
) -> TFWordPieceTokenizer:
    """A `TFWordPieceTokenizer` from a token list or a vocabulary file path."""
    if isinstance(vocabulary, (str, os.PathLike)):
        vocabulary = load_vocabulary(vocabulary)
    return TFWordPieceTokenizer(vocabulary, config)
