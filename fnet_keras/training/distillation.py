"""Knowledge distillation: the loss, its targets, and the teacher's logits computed once.

`fit(data, out, settings, teacher=RUN_DIR)` trains the student on targets that carry, per row,
its label, whether it has one, and the teacher's logits (`pack_targets`). The loss of a row is

    w * CE(label, softmax(s))  +  (1 - w) * T^2 * KL(softmax(t / T) || softmax(s / T))

with `s` the student's logits, `t` the teacher's, `T` the temperature, and `w = distill_alpha`
on a labelled row and `w = 0` on an unlabelled one (extra text, `fit(distill_text=...)`: the
teacher's soft labels are its only labels, so alpha applies to labelled rows only). Batches
average the rows.

- KL rather than cross-entropy with the teacher's probabilities: both give the same gradients
  (they differ by the teacher's entropy, a constant), but KL is 0 when the student matches its
  teacher, so the logged loss says how far it is.
- T^2: the gradient of the softened term with respect to the student's logits shrinks like
  1/T^2 (Hinton, Vinyals and Dean 2015, "Distilling the Knowledge in a Neural Network"), so
  the factor keeps the two terms' balance the same whatever the temperature, and `distill_alpha`
  means the same thing at every T.
- `distill_alpha = 1` is plain cross-entropy on the labels (the teacher still teaches unlabelled
  rows); `0` learns from the teacher alone.

Defaults (`DEFAULT_DISTILL_ALPHA` 0.5, `DEFAULT_TEMPERATURE` 2 in `settings`): half labels, half
teacher, the common starting point, and a mild temperature: with two or a few classes a
confident teacher's probabilities are near 0 and 1, and T = 2 exposes how sure it is without
flattening the targets towards uniform (docs/results/distillation.md has the dev-set comparison
behind them).

Dev and test are scored on their labels only: `val_loss` stays the plain cross-entropy, as in
an undistilled run, while `loss` in the history is the mixed training loss above and
`accuracy` the training accuracy on labelled rows.

The teacher's logits are computed once per run and kept in the run directory (`teacher_logits`):
a resumed run needs neither the teacher's model nor its time again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from fnet_keras.atomic import atomic_output
from fnet_keras.training.input_pipeline import encode_texts, predict_logits
from fnet_keras.training.teacher import Teacher

# Texts scored per chunk of the teacher's cache: a killed scoring loses at most one (a minute or two).
CACHE_CHUNK = 8192
CACHE_VERSION = 1
# The columns of packed targets before the teacher's logits: label, labelled (1.0 or 0.0).
TARGET_PREFIX = 2


def pack_targets(labels: np.ndarray, labelled: np.ndarray, teacher_logits: np.ndarray) -> np.ndarray:
    """Targets `(n, 2 + classes)` float32: the class id (any value on an unlabelled row), labelled
    (1 or 0), then the teacher's logits `(n, classes)`."""
    labels = np.asarray(labels, np.float32).reshape(-1, 1)
    labelled = np.asarray(labelled, np.float32).reshape(-1, 1)
    return np.concatenate([labels, labelled, np.asarray(teacher_logits, np.float32)], axis=1)


def is_packed(y_true, y_pred) -> bool:
    """Whether `y_true` holds packed targets (`pack_targets`) for logits `y_pred`, rather than labels.
    Decided on static shapes, so traced training and evaluation steps each take one branch."""
    return len(y_true.shape) == 2 and y_true.shape[-1] == y_pred.shape[-1] + TARGET_PREFIX


def target_labels(y_true, y_pred):
    """`(labels int32, weights float32)` of plain labels (weight 1) or of packed targets (labelled)."""
    if is_packed(y_true, y_pred):
        return ops.cast(y_true[:, 0], "int32"), ops.cast(y_true[:, 1], "float32")
    labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
    return labels, ops.ones_like(labels, dtype="float32")


