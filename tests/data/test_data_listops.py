"""ListOps: evaluation against an independent evaluator, the generator's bounds, files, vocabulary."""

import dataclasses
import json
import statistics
from collections import Counter

import pytest
from import_check import packages_loaded_by

from fnet_keras.data import DataError, listops, load_dataset
from fnet_keras.data.listops import (
    FLAT_LISTOPS,
    LRA_LISTOPS,
    SHALLOW_LISTOPS,
    ListOpsConfig,
    evaluate,
    generate_listops,
    listops_vocabulary,
    write_listops,
)
from fnet_keras.text import TokenizerConfig, WordPieceEncoder, validate_vocabulary

SMALL = ListOpsConfig(min_length=10, max_length=40, max_depth=3, max_args=4, operator_probability=0.5)

# Independent evaluator: the expression rewritten as a Python call expression and run by Python,
# MED via statistics.median (for an even count the mean of the middle two; LRA takes int() of it).
_FUNCTIONS = {
    "MAX": lambda *values: max(values),
    "MIN": lambda *values: min(values),
    "MED": lambda *values: int(statistics.median(values)),
    "SM": lambda *values: sum(values) % 10,
}


def _python_value(expression: str) -> int:
    parts: list[str] = []  # "max 4 min 2 3 ] ]" -> "MAX(4,MIN(2,3))"
    for symbol in expression.split():
        if symbol == "]":
            parts.append(")")
            continue
        if parts and not parts[-1].endswith("("):
            parts.append(",")
        parts.append(f"{symbol.upper()}(" if symbol.isalpha() else symbol)
    return eval("".join(parts), {"__builtins__": {}}, _FUNCTIONS)


def _depth(expression: str) -> int:
    depth = deepest = 0
    for symbol in expression.split():
        if symbol.isalpha():
            depth += 1
            deepest = max(deepest, depth)
        elif symbol == "]":
            depth -= 1
    return deepest


@pytest.mark.parametrize(
    "expression, value",
    [
        ("max 4 3 min 2 3 ] 1 0 med 1 5 8 9 2 ] ]", 5),
        ("[MAX 4 3 [MIN 2 3 ] 1 0 [MED 1 5 8 9 2 ] ]", 5),  # LRA's form
        ("med 2 3 ]", 2),  # even count: (2 + 3) / 2 = 2.5, rounded down as LRA's int(np.median)
        ("med 9 1 4 6 ]", 5),
        ("med 7 7 ]", 7),
        ("sm 9 8 7 ]", 4),
        ("min max 1 2 ] sm 5 5 ] ]", 0),
        ("7", 7),
    ],
)
def test_known_expressions(expression, value):
    assert evaluate(expression) == value
    if not expression.startswith("["):
        assert _python_value(expression) == value  # the test's own evaluator agrees


