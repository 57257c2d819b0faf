"""Fixtures of the budget tests: real candidates trained, exported and timed by `run_budget` once per session.

- `int8_budget`: tiny-fourier-16 is the session's `trained_run` and its `exported` bundles, copied into
  the runs directory (reused: neither trained nor exported again); tiny-attention-16 is trained by
  the budget tool and its int8 export fails the parity gate (the Transformer twin's masked softmax).
- `fp32_budget`: tiny-fourier-16 is the session run copied without metrics.json (a started,
  unfinished run: resumed), tiny-fourier-32 is trained; both exported to fp32 (always passes).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from budget_support import SETTINGS


@pytest.fixture(scope="session")
def int8_runs_dir(trained_run, exported, tmp_path_factory) -> Path:
    runs = tmp_path_factory.mktemp("budget-int8") / "runs"
    shutil.copytree(trained_run.run_dir, runs / "tiny-fourier-16")
    shutil.copytree(exported.out_dir, runs / "tiny-fourier-16" / "bundles")
    return runs


@pytest.fixture(scope="session")
def int8_budget(int8_runs_dir, keyword_data_dir):
    """(BudgetResult, progress lines) of an int8 budget over tiny x {fourier, attention} x {16}."""
    from fnet_keras.budget import run_budget

    lines: list[str] = []
    result = run_budget(
        keyword_data_dir, 1000.0, runs_dir=int8_runs_dir, presets=["tiny"], mixings=["fourier", "attention"],
        lengths=[16], quantization="int8", settings=SETTINGS, runs=5, texts=5, progress=lines.append,
    )
    return result, lines


@pytest.fixture(scope="session")
def fp32_budget(trained_run, keyword_data_dir, tmp_path_factory):
    """(BudgetResult, progress lines, runs dir) of an fp32 budget over tiny x {fourier} x {16, 32}."""
    from fnet_keras.budget import run_budget

    runs = tmp_path_factory.mktemp("budget-fp32") / "runs"
    shutil.copytree(trained_run.run_dir, runs / "tiny-fourier-16")
    (runs / "tiny-fourier-16" / "metrics.json").unlink()
    lines: list[str] = []
    result = run_budget(
        keyword_data_dir, 1000.0, runs_dir=runs, presets=["tiny"], mixings=["fourier"], lengths=[16, 32],
        quantization="fp32", settings=SETTINGS, runs=5, texts=5, progress=lines.append,
    )
    return result, lines, runs


@pytest.fixture(scope="session")
def fp32_bench(fp32_budget, keyword_data_dir) -> dict:
    """A real `fnet_keras.edge.bench` result over the fp32 budget's bundles, with end-to-end figures,
    as a JSON document (the tests edit its medians to make device profiles)."""
    from fnet_keras.edge import benchmark

    result, _, _ = fp32_budget
    texts = ["the movie was superb", "a dreadful plot", "quite fine really"]
    bundles = [str(row.bundle_dir) for row in result.rows]
    bench = benchmark(bundles, runs=4, warmup=1, texts=texts, memory=False)
    return bench.to_dict()
