"""`Teacher`: a finished training run used as the teacher of a distilled one. No TensorFlow.

    teacher = load_teacher("runs/sst2-mini")      # checks the run before TensorFlow loads
    teacher.check_labels(label_map)                # same labels, same order, or a TeacherError
    config["distillation"] = {"teacher": teacher.provenance(), ...}

Any finished run is a teacher (any preset, mixing, vocabulary or sequence length: its texts are
tokenized with its own tokenizer); its labels must be the student's, in the same order, because
the teacher's logit `i` becomes the soft target of the student's class `i`. How the logits are
used: `fnet_keras.training.distillation`.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from fnet_keras.errors import LocatedError
from fnet_keras.training.pretrain_dir import file_sha256
from fnet_keras.training.run_dir import Run, RunDir, read_json


class TeacherError(LocatedError):
    """A teacher run that cannot teach this student (unfinished, other labels, changed since recorded)."""


@dataclasses.dataclass(frozen=True)
class Teacher:
    """A finished run (`RunDir.load()`) as distillation needs it, with the SHA-256 of its model.keras
    (the weights the soft labels come from) and its metrics.json."""

    run: Run
    model_sha256: str
    metrics: dict[str, Any]

    path = property(lambda self: self.run.path)
    labels = property(lambda self: self.run.labels)

    def provenance(self) -> dict[str, Any]:
        """What a distilled run (and its bundles) records about its teacher: where it is, the hashes
        that identify it, what it is, how good it was, and where its own weights came from."""
        settings = self.run.settings
        test = self.metrics.get("test")
        return {
            "run": str(self.path.resolve()),
            "config_sha256": self.run.config_sha256,
            "model_sha256": self.model_sha256,
            "encoder": settings.encoder,
            "preset": settings.preset,
            "mixing": settings.mixing,
            "num_attention_layers": settings.num_attention_layers,
            "sequence_length": settings.sequence_length,
            "parameters": self.metrics.get("parameters"),
            "dev_accuracy": self.metrics["dev"]["accuracy"],
            "test_accuracy": None if test is None else test["accuracy"],
            "init": self.run.init,  # the teacher's own pre-training, if any
            "teacher": (self.run.distillation or {}).get("teacher"),  # a teacher's own teacher, if any
        }

    def check_labels(self, labels: tuple[str, ...], student: str | os.PathLike | None = None) -> None:
        """Refuses (a `TeacherError` naming both lists) a student whose labels, in class-id order, are
        not the teacher's."""
        if tuple(labels) != self.labels:
            same_set = set(labels) == set(self.labels)
            raise TeacherError(
                f"the teacher's labels {list(self.labels)} are not the student's {list(labels)}"
                + (" (same labels, other order)" if same_set else "")
                + (f" (from {os.fspath(student)})" if student is not None else "")
                + ": a teacher must be trained on the same labels, so that its logit i scores the "
                "student's class i",
                self.path / "labels.txt",
            )

    def check_recorded(self, recorded: dict[str, Any]) -> None:
        """Refuses (a `TeacherError`) a teacher that is not the one a run recorded (`provenance()` of
        then): another run, or the same run retrained since (hashes differ)."""
        mine = self.provenance()
        differences = [f"{key} {mine[key]} (recorded {recorded.get(key)})"
                       for key in ("config_sha256", "model_sha256") if mine[key] != recorded.get(key)]
        if differences:
            raise TeacherError(
                f"not the teacher the run was started with ({recorded.get('run')}): "
                + "; ".join(differences),
                self.path,
            )


def load_teacher(path: str | os.PathLike) -> Teacher:
    """Reads a finished run as a teacher (config, vocabulary, labels, metrics; the model's hash): a
    `RunDirError` if it is no readable run directory, a `TeacherError` if it has not finished."""
    run_dir = RunDir(path)
    run = run_dir.load()
    if not run_dir.is_finished():
        raise TeacherError(
            f"the teacher run has not finished (no metrics.json); finish it first with "
            f"`fnet-keras train --out {run_dir.path} --resume`",
            run_dir.path,
        )
    if not run.model_path.is_file():
        raise TeacherError("the teacher run has no model.keras", run_dir.path)
    return Teacher(run=run, model_sha256=file_sha256(run.model_path), metrics=read_json(run_dir.metrics))