@pytest.mark.parametrize(
    "expression, message",
    [
        ("", "empty"),
        ("max 1 2", "1 list(s) open"),
        ("max 1 2 ] ]", "symbol 5: ']' closes no list"),
        ("max ]", "empty max list"),
        ("max 1 12 ]", "symbol 3 ('12')"),
        ("avg 1 2 ]", "symbol 1 ('avg')"),
        ("3 4", "symbol 2 ('4') follows a complete expression"),
    ],
)
def test_malformed_expressions(expression, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        evaluate(expression)


def test_generated_values_lengths_and_depths():
    examples = generate_listops(400, SMALL, seed=3)
    assert len({text for text, _ in examples}) == 400  # all distinct
    for text, value in examples:
        assert value == _python_value(text) and 0 <= value <= 9
        assert SMALL.min_length <= len(text.split()) <= SMALL.max_length
        assert _depth(text) <= SMALL.max_depth
        assert text == " ".join(text.split())  # single spaces
    assert max(_depth(text) for text, _ in examples) == SMALL.max_depth  # the bound is reached
    assert set(value for _, value in examples) == set(range(10))


def test_generator_is_deterministic_in_the_seed():
    assert generate_listops(50, SMALL, seed=7) == generate_listops(50, SMALL, seed=7)
    assert generate_listops(50, SMALL, seed=7) != generate_listops(50, SMALL, seed=8)


def test_lra_setting_lengths():
    examples = generate_listops(5, LRA_LISTOPS, seed=0)
    for text, value in examples:
        assert 500 < len(text.split()) < 2000 and _depth(text) <= 9  # LRA: --max_depth 10
        assert value == _python_value(text)


def test_longer_than_lra_lengths():
    config = dataclasses.replace(LRA_LISTOPS, min_length=2100, max_length=3000)
    ((text, value),) = generate_listops(1, config, seed=0)
    assert 2100 <= len(text.split()) <= 3000 and value == _python_value(text)


def test_shallow_setting_is_balanced_enough_to_learn():
    examples = generate_listops(3000, SHALLOW_LISTOPS, seed=0)
    shares = Counter(value for _, value in examples)
    # Every class present; none dominating (chance 10%; LRA's ListOps has ~17% each for 0 and 9).
    assert set(shares) == set(range(10))
    assert max(shares.values()) / len(examples) < 0.15
    assert max(len(text.split()) for text, _ in examples) + 2 <= 64  # fits length 64 with [CLS] [SEP]
    assert 0.5 < sum(_depth(text) == 2 for text, _ in examples) / len(examples) < 0.9  # mostly nested


def test_flat_setting_has_flat_lists_only():
    examples = generate_listops(500, FLAT_LISTOPS, seed=0)
    assert {_depth(text) for text, _ in examples} == {1}
    assert {value for _, value in examples} == set(range(10))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"min_length": 50, "max_length": 40}, "exceeds max_length"),
        ({"max_args": 1}, "max_args must be an integer >= 2"),
        ({"max_depth": 1, "max_args": 3, "min_length": 6}, "cannot be reached: .* has 5 symbols"),
        ({"operator_probability": 0}, "operator_probability"),
        ({"max_depth": 101}, "at most 100"),
    ],
)
def test_invalid_settings(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(SMALL, **changes)


def test_too_few_distinct_expressions_is_an_error(monkeypatch):
    monkeypatch.setattr(listops, "MAX_FAILED_TRIES", 2000)
    # Flat lists of exactly 2 digits: 4 operators x 100 digit pairs = 400 expressions.
    config = ListOpsConfig(min_length=4, max_length=4, max_depth=1, max_args=2, operator_probability=1)
    assert len(generate_listops(400, config, seed=0)) == 400
    with pytest.raises(ValueError, match="400 of 401"):
        generate_listops(401, config, seed=0)


def test_written_files_round_trip_through_the_readers(tmp_path):
    written = write_listops(
        tmp_path / "listops", train=60, dev=10, test=20, config=SMALL, max_depth=2, seed=5
    )
    expected = generate_listops(90, dataclasses.replace(SMALL, max_depth=2), seed=5)
    assert written["train"].read_text().startswith("text\tlabel\n")
    dataset = load_dataset(tmp_path / "listops")
    assert dataset.notes == [] and dataset.holdout is None
    rows = [
        (text, int(label))
        for split in (dataset.train, dataset.dev, dataset.test)
        for text, label in zip(split.texts, split.labels, strict=True)
    ]
    assert rows == expected
    settings = json.loads(written["settings"].read_text())
    assert settings["config"]["max_depth"] == 2 and settings["seed"] == 5
    assert sum(settings["label_counts"]["test"]) == 20


def test_vocabulary_gives_one_token_per_symbol():
    vocabulary = validate_vocabulary(listops_vocabulary())  # special tokens first
    text = "max 4 3 min 2 3 ] 1 0 med 1 5 8 9 2 ] sm 0 9 ] ]"
    for config in (
        TokenizerConfig(),
        TokenizerConfig(rules="keras_hub"),
        TokenizerConfig(rules="keras_hub", lowercase=False),
    ):
        encoder = WordPieceEncoder(vocabulary, config)
        assert encoder.tokenize(text) == text.split()
    # Why not LRA's surface form: "[MAX" splits into "[" and a word under these rules.
    bert_like = WordPieceEncoder(vocabulary, TokenizerConfig())
    assert bert_like.tokenize("[MAX 4 ]") == ["[UNK]", "max", "4", "]"]


def test_listops_imports_no_tensorflow_or_numpy():
    assert packages_loaded_by("import fnet_keras.data.listops", ("tensorflow", "numpy", "keras")) == []


def test_operators_restrict_the_lists_and_the_default_draws_as_before():
    config = dataclasses.replace(SMALL, operators=("max", "min"))
    examples = generate_listops(300, config, seed=4)
    for text, value in examples:
        assert {symbol for symbol in text.split() if symbol.isalpha()} <= {"max", "min"}
        assert _python_value(text) == value
    # Naming all four in the default order draws exactly what the default does.
    same = dataclasses.replace(SMALL, operators=["max", "min", "med", "sm"])
    assert same.operators == ("max", "min", "med", "sm")
    assert generate_listops(100, same, seed=4) == generate_listops(100, SMALL, seed=4)
    for bad in ((), ("max", "max"), ("max", "avg"), "max"):
        with pytest.raises(ValueError, match="operators must be distinct names"):
            dataclasses.replace(SMALL, operators=bad)
