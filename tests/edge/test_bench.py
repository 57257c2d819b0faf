"""`fnet-keras bench` on real tiny models: cells, interleaving, end to end, memory per process, schema, CLI.

Models: the conftest's fp32 and int8 bundles, plus .tflite files made here (three MediaPipe-style
int32 inputs, a float-input model, and one with 32 MiB of weights). Few runs; no assertion on
any time value, only on counts, structure and consistency with the recorded samples.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from support import convert_function as convert

from fnet_keras.edge import BundleError, detect_runtime, load_bundle
from fnet_keras.edge.bench import BenchUsageError, benchmark
from fnet_keras.edge.bench_memory import measure_peak_memory, memory_supported
from fnet_keras.edge.bench_result import SCHEMA_VERSION, BenchmarkResult, BenchResultError
from fnet_keras.edge.bench_session import (
    BenchTarget,
    TimedModel,
    feed_from_token_ids,
    interleaved_schedule,
    synthetic_inputs,
)
from fnet_keras.edge.model_ops import op_counts, read_ops
from fnet_keras.text import PAD_ID

TEXTS = ["a good film", "an awful plot . not very good", "", "great acting , fine plot !"]
needs_memory = pytest.mark.skipif(not memory_supported(), reason="needs os.wait4 and os.posix_spawn (POSIX)")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bench-models")


@pytest.fixture(scope="module")
def vocabulary_rows(trained_run) -> int:
    return len(trained_run.vocabulary)  # the tokenizer of the session's bundles fits this table


@pytest.fixture(scope="module")
def three_input_model(model_dir, vocabulary_rows):
    """MediaPipe's layout (bundle format 2): input_word_ids, input_mask, input_type_ids -> probabilities."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    words = tf.constant(rng.normal(size=(vocabulary_rows, 32)).astype(np.float32))
    types = tf.constant(rng.normal(size=(2, 32)).astype(np.float32))
    dense = tf.constant(rng.normal(size=(32, 3)).astype(np.float32))
    names = ("input_word_ids", "input_mask", "input_type_ids")

    @tf.function(input_signature=[tf.TensorSpec([1, 16], tf.int32, name=name) for name in names])
    def serve(input_word_ids, input_mask, input_type_ids):
        mask = tf.cast(input_mask, tf.float32)[..., None]
        embedded = tf.gather(words, input_word_ids) + tf.gather(types, input_type_ids)
        pooled = tf.reduce_sum(embedded * mask, 1) / tf.reduce_sum(mask, 1)
        return {"probabilities": tf.nn.softmax(pooled @ dense)}

    path = model_dir / "three-inputs.tflite"
    path.write_bytes(convert(serve))
    return path


def _float_model(model_dir, name: str, inputs: int, outputs: int):
    import tensorflow as tf

    weights = tf.constant(np.random.default_rng(1).normal(size=(inputs, outputs)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, inputs], tf.float32, name="features")])
    def serve(features):
        return {"scores": tf.nn.relu(features @ weights)}

    path = model_dir / f"{name}.tflite"
    path.write_bytes(convert(serve))
    return path


@pytest.fixture(scope="module")
def float_model(model_dir):
    return _float_model(model_dir, "float", 64, 8)


@pytest.fixture(scope="module")
def big_float_model(model_dir):
    return _float_model(model_dir, "big", 1024, 4096)  # 16 MiB of float32 weights


@pytest.fixture(scope="module")
def sweep(fp32_bundle, int8_bundle, three_input_model):
    """One benchmark of three models at two thread counts, with texts and memory."""
    lines = []
    result = benchmark(
        [fp32_bundle.directory, int8_bundle.zip_path, three_input_model],
        threads=[1, 2],
        runs=12,
        warmup=2,
        round_runs=4,
        texts=TEXTS,
        memory_runs=2,
        progress=lines.append,
    )
    return result, lines


