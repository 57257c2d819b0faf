"""The MediaPipe layout in the edge tests: conversion, our runtime's probabilities, shared texts.

The tiny classifier (`keras_model` in conftest) is traced with `fnet_keras.export.mediapipe_layout`
(inputs `input_word_ids`, `input_mask`, `input_type_ids`; output `probabilities`) and converted with
builtin ops only. "Our runtime" here is the pure-Python tokenizer plus ai_edge_litert with the
inputs bound by name (the bundle loader's job once it reads this layout).
"""

from __future__ import annotations

import random
import tempfile
import warnings
from pathlib import Path

import numpy as np
from support import REPO_ROOT

from fnet_keras.text import SPECIAL_TOKENS

SEQUENCE_LENGTH = 16
LABELS = ("negative", "neutral", "positive")
WORDS = "the a movie film plot acting was is not very good great bad awful fine , . !".split()
VOCABULARY = [*SPECIAL_TOKENS, *WORDS, "##s", "##ly", "##ing"]
MEDIAPIPE_WORKER = REPO_ROOT / "tests" / "mediapipe_tasks_worker.py"
UNKNOWN_WORDS = ("zebra", "quixotic")  # not in VOCABULARY: [UNK] for both tokenizers


def layout_tflite(
    model,
    quantization: str = "fp32",
    mixing: str = "rfft",
    representative_ids: np.ndarray | None = None,
    int8_output: bool = False,
) -> bytes:
    """`model` in MediaPipe's layout, converted by the package's converter (`fnet_keras.export.convert`).

    `int8_output` (which the package no longer makes: MediaPipe refuses it) converts an int8 model
    with an int8 output tensor, for the tests that show why.
    """
    from fnet_keras.export.convert import convert, write_saved_model
    from fnet_keras.export.mixing import apply_fourier_method
    from fnet_keras.export.recipes import Recipe

    recipe = Recipe(quantization, mixing)
    try:
        with tempfile.TemporaryDirectory(prefix="fnet-keras-layout-") as directory:
            saved = write_saved_model(model, SEQUENCE_LENGTH, recipe, Path(directory))
            if not int8_output:
                return convert(saved, recipe, representative_ids)
            import tensorflow as tf

            from fnet_keras.export import mediapipe_layout as layout

            converter = tf.lite.TFLiteConverter.from_saved_model(
                str(saved), signature_keys=[layout.SIGNATURE_KEY]
            )
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            ops = tf.lite.OpsSet
            converter.target_spec.supported_ops = [ops.TFLITE_BUILTINS_INT8, ops.TFLITE_BUILTINS]
            converter.representative_dataset = layout.representative_dataset(representative_ids)
            converter.inference_output_type = tf.int8
            with warnings.catch_warnings():  # the int8 calibrator's own tf.lite.Interpreter warns
                warnings.filterwarnings("ignore", message=r".*tf\.lite\.Interpreter is deprecated")
                return converter.convert()
    finally:
        apply_fourier_method(model, "rfft")  # the session model other tests share


def generated_texts(count: int, seed: int) -> list[str]:
    """ASCII lower-case texts (MediaPipe lower-cases ASCII only), some longer than the sequence."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        words = []
        for _ in range(rng.choice([1, 2, 4, 8, 20])):
            pick = rng.random()
            if pick < 0.1:
                words.append(rng.choice(UNKNOWN_WORDS))
            elif pick < 0.25:
                words.append(rng.choice(["film", "movie", "plot", "act"]) + rng.choice(["s", "ly", "ing"]))
            else:
                words.append(rng.choice(WORDS))
        texts.append(" ".join(words))
    return texts


def encode(texts: list[str]) -> np.ndarray:
    from fnet_keras.text import TokenizerConfig, WordPieceEncoder

    encoder = WordPieceEncoder(VOCABULARY, TokenizerConfig(sequence_length=SEQUENCE_LENGTH))
    return np.asarray(encoder.encode_batch(texts), dtype=np.int32)


def litert_probabilities(model_bytes: bytes, token_ids: np.ndarray) -> np.ndarray:
    """ai_edge_litert's outputs for each row of packed ids, the inputs bound by signature name."""
    from ai_edge_litert.interpreter import Interpreter

    from fnet_keras.export import mediapipe_layout as layout

    interpreter = Interpreter(model_content=model_bytes, num_threads=1)
    runner = interpreter.get_signature_runner(layout.SIGNATURE_KEY)
    return np.asarray([runner(**layout.bert_inputs(row))[layout.OUTPUT_NAME][0] for row in token_ids])
