"""Text to token ids: WordPiece vocabularies, the tokenizer rules, packing to a fixed length.

Two rule sets (`TokenizerConfig.rules`): "mediapipe", the default, is MediaPipe Tasks' own BERT
tokenizer (`fnet_keras/text/mediapipe_rules.py`), so a bundle's ids are the same in training, in
`fnet_keras.edge` and in MediaPipe's `TextClassifier`; "keras_hub" is keras-hub's WordPiece
rules (`fnet_keras/text/wordpiece.py`), the only rules before tokenizer settings version 2.

Two halves that give identical ids under either rule set:
  - pure Python, standard library only (this package's names, safe for the TF-free edge runtime):
    `TokenizerConfig`, `WordPieceEncoder`, `load_vocabulary`, `save_vocabulary`;
  - TensorFlow, for training (import the modules themselves): `fnet_keras.text.learn`
    (`learn_vocabulary`) and `fnet_keras.text.tf_tokenizer` (`make_tf_tokenizer`).

    vocab = learn_vocabulary(train_texts, 8000, config)          # keras-hub's learner
    save_vocabulary(vocab, run_dir / "vocab.txt")
    tokenizer = make_tf_tokenizer(vocab, config)                 # tf.data: ds.batch(64).map(...)
    encoder = WordPieceEncoder.from_files(bundle / "vocab.txt", config)  # edge: encoder.encode(text)
"""

from fnet_keras.text.config import (
    DEFAULT_RULES,
    KERAS_HUB_RULES,
    MEDIAPIPE_RULES,
    RULES_VERSION,
    TOKENIZER_RULES,
    TokenizerConfig,
)
from fnet_keras.text.errors import TokenizerError
from fnet_keras.text.vocabulary import (
    CLS_ID,
    MASK_ID,
    PAD_ID,
    SEP_ID,
    SPECIAL_TOKENS,
    UNK_ID,
    load_vocabulary,
    save_vocabulary,
    validate_vocabulary,
)
from fnet_keras.text.wordpiece import WordPieceEncoder, pack_token_ids, pretokenize

__all__ = [
    "CLS_ID",
    "DEFAULT_RULES",
    "KERAS_HUB_RULES",
    "MEDIAPIPE_RULES",
    "MASK_ID",
    "PAD_ID",
    "RULES_VERSION",
    "SEP_ID",
    "SPECIAL_TOKENS",
    "TOKENIZER_RULES",
    "TokenizerConfig",
    "TokenizerError",
    "UNK_ID",
    "WordPieceEncoder",
    "load_vocabulary",
    "pack_token_ids",
    "pretokenize",
    "save_vocabulary",
    "validate_vocabulary",
]
