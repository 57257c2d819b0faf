"""Latency statistics for `fnet-keras bench`, written down once: mean, std, percentiles, when to trust them.

- Percentiles use linear interpolation between the two nearest ranks (Hyndman and Fan's
  type 7, numpy's default `method="linear"`): for sorted values x[0..n-1] the q-th percentile
  is x[k] + (h - k) * (x[k+1] - x[k]) with h = (n - 1) * q / 100 and k = floor(h).
- A percentile q is reported only when at least one run is expected above it, that is when
  n >= 100 / (100 - q): p50 needs 2 runs, p90 needs 10, p99 needs 100. Otherwise it is None
  (JSON null) and `omitted_percentiles` names it, so a p99 of 20 runs (which is just their
  maximum) is never shown as a p99.
- The standard deviation is the population one (divide by n), as LiteRT's benchmark_model
  computes its `std`; the mean is the plain average.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

PERCENTILE_METHOD = "linear"
STD_KIND = "population"
PERCENTILES = (50, 90, 99)


def min_runs_for_percentile(q: float) -> int:
    """The fewest runs for which percentile `q` is reported: ceil(100 / (100 - q))."""
    if not 0 <= q < 100:
        raise ValueError(f"percentile must be in [0, 100), got {q}")
    return math.ceil(100 / (100 - q) - 1e-9)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile of `values` by linear interpolation (the module docstring's formula)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


@dataclasses.dataclass(frozen=True)
class LatencyStats:
    """Summary of a series of latencies (any unit; the bench uses microseconds).

    Attributes:
        count: number of values.
        avg, std: mean and population standard deviation.
        min, max: extremes.
        p50, p90, p99: percentiles, None where there are too few values (module docstring).
    """

    count: int
    avg: float
    std: float
    min: float
    max: float
    p50: float | None
    p90: float | None
    p99: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> LatencyStats:
        if not values:
            raise ValueError("no values to summarize")
        count = len(values)
        mean = math.fsum(values) / count
        variance = math.fsum((value - mean) ** 2 for value in values) / count
        reported = {
            f"p{q}": percentile(values, q) if count >= min_runs_for_percentile(q) else None
            for q in PERCENTILES
        }
        return cls(count, mean, math.sqrt(variance), min(values), max(values), **reported)

    @property
    def omitted_percentiles(self) -> list[str]:
        """Names of the percentiles left out for too few values (`["p99"]`, ...)."""
        return [f"p{q}" for q in PERCENTILES if getattr(self, f"p{q}") is None]

    def to_dict(self, prefix: str = "") -> dict[str, float | int | None]:
        """`{prefix + "count": ..., prefix + "avg": ..., ...}` in a fixed order."""
        return {prefix + field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


def spread(values: Sequence[float]) -> dict[str, float]:
    """min, median and max of a small series (per-round ratios)."""
    return {"min": min(values), "median": median(values), "max": max(values)}
