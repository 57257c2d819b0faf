"""`TFWordPieceTokenizer`: the in-graph tokenizer for tf.data pipelines (WordPiece + packing).

It gives the same ids as the pure-Python `WordPieceEncoder`, under either rule set:
  - "mediapipe": `mediapipe_words_tf` does steps 1-3 (with tensorflow_text's `regex_split`,
    which MediaPipe's own tokenizer calls, on the rules' literal ranges instead of `\\p{P}`),
    tensorflow_text's `FastWordpieceTokenizer` step 4, and keras-hub's `StartEndPacker` step 5;
  - "keras_hub" (`fnet_keras/text/wordpiece.py` docstring): step 1 (`map_unicode_spaces_tf`),
    keras-hub's `WordPieceTokenizer` (steps 2-5) and `StartEndPacker` (step 6).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras_hub
import tensorflow as tf
import tensorflow_text as tf_text

from fnet_keras.text.config import MAX_WORD_BYTES, MEDIAPIPE_RULES, TokenizerConfig
from fnet_keras.text.mediapipe_rules import KEPT_DELIMITER_RANGES, MEDIAPIPE_WHITESPACE
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


def _re2_class(ranges) -> str:
    return "[" + "".join(f"\\x{{{low:X}}}-\\x{{{high:X}}}" for low, high in ranges) + "]"


# MediaPipe's steps 1-3 as RE2 patterns, built from the same literal tables as the Python twin.
_MEDIAPIPE_AFTER_NUL = "(?s)\\x00.*"
_MEDIAPIPE_KEPT = _re2_class(KEPT_DELIMITER_RANGES)
_MEDIAPIPE_WHITESPACE_RUN = _re2_class((ord(char), ord(char)) for char in MEDIAPIPE_WHITESPACE) + "+"
_MEDIAPIPE_DELIMITERS = f"{_MEDIAPIPE_WHITESPACE_RUN}|{_MEDIAPIPE_KEPT}"


def mediapipe_words_tf(texts: tf.Tensor) -> tf.RaggedTensor:
    """MediaPipe rule steps 1-3 in-graph: `[batch]` strings to `[batch, None]` words."""
    texts = tf.strings.regex_replace(texts, _MEDIAPIPE_AFTER_NUL, "")
    texts = tf.strings.lower(texts)  # encoding "" (the default): A-Z only, byte by byte.
    return tf_text.regex_split(texts, _MEDIAPIPE_DELIMITERS, _MEDIAPIPE_KEPT)


class TFWordPieceTokenizer:
    """Maps a batch of strings to packed token ids inside a TensorFlow graph.

    Call it on a `tf.string` tensor of shape `[batch]` (e.g. in `Dataset.batch(...).map(...)`);
    it returns int32 `[batch, config.sequence_length]`: [CLS] tokens [SEP] [PAD]....
    `token_ids(texts)` gives the unpacked ids, int32 `[batch, None]` (e.g. to choose a sequence
    length). Eager calls run the same graph (a `tf.function`), never keras-hub's Python fallback.

    `vocabulary` and `config` are as for `WordPieceEncoder`.
    """

    def __init__(self, vocabulary: Sequence[str], config: TokenizerConfig | None = None):
        self.vocabulary = validate_vocabulary(vocabulary)
        self.config = TokenizerConfig() if config is None else config
        if self.config.rules == MEDIAPIPE_RULES:
            # As keras-hub builds it, on words split by MediaPipe's rules.
            self._word_piece = tf_text.FastWordpieceTokenizer(
                vocab=self.vocabulary,
                suffix_indicator=SUFFIX_INDICATOR,
                max_bytes_per_word=MAX_WORD_BYTES,
                token_out_type=tf.int32,
                unknown_token=UNK_TOKEN,
                no_pretokenization=True,
                support_detokenization=False,
            )
        else:
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
        self.token_ids = tf.function(self._token_ids_graph, input_signature=signature)
        self._encode = tf.function(self._encode_graph, input_signature=signature)

    def _token_ids_graph(self, texts: tf.Tensor) -> tf.RaggedTensor:
        if self.config.rules == MEDIAPIPE_RULES:
            # [batch, words] -> [batch, words, pieces] -> [batch, pieces]
            return self._word_piece.tokenize(mediapipe_words_tf(texts)).merge_dims(1, 2)
        return self._word_piece(map_unicode_spaces_tf(texts))

    def _encode_graph(self, texts: tf.Tensor) -> tf.Tensor:
        return tf.cast(self._packer(self._token_ids_graph(texts)), tf.int32)

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
