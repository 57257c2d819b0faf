"""What makes a bench figure trustworthy: the machine's load and cores with it, thread-CPU medians and ratios
beside the wall-clock ones, and names that say which path is which.

Real benchmarks of copies of the shipped demo bundle (a few runs each). No assertion on any time
value beyond consistency with what the result itself records.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import run_cli

from fnet_keras.demo import demo_bundle_path
from fnet_keras.edge.bench import benchmark
from fnet_keras.edge.bench_result import BenchmarkResult
from fnet_keras.edge.bench_session import unique_names
from fnet_keras.edge.device_info import usable_cpus


@pytest.fixture(scope="module")
def same_named_bundles(tmp_path_factory) -> list[Path]:
    """The demo bundle copied to fnet/bundles/int8 and twin/bundles/int8: two bundles named int8."""
    root = tmp_path_factory.mktemp("bench-load")
    copies = [root / name / "bundles" / "int8" for name in ("fnet", "twin")]
    return [Path(shutil.copytree(demo_bundle_path(), copy)) for copy in copies]


@pytest.fixture(scope="module")
def result(same_named_bundles) -> BenchmarkResult:
    return benchmark(same_named_bundles, threads=[1, 2], runs=4, warmup=1, memory=False)


def test_the_result_records_the_load_and_the_cores_while_timing(result):
    load = result.to_dict()["load"]
    assert load["cores"] == usable_cpus()
    assert isinstance(load["load_1min"], float)
    assert load["overloaded"] is (load["load_1min"] > load["cores"])
    assert result.machine_load.to_dict() == load
    report = result.format()
    described = f"1-minute load average {load['load_1min']:.2f} on {load['cores']} cores"
    assert f"- load while timing: {described}" in report
    warned = [note for note in result.notes if "exceeded the" in note]
    assert len(warned) == (1 if load["overloaded"] else 0)
    assert ("**overloaded**" in report) is load["overloaded"]


def test_one_thread_cells_have_thread_cpu_medians_and_ratios_use_them(result, same_named_bundles):
    fnet, twin = (f"{model}/bundles/int8" for model in ("fnet", "twin"))
    one, two = result.cell(twin, 1), result.cell(twin, 2)
    assert one["inference_cpu_p50"] > 0
    assert two["inference_cpu_p50"] is None  # 2 threads compute on other threads too
    at_one = next(comparison for comparison in result.comparisons if comparison["threads"] == 1)
    expected = one["inference_cpu_p50"] / result.cell(fnet, 1)["inference_cpu_p50"]
    assert at_one["models"][0]["cpu_p50_ratio"] == pytest.approx(expected)
    assert result.ratio(twin, fnet, 1) == (pytest.approx(expected), "thread_cpu")
    # Where no thread-CPU median exists, the ratio is of the timed clock's p50s, and says so.
    expected_wall = two["inference_p50"] / result.cell(fnet, 2)["inference_p50"]
    assert result.ratio(twin, fnet, 2) == (pytest.approx(expected_wall), "wall")
    assert "| thread-CPU p50 ratio |" in result.format()


def test_an_overloaded_result_says_so_and_an_old_one_without_load_still_reads(result):
    data = result.to_dict()
    data["load"] = {"load_1min": 9.5, "cores": 2, "overloaded": True}
    assert "1-minute load average 9.50 on 2 cores (**overloaded**" in BenchmarkResult(data).format()
    del data["load"]
    for cell in data["cells"]:
        del cell["inference_cpu_p50"]
    for comparison in data["comparisons"]:
        for entry in comparison["models"]:
            del entry["cpu_p50_ratio"]
    old = BenchmarkResult(data)
    assert old.machine_load is None and "- load while timing: not recorded" in old.format()
    assert old.ratio("twin/bundles/int8", "fnet/bundles/int8", 1)[1] == "wall"


def test_bundles_with_the_same_name_are_told_apart_by_their_folders(result, same_named_bundles):
    assert [model["name"] for model in result.models] == ["fnet/bundles/int8", "twin/bundles/int8"]
    assert [model["path"] for model in result.models] == [str(path) for path in same_named_bundles]
    report = result.format()
    for model, path in zip(("fnet", "twin"), same_named_bundles, strict=True):
        assert f"| {model}/bundles/int8 | {path} | bundle |" in report
    assert "#2" not in report


def test_names_take_as_many_folders_as_tell_them_apart():
    assert unique_names(
        ["int8", "int8", "fp32"], ["runs/q/fnet/bundles/int8", "runs/q/twin/bundles/int8", "x/fp32"]
    ) == ["fnet/bundles/int8", "twin/bundles/int8", "fp32"]
    assert unique_names(["int8", "int8"], ["a/int8", "int8"]) == ["a/int8", "int8"]
    # The same path twice: no folder tells them apart, so they are numbered.
    assert unique_names(["int8", "int8"], ["b/int8", "b/int8"]) == ["int8", "int8#2"]
    assert unique_names(["a", "a", "b"]) == ["a", "a#2", "b"]


def test_the_command_line_names_each_path_and_warns_on_load(same_named_bundles):
    completed = run_cli("bench", *same_named_bundles, "--runs", "3", "--warmup", "1", "--no-memory", "--json")
    assert completed.returncode == 0, completed.stderr.decode()[-2000:]
    data = json.loads(completed.stdout)
    stderr = completed.stderr.decode()
    assert [model["name"] for model in data["models"]] == ["fnet/bundles/int8", "twin/bundles/int8"]
    assert "] fnet/bundles/int8, 1 thread(s)" in stderr and "] twin/bundles/int8, 1 thread(s)" in stderr
    assert "int8#2" not in stderr
    assert ("warning: the 1-minute load average" in stderr) is data["load"]["overloaded"]
