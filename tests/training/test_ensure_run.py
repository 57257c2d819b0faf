"""`plan_run` and `ensure_run`: a finished run is reused as it is, other settings or files are refused
before any work, and a directory a run was killed in before config.json is trained anew."""

import dataclasses
import shutil

import pytest

from fnet_keras.training import RunDirError
from fnet_keras.training.ensure import ensure_run, plan_run


def test_a_finished_run_is_reused_untouched(trained_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(trained_run.run_dir, run_dir)
    before = {path.name: path.stat().st_mtime_ns for path in run_dir.iterdir()}
    assert plan_run(trained_run.settings, run_dir) == "reuse"
    announced = []
    run = ensure_run(trained_run.settings, None, run_dir, announce=announced.append)
    assert announced == ["reuse"] and run.settings == trained_run.settings and run.is_finished
    assert {path.name: path.stat().st_mtime_ns for path in run_dir.iterdir()} == before


def test_other_settings_or_files_are_refused_and_a_check_can_replace_equality(trained_run, tmp_path):
    other = dataclasses.replace(trained_run.settings, seed=trained_run.settings.seed + 1)
    with pytest.raises(RunDirError, match="holds a run with other settings.*seed"):
        plan_run(other, trained_run.run_dir)
    seen = []
    assert plan_run(other, trained_run.run_dir, check=seen.append) == "reuse"
    assert seen == [trained_run.settings]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(RunDirError, match="is not empty"):
        plan_run(other, foreign)
    assert plan_run(other, foreign, discard_unstarted=True) == "train"
    assert plan_run(other, tmp_path / "new") == "train"


def test_a_started_run_is_resumed(trained_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(trained_run.run_dir, run_dir)
    (run_dir / "metrics.json").unlink()  # not finished
    assert plan_run(trained_run.settings, run_dir) == "resume"
