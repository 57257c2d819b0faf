"""An exported classifier with first-token pooling computes one position in its last block."""

import numpy as np
import pytest

from fnet_keras.edge.classification import softmax
from fnet_keras.export.convert import convert, write_saved_model
from fnet_keras.export.mediapipe_layout import bert_inputs
from fnet_keras.export.recipes import Recipe
from fnet_keras.models import TextClassifier

SEQ, HIDDEN, FF = 16, 16, 32


def fully_connected_outputs(tflite: bytes) -> list[list[int]]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_content=tflite, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    interpreter.allocate_tensors()
    return [
        [int(size) for size in interpreter._get_tensor_details(op["outputs"][0], 0)["shape"]]
        for op in interpreter._get_ops_details()
        if op["op_name"] == "FULLY_CONNECTED"
    ]


@pytest.mark.parametrize("mixing", ["fourier", "attention", "none"])
def test_last_block_feed_forward_runs_on_one_position_and_outputs_match_keras(mixing, tmp_path):
    model = TextClassifier.from_preset(
        "tiny", vocabulary_size=50, num_classes=3, mixing=mixing, sequence_length=SEQ, num_layers=2,
        hidden_dim=HIDDEN, intermediate_dim=FF, embedding_dim=HIDDEN, num_heads=2, fourier_method="rfft",
        dropout=0.0,
    )
    recipe = Recipe("fp32", "rfft" if mixing == "fourier" else None)
    tflite = convert(write_saved_model(model, SEQ, recipe, tmp_path), recipe)
    shapes = fully_connected_outputs(tflite)
    # Block 0 runs its feed-forward on every position, block 1 (the last) on position 0 only.
    assert [1, SEQ, FF] in shapes and [1, 1, FF] in shapes
    assert shapes.count([1, SEQ, FF]) == 1 and shapes.count([1, 1, FF]) == 1
    if mixing == "attention":
        # Block 0: query, key, value, output projections and the second dense on every position;
        # block 1: keys and values of every position, then query, output and dense for one position.
        assert shapes.count([1, SEQ, HIDDEN]) == 5 + 2 and shapes.count([1, 1, HIDDEN]) == 3

    from ai_edge_litert.interpreter import Interpreter

    ids = np.random.default_rng(0).integers(1, 50, (4, SEQ)).astype("int32")
    ids[:, 11:] = 0
    runner = Interpreter(model_content=tflite).get_signature_runner()
    exported = np.concatenate([runner(**bert_inputs(row))["probabilities"] for row in ids])
    np.testing.assert_allclose(exported, softmax(np.asarray(model(ids))), atol=1e-5)
