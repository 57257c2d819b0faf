"""`learn_vocabulary`: a WordPiece vocabulary from training texts, with keras-hub's learner (TensorFlow)."""

from __future__ import annotations

from collections.abc import Sequence

import keras_hub
import tensorflow as tf

from fnet_keras.text.config import MEDIAPIPE_RULES, TokenizerConfig
from fnet_keras.text.errors import TokenizerError
from fnet_keras.text.tf_tokenizer import map_unicode_spaces_tf, mediapipe_words_tf
from fnet_keras.text.vocabulary import SPECIAL_TOKENS, SUFFIX_INDICATOR, validate_vocabulary

_BATCH_SIZE = 1024  # Texts per pre-tokenization call; batching makes learning several times faster.


def learn_vocabulary(
    texts: Sequence[str], vocabulary_size: int = 8000, config: TokenizerConfig | None = None
) -> list[str]:
    """Learns a WordPiece vocabulary of at most `vocabulary_size` tokens, special tokens first.

    keras-hub's `compute_word_piece_vocabulary` is approximate and usually returns somewhat
    fewer tokens than asked for. Texts are pre-tokenized by `config`'s rules, as the tokenizers
    do. Learned tokens that contain whitespace (`str.isspace`: under "mediapipe" rules e.g.
    U+00A0 inside a word; under "keras_hub" rules after NFKC case folding, e.g. from U+00B4)
    are dropped: a vocabulary file holds one token per line.

    Args:
        config: the tokenizer settings; only rules, lowercase, strip_accents and split_on_cjk matter.
    """
    config = TokenizerConfig() if config is None else config
    size = vocabulary_size
    if not isinstance(size, int) or isinstance(size, bool) or size <= len(SPECIAL_TOKENS):
        raise TokenizerError(
            f"vocabulary_size must be an integer above {len(SPECIAL_TOKENS)} (the special tokens), "
            f"got {vocabulary_size!r}"
        )
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TokenizerError(f"text {index} to learn from is not a str: {text!r:.80}")
    dataset = tf.data.Dataset.from_tensor_slices(tf.constant(texts, dtype=tf.string, shape=[len(texts)]))
    if config.rules == MEDIAPIPE_RULES:
        dataset = dataset.batch(_BATCH_SIZE).map(mediapipe_words_tf)  # words, taken as they are
        learner_rules = {"lowercase": False, "strip_accents": False, "split": False}
    else:
        dataset = dataset.batch(_BATCH_SIZE).map(map_unicode_spaces_tf)
        learner_rules = {
            "lowercase": config.lowercase,
            "strip_accents": config.strip_accents,
            "split": True,
            "split_on_cjk": config.split_on_cjk,
        }
    try:
        vocabulary = keras_hub.tokenizers.compute_word_piece_vocabulary(
            dataset,
            vocabulary_size,
            **learner_rules,
            suffix_indicator=SUFFIX_INDICATOR,
            reserved_tokens=list(SPECIAL_TOKENS),
        )
    except StopIteration:  # tensorflow_text's learner takes the first counted word: there is none.
        raise TokenizerError(f"no words to learn a vocabulary from in {len(texts)} text(s)") from None
    return validate_vocabulary(token for token in vocabulary if not any(char.isspace() for char in token))
