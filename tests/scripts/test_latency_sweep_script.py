"""The latency sweep's bookkeeping: ratios over interleaved repeats, the grid, cells not measured."""

import statistics

import latency_sweep as sweep
import pytest


def repeat(samples_by_model, round_p50_by_model):
    return {"cells": [
        {"model": name, "inference_p50": statistics.median(samples), "inference_samples": samples,
         "round_p50": round_p50_by_model[name]}
        for name, samples in samples_by_model.items()
    ]}


def test_ratio_is_the_median_over_repeats_of_p50_ratios_with_spread_and_fastest_runs():
    repeats = [
        repeat({"transformer-fp32": [30, 40, 50], "fnet-rfft-fp32": [20, 20, 25]},
               {"transformer-fp32": [40, 44], "fnet-rfft-fp32": [20, 22]}),
        repeat({"transformer-fp32": [36, 39, 60], "fnet-rfft-fp32": [18, 20, 30]},
               {"transformer-fp32": [39, 30], "fnet-rfft-fp32": [20, 20]}),
        repeat({"transformer-fp32": [44, 44, 44], "fnet-rfft-fp32": [22, 22, 22]},
               {"transformer-fp32": [44, 44], "fnet-rfft-fp32": [22, 22]}),
    ]
    found = sweep.ratio(repeats, ("transformer", "fp32"), ("fnet-rfft", "fp32"))
    assert found["repeats"] == pytest.approx([2.0, 1.95, 2.0])
    assert (found["median"], found["min"], found["max"]) == pytest.approx((2.0, 1.95, 2.0))
    assert (found["round_min"], found["round_max"]) == pytest.approx((1.5, 2.0))
    assert found["fastest_median"] == pytest.approx(2.0)  # 30/20, 36/18, 44/22
    assert sweep.ratio(repeats, ("hybrid", "fp32"), ("fnet-rfft", "fp32")) is None


def test_grid_rules_and_cells_not_measured():
    kinds = ["fnet-rfft", "transformer"]
    modes = ["fp32", "dynamic"]
    assert sweep.group_models(kinds, modes, 384) == [("transformer", "fp32"), ("transformer", "dynamic")]
    assert sweep.group_models(kinds, modes, 2048) == [("fnet-rfft", "fp32"), ("transformer", "fp32")]
    args = sweep.parse_args(["--presets", "mini", "--lengths", "384,2048", "--kinds", ",".join(kinds),
                             "--modes", "fp32,dynamic", "--clocks", "thread_cpu"])
    runs = {("mini", 2048, "thread_cpu"): [repeat({"fnet-rfft-fp32": [1.0]}, {"fnet-rfft-fp32": [1.0]})]}
    failures = [{"preset": "mini", "length": 384, "kind": "transformer", "mode": "dynamic", "reason": "x"}]
    missing = {
        (cell["length"], cell["kind"], cell["mode"]): cell["reason"]
        for cell in sweep.not_measured(args, runs, failures)
    }
    assert missing == {
        (384, "fnet-rfft", "fp32"): "RFFT2D needs a power-of-two length",
        (384, "fnet-rfft", "dynamic"): "RFFT2D needs a power-of-two length",
        (384, "transformer", "fp32"): "not run (time)",
        (2048, "transformer", "fp32"): "not run (time)",
        (2048, "fnet-rfft", "dynamic"): "from length 2048 only fp32 and int8 are in the sweep",
        (2048, "transformer", "dynamic"): "from length 2048 only fp32 and int8 are in the sweep",
    }


def test_a_group_converts_with_the_sweeps_models_and_runs_in_litert(tmp_path):
    """`convert_group` (the child process's job) builds the sweep's random models and converts them with
    the exporter's code; hybrid takes DFT where RFFT2D cannot go."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    pairs = [("ff-only", "fp32"), ("bag-of-embeddings", "fp32")]
    lines = sweep.convert_group(str(tmp_path), "tiny", 16, pairs)
    assert len(lines) == 2 and all("converted" in line for line in lines), lines
    for kind, mode in pairs:
        path = sweep.model_path(tmp_path, "tiny", 16, kind, mode)
        runner = Interpreter(model_content=path.read_bytes()).get_signature_runner()
        inputs = {name: np.ones(d["shape"], d["dtype"]) for name, d in runner.get_input_details().items()}
        assert runner(**inputs)["probabilities"].shape == (1, 2)
    assert sweep.recipe_for("hybrid", "fp32", 384).fourier_method == "dft"
    assert sweep.recipe_for("hybrid", "fp32", 512).fourier_method == "rfft"
