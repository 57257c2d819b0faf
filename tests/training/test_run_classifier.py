"""RunClassifier / fnet_keras.load(run_dir): a run classifies strings, with training's tokenizer."""

import json

import numpy as np
import pytest
from support import keyword_rows

import fnet_keras
from fnet_keras.edge import EmptyTextError, load_bundle
from fnet_keras.edge.classification import Classification, Prediction
from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
from fnet_keras.training.run_classifier import RunClassifier
from fnet_keras.training.run_dir import RunDir


@pytest.fixture(scope="module")
def classifier(trained_run):
    return fnet_keras.load(trained_run.run_dir)


def test_load_of_a_run_directory_gives_a_run_classifier(classifier, trained_run):
    assert isinstance(classifier, RunClassifier)
    assert classifier.labels == ("neg", "neu", "pos") == tuple(trained_run.labels)


def test_strings_in_probabilities_out_as_the_keras_model_gives_them(classifier, trained_run):
    # Independent path: training's in-graph tokenizer, the saved Keras model, a numpy softmax.
    texts = [text for text, _ in keyword_rows(40, seed=11)] + ["Superb!  GREAT", "ça, c'est dreadful"]
    run = RunDir(trained_run.run_dir).load()
    ids = make_tf_tokenizer(run.vocabulary, run.tokenizer_config)(texts).numpy()
    logits = run.load_model().predict(ids, verbose=0).astype(np.float64)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(classifier.predict(texts), expected, rtol=0, atol=1e-6)


def test_labels_of_keyword_sentences(classifier):
    rows = keyword_rows(60, seed=12)
    predicted = [prediction.label for prediction in classifier.classify([text for text, _ in rows])]
    agreement = np.mean([p == label for p, (_, label) in zip(predicted, rows, strict=True)])
    assert agreement >= 0.9  # the keyword decides the label; the run's dev accuracy is near 1


def test_result_objects_match_the_bundles(classifier, exported):
    one = classifier.classify("a superb film")
    assert isinstance(one, Prediction) and one.label == one.ranking[0][0]
    many = classifier.classify(["a superb film", "dreadful", "okay"], top_k=2)
    assert isinstance(many, Classification) and len(many) == 3
    assert all(len(prediction.ranking) == 2 for prediction in many)
    # The fp32 bundle exported from this run answers the same, in the same objects and JSON.
    bundle = load_bundle(exported.out_dir / "fp32")
    from_bundle = bundle.classify(["a superb film", "dreadful", "okay"], top_k=2)
    assert [p.label for p in from_bundle] == [p.label for p in many]
    np.testing.assert_allclose(from_bundle.probabilities, many.probabilities, atol=1e-4)
    assert json.loads(json.dumps(many[0].to_dict())).keys() == from_bundle[0].to_dict().keys()


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_text_is_refused(classifier, text):
    with pytest.raises(EmptyTextError):
        classifier.classify(["fine", text])