def test_every_cell_is_measured_and_its_statistics_match_its_samples(sweep):
    result, progress = sweep
    assert [(cell["model"], cell["threads"]) for cell in result.cells] == [
        ("fp32", 1),
        ("int8", 1),
        ("three-inputs", 1),
        ("fp32", 2),
        ("int8", 2),
        ("three-inputs", 2),
    ]
    for cell in result.cells:
        samples = np.array(cell["inference_samples"])
        assert len(samples) == cell["inference_count"] == 12 and (samples > 0).all()
        assert cell["inference_avg"] == pytest.approx(samples.mean(), abs=1e-3)
        assert cell["inference_std"] == pytest.approx(samples.std(), abs=1e-3)
        assert cell["inference_p50"] == pytest.approx(np.percentile(samples, 50), abs=1e-3)
        assert cell["inference_p90"] == pytest.approx(np.percentile(samples, 90), abs=1e-3)
        assert cell["inference_p99"] is None  # 12 runs cannot support a p99
        assert cell["warmup_count"] == 2 and cell["init"] > 0 and cell["first_inference"] > 0
        # Three rounds of four runs each; each round's median comes from its own runs.
        assert len(cell["round_p50"]) == 3
        for round_index, value in enumerate(cell["round_p50"]):
            assert value == pytest.approx(np.median(samples[4 * round_index : 4 * round_index + 4]), abs=1e-3)
    assert any("p99 not reported: 12 counted runs" in note for note in result.notes)
    assert sum(line.startswith("[") for line in progress) == 6  # one line per cell


def test_delegate_is_what_the_default_resolver_applied(sweep, fp32_bundle, int8_bundle, three_input_model):
    from ai_edge_litert.interpreter import Interpreter

    result, _ = sweep
    files = {
        "fp32": fp32_bundle.tflite_bytes,
        "int8": int8_bundle.tflite_bytes,
        "three-inputs": three_input_model.read_bytes(),
    }
    for cell in result.cells:
        interpreter = Interpreter(model_content=files[cell["model"]], num_threads=cell["threads"])
        interpreter.allocate_tensors()
        partitions = [op["op_name"] for op in interpreter._get_ops_details()].count("DELEGATE")
        assert cell["delegate_partitions"] == partitions
        assert cell["delegate"] == ("XNNPACK" if partitions else "none")
    assert result.cell("fp32", 1)["delegate"] == "XNNPACK"


def test_models_carry_their_own_op_histogram_and_inputs(
    sweep, fp32_bundle, three_input_model, vocabulary_rows
):
    result, _ = sweep
    fp32, int8, three = result.models
    assert fp32["ops"] == json.loads((fp32_bundle.directory / "bundle.json").read_text())["ops"]
    assert "DELEGATE" not in fp32["ops"] and fp32["op_count"] == sum(fp32["ops"].values())
    assert (fp32["kind"], fp32["quantization"], fp32["sequence_length"]) == ("bundle", "fp32", 16)
    assert (int8["kind"], int8["quantization"], int8["path"].endswith(".zip")) == ("bundle", "int8", True)
    assert three["kind"] == "tflite" and three["quantization"] is None
    assert three["ops"] == op_counts(read_ops(three_input_model.read_bytes()))
    assert sorted((spec["name"], spec["role"], spec["fill"]) for spec in three["inputs"]) == [
        ("serving_default_input_mask:0", "mask", "ones"),
        ("serving_default_input_type_ids:0", "type_ids", "zeros"),
        ("serving_default_input_word_ids:0", "token_ids", f"random ids in [1, {vocabulary_rows})"),
    ]
    assert fp32["inputs"][0]["role"] == "token_ids" and fp32["outputs"][0]["shape"] == [1, 3]


def test_ratios_are_medians_over_the_first_model(sweep):
    result, _ = sweep
    assert [comparison["threads"] for comparison in result.comparisons] == [1, 2]
    for comparison in result.comparisons:
        assert comparison["reference"] == "fp32"
        threads = comparison["threads"]
        reference = result.cell("fp32", threads)
        for entry in comparison["models"]:
            cell = result.cell(entry["model"], threads)
            expected = np.median(cell["inference_samples"]) / np.median(reference["inference_samples"])
            assert entry["p50_ratio"] == pytest.approx(expected, rel=1e-9)
            per_round = np.array(cell["round_p50"]) / np.array(reference["round_p50"])
            assert entry["round_ratio"]["min"] == pytest.approx(per_round.min(), rel=1e-5)
            assert entry["round_ratio"]["max"] == pytest.approx(per_round.max(), rel=1e-5)
        assert [entry["model"] for entry in comparison["models"]] == ["int8", "three-inputs"]


