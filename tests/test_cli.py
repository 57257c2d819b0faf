"""`fnet-keras`: each subcommand in-process and as a program; output streams, exit codes, messages."""

from __future__ import annotations

import io
import json
import shlex
import shutil
import sys

import numpy as np
import pytest
from import_check import packages_loaded_by
from support import TINY_BACKBONE, TINY_FLAGS, run_cli, shared_data, write_keyword_data, write_tsv

from fnet_keras.cli import decode_replacing, main, parse_args
from fnet_keras.demo import demo_bundle_path
from fnet_keras.edge import load_bundle


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """A 1-epoch run trained through `main` (MirroredStrategy, one CPU replica), and its data."""
    root = tmp_path_factory.mktemp("cli")
    data = write_keyword_data(root / "data")
    args = [
        "train",
        "--data",
        data,
        "--out",
        root / "run",
        "--epochs",
        "1",
        "--strategy",
        "mirrored",
        "--quiet",
    ]
    assert main([str(arg) for arg in [*args, *TINY_FLAGS]]) == 0
    return root / "run", data


def test_importing_and_parsing_the_cli_loads_no_tensorflow():
    assert packages_loaded_by("import fnet_keras.cli as cli; cli.build_parser()") == []


# --- train ------------------------------------------------------------------------------


def test_train_writes_a_run_and_refuses_to_overwrite_it(cli_run, capsys):
    run, data = cli_run
    assert sorted(p.name for p in run.iterdir()) == [
        "config.json",
        "history.json",
        "labels.txt",
        "metrics.json",
        "model.keras",
        "vocab.txt",
    ]
    config = json.loads((run / "config.json").read_text())
    assert config["settings"]["epochs"] == 1 and config["settings"]["backbone_overrides"] == TINY_BACKBONE
    assert config["strategy"] == "mirrored"
    code, _, err = _run(capsys, "train", "--data", data, "--out", run, "--epochs", "1", *TINY_FLAGS)
    assert code == 2 and err.startswith("error: ") and "already holds a finished run" in err
    # --resume on a finished run says there is nothing to resume, then reports it.
    code, out, err = _run(capsys, "train", "--out", run, "--resume", "--quiet")
    assert code == 0 and "best epoch 1 of 1" in out and "nothing to resume" in err
    assert out.splitlines()[-1].startswith("one epoch run (dev accuracy ")  # one epoch shows no trend
    # ... and a setting that differs from the recorded one is an error that names it.
    code, _, err = _run(capsys, "train", "--out", run, "--resume", "--epochs", "5", "--patience", "0")
    assert code == 2 and "epochs: 5 != 1" in err and "patience: None != 2" in err


def test_resume_where_no_run_was_started_is_an_error(tmp_path, capsys):
    code, out, err = _run(capsys, "train", "--out", tmp_path / "nothing", "--resume")
    assert (code, out) == (2, "") and "nothing to resume" in err and "leave out --resume" in err
    assert not (tmp_path / "nothing").exists()


def test_bad_settings_are_refused_before_tensorflow_loads(tmp_path):
    statements = (
        "from fnet_keras.cli import main\n"
        f"data = {str(tmp_path)!r}\n"
        "argv = ['train', '--data', data, '--preset', 'huge', '--out', data + '/r']\n"
        "assert main(argv) == 2"
    )
    assert packages_loaded_by(statements) == []  # the error came before TensorFlow's start-up


def test_train_prints_progress_on_stderr_and_only_its_result_on_stdout(tmp_path):
    data = write_tsv(
        tmp_path / "train.tsv",
        [(f"a great film {i}", "pos") for i in range(20)]
        + [(f"an awful film {i}", "neg") for i in range(20)],
    )
    result = run_cli("train", "--data", data, "--out", tmp_path / "run", "--epochs", "1", *TINY_FLAGS)
    assert result.returncode == 0, result.stderr.decode()
    err = result.stderr.decode()
    held_out = err.index("note: no dev split")
    assert held_out < err.index("training tiny fourier")  # said before the training starts
    assert err.index("reading") < err.index("learning a WordPiece vocabulary") < err.index("tokenizing")
    # One rule for every command: Keras' epoch lines are progress (stderr), the summary is the result.
    assert "3/3 - " in err and " - val_accuracy: " in err  # Keras' line for the epoch (3 steps of 16)
    out = result.stdout.decode().splitlines()
    assert len(out) == 3 and out[0].startswith("run directory: ") and out[0].endswith("run"), out
    assert out[1].startswith("best epoch 1 of 1: dev accuracy ") and out[2].startswith("one epoch run ("), out
    assert "val_accuracy" not in result.stdout.decode()


