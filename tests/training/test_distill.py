"""Distillation (`fit(teacher=...)`, `fnet-keras train --teacher`): the loss against a hand computation,
the teacher's logits computed once, resume, label checks, extra unlabelled text, provenance, strategies.

The teacher is the session's `trained_run` (a tiny FNet on the keyword data, test accuracy >= 0.85), in a
copy: a teacher keeps the texts it scored in its run directory, and the session's run is shared read-only.
"""

import dataclasses
import json
import random
import shutil

import keras
import numpy as np
import pytest
from support import FILLER, KEYWORDS, TINY_FLAGS, TINY_SETTINGS, keyword_rows, write_keyword_data, write_tsv

import fnet_keras.training.distillation as distillation
from fnet_keras.cli import main
from fnet_keras.text import TokenizerConfig, WordPieceEncoder
from fnet_keras.training import RunDirError, TrainSettings, fit
from fnet_keras.training.distillation import DistillationAccuracy, DistillationLoss, pack_targets
from fnet_keras.training.pretrain_dir import file_sha256
from fnet_keras.training.run_dir import RunDir
from fnet_keras.training.settings import SettingsError
from fnet_keras.training.teacher import TeacherError

# The student packs 12 ids per text, its teacher 16: the teacher's logits must come from the teacher's
# own tokenizer.
STUDENT = dict(TINY_SETTINGS, sequence_length=12, epochs=5, dropout=0.0, patience=None)


def softmax(logits):
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def hand_distillation_loss(labels, labelled, teacher, student, alpha, temperature):
    """The documented loss, row by row in float64: alpha * CE + (1 - alpha) * T^2 * KL, alpha 0 unlabelled."""
    rows = []
    for label, has_label, t, s in zip(labels, labelled, teacher.astype(float), student.astype(float),
                                      strict=True):
        cross_entropy = -np.log(softmax(s)[label])
        p, q = softmax(t / temperature), softmax(s / temperature)
        kl = float(np.sum(p * np.log(p / q)))
        weight = alpha if has_label else 0.0
        rows.append(weight * cross_entropy + (1 - weight) * temperature**2 * kl)
    return np.array(rows)


def random_case(seed, rows=12, classes=3):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, rows)
    labelled = (rng.random(rows) < 0.7).astype(int)
    teacher = rng.normal(0, 3, (rows, classes)).astype(np.float32)
    student = rng.normal(0, 2, (rows, classes)).astype(np.float32)
    return labels, labelled, teacher, student


def test_the_loss_is_cross_entropy_when_alpha_selects_the_labels_only():
    labels, _, teacher, student = random_case(0)
    targets = pack_targets(labels, np.ones(len(labels)), teacher)
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, student)
    for temperature in (0.5, 1.0, 4.0):
        loss = DistillationLoss(alpha=1.0, temperature=temperature)
        np.testing.assert_allclose(float(loss(targets, student)), float(expected), rtol=1e-6)
    # Plain labels (dev and test batches) always get plain cross-entropy, whatever alpha.
    np.testing.assert_allclose(float(DistillationLoss(0.3, 2.0)(labels, student)), float(expected), rtol=1e-6)


@pytest.mark.parametrize("alpha, temperature", [(0.5, 2.0), (0.0, 1.0), (0.2, 4.0), (0.9, 0.5)])
def test_the_loss_matches_a_hand_computation(alpha, temperature):
    labels, labelled, teacher, student = random_case(1)
    targets = pack_targets(labels, labelled, teacher)
    expected = hand_distillation_loss(labels, labelled, teacher, student, alpha, temperature)
    per_row = DistillationLoss(alpha, temperature, reduction=None)(targets, student)
    np.testing.assert_allclose(np.asarray(per_row), expected, rtol=2e-5, atol=1e-6)
    mean = DistillationLoss(alpha, temperature)(targets, student)
    np.testing.assert_allclose(float(mean), expected.mean(), rtol=2e-5)
    # A student that equals its teacher on unlabelled rows has no loss there (KL, not cross-entropy).
    unlabelled = pack_targets(labels, np.zeros(len(labels)), teacher)
    np.testing.assert_allclose(np.asarray(DistillationLoss(alpha, temperature, reduction=None)(
        unlabelled, teacher)), 0.0, atol=1e-5)