def test_end_to_end_for_bundles_only(sweep):
    result, _ = sweep
    assert result.to_dict()["settings"]["text_count"] == len(TEXTS)
    for cell in result.cells:
        if cell["model"] == "three-inputs":
            assert cell["end_to_end"] is None
            continue
        parts = cell["end_to_end"]
        assert parts["text_count"] == len(TEXTS)
        assert all(parts[part]["count"] == len(TEXTS) for part in ("tokenize", "inference", "total"))
        # Per text, total = tokenize + inference, so the means add up (to rounding).
        total = parts["tokenize"]["avg"] + parts["inference"]["avg"]
        assert parts["total"]["avg"] == pytest.approx(total, abs=0.01)
        assert parts["total"]["p99"] is None
    assert any("three-inputs: no end-to-end latency" in note for note in result.notes)
    assert all(comparison["models"][1]["end_to_end_p50_ratio"] is None for comparison in result.comparisons)
    assert all(comparison["models"][0]["end_to_end_p50_ratio"] > 0 for comparison in result.comparisons)


@needs_memory
def test_memory_per_cell_and_baseline(sweep):
    result, _ = sweep
    baseline = result.to_dict()["memory_baseline"]
    assert baseline["peak_rss_bytes"] > 10 * 2**20  # a Python with numpy and an interpreter
    for cell in result.cells:
        memory = cell["memory"]
        assert memory["source"] == "wait4" and memory["runs"] == 2
        assert memory["above_baseline_bytes"] == memory["peak_rss_bytes"] - baseline["peak_rss_bytes"]
        assert memory["above_baseline_bytes"] > 0  # an interpreter with a model on top of the same imports
        if memory["vm_hwm_bytes"] is not None:  # Linux: the process's own peak agrees with wait4's
            assert abs(memory["peak_rss_bytes"] - memory["vm_hwm_bytes"]) < 8 * 2**20


def test_runs_follow_the_interleaved_schedule(fp32_bundle, float_model, monkeypatch):
    order = []

    def recording(method):
        def invoke(self):
            order.append(self.target.name)
            return method(self)

        return invoke

    # Every run, untimed, warmup or counted, is one invoke_both_us (invoke_us reads one of its clocks).
    monkeypatch.setattr(TimedModel, "invoke_both_us", recording(TimedModel.invoke_both_us))
    benchmark([fp32_bundle.directory, float_model], runs=5, warmup=2, round_runs=2, memory=False)
    names = ["fp32", "float"]
    # The untimed first run of the process, then the warmups, each right after its model loads.
    expected = ["fp32"] + ["fp32"] * 2 + ["float"] * 2
    for _, model, count in interleaved_schedule(2, 5, 2):
        expected += [names[model]] * count
    assert order == expected
    # Rounds of 2, 2 and 1 runs: A A B B | B B A A | A B.
    assert expected[5:] == ["fp32"] * 2 + ["float"] * 4 + ["fp32"] * 3 + ["float"]


def test_three_named_inputs_are_filled_by_role_and_fed_from_a_tokenizer(
    fp32_bundle, three_input_model, vocabulary_rows
):
    runtime = detect_runtime()
    bundle = load_bundle(fp32_bundle.directory)
    # The three-input model (sequence length 16) with the fp32 bundle's tokenizer: format 2's coupling.
    target = BenchTarget("three", str(three_input_model), "tflite", three_input_model.read_bytes(), bundle)
    session = TimedModel(target, runtime, threads=1)
    roles = {spec.name.removeprefix("serving_default_").removesuffix(":0"): spec for spec in session.specs}
    assert roles["input_word_ids"].id_limit == vocabulary_rows  # found through the GATHER's table
    arrays = synthetic_inputs(session.specs, seed=3)
    ids = arrays[roles["input_word_ids"].index]
    assert ids.dtype == np.int32 and ids.min() >= 1 and ids.max() < vocabulary_rows
    assert (arrays[roles["input_mask"].index] == 1).all() and (
        arrays[roles["input_type_ids"].index] == 0
    ).all()

    packed = bundle.tokenizer.encode("a good film")
    fed = feed_from_token_ids(packed, session.specs)
    assert fed[roles["input_word_ids"].index].tolist() == [packed]
    assert fed[roles["input_mask"].index].tolist() == [[int(token != PAD_ID) for token in packed]]
    assert fed[roles["input_type_ids"].index].tolist() == [[0] * 16]
    tokenize_us, inference_us = session.text_us("a good film")
    assert tokenize_us > 0 and inference_us > 0
    probabilities = session._interpreter.get_tensor(session._output_indices[0])
    assert probabilities.shape == (1, 3) and np.isclose(probabilities.sum(), 1.0, atol=1e-5)


