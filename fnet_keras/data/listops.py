"""ListOps, as Long Range Arena generates it: nested lists of digits under MAX, MIN, MED and SM.

An expression is a digit 0-9 or a list: an operator, two or more expressions, a closing
bracket. Its value, the class label (10 classes), is the operator applied to the values of
its arguments: MAX, MIN, MED (median; of an even count, the mean of the two middle values
rounded down, which is LRA's `int(np.median(values))`), SM (sum modulo 10).

Surface form. One word per symbol, separated by single spaces, lower case:
`max 4 3 min 2 3 ] 1 0 med 1 5 8 9 2 ] ]` is LRA's `[MAX 4 3 [MIN 2 3 ] 1 0 [MED 1 5 8 9 2 ] ]`:
the operator word opens the list. Why not "[MAX": BERT-style tokenizers split punctuation off
a word, so it would be two tokens; here every symbol is one token of `listops_vocabulary()`,
with lower-casing on or off. `evaluate` also reads LRA's form ("[MAX", any case).

Generation follows LRA's `generate_tree` (`lra_benchmarks/data/listops.py`,
google-research/long-range-arena): a node is a list with probability
`operator_probability` (LRA: 0.25) while lists may still nest deeper, else a digit; a list
has a uniform 2..`max_args` (LRA: 10) arguments and a uniform operator; digits are uniform.
Expressions whose length (in symbols) is outside [min_length, max_length] are redrawn, and
every expression is distinct across the train, dev and test splits, as in LRA. Lists nest
at most `max_depth` deep: LRA's `--max_depth 10` counts the digit level below the deepest
list, so its lists nest at most 9 deep (`LRA_LISTOPS`); LRA keeps lengths with
500 < length < 2000. Deterministic: the same settings and seed give the same files.

References:
- Nangia & Bowman 2018, "ListOps: A Diagnostic Dataset for Latent Tree Learning".
- Tay et al. 2020, "Long Range Arena: A Benchmark for Efficient Transformers", arXiv 2011.04006.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from fnet_keras.atomic import write_text_atomic
from fnet_keras.data.errors import DataError
from fnet_keras.text.vocabulary import SPECIAL_TOKENS

CLOSE = "]"
DIGITS = tuple(str(digit) for digit in range(10))
OPERATORS = ("max", "min", "med", "sm")
NUM_CLASSES = 10
HEADER = "text\tlabel\n"
SETTINGS_FILE = "listops.json"
# The longest that tries may run without a new expression before generation gives up.
MAX_FAILED_TRIES = 200_000
# Lists nest by recursion; deeper settings would be unlearnable anyway.
DEPTH_LIMIT = 100


def median_lra(values: Sequence[int]) -> int:
    """MED as LRA computes it (module docstring); values are non-negative, so `//` rounds down."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


_APPLY = {"max": max, "min": min, "med": median_lra, "sm": lambda values: sum(values) % 10}


@dataclasses.dataclass(frozen=True)
class ListOpsConfig:
    """The shape of generated ListOps expressions (generation: module docstring).

    Args:
        min_length, max_length: the length range, in symbols (operators, digits, "]"),
            both ends included. A model's packed sequence also holds [CLS] and [SEP]: with
            `sequence_length` L, expressions up to L - 2 symbols fit.
        max_depth: how deep lists may nest (0: a bare digit; 1: flat lists).
        operators: fewer than all four make an easier task (without "sm" and "med", one a tiny
            model learns to near certainty).
    """

    min_length: int
    max_length: int
    max_depth: int
    max_args: int = 10
    operator_probability: float = 0.25
    operators: tuple[str, ...] = OPERATORS

    def __post_init__(self):
        operators = self.operators
        distinct = isinstance(operators, (tuple, list)) and 0 < len(set(operators)) == len(operators)
        if not distinct or not set(operators) <= set(OPERATORS):
            raise ValueError(
                f"ListOps operators must be distinct names from {', '.join(OPERATORS)}, got {operators!r}"
            )
        object.__setattr__(self, "operators", tuple(operators))  # a list read from JSON, kept hashable
        for name, low in (("min_length", 1), ("max_length", 1), ("max_depth", 0), ("max_args", 2)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"ListOps {name} must be an integer >= {low}, got {value!r}")
        if self.max_depth > DEPTH_LIMIT:
            raise ValueError(f"ListOps max_depth must be at most {DEPTH_LIMIT}, got {self.max_depth}")
        if self.min_length > self.max_length:
            raise ValueError(f"ListOps min_length {self.min_length} exceeds max_length {self.max_length}")
        chance = self.operator_probability
        if isinstance(chance, bool) or not isinstance(chance, (int, float)) or not 0 < chance <= 1:
            raise ValueError(f"ListOps operator_probability must be in (0, 1], got {chance!r}")
        longest = 1
        for _ in range(self.max_depth):
            longest = 2 + self.max_args * longest
        if longest < self.min_length:
            raise ValueError(
                f"ListOps min_length {self.min_length} cannot be reached: with max_depth {self.max_depth} "
                f"and max_args {self.max_args} the longest expression has {longest} symbols"
            )


