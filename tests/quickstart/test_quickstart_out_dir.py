"""What a quickstart does with its --out before any training: new, continued, started clean, refused.

The quickstart is run for real up to the point where it loads TensorFlow, where a `load_tensorflow`
that stops it (as an interrupt would) ends it: everything it decided about the directory is done by then.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fnet_keras.quickstart import QuickstartError, quickstart
from fnet_keras.quickstart.out_dir import FORMAT, FORMAT_VERSION, MARKER_NAME, QuickstartDir


class Stopped(Exception):
    """Raised where the quickstart would load TensorFlow."""


def _stop():
    raise Stopped


def _plan_only(out: Path, **options) -> list[str]:
    """Runs the quickstart on `out` until TensorFlow would load; returns its progress lines."""
    lines: list[str] = []
    with pytest.raises(Stopped):
        quickstart(None, out, size="small", progress=lines.append, load_tensorflow=_stop, **options)
    return lines


def _marker(out: Path) -> dict:
    return json.loads((out / MARKER_NAME).read_text())


def test_a_new_directory_gets_the_marker_and_the_generated_data(tmp_path):
    out = tmp_path / "new" / "out"
    _plan_only(out)
    marker = _marker(out)
    assert (marker["format"], marker["format_version"]) == (FORMAT, FORMAT_VERSION)
    assert marker["plan"]["data"] == {"kind": "listops", "size": marker["plan"]["data"]["size"]}
    assert marker["plan"]["data"]["size"]["name"] == "small"
    train_lines = (out / "data" / "train.tsv").read_text().splitlines()
    assert train_lines[0] == "text\tlabel"
    assert len(train_lines) == 1 + marker["plan"]["data"]["size"]["train_rows"]
    assert {path.name for path in out.iterdir()} == {MARKER_NAME, "data"}


def test_the_same_plan_continues_and_keeps_what_is_there(tmp_path):
    out = tmp_path / "out"
    _plan_only(out)
    (out / "fnet").mkdir()
    (out / "fnet" / "config.json").write_text("{}")
    lines = _plan_only(out)
    assert any("continuing the previous quickstart" in line for line in lines)
    assert (out / "fnet" / "config.json").read_text() == "{}"


def test_fresh_or_another_plan_starts_clean_and_leaves_other_files_alone(tmp_path):
    out = tmp_path / "out"
    _plan_only(out)
    plan = _marker(out)["plan"]
    for fresh, recorded_plan, why in ((True, plan, "--fresh"), (False, {"other": "data"}, "other data")):
        record = {"format": FORMAT, "format_version": FORMAT_VERSION, "plan": recorded_plan}
        (out / MARKER_NAME).write_text(json.dumps(record))
        for name in ("fnet", "transformer"):
            (out / name).mkdir(exist_ok=True)
            (out / name / "model.keras").write_bytes(b"old")
        (out / "report.md").write_text("old report")
        (out / "mine.txt").write_text("the user's")
        lines = _plan_only(out, fresh=fresh)
        assert any("starting clean" in line and why in line for line in lines), lines
        assert not (out / "fnet").exists() and not (out / "transformer").exists()
        assert not (out / "report.md").exists()
        assert (out / "mine.txt").read_text() == "the user's"
        assert _marker(out)["plan"] == plan


def test_an_older_format_version_starts_clean(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER_NAME).write_text(json.dumps({"format": FORMAT, "format_version": 0, "plan": {}}))
    (out / "fnet").mkdir()
    assert QuickstartDir(out).recorded_plan() == {}
    lines = _plan_only(out)
    assert any("starting clean" in line for line in lines) and not (out / "fnet").exists()


@pytest.mark.parametrize(
    "setup, reason",
    [
        (lambda out: out.write_text("a file"), "exists and is not a directory"),
        (lambda out: (out.mkdir(), (out / "thesis.tex").write_text("mine")), "is not a quickstart's output"),
        (lambda out: (out.mkdir(), (out / MARKER_NAME).write_text("{not json")), "cannot read it"),
        (lambda out: (out.mkdir(), (out / MARKER_NAME).write_text('{"format": "x"}')),
         "is not a quickstart record"),
    ],
    ids=["a-file", "someone-elses-directory", "corrupt-marker", "foreign-marker"],
)
def test_an_unusable_out_is_refused_and_left_untouched(tmp_path, setup, reason):
    out = tmp_path / "out"
    setup(out)
    before = {path: path.read_bytes() for path in [out, *out.rglob("*")] if path.is_file()}
    with pytest.raises(QuickstartError, match=reason) as raised:
        quickstart(None, out, size="small", load_tensorflow=_stop)
    assert raised.value.path in (str(out), str(out / MARKER_NAME))
    after = {path: path.read_bytes() for path in [out, *out.rglob("*")] if path.is_file()}
    assert after == before