def test_missing_data_file_exits_2_naming_it(tmp_path):
    missing = tmp_path / "absent" / "train.tsv"
    result = run_cli("train", "--data", missing, "--out", tmp_path / "run")
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "error:" in stderr and str(missing) in stderr and "Traceback" not in stderr


def test_ctrl_c_in_training_exits_right_after_the_resume_hint(tmp_path):
    # After the hint nothing is left to do: the interpreter's teardown of TensorFlow (seconds, tens
    # of seconds after a large run, in silence) is skipped. An atexit marker shows whether it ran.
    import os
    import signal
    import subprocess

    from support import REPO_ROOT

    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import atexit, sys\natexit.register(lambda: print('TEARDOWN RAN', file=sys.stderr))\n"
    )
    data = write_keyword_data(tmp_path / "data", train=2000)
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "fnet_keras", "train", "--data", data, "--out", out, "--epochs", "50",
         *TINY_FLAGS],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(hooks), str(REPO_ROOT)])},
        # A suite started in the background inherits SIGINT ignored, and so would the child: a terminal's
        # Ctrl+C reaches a foreground process, whose SIGINT is the default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        seen = []
        for line in process.stderr:  # wait until the first epoch has finished
            seen.append(line)
            if " - val_accuracy: " in line:
                break
        assert process.poll() is None, "".join(seen)
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        code = process.wait(timeout=120)
    finally:
        process.kill()
    assert code == 130, rest
    assert f"interrupted: continue with fnet-keras train --out {out} --resume" in rest
    assert "TEARDOWN RAN" not in rest and "Traceback" not in rest
    assert json.loads((out / "history.json").read_text())  # the finished epochs are kept for --resume


def test_train_help_explains_patience_in_command_line_terms(capsys):
    code, out, _ = _run(capsys, "train", "--help")
    help_text = " ".join(out.split())
    assert code == 0 and "0: never stop early (default 2)" in help_text and "(none:" not in help_text


# --- evaluate ---------------------------------------------------------------------------


def test_evaluate_json_in_process(cli_run, capsys):
    run, data = cli_run
    code, out, _ = _run(capsys, "evaluate", run, "--json")
    assert code == 0
    metrics = json.loads(out)
    assert {"accuracy", "macro_f1", "count", "per_class", "confusion_matrix", "labels"} <= set(metrics)
    assert metrics["count"] == 60 and metrics["split"] == "test"
    assert sum(map(sum, metrics["confusion_matrix"])) == 60
    assert set(metrics["per_class"]) == {"neg", "neu", "pos"}
    code, out, _ = _run(capsys, "evaluate", run, "--data", data / "dev.tsv")
    assert code == 0 and "accuracy" in out and "confusion matrix" in out and "dev.tsv" in out


def test_evaluate_as_a_program_prints_only_its_json_and_no_library_noise(cli_run):
    run, _ = cli_run
    result = run_cli("evaluate", run, "--json", env={"TF_CPP_MIN_LOG_LEVEL": "0"})
    assert result.returncode == 0, result.stderr.decode()
    metrics = json.loads(result.stdout)  # the whole of stdout is one JSON object
    assert metrics["count"] == 60
    noise = [
        line
        for line in result.stderr.decode().splitlines()
        if any(
            mark in line
            for mark in (
                "I0000",
                "E0000",
                "W0000",
                "absl",
                "oneDNN",
                "cuda",
                "XNNPACK",
                "tensorflow",
                "WARNING",
            )
        )
    ]
    assert noise == []


