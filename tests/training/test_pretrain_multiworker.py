"""pretrain --strategy multiworker: two local workers reach the same weights as one process."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from pretrain_text import TINY_PRETRAIN, cycle_documents, write_text

from fnet_keras.training.pretrain import pretrain
from fnet_keras.training.pretrain_settings import PretrainSettings

# Dropout off: dropout masks are drawn per replica, so they would differ from one process.
SETTINGS = dict(
    TINY_PRETRAIN,
    steps=6,
    dropout=0.0,
    mixing="hybrid",
    backbone_overrides=dict(TINY_PRETRAIN["backbone_overrides"], num_layers=2),
)
WORKER = """
import json, sys
import numpy as np
from fnet_keras.training.pretrain import pretrain
from fnet_keras.training.pretrain_settings import PretrainSettings
settings = PretrainSettings(**json.loads(sys.argv[1]))
result = pretrain(sys.argv[2], sys.argv[3], settings, strategy="multiworker", checkpoint_steps=4, verbose=2)
np.savez(sys.argv[4], *[v.numpy() for v in result.model.variables])
"""


# A worker that missed the chief's PRE_DIR on --resume would start at step 0 while the others continue.
GUARD = """
import sys
from fnet_keras.training.distribute import make_strategy
from fnet_keras.training.pretrain import _check_workers_agree
from fnet_keras.training.run_dir import RunDirError
strategy = make_strategy("multiworker")
try:
    _check_workers_agree(strategy, int(sys.argv[1]), ["[PAD]", "[UNK]"], 10)
    print("agreed")
except RunDirError as error:
    print("refused:", error)
"""


def start_workers(script, arguments_of_worker):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(len(arguments_of_worker))]}
    workers = []
    for index, arguments in enumerate(arguments_of_worker):
        env = dict(
            os.environ,
            TF_CPP_MIN_LOG_LEVEL="2",
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
        )
        workers.append(
            subprocess.Popen(
                [sys.executable, "-c", script, *arguments],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=300)[0])
    finally:
        for worker in workers:
            worker.kill()
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output[-3000:]
    return outputs


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.mark.slow
def test_two_workers_match_each_other_and_a_single_process(tmp_path):
    text = write_text(tmp_path / "text.txt", cycle_documents(100, seed=5))
    out = tmp_path / "pre"
    arguments = [
        [json.dumps(SETTINGS), str(text), str(out), str(tmp_path / f"weights{index}.npz")]
        for index in range(2)
    ]
    outputs = start_workers(WORKER, arguments)
    assert "step 6/6" in outputs[0] and "steps/s" not in outputs[1]  # the chief reports progress

    chief, other = (np.load(tmp_path / f"weights{index}.npz") for index in range(2))
    assert len(chief.files) == len(other.files) > 20
    for key in chief.files:
        np.testing.assert_array_equal(chief[key], other[key])
    config = json.loads((out / "config.json").read_text())
    assert config["strategy"] == "multiworker" and (out / "result.json").is_file()

    single = pretrain(text, tmp_path / "single", PretrainSettings(**SETTINGS), verbose=0)
    for key, variable in zip(chief.files, single.model.variables, strict=True):
        np.testing.assert_allclose(chief[key], variable.numpy(), rtol=0, atol=1e-5)
    recorded = json.loads((out / "history.json").read_text())
    assert [record["step"] for record in recorded] == [5, 6]
    for mine, theirs in zip(single.history, recorded, strict=True):
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=1e-5)
        assert mine["masked_accuracy"] == theirs["masked_accuracy"]


@pytest.mark.slow
def test_workers_that_disagree_on_the_step_refuse_to_train():
    # (Workers that agree pass the same check in the test above.)
    for output in start_workers(GUARD, [["5"], ["0"]]):
        message = "refused: the workers disagree on (step, vocabulary checksum, windows)"
        assert message in output, output[-2000:]
        assert "(5, " in output and "(0, " in output
