"""`classify` and `evaluate` on bundles: output, notes, JSON schema and exit codes."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest
from edge_support import LABELS, SEQUENCE_LENGTH, run_edge_cli

from fnet_keras.edge import load_bundle
from fnet_keras.edge.cli import decode_replacing, main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_classify_prints_labels_probabilities_and_both_timings(fp32_bundle, capsys):
    code, out, err = _run(
        capsys, "classify", str(fp32_bundle.directory), "a good film", "bad", "--top-k", "2"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3
    expected = load_bundle(fp32_bundle.directory).classify(["a good film", "bad"], top_k=2)
    for line, ranking in zip(lines[:2], expected, strict=True):
        assert line.startswith(f"{ranking[0][0]} {ranking[0][1]:.4f}  {ranking[1][0]} {ranking[1][1]:.4f}\t")
    assert "tokenization" in lines[2] and "inference" in lines[2] and "ai_edge_litert" in lines[2]


def test_classify_json_schema(fp32_bundle, capsys):
    code, out, err = _run(
        capsys, "classify", str(fp32_bundle.zip_path), "a good film", "", "--json", "--top-k", "3"
    )
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == {"bundle", "results", "count", "truncated", "replaced_bytes", "timing"}
    assert report["bundle"]["labels"] == list(LABELS) and report["bundle"]["quantization"] == "fp32"
    assert report["count"] == 2 and report["truncated"] == 0 and report["replaced_bytes"] == 0
    assert set(report["timing"]) == {"tokenize_seconds", "inference_seconds", "threads"}
    assert report["timing"]["tokenize_seconds"] > 0 and report["timing"]["inference_seconds"] > 0
    for index, result in enumerate(report["results"]):
        assert set(result) == {"index", "text", "label", "probability", "ranking", "tokens", "truncated"}
        assert result["index"] == index and len(result["ranking"]) == 3
        assert result["ranking"][0] == {"label": result["label"], "probability": result["probability"]}
        assert sum(entry["probability"] for entry in result["ranking"]) == pytest.approx(1.0)
    assert report["results"][1]["text"] == "" and report["results"][1]["tokens"] == 0


def test_classify_reads_stdin_lines_and_counts_undecodable_bytes(fp32_bundle, capsys, monkeypatch):
    _stdin(monkeypatch, b"good film\r\n\xff\xfe bad \xe2\x82\n\nlast line without newline")
    code, out, err = _run(capsys, "classify", str(fp32_bundle.directory), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [result["text"] for result in report["results"]] == [
        "good film",
        "\ufffd\ufffd bad \ufffd",
        "",
        "last line without newline",
    ]
    assert report["replaced_bytes"] == 4
    assert "note: 4 undecodable byte(s) in the input were replaced with U+FFFD" in err


def test_undecodable_bytes_in_arguments_are_counted_too(fp32_bundle):
    completed = run_edge_cli("classify", str(fp32_bundle.directory), "--json", b"caf\xe9 good")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["replaced_bytes"] == 1 and report["results"][0]["text"] == "caf\ufffd good"


def test_decode_replacing_matches_errors_replace():
    samples = [b"", b"plain", b"\xff", b"a\xe2\x82b", b"\xf0\x9f\x98\x80ok\xc3", b"\xed\xa0\x80 surrogate"]
    for data in samples:
        text, replaced = decode_replacing(data)
        assert text == data.decode("utf-8", errors="replace")
    assert [decode_replacing(data)[1] for data in samples] == [0, 0, 1, 2, 1, 3]


def test_overlong_text_is_truncated_with_a_note(fp32_bundle, capsys):
    long_text = "good " * (SEQUENCE_LENGTH + 5)
    code, out, err = _run(capsys, "classify", str(fp32_bundle.directory), "fine", long_text, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["truncated"] == 1 and report["results"][1]["truncated"] is True
    assert report["results"][1]["tokens"] == SEQUENCE_LENGTH + 5
    assert f"note: 1 text(s) had more than {SEQUENCE_LENGTH - 2} tokens and were truncated" in err


def test_classify_input_errors_exit_2(fp32_bundle, tmp_path, capsys, monkeypatch):
    _stdin(monkeypatch, b"")
    code, out, err = _run(capsys, "classify", str(fp32_bundle.directory))
    assert (code, out) == (2, "") and err == "error: no texts: stdin was empty\n"
    code, _, err = _run(capsys, "classify", str(tmp_path / "absent"), "text")
    assert code == 2 and err.startswith("error: ") and "no such bundle directory or .zip file" in err


def test_missing_interpreter_exits_1(fp32_bundle, capsys):
    if "tflite_runtime" in sys.modules or _importable("tflite_runtime"):
        pytest.skip("tflite_runtime is installed here, so the message for its absence cannot be checked")
    code, out, err = _run(
        capsys, "classify", str(fp32_bundle.directory), "text", "--runtime", "tflite_runtime"
    )
    assert (code, out) == (1, "") and err.startswith("error: no usable LiteRT interpreter")


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _write_tsv(path, rows) -> None:
    path.write_text(
        "sentence\tlabel\n" + "".join(f"{text}\t{label}\n" for text, label in rows), encoding="utf-8"
    )


ROWS = [
    ("a good film", "positive"),
    ("an awful plot", "negative"),
    ("the acting was fine", "neutral"),
    ("not very good", "negative"),
    ("great great great", "positive"),
    ("", "neutral"),
]


def test_evaluate_json_matches_a_direct_computation(fp32_bundle, tmp_path, capsys):
    data = tmp_path / "test.tsv"
    _write_tsv(data, ROWS)
    code, out, err = _run(capsys, "evaluate", str(fp32_bundle.directory), "--data", str(data), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert {"accuracy", "macro_f1", "count", "per_class", "confusion_matrix"} <= set(report)
    predictions = [
        ranking[0][0] for ranking in load_bundle(fp32_bundle.directory).classify([t for t, _ in ROWS])
    ]
    assert report["count"] == len(ROWS)
    assert report["accuracy"] == np.mean(
        [p == label for p, (_, label) in zip(predictions, ROWS, strict=True)]
    )
    assert np.sum(report["confusion_matrix"]) == len(ROWS)
    assert sorted(report["per_class"]) == sorted(LABELS)
    assert report["data"] == str(data) and report["split"] is None  # As the run-dir evaluate reports a file.
    assert report["bundle"]["quantization"] == "fp32" and report["timing"]["inference_seconds"] > 0


def test_evaluate_text_report_and_dataset_directory(fp32_bundle, tmp_path, capsys):
    _write_tsv(tmp_path / "train.tsv", ROWS)
    _write_tsv(tmp_path / "dev.tsv", ROWS[:3])
    code, out, err = _run(
        capsys, "evaluate", str(fp32_bundle.zip_path), "--data", str(tmp_path), "--split", "dev"
    )
    assert code == 0, err
    assert f"data: {tmp_path / 'dev.tsv'} (dev split)" in out
    assert "examples  3" in out and "accuracy" in out and "macro-F1" in out and "per example" in out
    code, _, err = _run(capsys, "evaluate", str(fp32_bundle.zip_path), "--data", str(tmp_path))
    assert code == 2 and "no test split here (found: dev, train)" in err


def test_evaluate_unknown_label_names_the_line(fp32_bundle, tmp_path, capsys):
    data = tmp_path / "test.tsv"
    _write_tsv(data, [*ROWS[:2], ("odd one", "mixed")])
    code, out, err = _run(capsys, "evaluate", str(fp32_bundle.directory), "--data", str(data))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {data}, line 4: label 'mixed'")
