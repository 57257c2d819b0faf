"""fnet_keras.export.mediapipe_layout in LiteRT: three named int32 inputs, probabilities out, in every recipe.

The models are the tiny classifier converted by `layout_recipes` (conftest); ai_edge_litert runs
them with the inputs bound by signature name. MediaPipe runs them in test_mediapipe_text_classifier.py.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest
from mediapipe_support import SEQUENCE_LENGTH, encode, generated_texts, litert_probabilities

from fnet_keras.edge.model_ops import ModelOp as TfliteOp
from fnet_keras.edge.model_ops import op_counts, read_ops
from fnet_keras.edge.tflite_metadata import BERT_INPUT_TENSOR_NAMES
from fnet_keras.export import mediapipe_layout as layout
from fnet_keras.export.errors import ExportError

RECIPES = ("fp32", "fp16", "dynamic", "int8-dft", "int8-rfft", "int8-output")


def _runner(model_bytes: bytes):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_bytes, num_threads=1)
    return interpreter, interpreter.get_signature_runner(layout.SIGNATURE_KEY)


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_keeps_three_named_int32_inputs_and_one_probabilities_output(layout_recipes, recipe):
    interpreter, _ = _runner(layout_recipes[recipe])
    signature = interpreter.get_signature_list()[layout.SIGNATURE_KEY]
    assert sorted(signature["inputs"]) == sorted(layout.INPUT_NAMES)
    assert signature["outputs"] == [layout.OUTPUT_NAME]
    inputs = interpreter.get_input_details()
    assert sorted(detail["name"] for detail in inputs) == sorted(BERT_INPUT_TENSOR_NAMES.values())
    assert all(detail["dtype"] == np.int32 for detail in inputs)
    assert all(list(detail["shape"]) == [1, SEQUENCE_LENGTH] for detail in inputs)
    (output,) = interpreter.get_output_details()
    assert output["dtype"] == (np.int8 if recipe == "int8-output" else np.float32)


@pytest.mark.parametrize("recipe", ["fp32", "int8-dft"])
def test_the_mask_and_the_type_ids_act_in_the_graph(layout_recipes, recipe):
    """A position with mask 0, or type id 1, reads as padding: the output equals that of zeroed ids."""
    _, runner = _runner(layout_recipes[recipe])
    ids = encode(["the movie was not very good , the plot was awful . the acting"])[0]
    assert np.count_nonzero(ids) > 8
    cut = ids.copy()
    cut[5:] = 0

    def probabilities(**overrides):
        inputs = layout.bert_inputs(ids)
        inputs.update({name: value[None, :].astype(np.int32) for name, value in overrides.items()})
        return runner(**inputs)[layout.OUTPUT_NAME][0]

    full = probabilities()
    zeroed = probabilities(input_word_ids=cut, input_mask=(cut != 0))
    masked = probabilities(input_mask=(np.arange(SEQUENCE_LENGTH) < 5) & (ids != 0))
    second_segment = probabilities(input_type_ids=(np.arange(SEQUENCE_LENGTH) >= 5) & (ids != 0))
    assert np.max(np.abs(full - zeroed)) > 1e-4  # the cut matters, so the equalities below mean something
    np.testing.assert_array_equal(masked, zeroed)
    np.testing.assert_array_equal(second_segment, zeroed)


def test_fp32_probabilities_are_the_keras_models_softmax(keras_model, layout_recipes):
    token_ids = encode(generated_texts(16, seed=7))
    keras_probabilities = np.asarray(keras_model(token_ids, training=False))
    keras_probabilities = np.exp(keras_probabilities - keras_probabilities.max(axis=1, keepdims=True))
    keras_probabilities /= keras_probabilities.sum(axis=1, keepdims=True)
    litert = litert_probabilities(layout_recipes["fp32"], token_ids)
    np.testing.assert_allclose(litert, keras_probabilities, atol=1e-5)


def test_the_layout_adds_three_int32_ops_and_a_softmax_to_the_single_input_model(keras_model, layout_recipes):
    """Against format 1's layout (token_ids in, logits out) of the same model: MUL x2, SUB x1, SOFTMAX x1."""
    import tempfile
    from pathlib import Path

    import keras
    import tensorflow as tf

    from fnet_keras.export.convert import convert
    from fnet_keras.export.mixing import apply_fourier_method
    from fnet_keras.export.recipes import Recipe

    @tf.function(input_signature=[tf.TensorSpec([1, SEQUENCE_LENGTH], tf.int32, name="token_ids")])
    def single_input(token_ids):
        return {"logits": keras_model(token_ids, training=False)}

    apply_fourier_method(keras_model, "rfft")
    with tempfile.TemporaryDirectory() as directory:  # traced and converted as the package does it
        archive = keras.export.ExportArchive()
        archive.track(keras_model)
        archive.add_endpoint("serving_default", single_input)
        archive.write_out(directory, verbose=False)
        single_bytes = convert(Path(directory), Recipe("fp32", "rfft"))
    single = collections.Counter(op_counts(read_ops(single_bytes)))
    three = collections.Counter(op_counts(read_ops(layout_recipes["fp32"])))
    assert three - single == collections.Counter({"MUL": 2, "SUB": 1, "SOFTMAX": 1})
    assert not single - three
    added = [op for op in read_ops(layout_recipes["fp32"]) if op.name in ("MUL", "SUB")]
    added = [op for op in added if "INT32" in op.input_types]
    assert len(added) == 3 and all(op.output_types == ("INT32",) for op in added)


def test_bert_inputs_fill_the_mask_and_type_ids_as_mediapipe_does():
    ids = [2, 17, 9, 3, 0, 0]
    inputs = layout.bert_inputs(ids)
    assert set(inputs) == set(layout.INPUT_NAMES)
    np.testing.assert_array_equal(inputs["input_word_ids"], [ids])
    np.testing.assert_array_equal(inputs["input_mask"], [[1, 1, 1, 1, 0, 0]])
    np.testing.assert_array_equal(inputs["input_type_ids"], [[0] * 6])
    assert all(value.dtype == np.int32 for value in inputs.values())
    samples = list(layout.representative_dataset(np.asarray([ids, ids[::-1]]))())
    assert len(samples) == 2 and samples[1]["input_word_ids"].shape == (1, 6)


def test_check_mediapipe_ops_refuses_an_int8_div_only(layout_recipes):
    for recipe, model_bytes in layout_recipes.items():
        layout.check_mediapipe_ops(read_ops(model_bytes), recipe)  # none of ours has one
    float_div = TfliteOp("DIV", True, ("FLOAT32", "FLOAT32"), ("FLOAT32",))
    int8_div = TfliteOp("DIV", True, ("INT8", "INT8"), ("INT8",))
    layout.check_mediapipe_ops([float_div])
    with pytest.raises(ExportError, match=r"the int8 model would load in MediaPipe 0\.10\.21 .*DIV on INT8"):
        layout.check_mediapipe_ops([float_div, int8_div], "the int8 model")