def test_training_accuracy_counts_the_labelled_rows_only():
    labels = np.array([0, 1, 2, 0])
    student = np.eye(3, dtype=np.float32)[[0, 1, 0, 1]]  # right, right, wrong, wrong
    metric = DistillationAccuracy()
    metric.update_state(pack_targets(labels, [1, 1, 1, 0], np.zeros((4, 3))), student)
    assert float(metric.result()) == pytest.approx(2 / 3)
    metric.reset_state()
    metric.update_state(labels, student)
    assert float(metric.result()) == pytest.approx(2 / 4)


# --- training with a teacher -------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained_run(trained_run, tmp_path_factory):
    """The session's run, its directory copied (this module's teachers write their caches into it)."""
    copy = shutil.copytree(trained_run.run_dir, tmp_path_factory.mktemp("teacher") / "run")
    return dataclasses.replace(trained_run, run_dir=copy)


@pytest.fixture(scope="module")
def distilled(trained_run, keyword_data_dir, tmp_path_factory):
    """A student distilled from the session's teacher with the default alpha and temperature."""
    out = tmp_path_factory.mktemp("distilled") / "run"
    return fit(keyword_data_dir, out, TrainSettings(**STUDENT), teacher=trained_run.run_dir, verbose=0)


def test_a_distilled_student_learns_from_a_teacher_with_another_tokenizer(distilled, trained_run):
    assert distilled.test_metrics["accuracy"] >= 0.85
    assert (distilled.settings.sequence_length, trained_run.settings.sequence_length) == (12, 16)
    # The documented defaults, recorded resolved (so resume compares the values used).
    assert (distilled.settings.distill_alpha, distilled.settings.temperature) == (0.5, 2.0)
    run = RunDir(distilled.run_dir)
    assert json.loads(run.config.read_text())["settings"]["distill_alpha"] == 0.5
    # The cached logits are the teacher's on its own ids (the pure-Python tokenizer, independently).
    encoder = WordPieceEncoder(trained_run.vocabulary, TokenizerConfig(sequence_length=16))
    train_path = json.loads(run.config.read_text())["data"]["files"]["train"]["path"]
    texts = [line.split("\t")[0] for line in open(train_path, encoding="utf-8").read().splitlines()[1:]]
    ids = np.array([encoder.encode(text) for text in texts], np.int32)
    with np.load(run.teacher_logits) as cache:
        np.testing.assert_allclose(cache["logits_train"], trained_run.model.predict(ids, verbose=0),
                                   rtol=0, atol=1e-5)
        assert cache["logits_dev"].shape == (60, 3) and "logits_text" not in cache.files


def test_the_teacher_is_recorded_in_the_run_and_its_bundles(distilled, trained_run, tmp_path):
    from fnet_keras.export import export_run

    teacher = RunDir(trained_run.run_dir)
    record = RunDir(distilled.run_dir).load().distillation
    assert record["teacher"]["run"] == str(trained_run.run_dir.resolve())
    assert record["teacher"]["model_sha256"] == file_sha256(teacher.model)
    assert record["teacher"]["config_sha256"] == file_sha256(teacher.config)
    assert (record["teacher"]["preset"], record["teacher"]["mixing"]) == ("tiny", "fourier")
    assert record["teacher"]["test_accuracy"] == trained_run.test_metrics["accuracy"]
    assert record["text"] is None and 0.85 <= record["teacher_dev_accuracy"] <= 1
    export_run(distilled.run_dir, ("fp32",), out_dir=tmp_path / "bundles", parity_examples=500)
    manifest = json.loads((tmp_path / "bundles" / "fp32" / "bundle.json").read_text())
    assert manifest["provenance"]["distillation"] == record
    assert manifest["provenance"]["init"] is None


class KillAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            raise KeyboardInterrupt("simulated kill")


class CaptureFinalWeights(keras.callbacks.Callback):
    def on_train_end(self, logs=None):
        self.weights = [np.array(v.numpy()) for v in self.model.variables]


def test_teacher_logits_are_computed_once_and_a_resumed_run_needs_no_teacher(
    trained_run, keyword_data, tmp_path, monkeypatch
):
    calls = []
    real = distillation.compute_teacher_logits
    monkeypatch.setattr(distillation, "compute_teacher_logits",
                        lambda *args: calls.append(1) or real(*args))
    teacher = shutil.copytree(trained_run.run_dir, tmp_path / "teacher")
    settings = TrainSettings(**dict(STUDENT, epochs=2, dropout=0.1, seed=5))
    capture = CaptureFinalWeights()
    uninterrupted = fit(keyword_data, tmp_path / "uninterrupted", settings, teacher=teacher,
                        callbacks=[capture], verbose=0)
    assert len(calls) == 1  # two epochs, one teacher pass

    killed = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        fit(keyword_data, killed, settings, teacher=teacher, callbacks=[KillAfterFirstEpoch()], verbose=0)
    assert len(calls) == 2 and (killed / "teacher_logits.npz").is_file()
    with pytest.raises(RunDirError, match="distill_alpha: 0.3 != 0.5"):
        fit(None, killed, settings.replace(distill_alpha=0.3), resume=True, verbose=0)
    with pytest.raises(TeacherError, match="not the teacher the run was started with"):
        fit(None, killed, resume=True, teacher=tmp_path / "uninterrupted", verbose=0)
    shutil.rmtree(teacher)  # resuming reads the cached logits: the teacher is not needed
    capture_resumed = CaptureFinalWeights()
    resumed = fit(None, killed, resume=True, callbacks=[capture_resumed], verbose=0)
    assert len(calls) == 2
    for expected, actual in zip(capture.weights, capture_resumed.weights, strict=True):
        np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-6)
    assert resumed.test_metrics == uninterrupted.test_metrics

    # Without its cache and without its teacher, a resumed run says which teacher it needs.
    killed_again = tmp_path / "killed-again"
    shutil.copytree(tmp_path / "uninterrupted", killed_again)
    (killed_again / "metrics.json").unlink()
    (killed_again / "teacher_logits.npz").unlink()
    with pytest.raises(TeacherError, match="logits are not cached here"):
        fit(None, killed_again, resume=True, verbose=0)


def test_a_teacher_with_other_labels_is_refused_naming_both(trained_run, tmp_path, capsys):
    data = write_keyword_data(tmp_path / "two")
    for name in ("train", "dev", "test"):
        write_tsv(data / f"{name}.tsv", keyword_rows(60, seed=len(name), labels=("neg", "pos")))
    with pytest.raises(TeacherError, match=r"labels \['neg', 'neu', 'pos'\] are not the student's \['neg', "
                                           r"'pos'\]"):
        fit(data, tmp_path / "run", TrainSettings(**STUDENT), teacher=trained_run.run_dir, verbose=0)
    assert not (tmp_path / "run").exists()  # nothing half-written

    unfinished = shutil.copytree(trained_run.run_dir, tmp_path / "unfinished")
    (unfinished / "metrics.json").unlink()
    with pytest.raises(TeacherError, match="has not finished"):
        fit(data, tmp_path / "run", TrainSettings(**STUDENT), teacher=unfinished, verbose=0)
    with pytest.raises(SettingsError, match="apply to distillation only"):
        fit(data, tmp_path / "run", TrainSettings(**STUDENT, temperature=3.0), verbose=0)

    # The command line says so before TensorFlow trains anything.
    flags = ["--preset", "tiny", "--sequence-length", "16", "--quiet"]
    code = main(["train", "--data", str(data), "--out", str(tmp_path / "cli"), "--teacher",
                 str(unfinished), *flags])
    assert code == 2 and "has not finished" in capsys.readouterr().err
    code = main(["train", "--data", str(data), "--out", str(tmp_path / "cli"), "--distill-alpha", "0.5",
                 *flags])
    assert code == 2 and "apply with --teacher only" in capsys.readouterr().err


