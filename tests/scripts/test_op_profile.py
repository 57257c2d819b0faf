"""Per-op profile: one row per op of the model, and each single-op model computes what the op did."""

import importlib

import numpy as np
import op_profile
import pytest
from support import convert_function as convert

from fnet_keras.edge.model_ops import SCHEMA_MODULE, read_ops


@pytest.fixture(scope="module")
def small_model() -> bytes:
    import tensorflow as tf

    rng = np.random.default_rng(0)
    first = tf.constant(rng.normal(size=(16, 32)).astype(np.float32))
    second = tf.constant(rng.normal(size=(32, 4)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 8, 16], tf.float32, name="features")])
    def serve(features):
        hidden = tf.nn.relu(tf.einsum("bsd,dh->bsh", features, first))
        return {"scores": tf.reduce_mean(hidden, axis=1) @ second - tf.reduce_max(features)}

    return convert(serve)


def test_profile_has_one_row_per_op_in_model_order(small_model):
    profile = op_profile.profile_ops(small_model, runs=3, warmup=1)
    assert [op.name for op in profile.ops] == [op.name for op in read_ops(small_model)]
    assert [op.index for op in profile.ops] == list(range(len(profile.ops)))
    assert all(op.median_us > 0 and op.dtype == "FLOAT32" for op in profile.ops)
    rows = profile.by_type()
    assert sum(row["count"] for row in rows.values()) == len(profile.ops)
    assert sum(row["share"] for row in rows.values()) == pytest.approx(1.0)
    assert "| op | count | total (us) | share |" in profile.format(top=3)


def test_each_single_op_model_reproduces_the_op_in_the_whole_model(small_model):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    schema = importlib.import_module(SCHEMA_MODULE)
    values = op_profile._all_tensor_values(Interpreter, OpResolverType, small_model, seed=0)
    model = schema.ModelT.InitFromPackedBuf(bytearray(small_model), 0)
    graph = model.subgraphs[0]
    for op in graph.operators:
        single = Interpreter(model_content=op_profile._single_op_model(schema, model, graph, op))
        single.allocate_tensors()
        for detail in single.get_input_details():
            original = op_profile._original_index(graph, op, detail["name"])
            single.set_tensor(detail["index"], values[original].reshape(detail["shape"]))
        single.invoke()
        output = single.get_tensor(single.get_output_details()[0]["index"])
        expected = values[op.outputs[0]]
        np.testing.assert_allclose(output.reshape(expected.shape), expected, rtol=1e-5)
