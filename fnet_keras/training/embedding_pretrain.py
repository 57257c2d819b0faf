"""Pre-train a backbone by learning a pre-trained encoder's sentence embeddings (no labels).

    fnet-keras pretrain --encoder minilm --text sentences.txt.gz --preset tiny --sequence-length 64 \\
        --steps 12000 --out runs/backbone

Each line of the text is one example. The encoder (`fnet_keras.training.encoder`: all-MiniLM-L6-v2
from a package, or a folder) gives each text its mean-pooled sentence embedding, computed once and
kept in `PRE_DIR/encoder_cache` (chunks, resumable, `distillation.OutputCache`). The student is
the backbone's `pooled_output` (what `TextClassifier` reads) and a linear map to the embedding's
width, trained to point where the encoder points (cosine loss). Distilling the representation
rather than a task's logits makes the backbone task-agnostic: fine-tuning puts any head on it.

The student keeps its own small WordPiece vocabulary and tokenizer rules; only the encoder sees
its own 30k vocabulary. The result is a pre-training directory (`pretrain_dir`) as masked-language
modelling writes it, its config.json recording the objective and the encoder; `BackupAndRestore`
checkpoints every `log_every` steps, so `--resume` continues a killed run. (Reimers and Gurevych,
arXiv 2004.09813: a student regresses a teacher's sentence embeddings.)
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from fnet_keras.data import DataError
from fnet_keras.models.fnet_backbone import FNetBackbone
from fnet_keras.text import TokenizerConfig, save_vocabulary
from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
from fnet_keras.text.vocabulary import PAD_ID
from fnet_keras.training.distillation import OutputCache, cached_outputs
from fnet_keras.training.encoder import encoder_provenance
from fnet_keras.training.input_pipeline import encode_texts, predict_logits
from fnet_keras.training.pretrain import learning_rate_schedule
from fnet_keras.training.pretrain_data import Corpus
from fnet_keras.training.pretrain_dir import PretrainDir
from fnet_keras.training.pretrain_settings import PretrainSettings
from fnet_keras.training.schedule import NO_WEIGHT_DECAY
from fnet_keras.training.settings import backbone_arguments

ENCODER_LENGTH = 128  # the encoder's pieces per text: its 30k vocabulary cuts words finer than ours
HELD_OUT = 0.01  # share of the texts kept out of training to report the cosine on (at most 2,000)


def encoder_embeddings(encoder: str, texts: Sequence[str], cache_dir: Path, say=lambda message: None,
                       provenance: dict | None = None) -> np.ndarray:
    """The encoder's mean-pooled sentence embeddings `(len(texts), width)` float32, cached in `cache_dir`
    (under its weights' SHA-256: `provenance`, `encoder_provenance(encoder)` when not given)."""

    def load():
        from fnet_keras.training.encoder import build_encoder_classifier, encoder_vocabulary, resolve_encoder

        vocabulary, _ = encoder_vocabulary(resolve_encoder(encoder))
        classifier = build_encoder_classifier(encoder, 2, ENCODER_LENGTH, dropout=0.0)
        model = keras.Model(classifier.input, classifier.get_layer("head_dropout").input)  # the mean
        tokenizer = make_tf_tokenizer(vocabulary, TokenizerConfig(sequence_length=ENCODER_LENGTH))
        return lambda chunk: predict_logits(model, encode_texts(tokenizer, chunk))

    provenance = provenance or encoder_provenance(encoder)
    cache = OutputCache(cache_dir, provenance["weights_sha256"], field="embeddings")
    return cached_outputs(cache, texts, load, f"the encoder {encoder} embeds", say).astype(np.float32)


def build_student(settings: PretrainSettings, vocabulary_size: int, width: int) -> keras.Model:
    """token ids -> the backbone's pooled output -> a linear map to the encoder's `width`."""
    backbone = FNetBackbone.from_preset(settings.preset, vocabulary_size, **backbone_arguments(settings))
    # [PAD] (id 0) keeps a zero embedding. FNet mixes the padding positions too, and free, its row grew
    # to 60x a typical row's largest value: one int8 scale for the whole table (dynamic-range bundles)
    # then rounds every other row away (their parity gate failed at 96.3% agreement).
    table = backbone.get_layer("token_embedding").embeddings
    keep = np.ones((vocabulary_size, 1), "float32")
    keep[PAD_ID] = 0.0
    table.assign(table * keep)
    table.constraint = lambda value: value * keep
    token_ids = keras.Input((settings.sequence_length,), dtype="int32", name="token_ids")
    pooled = backbone(token_ids)["pooled_output"]
    projected = keras.layers.Dense(width, dtype="float32", name="to_encoder")(pooled)
    student = keras.Model(token_ids, projected, name="embedding_student")
    student.backbone = backbone
    return student


def pretrain_from_encoder(documents: Corpus, pre: PretrainDir, settings: PretrainSettings, resumed: bool,
                          vocabulary: list[str], vocabulary_source: Path | None, say) -> None:
    """The encoder objective of `fnet_keras.training.pretrain.pretrain`, which checks `pre` and the
    settings, reads the text and resolves the vocabulary; this writes the rest of `pre`."""
    texts = list(dict.fromkeys(text for text in documents.texts if text.strip()))
    held_out = min(2000, max(1, round(len(texts) * HELD_OUT))) if len(texts) > 1 else 0
    if len(texts) - held_out < settings.batch_size:
        raise DataError(f"{len(texts)} distinct texts, too few for a batch of {settings.batch_size}",
                        documents.files()[0][0])
    if not resumed:
        pre.path.mkdir(parents=True, exist_ok=True)
        save_vocabulary(vocabulary, pre.vocabulary)

    provenance = encoder_provenance(settings.encoder)  # hashes the encoder's weights: once
    embeddings = encoder_embeddings(settings.encoder, texts, pre.path / "encoder_cache", say, provenance)
    token_ids = encode_texts(make_tf_tokenizer(vocabulary, settings.tokenizer_config()), texts)
    order = np.random.default_rng(settings.seed).permutation(len(texts))
    held, train = order[:held_out], order[held_out:]

    keras.utils.set_random_seed(settings.seed)
    student = build_student(settings, len(vocabulary), embeddings.shape[1])
    optimizer = keras.optimizers.AdamW(learning_rate_schedule(settings), weight_decay=settings.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
    student.compile(optimizer=optimizer, loss=keras.losses.CosineSimilarity())
    if not resumed:
        pre.write_config(
            settings, vocabulary, student.backbone, vocabulary_source,
            objective={
                "kind": "sentence embeddings",
                "loss": "cosine between the pooled output, mapped linearly to the encoder's width, and the "
                        "encoder's mean-pooled embedding",
                "encoder": provenance,
                "encoder_sequence_length": ENCODER_LENGTH,
                "pad_embedding": "held at zero",
            },
            optimization={"optimizer": "AdamW", "schedule": f"linear warmup then {settings.decay} decay to 0",
                          "no_weight_decay": NO_WEIGHT_DECAY},
            initialization={"kind": "random", "seed": settings.seed},
            data={**documents.source_info(), "texts": len(texts), "held_out": held_out},
            strategy="default",
        )

    # A resumed run restores the weights, optimizer and step of its last checkpoint and starts a new
    # shuffled pass over the rows.
    dataset = (tf.data.Dataset.from_tensor_slices((token_ids[train], embeddings[train]))
               .shuffle(len(train), seed=settings.seed, reshuffle_each_iteration=True)
               .repeat().batch(settings.batch_size).prefetch(tf.data.AUTOTUNE))
    chunks = math.ceil(settings.steps / settings.log_every)
    say(f"learning the embeddings of {len(train):,} texts ({held_out:,} held out): {settings.steps:,} steps "
        f"of {settings.batch_size}")
    steps = chunks * settings.log_every
    progress = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: say(
        f"  step {(epoch + 1) * settings.log_every:,} of {steps:,}: cosine "
        f"{-(logs or {}).get('loss', math.nan):.4f}, held out {-(logs or {}).get('val_loss', math.nan):.4f}"
    ))
    started = time.monotonic()
    fitted = student.fit(
        dataset, epochs=chunks, steps_per_epoch=settings.log_every, verbose=0,
        validation_data=(token_ids[held], embeddings[held]), shuffle=False,
        callbacks=[keras.callbacks.BackupAndRestore(str(pre.checkpoint)), progress],
    )
    history = [{"step": (index + 1) * settings.log_every, "loss": loss, "held_out_cosine": -val}
               for index, (loss, val) in enumerate(zip(fitted.history["loss"], fitted.history["val_loss"],
                                                       strict=True))]
    last = history[-1] if history else {}
    pre.finish(student.backbone, history, steps=steps,
               elapsed_seconds=time.monotonic() - started, stopped_by="steps", loss=last.get("loss"),
               held_out_cosine=last.get("held_out_cosine"))