def test_evaluate_errors(cli_run, tmp_path, capsys):
    run, _ = cli_run
    bad = write_tsv(
        tmp_path / "eval.tsv", [("a great film", "pos"), ("a fine film", "neu"), ("so so", "meh")]
    )
    code, out, err = _run(capsys, "evaluate", run, "--data", bad, "--json")
    assert (code, out) == (2, "") and err.startswith("error: ") and f"{bad}, line 4: label 'meh'" in err
    code, _, err = _run(capsys, "evaluate", tmp_path)
    assert code == 2 and "neither a run directory (config.json) nor a bundle" in err
    code, _, err = _run(capsys, "evaluate", tmp_path / "nowhere")
    assert code == 2 and "no such run directory or bundle" in err
    # An option that would be ignored is an error, not a silent no-op.
    code, _, err = _run(capsys, "evaluate", run, "--data", bad, "--split", "dev")
    assert code == 2 and "--split dev applies to a data directory of splits" in err
    code, _, err = _run(capsys, "evaluate", run, "--runtime", "ai_edge_litert")
    assert code == 2 and "--runtime chooses a LiteRT interpreter for a bundle" in err


def test_evaluate_threads_act_on_a_run_directory(cli_run):
    run, _ = cli_run
    code = (
        "import json, sys; from fnet_keras.cli import main; main(['evaluate', sys.argv[1], '--threads', '1', "
        "'--json']); import tensorflow as tf; "
        "print(tf.config.threading.get_intra_op_parallelism_threads(), file=sys.stderr)"
    )
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", code, str(run)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "1"


def test_bundle_evaluate_matches_a_direct_computation(fp32_bundle_path, tmp_path, capsys):
    rows = [
        ("the movie was superb", "pos"),
        ("an awful plot", "neg"),
        ("quite average acting", "neu"),
        ("really great music", "pos"),
        ("boring", "neg"),
    ]
    data = write_tsv(tmp_path / "test.tsv", rows)
    code, out, err = _run(capsys, "evaluate", fp32_bundle_path, "--data", data, "--json")
    assert code == 0, err
    report = json.loads(out)
    predictions = [p.label for p in load_bundle(fp32_bundle_path).classify([text for text, _ in rows])]
    assert report["count"] == len(rows)
    assert report["accuracy"] == np.mean(
        [p == label for p, (_, label) in zip(predictions, rows, strict=True)]
    )
    assert report["data"] == str(data) and report["split"] is None
    assert report["bundle"]["quantization"] == "fp32" and report["timing"]["inference_seconds"] > 0
    # A data directory: its split; the split must exist.
    write_tsv(tmp_path / "dir" / "train.tsv", rows)
    write_tsv(tmp_path / "dir" / "dev.tsv", rows[:3])
    code, out, err = _run(capsys, "evaluate", fp32_bundle_path, "--data", tmp_path / "dir", "--split", "dev")
    assert code == 0, err
    assert f"data: {tmp_path / 'dir' / 'dev.tsv'} (dev split)" in out and "per example" in err
    code, _, err = _run(capsys, "evaluate", fp32_bundle_path, "--data", tmp_path / "dir")
    assert code == 2 and "no test split here (found: dev, train)" in err
    code, _, err = _run(capsys, "evaluate", fp32_bundle_path)
    assert code == 2 and "a bundle holds no data of its own" in err


def test_the_demo_bundle_reproduces_its_recorded_accuracy_on_sst2():
    # The demo shows SST-2's 0/1 as negative/positive; bundle.json records the data's spelling.
    demo = demo_bundle_path()
    recorded = json.loads((demo / "bundle.json").read_text())["notes"][0]
    assert recorded.startswith("test accuracy ")
    test_file = shared_data("sst2", "test.tsv")
    result = run_cli("evaluate", demo, "--data", test_file, "--json")
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert f"test accuracy {100 * report['accuracy']:.2f}%" == recorded and report["count"] == 872
    assert report["label_map"] == {"0": "negative", "1": "positive"}
    assert "as bundle.json records: 0=negative, 1=positive" in result.stderr.decode()


