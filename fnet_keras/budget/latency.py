"""Candidate latencies: measured here with `fnet_keras.edge.bench`, or read from a bench JSON profile.

A profile is the `BenchmarkResult` JSON that `fnet-keras bench --json` (or `--save`) writes on the
target device; its models are matched to the candidates by the SHA-256 of model.tflite, so names and
paths on the device do not matter. TF-free: this runs on the edge install too.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from fnet_keras.budget.errors import BudgetError
from fnet_keras.edge.bench_result import BenchmarkResult

# Which p50 a budget applies to: the model's invoke alone, or tokenization plus inference per text.
BUDGET_ON = ("model", "end-to-end")


@dataclasses.dataclass(frozen=True)
class Latency:
    """A model's p50s at one thread count, in ms: one inference (`invoke` only), and tokenization plus
    inference per text (None when no texts were timed)."""

    model_ms: float
    end_to_end_ms: float | None

    def of(self, budget_on: str) -> float | None:
        return self.model_ms if budget_on == "model" else self.end_to_end_ms


def profile_latencies(
    profile: BenchmarkResult,
    models: Mapping[str, str],
    threads: int,
    *,
    path: str | os.PathLike | None = None,
    bundles: Mapping[str, str | os.PathLike] | None = None,
) -> dict[str, Latency]:
    """The latency in `profile` at `threads` of each model: candidate name -> SHA-256 of its model.tflite.

    `path` (the profile's file) and `bundles` (candidate name -> bundle, what to benchmark on the
    device) are named in errors.

    Raises:
        BudgetError: the profile lacks the thread count, some of the models, or a median.
    """
    check_threads(profile, threads, path)
    by_sha = {}
    for model in profile.models:
        by_sha.setdefault(model["sha256"], model["name"])
    missing = [name for name, sha256 in models.items() if sha256 not in by_sha]
    if missing:
        listed = "; ".join(
            f"{name} (sha256 {models[name][:12]}…"
            + (f", {os.fspath(bundles[name])}" if bundles and name in bundles else "") + ")"
            for name in missing
        )
        held = "; ".join(f"{model['name']} (sha256 {model['sha256'][:12]}…)" for model in profile.models)
        raise BudgetError(
            f"the profile does not hold {len(missing)} of the {len(models)} candidate model(s), matched by "
            f"the SHA-256 of model.tflite (a profile of another model set?): missing {listed}. It holds: "
            f"{held}. Benchmark the candidates' bundles on the device (fnet-keras bench BUNDLE... --json)",
            path,
        )
    latencies = {}
    for name, sha256 in models.items():
        cell = profile.cell(by_sha[sha256], threads)
        if cell["inference_p50"] is None:
            raise BudgetError(
                f"the profile has no median latency for {by_sha[sha256]} at {threads} thread(s) "
                f"(fewer than 2 counted runs)",
                path,
            )
        total = None if cell["end_to_end"] is None else cell["end_to_end"]["total"]["p50"]
        latencies[name] = Latency(cell["inference_p50"] / 1000, None if total is None else total / 1000)
    return latencies


def measure_latencies(
    bundles: Mapping[str, str | os.PathLike],
    *,
    threads: int = 1,
    runs: int = 100,
    warmup: int = 10,
    texts: Sequence[str] = (),
    runtime: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> BenchmarkResult:
    """Benchmarks the bundles (candidate name -> bundle directory) here, interleaved, without peak memory
    (`fnet_keras.edge.bench.benchmark`; `texts`: end-to-end latency too), its models named as the keys."""
    from fnet_keras.edge.bench import benchmark
    from fnet_keras.edge.bench_session import unique_names

    say = progress or (lambda line: None)
    paths = {os.fspath(path): name for name, path in bundles.items()}
    # The bench names a bundle after its directory, with parent folders where names repeat
    # ("fnet/bundles/int8"): its progress lines are reworded to say which candidate each is.
    bench_names = unique_names([Path(path).name for path in paths], list(paths))
    shown = dict(zip(bench_names, paths.values(), strict=True))

    def candidate_progress(line: str) -> None:
        for bench_name, name in shown.items():
            line = line.replace(f"] {bench_name}, ", f"] {name}, ")
        say(line)

    data = benchmark(list(paths), threads=[threads], runs=runs, warmup=warmup, texts=list(texts) or None,
                     memory=False, runtime=runtime, progress=candidate_progress).to_dict()
    new = {model["name"]: paths.get(model["path"], model["name"]) for model in data["models"]}
    for model in data["models"]:
        model["name"] = new[model["name"]]
    for cell in data["cells"]:
        cell["model"] = new[cell["model"]]
    for comparison in data["comparisons"]:
        comparison["reference"] = new[comparison["reference"]]
        for entry in comparison["models"]:
            entry["model"] = new[entry["model"]]
    return BenchmarkResult(data)


def check_threads(profile: BenchmarkResult, threads: int, path: str | os.PathLike | None = None) -> None:
    """Refuses a profile that did not measure `threads` (a `BudgetError` naming both)."""
    measured = profile.to_dict()["settings"]["threads"]
    if threads not in measured:
        counts = f"{measured[0]} thread(s)" if len(measured) == 1 else f"thread counts {measured}"
        raise BudgetError(
            f"the profile was measured at {counts}, not at the asked --threads {threads}; "
            f"benchmark with --threads {threads} or ask for one of its thread counts",
            path,
        )
