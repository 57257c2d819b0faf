"""The TF-free edge runtime: load a bundle, tokenize in pure Python, classify with LiteRT, benchmark.

Imports only the standard library, numpy, `flatbuffers`, a LiteRT interpreter (`ai_edge_litert`,
else `tflite_runtime`, imported when a bundle is loaded) and fnet_keras's pure-Python parts
(`fnet_keras.text`, `fnet_keras.data`, `fnet_keras.metrics`); never TensorFlow, Keras or keras-hub.
Install on a device: `pip install fnet-keras` (the base install is this runtime).

    bundle = load_bundle("bundles/int8")              # a bundle directory or its .zip
    bundle.classify("a gorgeous film")                # Prediction: pos 0.9731
    result = bundle.classify(texts)                   # Classification: a Prediction per text, timings
    evaluate_bundle(bundle, "data/test.tsv")          # accuracy, macro_f1, ... (fnet_keras.metrics)
    benchmark(["bundles/fp32", "bundles/int8"])       # latency, memory, ops (fnet_keras.edge.bench)

A bundle holds model.tflite (MediaPipe-ready: its TFLite metadata embeds the vocabulary and
labels), vocab.txt, labels.txt and bundle.json (`Manifest`, which documents the format); the
exporter writes one with `write_bundle`. Command line: `fnet-keras classify`, `fnet-keras evaluate`
and `fnet-keras bench`.
"""

from fnet_keras.edge.bench import benchmark
from fnet_keras.edge.bench_result import BenchmarkResult
from fnet_keras.edge.bundle import Bundle, load_bundle
from fnet_keras.edge.bundle_writer import write_bundle
from fnet_keras.edge.classification import Classification, Prediction
from fnet_keras.edge.errors import BundleError, EdgeRuntimeError, EmptyTextError, MetadataError
from fnet_keras.edge.evaluate import evaluate_bundle
from fnet_keras.edge.litert_model import LiteRTModel, check_tflite_bytes
from fnet_keras.edge.manifest import FORMAT, FORMAT_VERSION, MODES, Manifest
from fnet_keras.edge.model_ops import read_ops
from fnet_keras.edge.runtime import RuntimeInfo, check_runtime, detect_runtime, runtime_requirements

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MODES",
    "BenchmarkResult",
    "Bundle",
    "BundleError",
    "Classification",
    "EdgeRuntimeError",
    "EmptyTextError",
    "LiteRTModel",
    "Manifest",
    "MetadataError",
    "Prediction",
    "RuntimeInfo",
    "benchmark",
    "check_runtime",
    "check_tflite_bytes",
    "detect_runtime",
    "evaluate_bundle",
    "load_bundle",
    "read_ops",
    "runtime_requirements",
    "write_bundle",
]
