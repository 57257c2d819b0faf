"""`MachineLoad`: the 1-minute load average and the cores every latency carries, and when it warns."""

from __future__ import annotations

import os

import pytest

from fnet_keras.edge.machine_load import MachineLoad, current_load


def test_the_load_now_is_the_os_load_average_on_the_usable_cores():
    load = current_load()
    expected_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert load.cores == expected_cores
    if hasattr(os, "getloadavg"):
        assert isinstance(load.load_1min, float) and load.load_1min >= 0
    assert load.overloaded == (load.load_1min is not None and load.load_1min > load.cores)


@pytest.mark.parametrize(
    ("load_1min", "cores", "overloaded"),
    [(2.5, 2, True), (2.0, 2, False), (0.3, 16, False), (None, 2, False), (9.0, None, False)],
)
def test_it_is_overloaded_only_when_the_load_exceeds_the_cores(load_1min, cores, overloaded):
    load = MachineLoad(load_1min, cores)
    assert load.overloaded is overloaded
    assert (load.warning() is not None) is overloaded
    assert load.to_dict()["overloaded"] is overloaded


def test_the_warning_names_the_load_the_cores_and_the_thread_cpu_clock():
    warning = MachineLoad(4.391, 2).warning()
    assert "4.39" in warning and "2 usable cores" in warning
    assert "inflated" in warning and "thread-CPU" in warning
    assert MachineLoad(4.391, 2).describe() == "1-minute load average 4.39 on 2 cores"
    assert MachineLoad(None, 1).describe() == "1-minute load average not reported by this OS, 1 core"


def test_the_peak_of_captures_keeps_the_highest_load_and_round_trips_through_json():
    peak = MachineLoad.peak(MachineLoad(1.5, 2), MachineLoad(None, 2), MachineLoad(3.25, 2))
    assert peak == MachineLoad(3.25, 2)
    assert peak.to_dict() == {"load_1min": 3.25, "cores": 2, "overloaded": True}
    assert MachineLoad.from_dict(peak.to_dict()) == peak
    assert MachineLoad.from_dict(None) is None  # a result saved before loads were recorded