class DistillationLoss(keras.losses.Loss):
    """Labels and teacher mixed (module docstring) on packed targets `(batch, 2 + classes)`
    (`pack_targets`); plain sparse cross-entropy on labels `(batch,)`.

    Args:
        alpha: the labels' share on labelled rows, in [0, 1].
        temperature: softmax temperature of the distillation term, > 0.
    """

    def __init__(self, alpha: float, temperature: float, reduction="sum_over_batch_size",
                 name="distillation", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.alpha, self.temperature = float(alpha), float(temperature)

    def call(self, y_true, y_pred):
        if not is_packed(y_true, y_pred):
            return keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
        labels, labelled = target_labels(y_true, y_pred)
        teacher = y_true[:, TARGET_PREFIX:]
        hard = keras.losses.sparse_categorical_crossentropy(labels, y_pred, from_logits=True)
        teacher_log_p = ops.log_softmax(teacher / self.temperature, axis=-1)
        student_log_p = ops.log_softmax(y_pred / self.temperature, axis=-1)
        kl = ops.sum(ops.exp(teacher_log_p) * (teacher_log_p - student_log_p), axis=-1)
        weight = self.alpha * labelled
        return weight * hard + (1.0 - weight) * (self.temperature**2) * kl

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "temperature": self.temperature}


class DistillationAccuracy(keras.metrics.SparseCategoricalAccuracy):
    """Accuracy on the labelled rows of packed targets, or on plain labels (dev, test)."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        if is_packed(y_true, y_pred):
            y_true, sample_weight = y_true[:, 0], y_true[:, 1]
        return super().update_state(y_true, y_pred, sample_weight=sample_weight)


# --- the teacher's logits, computed once -------------------------------------------------------


def cache_key(teacher: Mapping[str, Any], texts: Mapping[str, Sequence[str]]) -> str:
    """The key of a run's teacher logits: the teacher's config and model hashes (from its provenance
    record, so a resumed run needs no teacher to check it) and the SHA-256 of each part's texts."""
    digests = {}
    for name, part in sorted(texts.items()):
        digest = hashlib.sha256()
        for text in part:  # each UTF-8, NUL-terminated
            digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
        digests[name] = digest.hexdigest()
    record = {"version": CACHE_VERSION, "teacher_config_sha256": teacher["config_sha256"],
              "teacher_model_sha256": teacher["model_sha256"], "texts": digests}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def compute_teacher_logits(teacher: Teacher, texts: Mapping[str, Sequence[str]],
                           say: Callable[[str], None] = lambda message: None) -> dict[str, np.ndarray]:
    """The teacher's logits `(len(part), classes)` float32 of each part's texts, tokenized with the
    teacher's own tokenizer. Scored texts are kept in the teacher's run directory (`OutputCache`), so
    a killed scoring resumes where it stopped, and every student of this teacher (other sizes, other
    subsets of the same transfer set) scores only texts no student scored before."""
    from fnet_keras.text.tf_tokenizer import make_tf_tokenizer

    def score():
        model = teacher.run.load_model()
        tokenizer = make_tf_tokenizer(teacher.run.vocabulary, teacher.run.tokenizer_config)
        return lambda chunk: predict_logits(model, encode_texts(tokenizer, chunk))

    cache = OutputCache(teacher.path / "teacher_cache", teacher.model_sha256)
    unique = list(dict.fromkeys(text for part in texts.values() for text in part))
    known = dict(zip(unique, cached_outputs(cache, unique, score, "the teacher scores", say), strict=True))
    classes = len(teacher.labels)
    return {name: np.asarray([known[text] for text in part], np.float32).reshape(-1, classes)
            for name, part in texts.items()}


def cached_outputs(cache: OutputCache, texts: Sequence[str], load: Callable[[], Callable],
                   what: str, say: Callable[[str], None] = lambda message: None) -> np.ndarray:
    """A model's outputs `(len(texts), ...)` for `texts`: those in `cache` read, the rest computed a
    chunk at a time with the function `load()` returns (called only when some are missing) and
    added to the cache chunk by chunk, so a killed computation resumes where it stopped.

    The texts go to the model shortest first: a model that trims padding (`EncoderClassifier`)
    then runs batches of like lengths; each row's output is its own whatever its batch.
    """
    known = cache.read()
    missing = list(dict.fromkeys(text for text in texts if text not in known))
    if missing:
        compute = load()
        say(f"{what} {len(missing):,} texts ({len(known):,} already in {cache.path})")
        for start in range(0, len(missing), CACHE_CHUNK):
            chunk = missing[start : start + CACHE_CHUNK]
            order = sorted(range(len(chunk)), key=lambda index: len(chunk[index]))
            computed = compute([chunk[index] for index in order])
            outputs = np.empty_like(computed)
            outputs[order] = computed
            cache.write(chunk, outputs)
            known.update(zip(chunk, outputs, strict=True))
            say(f"  {min(start + CACHE_CHUNK, len(missing)):,} of {len(missing):,} texts done")
    return np.stack([known[text] for text in texts]) if len(texts) else np.zeros((0,), np.float32)