def test_texts_need_token_inputs(fp32_bundle, float_model):
    bundle = load_bundle(fp32_bundle.directory)
    target = BenchTarget("float", str(float_model), "tflite", float_model.read_bytes(), bundle)
    session = TimedModel(target, detect_runtime(), threads=1)
    with pytest.raises(BundleError, match="'serving_default_features:0' .* is not token ids, a mask or type"):
        session.check_text_inputs()


@pytest.mark.slow
@needs_memory
def test_peak_memory_is_the_measured_process_alone_not_its_parent(fp32_bundle):
    """ru_maxrss survives exec, so a child spawned from this process would report at least our RSS."""
    ballast = bytearray(400 * 2**20)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touch every page: this process is now > 400 MiB
    runtime = detect_runtime()
    baseline = measure_peak_memory(runtime, None)
    model = measure_peak_memory(runtime, fp32_bundle.tflite_bytes, runs=2)
    assert baseline.peak_rss_bytes < 300 * 2**20 and model.peak_rss_bytes < 300 * 2**20
    # What a direct child reports here, for contrast: the parent's size leaks into it.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0
    assert usage.ru_maxrss * 1024 > 400 * 2**20
    del ballast


@pytest.mark.slow
@needs_memory
def test_a_model_with_16_mib_of_weights_peaks_at_least_that_much_higher(float_model, big_float_model):
    runtime = detect_runtime()
    small = measure_peak_memory(runtime, float_model.read_bytes(), runs=1)
    big = measure_peak_memory(runtime, big_float_model.read_bytes(), runs=1)
    assert big.peak_rss_bytes - small.peak_rss_bytes > 16 * 2**20


def test_result_round_trips_through_json_and_saves_markdown(sweep, tmp_path):
    result, _ = sweep
    json_path, markdown_path = result.save(tmp_path / "out" / "bench")
    assert (json_path.name, markdown_path.name) == ("bench.json", "bench.md")
    loaded = BenchmarkResult.load(json_path)
    assert loaded.to_dict() == result.to_dict()
    assert json.loads(json_path.read_text())["schema_version"] == SCHEMA_VERSION
    markdown = markdown_path.read_text()
    assert markdown == result.format()
    for heading in (
        "## Latency (us)",
        "## Ratios of medians (relative to fp32)",
        "## End to end",
        "## Models",
    ):
        assert heading in markdown
    assert "| int8 | 2 |" in markdown


def _broken(sweep, change):
    data = sweep[0].to_dict()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(schema_version=2), "schema_version 2 is not supported"),
        (lambda d: d.update(schema="other"), "'schema' is 'other'"),
        (lambda d: d["cells"][3].pop("inference_p50"), "missing field 'cells\\[3\\].inference_p50'"),
        (lambda d: d["cells"][0].update(init="fast"), "field 'cells\\[0\\].init' must be a number or null"),
        (
            lambda d: d["cells"][0].update(model="nope"),
            "'cells\\[0\\].model' 'nope' is not one of the models",
        ),
        (lambda d: d["cells"][1].update(delegate="GPU"), "'cells\\[1\\].delegate' must be one of"),
        (
            lambda d: d["cells"][0]["memory"].update(peak_rss_bytes=1.5),
            "memory.peak_rss_bytes' must be an integer",
        ),
        (lambda d: d["cells"][0]["end_to_end"]["total"].pop("p50"), "end_to_end.total.p50"),
        (lambda d: d["settings"].update(threads=[]), "settings.threads"),
        (lambda d: d["models"].append(dict(d["models"][0])), "model names are not unique"),
        (lambda d: d["comparisons"][0]["models"][0].update(p50_ratio=True), "p50_ratio' must be"),
        (lambda d: d["cells"][0].update(inference_avg=float("nan")), "inference_avg' must be a number"),
    ],
)
def test_schema_validation_names_the_field(sweep, change, message):
    if "memory" in message and sweep[0].cells[0]["memory"] is None:
        pytest.skip("memory was not measured on this OS")
    with pytest.raises(BenchResultError, match=message):
        BenchmarkResult(_broken(sweep, change))


