"""A transfer set for distillation: perturbed copies of the training text, for the teacher to label.

    fnet-keras augment --data DATA --teacher runs/teacher --copies 2 --out runs/aug.txt.gz
    fnet-keras train --data DATA --teacher runs/teacher --distill-text runs/aug.txt.gz ...

A small student learns from its teacher's soft labels on many texts more than from a few
thousand labels (Tang et al. 2019, "Distilling Task-Specific Knowledge from BERT into Simple
Neural Networks", arXiv 1903.12136, section 3.1). Their rules, applied word by word to a
training text, make each copy:

- masking: with probability `mask`, the word becomes `[MASK]`;
- replacement: else with probability `replace`, the word becomes one of its nearest neighbours
  in the teacher's token-embedding table (cosine; whole-word tokens only). Tang et al. replace
  by a word of the same part of speech; the teacher's embeddings need no tagger and know its words;
- n-gram sampling: with probability `ngram`, the copy is cut to a random span of 1 to 5 words.

Copies equal to their original are drawn again (up to a few tries) since they teach nothing new.
The same texts, seed and neighbours give the same copies, so the teacher's outputs over them are
cached once (`fnet_keras.training.distillation`).
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Mapping, Sequence

import numpy as np

MASK_WORD = "[MASK]"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
NEIGHBOURS = 8
MAX_TRIES = 4


@dataclasses.dataclass(frozen=True)
class AugmentRules:
    """Probabilities of Tang et al.'s rules (module docstring; their values: 0.1, 0.1, 0.25)."""

    mask: float = 0.1
    replace: float = 0.1
    ngram: float = 0.25

    def __post_init__(self):
        for name in ("mask", "replace", "ngram"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"augment probability {name} must be in [0, 1]; got {value!r}")


def augment_text(words: Sequence[str], rules: AugmentRules, neighbours: Mapping[str, Sequence[str]],
                 rng: random.Random) -> list[str]:
    """One perturbed copy of `words` (module docstring)."""
    out = []
    for word in words:
        draw = rng.random()
        if draw < rules.mask:
            out.append(MASK_WORD)
        elif draw < rules.mask + rules.replace and neighbours.get(word.lower()):
            out.append(rng.choice(neighbours[word.lower()]))
        else:
            out.append(word)
    if len(out) > 1 and rng.random() < rules.ngram:
        size = rng.randint(1, min(5, len(out)))
        start = rng.randrange(len(out) - size + 1)
        out = out[start : start + size]
    return out


def augment_texts(texts: Sequence[str], copies: int, seed: int, rules: AugmentRules = AugmentRules(),
                  neighbours: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """`copies` perturbed copies of each text (words split on whitespace), in text order."""
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
        raise ValueError(f"copies must be an integer >= 1; got {copies!r}")
    rng = random.Random(seed)
    neighbours = neighbours or {}
    augmented = []
    for text in texts:
        words = text.split()
        for _ in range(copies):
            copy = words
            for _ in range(MAX_TRIES):
                copy = augment_text(words, rules, neighbours, rng)
                if copy != words:
                    break
            augmented.append(" ".join(copy))
    return augmented


def sample_sentences(documents: Sequence[str], count: int, seed: int = 0, min_words: int = 6,
                     max_words: int = 50) -> list[str]:
    """`count` sentences drawn without replacement from unlabelled documents (split after . ! ?), each of
    `min_words` to `max_words` words: in-domain text for the teacher to label when the task's texts are
    sentences but its training rows are mostly phrases (SST-2)."""
    sentences = [
        sentence.strip()
        for document in documents
        for sentence in _SENTENCE_END.split(document)
        if min_words <= len(sentence.split()) <= max_words
    ]
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"sentences must be an integer >= 1; got {count!r}")
    picked = random.Random(seed).sample(range(len(sentences)), min(count, len(sentences)))
    return [sentences[index] for index in sorted(picked)]


def embedding_neighbours(vocabulary: Sequence[str], table: np.ndarray, words: set[str] | None = None,
                         k: int = NEIGHBOURS) -> dict[str, list[str]]:
    """The `k` nearest whole-word tokens (cosine) of each whole-word token of `vocabulary` (restricted
    to `words` when given): alphabetic tokens only, neither special (`[...]`) nor continuations (`##`)."""
    candidates = [i for i, token in enumerate(vocabulary) if token.isalpha()]
    queries = [i for i in candidates if words is None or vocabulary[i] in words]
    vectors = np.asarray(table, np.float32)[candidates]
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    row = {index: position for position, index in enumerate(candidates)}
    neighbours = {}
    for start in range(0, len(queries), 1024):
        block = queries[start : start + 1024]
        scores = vectors[[row[i] for i in block]] @ vectors.T
        scores[np.arange(len(block)), [row[i] for i in block]] = -np.inf  # not itself
        best = np.argpartition(-scores, k, axis=1)[:, :k]
        for query, picks in zip(block, best, strict=True):
            neighbours[vocabulary[query]] = [vocabulary[candidates[p]] for p in picks]
    return neighbours


def write_transfer_text(data, teacher, out, copies: int = 2, seed: int = 0,
                        rules: AugmentRules = AugmentRules(), say=lambda message: None,
                        text=None, sentences: int = 0) -> int:
    """Writes `copies` augmented copies of each training text of `data` to `out` (one per line; `.gz`
    compresses), replacing words by neighbours in the embeddings of `teacher` (a run directory), then
    `sentences` sentences sampled from the unlabelled `text` (`fnet_keras.data.read_documents`).
    Returns the number of lines written. Nothing is written when anything fails (a `DataError` for
    unreadable data, a `RunDirError` or `TeacherError` for an unusable teacher).
    """
    import gzip

    from fnet_keras.atomic import atomic_output
    from fnet_keras.data import load_dataset, read_documents
    from fnet_keras.training.settings import HOLDOUT_SEED
    from fnet_keras.training.teacher import load_teacher

    loaded = load_teacher(teacher)
    dataset = load_dataset(data, holdout_seed=HOLDOUT_SEED)
    texts = dataset.train.texts
    say(f"reading the token embeddings of the teacher in {loaded.path}")
    model = loaded.run.load_model()
    table = model.backbone.get_layer("token_embedding").embeddings.numpy()
    words = {word.lower() for text in texts for word in text.split()}
    neighbours = embedding_neighbours(loaded.run.vocabulary, table, words)
    say(f"{len(neighbours):,} of the data's {len(words):,} words have embedding neighbours; writing "
        f"{copies} copies of {len(texts):,} training texts")
    lines = augment_texts(texts, copies, seed, rules, neighbours)
    if text is not None and sentences:
        documents = read_documents(text)
        picked = sample_sentences(documents.texts, sentences, seed)
        say(f"adding {len(picked):,} sentences sampled from {len(documents.texts):,} documents of {text}")
        lines += picked
    lines = [line for line in lines if line.strip()]
    with atomic_output(out) as temp:
        opener = gzip.open if str(out).endswith(".gz") else open
        with opener(temp, "wt", encoding="utf-8") as file:
            file.writelines(line + "\n" for line in lines)
    return len(lines)