# Long Range Arena's ListOps task (96,000 / 2,000 / 2,000 expressions).
LRA_LISTOPS = ListOpsConfig(min_length=501, max_length=1999, max_depth=9, max_args=10)
# A quick demo: lists nest at most 2 deep (about 70% of expressions do), 2-6 arguments, at
# most 60 symbols (fits sequence length 64). A `tiny` FNet reached 50% test accuracy after 8
# epochs of 8,000 rows at length 64 (majority class 12%, best guess from the outer operator 28%).
SHALLOW_LISTOPS = ListOpsConfig(min_length=4, max_length=60, max_depth=2, max_args=6)
# Flat lists only ("max 3 7 2 ]"): the easiest setting; 74% test accuracy in the same run.
FLAT_LISTOPS = ListOpsConfig(min_length=4, max_length=12, max_depth=1, max_args=10, operator_probability=1.0)
PRESETS = {"lra": LRA_LISTOPS, "shallow": SHALLOW_LISTOPS, "flat": FLAT_LISTOPS}


def listops_vocabulary() -> list[str]:
    """The vocabulary of the surface form: the special tokens first, then "]", operators, digits."""
    return [*SPECIAL_TOKENS, CLOSE, *OPERATORS, *DIGITS]


def evaluate(expression: str) -> int:
    """The value (0-9) of a ListOps expression in the surface form, or in LRA's ("[MAX ... ]").

    Symbols are separated by whitespace; operators are read in any case, with or without a
    leading "[".

    Raises:
        DataError: a malformed expression, naming the 1-based position of the symbol at fault.
    """
    symbols = expression.split()
    if not symbols:
        raise DataError("empty ListOps expression")
    stack: list[tuple[str, list[int]]] = []
    result = None
    for position, symbol in enumerate(symbols, start=1):
        if result is not None and symbol != CLOSE:  # a "]" here closes no list, below
            raise DataError(f"ListOps symbol {position} ({symbol!r}) follows a complete expression")
        word = symbol.lower().removeprefix("[")
        if symbol in DIGITS:
            value = int(symbol)
        elif word in _APPLY and (symbol.isalpha() or symbol.startswith("[")):
            stack.append((word, []))
            continue
        elif symbol == CLOSE:
            if not stack:
                raise DataError(f"ListOps symbol {position}: ']' closes no list")
            operator, arguments = stack.pop()
            if not arguments:
                raise DataError(f"ListOps symbol {position}: an empty {operator} list")
            value = _APPLY[operator](arguments)
        else:
            raise DataError(
                f"ListOps symbol {position} ({symbol!r}) is not a digit, ']' or one of {', '.join(OPERATORS)}"
            )
        if stack:
            stack[-1][1].append(value)
        else:
            result = value
    if stack:
        raise DataError(f"ListOps expression ends with {len(stack)} list(s) open")
    return result


class _TooLong(Exception):
    """An expression being drawn has passed `max_length`: it would be redrawn anyway."""


