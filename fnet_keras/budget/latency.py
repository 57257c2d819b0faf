"""Candidate latencies: measured here with `fnet_keras.edge.bench`, or read from a bench JSON profile.

A profile is the `BenchmarkResult` JSON that `fnet-keras bench --json` (or `--save`) writes on
the target device. Its models are matched to the candidates by the SHA-256 of model.tflite
(`models[].sha256`), so names and paths on the device do not matter. TF-free: this runs on the
edge install too.
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
US_PER_MS = 1000.0


@dataclasses.dataclass(frozen=True)
class Latency:
    """A model's median latencies at one thread count, in milliseconds.

    Attributes:
        model_ms: p50 of one inference (inputs already set: `invoke` only).
        end_to_end_ms: p50 per text of the bundle's tokenizer plus inference, or None when not
            measured (no texts).
    """

    model_ms: float
    end_to_end_ms: float | None

    def of(self, budget_on: str) -> float | None:
        """The p50 a budget `budget_on` ("model" or "end-to-end") is compared with."""
        return self.model_ms if budget_on == "model" else self.end_to_end_ms


def profile_latencies(
    profile: BenchmarkResult,
    models: Mapping[str, str],
    threads: int,
    *,
    path: str | os.PathLike | None = None,
    bundles: Mapping[str, str | os.PathLike] | None = None,
) -> dict[str, Latency]:
    """The latency of each candidate model found in `profile`.

    Args:
        profile: a benchmark result (here or loaded from the device's JSON).
        models: candidate name -> SHA-256 of its model.tflite.
        threads: the thread count to read (it must be one the profile measured).
        path: the profile's file, named in errors.
        bundles: candidate name -> bundle path, shown in the error when models are missing (so
            the user knows what to benchmark on the device).

    Raises:
        BudgetError: the profile lacks the thread count, lacks some of the models (another model
            set: it names them), or has no median for one.
    """
    check_threads(profile, threads, path)
    by_sha = {}
    for model in profile.models:
        by_sha.setdefault(model["sha256"], model["name"])
    missing = [name for name, sha256 in models.items() if sha256 not in by_sha]
    if missing:
        listed = "; ".join(
            f"{name} (sha256 {models[name][:12]}…"
            + (f", {os.fspath(bundles[name])}" if bundles and name in bundles else "")
            + ")"
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
        p50 = cell["inference_p50"]
        if p50 is None:
            raise BudgetError(
                f"the profile has no median latency for {by_sha[sha256]} at {threads} thread(s) "
                f"(fewer than 2 counted runs)",
                path,
            )
        end_to_end = cell["end_to_end"]
        total = None if end_to_end is None else end_to_end["total"]["p50"]
        latencies[name] = Latency(p50 / US_PER_MS, None if total is None else total / US_PER_MS)
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
    """Benchmarks the bundles here, interleaved, and names the models after the candidates.

    Args:
        bundles: candidate name -> bundle directory.
        threads: interpreter threads.
        runs, warmup: counted and warmup runs per model (`fnet_keras.edge.bench.benchmark`).
        texts: texts for end-to-end latency (tokenization + inference); empty: model only.
        runtime: the LiteRT interpreter package (default: whichever is installed).
        progress: called with a line per step.

    Returns:
        The `BenchmarkResult` (no peak memory), its models named after the candidates.
    """
    from fnet_keras.edge.bench import benchmark
    from fnet_keras.edge.bench_session import unique_names

    names = list(bundles)
    say = progress or (lambda line: None)
    # The bench names a bundle after its directory, with parent folders where names repeat
    # ("fnet/bundles/int8"): its progress lines say which candidate each one is.
    paths = [os.fspath(bundles[name]) for name in names]
    shown = dict(zip(unique_names([Path(path).name for path in paths], paths), names, strict=True))

    def candidate_progress(line: str) -> None:
        for bench_name, name in shown.items():
            line = line.replace(f"] {bench_name}, ", f"] {name}, ")
        say(line)

    result = benchmark(
        [os.fspath(bundles[name]) for name in names],
        threads=[threads],
        runs=runs,
        warmup=warmup,
        texts=list(texts) or None,
        memory=False,
        runtime=runtime,
        progress=candidate_progress,
    )
    return renamed(result, {os.fspath(bundles[name]): name for name in names})


def check_threads(profile: BenchmarkResult, threads: int, path: str | os.PathLike | None = None) -> None:
    """Refuses a profile that did not measure `threads` (a `BudgetError` naming both)."""
    measured = profile.to_dict()["settings"]["threads"]
    if threads not in measured:
        raise BudgetError(
            f"the profile was measured at {_threads(measured)}, not at the asked --threads {threads}; "
            f"benchmark with --threads {threads} or ask for one of its thread counts",
            path,
        )


def renamed(result: BenchmarkResult, names_by_path: Mapping[str, str]) -> BenchmarkResult:
    """`result` with each model named by its path's entry in `names_by_path` (others keep their names)."""
    data = result.to_dict()
    new = {model["name"]: names_by_path.get(model["path"], model["name"]) for model in data["models"]}
    for model in data["models"]:
        model["name"] = new[model["name"]]
    for cell in data["cells"]:
        cell["model"] = new[cell["model"]]
    for comparison in data["comparisons"]:
        comparison["reference"] = new[comparison["reference"]]
        for entry in comparison["models"]:
            entry["model"] = new[entry["model"]]
    return BenchmarkResult(data)


def load_profile(path: str | os.PathLike) -> BenchmarkResult:
    """A bench JSON file (`fnet-keras bench --json > FILE`, or `--save PREFIX`'s PREFIX.json)."""
    return BenchmarkResult.load(Path(path))


def _threads(threads: list[int]) -> str:
    return f"{threads[0]} thread(s)" if len(threads) == 1 else f"thread counts {threads}"
