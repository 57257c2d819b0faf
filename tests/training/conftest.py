"""Fixtures of the pre-training tests: one finished pre-training on generated text, shared read-only."""

from __future__ import annotations

import pytest
from pretrain_text import TINY_PRETRAIN, topic_documents, write_text


@pytest.fixture(scope="session")
def pretrained_run(tmp_path_factory):
    """600 steps of a tiny FNet on topic documents (dropout off), finished."""
    from fnet_keras.training.pretrain import pretrain
    from fnet_keras.training.pretrain_settings import PretrainSettings

    root = tmp_path_factory.mktemp("pretrained")
    text = write_text(root / "text" / "topics.txt", topic_documents(400, seed=0))
    settings = PretrainSettings(**dict(TINY_PRETRAIN, log_every=100), steps=600, dropout=0.0)
    return pretrain(text, root / "pre", settings, verbose=0)