def _draw(rng: random.Random, config: ListOpsConfig) -> tuple[list[str], int] | None:
    """One expression (symbols, value), or None when it falls outside the length range."""
    symbols: list[str] = []

    def node(depth: int) -> int:
        if depth < config.max_depth and rng.random() < config.operator_probability:
            symbols.append("")  # the operator, chosen after the arguments as in LRA
            at = len(symbols) - 1
            values = [node(depth + 1) for _ in range(rng.randint(2, config.max_args))]
            operator = rng.choice(config.operators)
            symbols[at] = operator
            symbols.append(CLOSE)
            value = _APPLY[operator](values)
        else:
            value = rng.randrange(10)
            symbols.append(DIGITS[value])
        if len(symbols) > config.max_length:
            raise _TooLong
        return value

    try:
        value = node(0)
    except _TooLong:
        return None
    return (symbols, value) if len(symbols) >= config.min_length else None


def generate_listops(
    count: int, config: ListOpsConfig, seed: int = 0, progress: Callable[[int, int], None] | None = None
) -> list[tuple[str, int]]:
    """`count` distinct expressions `(text, value)`, deterministic in `seed`; a ValueError when the
    settings allow too few, or too rarely. `progress(done, count)` is called after each tenth of
    them (LRA's 100,000 take minutes)."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"ListOps count must be an integer >= 0, got {count!r}")
    rng = random.Random(seed)
    seen: set[str] = set()
    examples: list[tuple[str, int]] = []
    failed = 0
    while len(examples) < count:
        drawn = _draw(rng, config)
        text = None if drawn is None else " ".join(drawn[0])
        if text is None or text in seen:
            failed += 1
            if failed > MAX_FAILED_TRIES:
                raise ValueError(
                    f"ListOps: {MAX_FAILED_TRIES:,} tries in a row gave no new expression after "
                    f"{len(examples):,} of {count:,}: these settings ({config}) allow too few "
                    f"distinct expressions, or too rarely; widen the length range or allow more depth"
                )
            continue
        failed = 0
        seen.add(text)
        examples.append((text, drawn[1]))
        if progress is not None and len(examples) * 10 // count > (len(examples) - 1) * 10 // count:
            progress(len(examples), count)
    return examples


def write_listops(
    directory: str | os.PathLike,
    *,
    train: int = 96_000,
    dev: int = 2_000,
    test: int = 2_000,
    config: ListOpsConfig = LRA_LISTOPS,
    min_length: int | None = None,
    max_length: int | None = None,
    max_depth: int | None = None,
    max_args: int | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Path]:
    """Writes ListOps train/dev/test.tsv (`text<TAB>label`) and listops.json into `directory`.

    Args:
        directory: created if missing; the files are written atomically.
        train, dev, test: expressions per split (LRA: 96,000 / 2,000 / 2,000), all distinct.
        min_length, max_length, max_depth, max_args: override `config`'s value when given.
        progress: as for `generate_listops`.

    Returns:
        `{"train": path, "dev": path, "test": path, "settings": path}`.

    Example:
    >>> write_listops("data/listops", config=SHALLOW_LISTOPS, train=5000)  # doctest: +SKIP
    """
    overrides = dict(min_length=min_length, max_length=max_length, max_depth=max_depth, max_args=max_args)
    config = dataclasses.replace(
        config, **{name: value for name, value in overrides.items() if value is not None}
    )
    counts = {"train": train, "dev": dev, "test": test}
    for name, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"ListOps {name} count must be an integer >= 1, got {count!r}")
    examples = generate_listops(sum(counts.values()), config, seed, progress)
    directory = Path(directory)
    written: dict[str, Path] = {}
    label_counts: dict[str, list[int]] = {}
    start = 0
    for name, count in counts.items():
        rows = examples[start : start + count]
        start += count
        written[name] = write_text_atomic(
            directory / f"{name}.tsv", HEADER + "".join(f"{text}\t{value}\n" for text, value in rows)
        )
        tally = Counter(value for _, value in rows)
        label_counts[name] = [tally[value] for value in range(NUM_CLASSES)]
    settings = {
        "generator": "fnet_keras.data.listops",
        "config": dataclasses.asdict(config),
        "seed": seed,
        "counts": counts,
        "label_counts": label_counts,
    }
    written["settings"] = write_text_atomic(directory / SETTINGS_FILE, json.dumps(settings, indent=2) + "\n")
    return written