def test_evaluate_label_map_maps_the_datas_labels(cli_run, tmp_path, capsys):
    run, _ = cli_run
    rows = [("the movie was superb", "good"), ("an awful plot", "bad"), ("quite average", "neu")]
    data = write_tsv(tmp_path / "spelled.tsv", rows)
    code, _, err = _run(capsys, "evaluate", run, "--data", data)
    assert code == 2 and "label 'good'" in err and "--label-map DATA=LABEL" in err
    code, out, err = _run(
        capsys, "evaluate", run, "--data", data, "--label-map", "good=pos,bad=neg", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["count"] == 3 and report["label_map"] == {"good": "pos", "bad": "neg"}
    code, _, err = _run(capsys, "evaluate", run, "--data", data, "--label-map", "good=great")
    assert code == 2 and "--label-map: good=great maps to no label of the model" in err
    for bad in ("good", "good=pos,good=neg", "=pos"):
        code, _, err = _run(capsys, "evaluate", run, "--data", data, "--label-map", bad)
        assert code == 2 and "--label-map" in err, bad


# --- classify ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fp32_bundle_path(exported):
    return exported.out_dir / "fp32"


def test_classify_results_on_stdout_timing_on_stderr(fp32_bundle_path):
    result = run_cli("classify", fp32_bundle_path, "the movie was superb", "a dreadful plot", "--top-k", "2")
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 2  # `| wc -l` counts the texts
    expected = load_bundle(fp32_bundle_path).classify(["the movie was superb", "a dreadful plot"], top_k=2)
    for line, prediction in zip(lines, expected, strict=True):
        (first, p1), (second, p2) = prediction.ranking
        assert line.startswith(f"{first} {p1:.4f}  {second} {p2:.4f}\t")
    stderr = result.stderr.decode()
    assert "tokenization" in stderr and "inference" in stderr
    assert "XNNPACK" not in stderr and "INFO:" not in stderr


def test_classify_json_schema(fp32_bundle_path, capsys):
    code, out, err = _run(
        capsys, "classify", fp32_bundle_path, "the movie was superb", "--json", "--top-k", "3"
    )
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == {"model", "results", "count", "replaced_bytes", "timing"}
    assert report["model"]["labels"] == ["neg", "neu", "pos"] and report["model"]["quantization"] == "fp32"
    result = report["results"][0]
    assert set(result) == {"index", "text", "label", "probability", "ranking", "tokens", "truncated"}
    assert result["ranking"][0] == {"label": result["label"], "probability": result["probability"]}
    assert sum(entry["probability"] for entry in result["ranking"]) == pytest.approx(1.0)


def test_empty_texts_get_no_label(fp32_bundle_path, capsys, monkeypatch):
    code, out, err = _run(capsys, "classify", fp32_bundle_path, "superb", "")
    assert (code, out) == (2, "") and "nothing to classify" in err and "text 1" in err
    _stdin(monkeypatch, b"superb\n\n   \nawful\n")
    code, out, err = _run(capsys, "classify", fp32_bundle_path)
    assert code == 0, err
    lines = out.splitlines()
    assert (
        len(lines) == 4 and lines[1].startswith("-\t(empty: not classified)") and lines[2].startswith("-\t")
    )
    assert lines[0].startswith("pos ") and lines[3].startswith("neg ")
    assert "note: 2 empty line(s) not classified (line 2, 3)" in err


def test_classify_reads_stdin_lines_and_counts_undecodable_bytes(fp32_bundle_path, capsys, monkeypatch):
    _stdin(monkeypatch, b"superb film\r\n\xff\xfe bad \xe2\x82\nlast line without newline")
    code, out, err = _run(capsys, "classify", fp32_bundle_path, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [r["text"] for r in report["results"]] == [
        "superb film",
        "\ufffd\ufffd bad \ufffd",
        "last line without newline",
    ]
    assert report["replaced_bytes"] == 4
    assert "note: 4 undecodable byte(s) in the input were replaced with U+FFFD" in err


def test_undecodable_bytes_in_arguments_are_counted_too(fp32_bundle_path):
    result = run_cli("classify", fp32_bundle_path, "--json", b"caf\xe9 superb")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["replaced_bytes"] == 1 and report["results"][0]["text"] == "caf\ufffd superb"


def test_decode_replacing_matches_errors_replace():
    samples = [b"", b"plain", b"\xff", b"a\xe2\x82b", b"\xf0\x9f\x98\x80ok\xc3", b"\xed\xa0\x80 surrogate"]
    for data in samples:
        assert decode_replacing(data)[0] == data.decode("utf-8", errors="replace")
    assert [decode_replacing(data)[1] for data in samples] == [0, 0, 1, 2, 1, 3]


def test_overlong_text_is_truncated_with_a_note(fp32_bundle_path, capsys):
    code, out, err = _run(capsys, "classify", fp32_bundle_path, "fine", "superb " * 21, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["results"][1]["truncated"] is True and report["results"][1]["tokens"] == 21
    assert (
        "note: 1 text(s) had more word pieces than fit sequence_length 16 and were truncated (text 2)" in err
    )


def test_classify_a_run_directory_like_its_bundle(cli_run, exported, capsys):
    run, _ = cli_run
    code, out, err = _run(capsys, "classify", run, "the movie was superb", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["model"]["kind"] == "run directory (Keras)" and report["results"][0]["label"] in (
        "neg",
        "neu",
        "pos",
    )


def test_the_first_word_is_a_model_only_if_it_is_one(tmp_path, capsys, monkeypatch):
    # Empty texts are texts (Path("") is the current directory), and get the empty-text message.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.json").write_text("{}")  # even where the current directory looks like a run
    for argv in ([""], ["", "great movie"], ["   "]):
        code, out, err = _run(capsys, "classify", *argv)
        assert (code, out) == (2, "") and "nothing to classify" in err and "give non-empty texts" in err, argv
    # A word naming a folder that is not a model is a text, with a note; so is a path-like word.
    (tmp_path / "docs").mkdir()
    code, out, err = _run(capsys, "classify", "docs", "--json")
    assert code == 0, err
    assert [r["text"] for r in json.loads(out)["results"]] == ["docs"]
    assert "note: 'docs' names a folder that is neither a run directory (config.json) nor a bundle" in err
    code, out, err = _run(capsys, "classify", "runs/typo", "--json")
    assert code == 0 and json.loads(out)["results"][0]["text"] == "runs/typo" and "no run directory" in err
    # A bundle directory, a .zip or a .tflite is the model, present or not.
    bundle = shutil.copytree(demo_bundle_path(), tmp_path / "mine")
    code, out, err = _run(capsys, "classify", "mine", "a gorgeous film", "--json")
    assert code == 0 and json.loads(out)["model"]["path"] == "mine" and "note" not in err
    code, _, err = _run(capsys, "classify", "typo.zip", "a gorgeous film")
    assert code == 2 and "typo.zip: no such run directory or bundle" in err
    (tmp_path / "model.tflite").write_bytes((bundle / "model.tflite").read_bytes())
    code, _, err = _run(capsys, "classify", "model.tflite", "a gorgeous film")
    assert code == 2 and "a .tflite alone holds no vocabulary or labels" in err


def test_classify_input_errors(fp32_bundle_path, tmp_path, capsys, monkeypatch):
    _stdin(monkeypatch, b"")
    code, out, err = _run(capsys, "classify", fp32_bundle_path)
    assert (code, out) == (2, "") and err == "error: no texts: stdin was empty\n"
    code, _, err = _run(capsys, "classify", "--model", tmp_path / "absent", "text")
    assert code == 2 and "no such run directory or bundle" in err


def test_missing_interpreter_exits_1(fp32_bundle_path, capsys):
    import importlib.util

    if importlib.util.find_spec("tflite_runtime") is not None:
        pytest.skip("tflite_runtime is installed here, so the message for its absence cannot be checked")
    code, out, err = _run(capsys, "classify", fp32_bundle_path, "text", "--runtime", "tflite_runtime")
    assert (code, out) == (1, "") and err.startswith("error: no usable LiteRT interpreter")


def _with_stdout_closed(*args, stdin: bytes = b"") -> tuple[int, str]:
    """`python -m fnet_keras ARGS` whose stdout reader has gone (`| head` after it read enough)."""
    import os
    import subprocess

    from support import REPO_ROOT

    read_end, write_end = os.pipe()
    os.close(read_end)  # before the program writes a byte: every write to stdout fails with EPIPE
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "fnet_keras", *map(str, args)],
            input=stdin, stdout=write_end, stderr=subprocess.PIPE, cwd=REPO_ROOT, timeout=300,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
    finally:
        os.close(write_end)
    return completed.returncode, completed.stderr.decode()


def test_a_closed_stdout_ends_the_command_quietly(tmp_path):
    many = "".join(f"a gorgeous, witty film, part {index}\n" for index in range(300)).encode()
    code, err = _with_stdout_closed("classify", stdin=many)
    assert (code, err) == (141, "")  # 128 + SIGPIPE, as the shell reports `yes | head` for `yes`
    data = write_tsv(tmp_path / "t.tsv", [("a gorgeous film", "1"), ("a dreadful film", "0")])
    code, err = _with_stdout_closed("evaluate", demo_bundle_path(), "--data", data, "--json")
    assert code == 141 and "Broken pipe" not in err and "error" not in err and "Exception" not in err


# --- export -----------------------------------------------------------------------------


def test_export_defaults_and_the_deprecated_flag(capsys):
    args = parse_args(["export", "some/run"])
    assert args.quant == ("fp32", "fp16", "dynamic", "int8")
    assert (args.fourier_method, args.representative_samples, args.out, args.data) == (
        "auto",
        200,
        None,
        None,
    )
    args = parse_args(["export", "some/run", "--mixing", "dft"])
    assert args.fourier_method == "dft" and "--mixing is deprecated" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(["export", "some/run", "--int8-output"])
    assert "--int8-output was removed" in capsys.readouterr().err


def test_export_through_main_records_a_command_that_parses_back(trained_run, tmp_path, capsys):
    out_dir = tmp_path / "out"
    argv = [
        "export",
        str(trained_run.run_dir),
        "--quant",
        "fp32",
        "--zip",
        "--representative-samples",
        "50",
        "--parity-examples",
        "600",
        "--out",
        str(out_dir),
    ]
    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    assert "| fp32 | fp32-rfft |" in out and f"written to {out_dir}" in err
    assert "export: fp32: parity gate on" in err and "I0000" not in err
    report = json.loads((out_dir / "export_report.json").read_text())
    assert vars(parse_args(shlex.split(report["command"])[1:])) == vars(parse_args(argv))


def test_export_refuses_bad_options_before_tensorflow(trained_run, tmp_path, capsys):
    code, _, err = _run(
        capsys, "export", trained_run.run_dir, "--parity-examples", "10", "--out", tmp_path / "o"
    )
    assert code == 2 and err == "error: --parity-examples must be at least 500, got 10\n"
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    code, _, err = _run(capsys, "export", trained_run.run_dir, "--out", tmp_path / "busy")
    assert code == 2 and "busy: is not empty; choose another --out, or pass --overwrite" in err
    code, _, err = _run(capsys, "export", trained_run.run_dir, "--out", tmp_path / "busy", "--overwrite")
    assert code == 2 and "holds files an export did not write (notes.txt)" in err
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_export_interrupt_hint_is_not_the_training_one(trained_run, tmp_path, monkeypatch, capsys):
    import fnet_keras.export.exporter as exporter

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(exporter, "export_run", interrupted)
    code, _, err = _run(capsys, "export", trained_run.run_dir, "--out", tmp_path / "o")
    assert code == 130 and err.strip().endswith("interrupted") and "--resume" not in err


# --- presets and the rest ---------------------------------------------------------------


def test_presets_listing(capsys):
    code, out, _ = _run(capsys, "presets")
    assert code == 0 and "| `tiny` | 2 | 128 |" in out and "tiny: 2 blocks" in out
    code, out, _ = _run(capsys, "presets", "--json")
    data = json.loads(out)
    assert data["mini"]["hidden_dim"] == 256 and data["tiny"]["parameters"]["fourier"]["total"] > 1_000_000


def test_python_dash_m_fnet_keras_is_the_command():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.decode().startswith("fnet-keras ")


def test_usage_errors(capsys):
    assert main([]) == 2
    assert main(["train", "--epochs", "many"]) == 2
    assert "invalid int value" in capsys.readouterr().err
    assert main(["train", "--out", "x", "--preset", "tiny"]) == 2
    assert "--data is required" in capsys.readouterr().err
    assert main(["train", "--data", "x", "--backbone-override", "hidden_dim"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    for command in (["evaluate", "bundle"], ["classify", "bundle", "text"]):
        assert main([*command, "--threads", "0"]) == 2
        assert "--threads: expected a positive integer, got 0" in capsys.readouterr().err


# --- pretrain ---------------------------------------------------------------------------


def test_pretrain_steps_and_hours_exclude_each_other(capsys):
    code, _, err = _run(capsys, "pretrain", "--text", "a.txt", "--out", "pre", "--steps", "5", "--hours", "1")
    assert code == 2 and "not allowed with argument" in err


def test_pretrain_arguments_become_settings():
    from fnet_keras.cli import pretrain_settings_from_args

    args = parse_args(
        [
            "pretrain",
            "--text",
            "a.txt",
            "b",
            "--out",
            "pre",
            "--hours",
            "0.5",
            "--preset",
            "tiny",
            "--mixing",
            "hybrid",
            "--tokenizer-rules",
            "keras_hub",
            "--no-strip-accents",
            "--backbone-override",
            "hidden_dim=64",
            "--log-every",
            "7",
        ]
    )
    assert args.text == ["a.txt", "b"]
    assert pretrain_settings_from_args(args) == {
        "preset": "tiny",
        "mixing": "hybrid",
        "hours": 0.5,
        "log_every": 7,
        "tokenizer": {"strip_accents": False, "rules": "keras_hub"},
        "backbone_overrides": {"hidden_dim": 64},
    }


def test_a_pretraining_run_and_its_resume(tmp_path, capsys):
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent / "training"))
    from pretrain_text import cycle_documents, write_text

    text = write_text(tmp_path / "text.txt", cycle_documents(60, seed=4))
    out = tmp_path / "pre"
    arguments = [
        "pretrain",
        "--text",
        text,
        "--out",
        out,
        "--steps",
        "3",
        "--preset",
        "tiny",
        "--quiet",
        "--sequence-length",
        "16",
        "--vocabulary-size",
        "100",
        "--batch-size",
        "8",
        "--tokenizer-rules",
        "keras_hub",
        "--no-lowercase",
        "--backbone-override",
        "num_layers=1",
        "--backbone-override",
        "hidden_dim=32",
    ]
    code, out_text, err = _run(capsys, *arguments)
    assert code == 0, err
    assert f"pre-training directory: {out}" in out_text and "3 steps in" in out_text
    assert err == ""  # --quiet
    config = json.loads((out / "config.json").read_text())
    assert config["settings"]["tokenizer"] == {"rules": "keras_hub", "lowercase": False}
    assert config["tokenizer"]["lowercase"] is False and config["backbone"]["hidden_dim"] == 32
    # --resume on a finished run reports it without training; other settings are refused.
    code, out_text, _ = _run(capsys, "pretrain", "--out", out, "--resume", "--quiet")
    assert code == 0 and "3 steps in" in out_text
    code, _, err = _run(capsys, "pretrain", "--out", out, "--resume", "--steps", "4")
    assert code == 2 and "steps: 4 != 3" in err
    code, _, err = _run(capsys, "pretrain", "--out", tmp_path / "new", "--steps", "4")
    assert code == 2 and "--text is required" in err


# --- listops ----------------------------------------------------------------------------


def test_listops_writes_a_data_set_the_readers_take(tmp_path, capsys):
    from fnet_keras.data import load_dataset

    code, out, _ = _run(
        capsys,
        "listops",
        "--out",
        tmp_path / "out",
        "--preset",
        "shallow",
        "--train",
        "30",
        "--dev",
        "5",
        "--test",
        "5",
    )
    assert code == 0 and "train.tsv: 30 rows" in out and "test.tsv: 5 rows" in out
    dataset = load_dataset(tmp_path / "out")
    assert (len(dataset.train), len(dataset.dev), len(dataset.test)) == (30, 5, 5)
    code, _, err = _run(capsys, "listops", "--out", "x", "--train", "0")
    assert code == 2 and "--train" in err


def test_listops_defaults_to_a_small_data_set_and_shows_progress(tmp_path, capsys):
    # Long Range Arena's size (96,000 rows, 224 MB, minutes) is opt-in; the default takes seconds.
    code, out, err = _run(capsys, "listops", "--out", tmp_path / "out", "--preset", "flat")
    assert code == 0, err
    assert "train.tsv: 2000 rows" in out and "dev.tsv: 500 rows" in out and "test.tsv: 500 rows" in out
    progress = [line for line in err.splitlines() if line.startswith("listops: ")]
    assert progress[0] == f"listops: generating 3,000 flat expressions into {tmp_path / 'out'}"
    assert progress[1:] == [f"listops: {300 * tenth:,} of 3,000 expressions" for tenth in range(1, 11)]
    _, help_out, _ = _run(capsys, "listops", "--help")
    help_text = " ".join(help_out.split())
    assert "(default 2,000, a few seconds; Long Range Arena's task has 96,000)" in help_text
