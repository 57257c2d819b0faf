"""The Pareto script's budget tables: the front a growing budget walks, and each kind's best per budget."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pareto_imdb.py"


def load_script():
    spec = importlib.util.spec_from_file_location("pareto_imdb", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(name, mixing, length, dev, model_ms, end_to_end_ms=None):
    return {"name": name, "mixing": mixing, "sequence_length": length, "dev_accuracy": dev,
            "test_accuracy": dev - 0.01, "p50_model_ms": model_ms, "p50_end_to_end_ms": end_to_end_ms}


ROWS = [
    _row("f128", "fourier", 128, 0.80, 1.0, 3.0),
    _row("f256", "fourier", 256, 0.84, 2.5, 4.0),
    _row("a128", "attention", 128, 0.82, 2.0, 3.5),
    _row("a256", "attention", 256, 0.83, 3.0, 2.0),
    _row("h128", "hybrid", 128, 0.99, None),  # export failed: never on the front
]


def test_the_front_is_each_model_that_beats_every_faster_one_on_dev():
    script = load_script()
    front = script.frontier(ROWS, "model")
    assert [(point["name"], point["from_ms"], point["to_ms"]) for point in front] == [
        ("f128", 1.0, 2.0), ("a128", 2.0, 2.5), ("f256", 2.5, None)]
    # end to end the order changes: a256 is the fastest and f256 the most accurate
    assert [point["name"] for point in script.frontier(ROWS, "end-to-end")] == ["a256", "f256"]


def test_each_kind_best_within_each_budget():
    table = load_script().per_budget(ROWS, "model")
    assert [entry["budget_ms"] for entry in table] == [1.0, 2.0, 2.5, 3.0]
    best = [{kind: pick["name"] for kind, pick in entry["best"].items()} for entry in table]
    assert best == [
        {"fourier": "f128"},
        {"fourier": "f128", "attention": "a128"},
        {"fourier": "f256", "attention": "a128"},
        {"fourier": "f256", "attention": "a256"},
    ]