def test_load_names_the_file_and_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"schema": "fnet-keras-bench",\n "schema_version": 1,\n oops}')
    with pytest.raises(BenchResultError, match=r"bad.json, line 3: not valid JSON"):
        BenchmarkResult.load(path)


def test_settings_are_checked_before_anything_runs(float_model):
    for kwargs, message in [
        ({"runs": 0}, "runs must be an integer >= 1"),
        ({"threads": [1, 1]}, "thread counts repeat"),
        ({"threads": []}, "no thread counts"),
        ({"clock": "sundial"}, "unknown clock 'sundial'"),
        ({"clock": "thread_cpu", "threads": [1, 2]}, "clock 'thread_cpu' times the calling thread"),
    ]:
        with pytest.raises(BenchUsageError, match=message):
            benchmark([float_model], **kwargs)


def _run_cli(*args, env=None):
    from support import run_cli

    return run_cli("bench", *args, env=env)


def test_cli_prints_one_json_object_and_progress_on_stderr(fp32_bundle, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("a good film\n\nan awful plot\n", encoding="utf-8")
    completed = _run_cli(
        str(fp32_bundle.zip_path),
        "--runs",
        "3",
        "--warmup",
        "1",
        "--no-memory",
        "--json",
        "--texts",
        str(texts),
    )
    assert completed.returncode == 0, completed.stderr.decode()
    lines = completed.stdout.decode().strip().splitlines()
    assert len(lines) == 1
    result = BenchmarkResult(json.loads(lines[0]))
    assert result.cells[0]["inference_count"] == 3 and result.cells[0]["memory"] is None
    assert result.cells[0]["end_to_end"]["text_count"] == 2  # the blank line is skipped
    stderr = completed.stderr.decode()
    assert "bench: [1/1] fp32, 1 thread(s): p50" in stderr
    assert "note: peak memory not measured (turned off)" in stderr


def test_cli_markdown_and_bad_input(float_model, tmp_path):
    completed = _run_cli(str(float_model), "--runs", "2", "--warmup", "1", "--no-memory")
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode().startswith("# fnet-keras bench")
    missing = _run_cli(str(tmp_path / "nope.tflite"))
    assert missing.returncode == 2
    assert f"error: {tmp_path / 'nope.tflite'}: no such bundle or .tflite file" in missing.stderr.decode()
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"\0" * 200)
    refused = _run_cli(str(garbage))
    assert refused.returncode == 2 and "not a LiteRT flatbuffer" in refused.stderr.decode()
    removed = _run_cli(str(float_model), "--tool", "benchmark_model")  # LiteRT's timers: not offered
    assert removed.returncode == 2 and "unrecognized arguments: --tool" in removed.stderr.decode()


def test_bench_imports_no_tensorflow(float_model):
    from import_check import packages_loaded_by

    statements = (
        "from fnet_keras.edge.bench import benchmark\n"
        f"benchmark([{str(float_model)!r}], runs=2, warmup=1, memory=False)"
    )
    assert packages_loaded_by(statements) == []


def test_thread_cpu_clock_is_recorded_and_named_in_the_markdown(float_model):
    result = benchmark([float_model], runs=4, warmup=1, memory=False, clock="thread_cpu").to_dict()
    assert result["settings"]["clock"] == "thread_cpu"
    (cell,) = result["cells"]
    assert len(cell["inference_samples"]) == 4 and min(cell["inference_samples"]) > 0
    assert "CPU time of the timing thread" in BenchmarkResult(result).format()


def test_a_mediapipe_layout_model_alone_gets_ids_below_its_table():
    # The shipped demo's model.tflite without its bundle: the ids reach the GATHER through the mask's MUL
    # and the negative-index SELECT, so the table's rows bound them (zeros would be all padding).
    from pathlib import Path

    from ai_edge_litert.interpreter import Interpreter

    import fnet_keras
    from fnet_keras.edge.bench_session import input_specs

    demo = Path(fnet_keras.__file__).parent / "demo" / "sst2"
    interpreter = Interpreter(str(demo / "model.tflite"))
    interpreter.allocate_tensors()
    specs = {spec.role: spec for spec in input_specs(interpreter)}
    assert specs["token_ids"].id_limit == len((demo / "vocab.txt").read_text(encoding="utf-8").splitlines())
