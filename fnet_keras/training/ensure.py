"""`ensure_run`: the finished run in a directory, training or resuming it only when needed.

    run = ensure_run(TrainSettings(preset="tiny"), "../shared/data/sst2", "runs/sst2-tiny")

`plan_run` decides without TensorFlow, so a caller can refuse bad directories and say what will
happen before anything loads: "reuse" (a finished run, never trained again), "resume" (a started
one, continued from its last finished epoch) or "train" (nothing there yet). A directory holding a
run with other settings, or files that are not a run, is refused.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fnet_keras.training.run_dir import Run, RunDir, RunDirError
from fnet_keras.training.settings import TrainSettings

SettingsCheck = Callable[[TrainSettings], None]


def plan_run(settings: TrainSettings | None, out: str | os.PathLike, *, check: SettingsCheck | None = None,
             discard_unstarted: bool = False) -> str:
    """What `ensure_run` will do in `out`: "reuse", "resume" or "train". No TensorFlow.

    Args:
        settings: a started run must have been started with them (None accepts any), unless `check`
            is given: it is called with the recorded settings and raises when they are not the asked
            run's (e.g. a check that ignores defaults).
        discard_unstarted: a directory without config.json (a run killed before it wrote it) is
            to be removed and trained anew, instead of refused when not empty.

    Raises:
        RunDirError: another run, files that are not a run, an unfinished run of an older format.
    """
    run = RunDir(out)
    if not run.has_started():
        if not discard_unstarted:
            run.check_new()
        return "train"
    loaded = run.load()
    if check is not None:
        check(loaded.settings)
    elif settings is not None and settings != loaded.settings:
        raise RunDirError(
            "holds a run with other settings (asked != recorded): "
            + "; ".join(settings.differences(loaded.settings)),
            run.path,
        )
    if run.is_finished():
        return "reuse"
    if loaded.format_version != 2:
        raise RunDirError("an unfinished run of an older fnet-keras cannot be resumed; delete it or choose "
                          "another directory", run.path)
    return "resume"


def ensure_run(settings: TrainSettings | None, data: Any, out: str | os.PathLike, *,
               check: SettingsCheck | None = None, discard_unstarted: bool = False,
               announce: Callable[[str], None] | None = None, verbose: str | int = 0,
               **fit_options: Any) -> Run:
    """`RunDir(out).load()` of the finished run in `out`: reused when finished, resumed when started,
    else trained (idempotent). `settings`, `check` and `discard_unstarted` as `plan_run`; `announce`
    is called with its plan before anything is done; `data` (which a resumed run checks against the
    data it was started on), `verbose` and `fit_options` go to `fit`.
    """
    action = plan_run(settings, out, check=check, discard_unstarted=discard_unstarted)
    if announce is not None:
        announce(action)
    if action != "reuse":
        from fnet_keras.training.trainer import fit

        if action == "train" and Path(out).exists() and discard_unstarted:
            shutil.rmtree(out)  # a run killed before it wrote config.json: nothing to keep
        if action == "resume":
            fit(data, out, None, resume=True, verbose=verbose, **fit_options)
        else:
            fit(data, out, settings, verbose=verbose, **fit_options)
    return RunDir(out).load()