def test_the_command_line_distils_and_records_the_flags(trained_run, keyword_data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["train", "--data", str(keyword_data_dir), "--out", str(run), "--teacher",
                 str(trained_run.run_dir), "--distill-alpha", "0.7", "--temperature", "3", "--epochs", "1",
                 *TINY_FLAGS, "--quiet"])
    assert code == 0 and "test accuracy" in capsys.readouterr().out
    config = json.loads((run / "config.json").read_text())
    assert (config["settings"]["distill_alpha"], config["settings"]["temperature"]) == (0.7, 3.0)
    assert config["distillation"]["teacher"]["run"] == str(trained_run.run_dir.resolve())
    code = main(["train", "--out", str(run), "--resume", "--temperature", "4", "--quiet"])
    assert code == 2 and "temperature: 4.0 != 3.0" in capsys.readouterr().err


def held_out_keyword_rows(count, seed, seen):
    """Keyword sentences whose keyword is the first of its label's (seen) or one of the others."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        label = rng.choice(sorted(KEYWORDS))
        keywords = KEYWORDS[label][:1] if seen else KEYWORDS[label][1:]
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 8))]
        words.insert(rng.randint(0, len(words)), rng.choice(keywords))
        rows.append((" ".join(words), label))
    return rows


def test_unlabelled_text_teaches_what_the_labels_do_not(trained_run, tmp_path):
    # Labelled rows use one keyword per label; the test rows only the other two, which appear in
    # the unlabelled text alone: the student can score them only by learning the teacher's labels.
    data = tmp_path / "data"
    write_tsv(data / "train.tsv", held_out_keyword_rows(200, 1, seen=True))
    write_tsv(data / "dev.tsv", held_out_keyword_rows(60, 2, seen=True))
    write_tsv(data / "test.tsv", held_out_keyword_rows(120, 3, seen=False))
    text = tmp_path / "unlabelled.txt"
    text.write_text("".join(f"{sentence}\n" for sentence, _ in held_out_keyword_rows(300, 4, seen=False)))
    settings = TrainSettings(**STUDENT)
    with_text = fit(data, tmp_path / "with", settings, teacher=trained_run.run_dir, distill_text=text,
                    verbose=0)
    without = fit(data, tmp_path / "without", settings, teacher=trained_run.run_dir, verbose=0)
    assert with_text.test_metrics["accuracy"] >= 0.8
    assert without.test_metrics["accuracy"] <= 0.6  # about chance (1/3): never saw those words labelled

    run = RunDir(with_text.run_dir)
    config = json.loads(run.config.read_text())
    assert config["schedule"]["steps_per_epoch"] == 32  # ceil((200 + 300) / 16): the text joins each epoch
    assert config["distillation"]["text"]["sha256"] == file_sha256(text)
    assert config["distillation"]["text"]["documents"] == 300
    with np.load(run.teacher_logits) as cache:
        assert cache["logits_text"].shape == (300, 3)


def test_the_custom_loop_of_multiworker_trains_as_fit_does(trained_run, keyword_data_dir):
    """`--strategy multiworker` trains with `custom_training_loop`: on one process (default strategy) it
    must take the same steps on packed targets as `Model.fit`."""
    import tensorflow as tf

    from fnet_keras.training.distribute import custom_training_loop
    from fnet_keras.training.input_pipeline import training_dataset
    from fnet_keras.training.trainer import build_classifier

    settings = TrainSettings(**dict(STUDENT, epochs=1)).with_distillation()
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 60, (40, 12)).astype(np.int32)
    targets = pack_targets(rng.integers(0, 3, 40), rng.random(40) < 0.6, rng.normal(0, 2, (40, 3)))
    dev = (ids[:8], np.zeros(8, np.int32))
    weights = []
    for loop in ("fit", "custom"):
        keras.utils.set_random_seed(0)
        model = build_classifier(settings, 60, 3, steps_per_epoch=3)
        if loop == "fit":
            model.fit(training_dataset(ids, targets, 16, 0, 0, 1), epochs=1, steps_per_epoch=3, shuffle=False,
                      verbose=0)
        else:
            callbacks = keras.callbacks.CallbackList([], model=model, epochs=1, steps=3)
            custom_training_loop(tf.distribute.get_strategy(), model, (ids, targets), dev, 16, 0, 0, 1,
                                 callbacks)
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-6)


def test_alpha_one_trains_exactly_as_labels_alone(trained_run, keyword_data_dir, tmp_path):
    settings = TrainSettings(**dict(STUDENT, epochs=1))
    plain = fit(keyword_data_dir, tmp_path / "plain", settings, verbose=0)
    labels_only = fit(keyword_data_dir, tmp_path / "alpha1", settings.replace(distill_alpha=1.0),
                      teacher=trained_run.run_dir, verbose=0)
    for a, b in zip(plain.model.get_weights(), labels_only.model.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-6)
    assert [record["loss"] for record in labels_only.history] == pytest.approx(
        [record["loss"] for record in plain.history], rel=1e-6)


def test_mirrored_strategy_trains_the_same_student(trained_run, keyword_data_dir, tmp_path):
    settings = TrainSettings(**dict(STUDENT, epochs=1))
    default = fit(keyword_data_dir, tmp_path / "default", settings, teacher=trained_run.run_dir, verbose=0)
    mirrored = fit(keyword_data_dir, tmp_path / "mirrored", settings, teacher=trained_run.run_dir,
                   strategy="mirrored", verbose=0)
    for a, b in zip(default.model.get_weights(), mirrored.model.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-5)
    assert default.history[0]["loss"] == pytest.approx(mirrored.history[0]["loss"], rel=1e-5)


MULTIWORKER_STUDENT = """
import json, sys
import numpy as np
from fnet_keras.training import TrainSettings, fit
settings = TrainSettings(**json.loads(sys.argv[1]))
result = fit(sys.argv[2], sys.argv[3], settings, strategy=sys.argv[4], teacher=sys.argv[5], verbose=0)
np.savez(sys.argv[6], *[w.numpy() for w in result.model.weights])
"""


@pytest.mark.slow
@pytest.mark.long  # the multi-worker loop is run in make test by tests/training/test_multiworker.py
def test_two_workers_distil_the_student_one_process_does(trained_run, keyword_data_dir, tmp_path):
    import os
    import socket
    import subprocess
    import sys

    sockets = [socket.socket() for _ in range(2)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    cluster = {"worker": [f"127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]}
    for sock in sockets:
        sock.close()
    settings = json.dumps(dict(STUDENT, epochs=1))

    def student(strategy, out, weights, task=None):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TMPDIR=str(tmp_path))
        if task is not None:
            env["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": task}})
        command = [sys.executable, "-c", MULTIWORKER_STUDENT, settings, str(keyword_data_dir), str(out),
                   strategy, str(trained_run.run_dir), str(weights)]
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    workers = [student("multiworker", tmp_path / "run", tmp_path / f"w{task}.npz", task) for task in (0, 1)]
    try:
        outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output[-3000:]
    single = fit(keyword_data_dir, tmp_path / "single", TrainSettings(**json.loads(settings)),
                 teacher=trained_run.run_dir, verbose=0)
    first, second = (np.load(tmp_path / f"w{task}.npz") for task in (0, 1))
    for index, key in enumerate(first.files):
        np.testing.assert_array_equal(first[key], second[key])
        np.testing.assert_allclose(first[key], single.model.weights[index].numpy(), rtol=0, atol=1e-5)
    assert (tmp_path / "run" / "teacher_logits.npz").is_file()  # the chief kept the teacher's logits
