"""--strategy multiworker: two local workers train to the same weights as one process."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
from support import TINY_SETTINGS

from fnet_keras.training import TrainSettings, fit

# Dropout off, so that the split of each global batch over two workers is the only difference
# from a single process (dropout masks are drawn per replica).
SETTINGS = dict(TINY_SETTINGS, epochs=1, dropout=0.0)
WORKER = """
import json, sys
import numpy as np
from fnet_keras.training import TrainSettings, fit
settings = TrainSettings(**json.loads(sys.argv[1]))
result = fit(sys.argv[2], sys.argv[3], settings, strategy="multiworker", verbose=2)
np.savez(sys.argv[4], *[w.numpy() for w in result.model.weights])
with open(sys.argv[5], "w") as file:
    json.dump(result.vocabulary, file)
"""


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_two_workers_match_each_other_and_a_single_process(keyword_data, tmp_path):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    run_dir, scratch = tmp_path / "run", tmp_path / "scratch"
    scratch.mkdir()
    workers = []
    for index in range(2):
        env = dict(
            os.environ,
            TMPDIR=str(scratch),
            TF_CPP_MIN_LOG_LEVEL="2",
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
        )
        command = [
            sys.executable,
            "-c",
            WORKER,
            json.dumps(SETTINGS),
            str(keyword_data),
            str(run_dir),
            str(tmp_path / f"weights{index}.npz"),
            str(tmp_path / f"vocab{index}.json"),
        ]
        workers.append(
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        )
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=240)[0])
    finally:
        for worker in workers:
            worker.kill()
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output[-3000:]

    chief, other = (np.load(tmp_path / f"weights{index}.npz") for index in range(2))
    assert len(chief.files) == len(other.files) > 10
    for key in chief.files:
        np.testing.assert_array_equal(chief[key], other[key])
    vocabularies = [json.loads((tmp_path / f"vocab{index}.json").read_text()) for index in range(2)]
    assert vocabularies[0] == vocabularies[1]

    # Only the chief wrote the run directory; the other worker's scratch directory is gone.
    config = json.loads((run_dir / "config.json").read_text())
    assert config["strategy"] == "multiworker" and (run_dir / "metrics.json").is_file()
    assert list(scratch.iterdir()) == []

    single = fit(keyword_data, tmp_path / "single", TrainSettings(**SETTINGS), verbose=0)
    for key, weight in zip(chief.files, single.model.weights, strict=True):
        np.testing.assert_allclose(chief[key], weight.numpy(), rtol=0, atol=1e-5)
