"""`choose` and `BudgetResult` on hand-made rows: the rule, its ties, nothing fitting, failed exports."""

from __future__ import annotations

from pathlib import Path

from fnet_keras.budget import BudgetResult, BudgetRow, Latency, candidate_grid, choose


def _rows(tmp_path, figures) -> list[BudgetRow]:
    """One row per (length, dev accuracy, model ms, end-to-end ms or None; None latency: export failed)."""
    grid = candidate_grid(tmp_path, ["tiny"], ["fourier"], [length for length, *_ in figures])
    rows = []
    for candidate, (_, dev, model_ms, end_to_end_ms) in zip(grid, figures, strict=True):
        failed = model_ms is None
        rows.append(BudgetRow(
            candidate=candidate, parameters=1000, dev_accuracy=dev, test_accuracy=0.5,
            bundle_dir=None if failed else Path("b") / candidate.name, model_bytes=None if failed else 10,
            bundle_bytes=None if failed else 20, model_sha256=None if failed else "0" * 64,
            export_failure="parity gate: top-label agreement 50.00% (needs 98%)" if failed else None,
            latency=None if failed else Latency(model_ms, end_to_end_ms),
        ))
    return rows


def test_the_most_accurate_on_dev_among_those_that_fit(tmp_path):
    rows = _rows(tmp_path, [(16, 0.80, 1.0, 2.0), (32, 0.90, 3.0, 4.0), (64, 0.95, 6.0, 7.0)])
    assert choose(rows, 0.9) is None
    assert choose(rows, 1.0) is rows[0]  # p50 equal to the budget fits
    assert choose(rows, 5.0) is rows[1]
    assert choose(rows, 100.0) is rows[2]
    # end to end: 3.0 ms leaves only the first
    assert choose(rows, 3.0, "end-to-end") is rows[0]
    assert choose(rows, 3.0, "model") is rows[1]


def test_a_dev_tie_goes_to_the_faster_then_the_earlier(tmp_path):
    rows = _rows(tmp_path, [(16, 0.90, 2.0, None), (32, 0.90, 1.0, None), (64, 0.90, 1.0, None)])
    assert choose(rows, 5.0) is rows[1]


def test_test_accuracy_plays_no_part(tmp_path):
    rows = _rows(tmp_path, [(16, 0.90, 1.0, None), (32, 0.85, 1.0, None)])
    rows[1].test_accuracy = 0.99
    assert choose(rows, 5.0) is rows[0]


def test_a_failed_export_is_shown_and_never_chosen(tmp_path):
    rows = _rows(tmp_path, [(16, 0.80, 1.0, 1.5), (32, 0.99, None, None)])
    result = BudgetResult(rows, 5.0, "model", 1, "int8", {"kind": "measured", "device": "here"})
    assert result.choice is rows[0]
    table = result.format_table()
    assert "| tiny-fourier-32 | tiny | fourier | 32 | 1,000 | - | 99.00% | 50.00% | - | - " \
           "| export failed (parity gate) |" in table
    assert "| tiny-fourier-16 | tiny | fourier | 16 | 1,000 | 20 | 80.00% | 50.00% | 1.000 | 1.500 " \
           "| yes (chosen) |" in table
    data = result.to_dict()
    assert data["choice"] == "tiny-fourier-16"
    assert [row["fits"] for row in data["candidates"]] == [True, None]
    assert data["candidates"][1]["export_failure"].startswith("parity gate")


def test_nothing_fits_names_the_fastest_and_its_p50(tmp_path):
    rows = _rows(tmp_path, [(16, 0.80, 2.5, None), (32, 0.90, 1.25, None), (64, 0.99, None, None)])
    result = BudgetResult(rows, 1.0, "model", 1, "int8", {"kind": "measured"})
    assert result.choice is None
    assert result.fastest is rows[1]
    assert result.verdict() == (
        "no candidate fits p50 <= 1 ms (model only, 1 thread(s)): the fastest, tiny-fourier-32, "
        "takes 1.250 ms"
    )
    assert result.to_dict()["choice"] is None and result.to_dict()["fastest"] == "tiny-fourier-32"


def test_every_export_failed_says_so(tmp_path):
    rows = _rows(tmp_path, [(16, 0.80, None, None)])
    result = BudgetResult(rows, 1.0, "model", 1, "int8", {"kind": "none"})
    assert result.choice is None and result.fastest is None
    assert "every int8 export failed" in result.verdict()
    assert "latencies not measured (no bundle to time)" in result.format()


def test_the_load_while_timing_is_shown_and_an_overload_warned(tmp_path):
    import shutil

    from fnet_keras.budget.latency import measure_latencies
    from fnet_keras.budget.runner import _describe
    from fnet_keras.demo import demo_bundle_path

    rows = _rows(tmp_path, [(16, 0.80, 1.0, None)])
    bundle = shutil.copytree(demo_bundle_path(), tmp_path / "bundle")
    measured = measure_latencies({rows[0].name: bundle}, threads=1, runs=3, warmup=1)
    source = {"kind": "measured", "path": None, **_describe(measured)}
    load = measured.to_dict()["load"]
    assert source["load"] == load
    text = BudgetResult(rows, 5.0, "model", 1, "int8", source).format()
    assert f"1-minute load average {load['load_1min']:.2f} on {load['cores']} cores while timing" in text
    assert ("WARNING: the 1-minute load average" in text) is load["overloaded"]

    overloaded = {**source, "load": {"load_1min": 7.5, "cores": 2, "overloaded": True}}
    text = BudgetResult(rows, 5.0, "model", 1, "int8", overloaded).format()
    assert "1-minute load average 7.50 on 2 cores while timing" in text
    assert "WARNING: the 1-minute load average (7.50) exceeded the 2 usable cores" in text
    old_profile = {"kind": "profile", "path": "device.json", "device": "a phone", "load": None}
    text = BudgetResult(rows, 5.0, "model", 1, "int8", old_profile).format()
    assert "; load not recorded while timing" in text