class OutputCache:
    """Texts a model saw and its outputs (`field`: "logits", "embeddings"), in a folder (a teacher's
    `teacher_cache`, a backbone's `encoder_cache`) of `NNNNN.npz` chunks, each written whole (atomically)
    and tagged with the model's SHA-256 (a retrained model's old chunks are ignored)."""

    def __init__(self, path: Path, model_sha256: str, field: str = "logits"):
        self.path, self.model_sha256, self.field = Path(path), model_sha256, field

    def read(self) -> dict[str, np.ndarray]:
        known: dict[str, np.ndarray] = {}
        for file in sorted(self.path.glob("*.npz")) if self.path.is_dir() else ():
            try:
                with np.load(file) as archive:
                    if str(archive["model_sha256"]) != self.model_sha256:
                        continue
                    known.update(zip(archive["texts"].tolist(), archive[self.field], strict=True))
            except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile):
                continue  # a chunk that cannot be read is computed again
        return known

    def write(self, texts: Sequence[str], outputs: np.ndarray) -> None:
        try:
            self.path.mkdir(exist_ok=True)
            number = len(list(self.path.glob("*.npz")))
            with atomic_output(self.path / f"{number:05d}.npz") as temp, open(temp, "wb") as file:
                np.savez(file, model_sha256=np.asarray(self.model_sha256), texts=np.asarray(texts, dtype=str),
                         **{self.field: outputs})
        except OSError:
            pass  # a read-only folder: the outputs are still returned, only not kept


@dataclasses.dataclass
class TeacherLogits:
    """The teacher's logits of a run's texts: part name ("train", "dev", "text") -> `(rows, classes)`
    float32, their `cache_key`, and whether they were `computed` now rather than read from the cache
    (then the caller writes them with `save` once the run directory exists)."""

    logits: dict[str, np.ndarray]
    key: str
    computed: bool

    def save(self, path: Path) -> None:
        arrays = {f"logits_{name}": part for name, part in self.logits.items()}
        with atomic_output(path) as temp, open(temp, "wb") as file:
            np.savez(file, key=np.asarray(self.key), **arrays)


def teacher_logits(path: Path, teacher_record: Mapping[str, Any], texts: Mapping[str, Sequence[str]],
                   load: Callable[[], Teacher], say: Callable[[str], None] = lambda message: None,
                   ) -> TeacherLogits:
    """The teacher's logits of `texts` (part name -> texts): from the cache file `path` (a run's
    teacher_logits.npz) when it holds them under their key (from `teacher_record`, the teacher's
    `Teacher.provenance()`), else computed with the teacher `load()` returns (called only then)."""
    key = cache_key(teacher_record, texts)
    try:
        with np.load(path) as archive:
            same = str(archive["key"]) == key
            cached = {name: archive[f"logits_{name}"] for name in texts} if same else None
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile):
        cached = None  # missing, unreadable or of another shape: computed again and rewritten
    if cached is not None and all(len(cached[name]) == len(part) for name, part in texts.items()):
        say(f"using the teacher's logits cached in {path}")
        return TeacherLogits(cached, key, computed=False)
    teacher = load()
    settings = teacher.run.settings
    what = f"encoder {settings.encoder}" if settings.encoder else f"{settings.preset} {settings.mixing}"
    say(f"computing the teacher's logits ({what} in "
        f"{teacher.path}) for {sum(len(part) for part in texts.values()):,} texts, once")
    return TeacherLogits(compute_teacher_logits(teacher, texts, say), key, computed=True)
