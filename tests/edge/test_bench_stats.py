"""The bench's statistics against numpy, the percentile rule and the interleaving schedule (no models)."""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import pytest

from fnet_keras.edge.bench import thread_list
from fnet_keras.edge.bench_session import default_round_runs, interleaved_schedule, rotated_order
from fnet_keras.edge.bench_stats import LatencyStats, min_runs_for_percentile, percentile, spread


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10, 99, 100, 101, 1000])
def test_percentile_is_numpys_linear_method(size):
    values = np.random.default_rng(size).lognormal(5, 1, size)
    for q in (0, 5, 25, 50, 90, 95, 99, 99.9, 100):
        assert percentile(list(values), q) == pytest.approx(
            np.percentile(values, q, method="linear"), rel=1e-12
        )


def test_percentile_on_a_known_small_array():
    # Sorted 10, 20, 30, 40: h = 3 * 0.9 = 2.7 -> 30 + 0.7 * 10 = 37.
    assert percentile([40, 10, 30, 20], 90) == pytest.approx(37.0)
    assert percentile([40, 10, 30, 20], 50) == pytest.approx(25.0)
    with pytest.raises(ValueError):
        percentile([], 50)


def test_latency_stats_match_numpy():
    values = list(np.random.default_rng(0).gamma(2.0, 50.0, 250))
    stats = LatencyStats.of(values)
    assert stats.count == 250
    assert stats.avg == pytest.approx(np.mean(values), rel=1e-12)
    assert stats.std == pytest.approx(np.std(values, ddof=0), rel=1e-12)  # population, as benchmark_model
    assert (stats.min, stats.max) == (min(values), max(values))
    for q in (50, 90, 99):
        assert getattr(stats, f"p{q}") == pytest.approx(np.percentile(values, q), rel=1e-12)
    assert stats.omitted_percentiles == []
    assert list(stats.to_dict("inference_")) == [
        "inference_count",
        "inference_avg",
        "inference_std",
        "inference_min",
        "inference_max",
        "inference_p50",
        "inference_p90",
        "inference_p99",
    ]


def test_percentiles_need_enough_runs():
    values = list(np.random.default_rng(1).normal(100, 5, 100))
    assert LatencyStats.of(values[:99]).p99 is None
    assert LatencyStats.of(values[:99]).omitted_percentiles == ["p99"]
    assert LatencyStats.of(values).p99 == pytest.approx(np.percentile(values, 99))
    assert LatencyStats.of(values[:9]).omitted_percentiles == ["p90", "p99"]
    assert LatencyStats.of(values[:10]).p90 == pytest.approx(np.percentile(values[:10], 90))
    assert LatencyStats.of(values[:1]).omitted_percentiles == ["p50", "p90", "p99"]
    assert LatencyStats.of(values[:1]).std == 0.0


@pytest.mark.parametrize("q", [50, 75, 90, 95, 99, 99.9])
def test_min_runs_is_the_fewest_runs_with_one_expected_above(q):
    needed = min_runs_for_percentile(q)
    assert needed * (100 - q) / 100 >= 1 - 1e-9
    assert (needed - 1) * (100 - q) / 100 < 1
    assert (min_runs_for_percentile(50), min_runs_for_percentile(90), min_runs_for_percentile(99)) == (
        2,
        10,
        100,
    )


def test_schedule_rotates_the_order_and_gives_each_model_its_runs():
    steps = interleaved_schedule(3, 25, 10)
    rounds = [list(group) for _, group in itertools.groupby(steps, key=lambda step: step[0])]
    assert [[model for _, model, _ in round_steps] for round_steps in rounds] == [
        [0, 1, 2],
        [1, 2, 0],
        [2, 0, 1],
    ]
    assert [[count for _, _, count in round_steps] for round_steps in rounds] == [[10] * 3, [10] * 3, [5] * 3]
    for model in range(3):
        assert sum(count for _, index, count in steps if index == model) == 25


def test_schedule_alternates_two_models_and_handles_one():
    assert [model for _, model, _ in interleaved_schedule(2, 4, 1)] == [0, 1, 1, 0, 0, 1, 1, 0]
    assert interleaved_schedule(1, 5, 2) == [(0, 0, 2), (1, 0, 2), (2, 0, 1)]
    with pytest.raises(ValueError):
        interleaved_schedule(2, 0, 1)


def test_text_order_rotates_like_rounds():
    assert [rotated_order(3, step) for step in range(4)] == [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 1, 2]]


def test_default_round_runs_gives_about_ten_rounds():
    assert [default_round_runs(runs) for runs in (1, 9, 10, 100, 101, 1000)] == [1, 1, 1, 10, 11, 100]


def test_spread():
    assert spread([1.2, 0.9, 1.0, 1.1]) == {"min": 0.9, "median": pytest.approx(1.05), "max": 1.2}


def test_thread_list_parses_and_refuses():
    assert thread_list("1,2, 4") == [1, 2, 4]
    for bad in ("0", "1,,2", "two", "1,1"):
        with pytest.raises(argparse.ArgumentTypeError):
            thread_list(bad)
