"""How busy the machine was when a latency was measured: the 1-minute load average and the cores.

A wall-clock latency measured while other processes compete for the cores is inflated, and
two figures measured minutes apart under different loads do not compare. So every latency
the package prints or saves (`bench`, `quickstart`, `budget`, `export`) carries a
`MachineLoad`, captured here and nowhere else:

    before = current_load()
    ...time the models...
    load = MachineLoad.peak(before, current_load())
    load.to_dict()   # {"load_1min": 2.31, "cores": 2, "overloaded": True}
    load.describe()  # "1-minute load average 2.31 on 2 cores"
    load.warning()   # the sentence to print when the load exceeds the cores, else None

`cores` is the number of CPUs this process may run on (its affinity mask), else
`os.cpu_count()`. When the load exceeds it, ratios are best taken on the thread-CPU clock
(the CPU time of the timing thread, which other processes barely touch; see
`fnet_keras.edge.bench_session.CLOCKS`). Standard library only.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from fnet_keras.edge.device_info import usable_cpus

LOAD_KEYS = ("load_1min", "cores", "overloaded")


@dataclasses.dataclass(frozen=True)
class MachineLoad:
    """The 1-minute load average and the usable cores at a time of measurement.

    Attributes:
        load_1min: `os.getloadavg()[0]`, or None where the OS does not report one (Windows).
        cores: CPUs this process may use (affinity), else `os.cpu_count()`; None if unknown.
    """

    load_1min: float | None
    cores: int | None

    @property
    def overloaded(self) -> bool:
        """Whether more processes wanted a CPU than there are cores (the figure is inflated)."""
        return self.load_1min is not None and self.cores is not None and self.load_1min > self.cores

    @classmethod
    def peak(cls, *loads: MachineLoad) -> MachineLoad:
        """The highest load of several captures (e.g. before and after timing), with their cores."""
        known = [load.load_1min for load in loads if load.load_1min is not None]
        cores = next((load.cores for load in loads if load.cores is not None), None)
        return cls(max(known) if known else None, cores)

    def to_dict(self) -> dict[str, Any]:
        return {
            "load_1min": None if self.load_1min is None else round(self.load_1min, 2),
            "cores": self.cores,
            "overloaded": self.overloaded,
        }

    @classmethod
    def from_dict(cls, data: Any) -> MachineLoad | None:
        """The load a saved result recorded (`to_dict()`'s fields), or None when it recorded none."""
        if not isinstance(data, dict):
            return None
        load, cores = data.get("load_1min"), data.get("cores")
        load = float(load) if isinstance(load, (int, float)) and not isinstance(load, bool) else None
        cores = cores if isinstance(cores, int) and not isinstance(cores, bool) else None
        return cls(load, cores)

    def describe(self) -> str:
        """E.g. "1-minute load average 2.31 on 2 cores"."""
        cores = "unknown cores" if self.cores is None else f"{self.cores} core{'s' * (self.cores != 1)}"
        if self.load_1min is None:
            return f"1-minute load average not reported by this OS, {cores}"
        return f"1-minute load average {self.load_1min:.2f} on {cores}"

    def warning(self) -> str | None:
        """What to print when the load exceeded the cores (None otherwise)."""
        if not self.overloaded:
            return None
        return (
            f"the 1-minute load average ({self.load_1min:.2f}) exceeded the {self.cores} usable cores while "
            f"timing: other processes competed for the CPU, so these wall-clock latencies are inflated; "
            f"ratios are taken on the thread-CPU clock where it was measured. Rerun on an idle machine for "
            f"absolute figures"
        )


def current_load() -> MachineLoad:
    """The load now: `os.getloadavg()`'s 1-minute figure and the usable cores."""
    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        load = None
    return MachineLoad(load, usable_cpus() or os.cpu_count())
