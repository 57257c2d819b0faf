"""The general backbone shipped with the package, and when `train` starts from it (no TensorFlow).

`tiny-en/` is a pre-training directory (`fnet_keras.training.pretrain_dir`): a tiny FNet (2 blocks,
128 hidden, length 64) that learned all-MiniLM-L6-v2's sentence embeddings on 266k English texts
(`scripts/general_backbone.py`; `docs/results/backbone.md` has its text, cost and gains). `fnet-keras
train` starts from it unless told otherwise, when it fits:

- the model and tokenizer settings the user gave agree with it (or none were given: the run then
  takes the backbone's preset, tokenizer and length), and the length is the backbone's (FNet's
  outputs depend on the padded length, and positions beyond it were never trained);
- its vocabulary covers the training text: under `MAX_UNKNOWN` of the pieces of (a sample of)
  the training texts are `[UNK]`, so the text is in a language and script it learned.

`--init-from PRE_DIR` names another pre-training; `--from-scratch` trains without one.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).resolve().parent / "tiny-en"
MAX_UNKNOWN = 0.01  # share of [UNK] pieces above which the text is not the backbone's kind of text
COVERAGE_SAMPLE = 5000  # texts checked: enough for a share of 1% to within about 0.1 point


def unknown_share(texts: Sequence[str], vocabulary: Sequence[str], tokenizer: Any, seed: int = 0) -> float:
    """The share of `[UNK]` among the pieces of (up to `COVERAGE_SAMPLE` of) `texts`."""
    from fnet_keras.text.vocabulary import UNK_TOKEN
    from fnet_keras.text.wordpiece import WordPieceEncoder

    sample = list(texts)
    if len(sample) > COVERAGE_SAMPLE:
        sample = random.Random(seed).sample(sample, COVERAGE_SAMPLE)
    encoder = WordPieceEncoder(vocabulary, tokenizer)
    pieces = [piece for text in sample for piece in encoder.tokenize(text)]
    return sum(piece == UNK_TOKEN for piece in pieces) / max(1, len(pieces))


def choose_backbone(texts: Sequence[str], given: dict[str, Any], path: Path = SHIPPED):
    """`(settings, pretrained, why)`: the shipped backbone when it fits the given settings and the
    texts, with the run's `TrainSettings` taken from it; else `(None, None, why)`."""
    import warnings

    from fnet_keras.training.pretrain_dir import (
        PretrainedLengthWarning,
        PretrainedMismatchError,
        load_pretrained,
    )

    if not (path / "result.json").is_file():
        return None, None, f"no backbone in {path}"
    pretrained = load_pretrained(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PretrainedLengthWarning)
        try:
            settings = pretrained.fine_tuning_settings(**given)
        except PretrainedMismatchError as error:
            return None, None, f"the settings given do not fit the shipped backbone ({error.reason})"
        except PretrainedLengthWarning:
            return None, None, (f"sequence length {given['sequence_length']} is not the shipped backbone's "
                                f"{pretrained.sequence_length}")
    if settings.encoder is not None or settings.mixing == "bag":
        return None, None, "an encoder or a bag of embeddings has no FNet backbone to start from"
    share = unknown_share(texts, pretrained.vocabulary, pretrained.tokenizer)
    if share >= MAX_UNKNOWN:
        return None, None, (f"{share:.1%} of the text's pieces are unknown to the shipped backbone's "
                            f"vocabulary (at most {MAX_UNKNOWN:.0%})")
    return settings, pretrained, f"{share:.2%} of the text's pieces unknown to its vocabulary"
