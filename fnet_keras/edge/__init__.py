"""The TF-free edge runtime: load a bundle, tokenize in pure Python, classify with LiteRT.

Imports only the standard library, numpy, a LiteRT interpreter (`ai_edge_litert`, else
`tflite_runtime`, imported when a bundle is loaded) and fnet_keras's pure-Python parts
(`fnet_keras.text`, `fnet_keras.data`, `fnet_keras.metrics`); never TensorFlow, Keras or
keras-hub. Install for a device: `pip install --no-deps fnet-keras` then
`pip install ai-edge-litert numpy`.

    bundle = load_bundle("export/sst2-fp32")          # a bundle directory or its .zip
    bundle.classify(["a gorgeous film"], top_k=1)      # [[("1", 0.97)]]
    result = bundle.classify_timed(texts)              # + tokenize_seconds, inference_seconds
    evaluate_bundle(bundle, "data/test.tsv")           # accuracy, macro_f1, ... (fnet_keras.metrics)

A bundle holds model.tflite, vocab.txt, labels.txt and bundle.json (`Manifest`); the
exporter writes one with `write_bundle`. Command line: `fnet-keras classify` and
`fnet-keras evaluate` (`fnet_keras.edge.cli`, also `python -m fnet_keras.edge`).
"""

from fnet_keras.edge.bundle import Bundle, load_bundle
from fnet_keras.edge.bundle_writer import write_bundle
from fnet_keras.edge.classification import Classification
from fnet_keras.edge.errors import BundleError, EdgeRuntimeError
from fnet_keras.edge.evaluate import evaluate_bundle, read_evaluation_split
from fnet_keras.edge.litert_model import LiteRTModel, check_tflite_bytes
from fnet_keras.edge.manifest import FORMAT, FORMAT_VERSION, QUANTIZATIONS, Manifest
from fnet_keras.edge.runtime import (
    RuntimeInfo,
    check_runtime,
    detect_runtime,
    parse_version,
    runtime_requirements,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "QUANTIZATIONS",
    "Bundle",
    "BundleError",
    "Classification",
    "EdgeRuntimeError",
    "LiteRTModel",
    "Manifest",
    "RuntimeInfo",
    "check_runtime",
    "check_tflite_bytes",
    "detect_runtime",
    "evaluate_bundle",
    "load_bundle",
    "parse_version",
    "read_evaluation_split",
    "runtime_requirements",
    "write_bundle",
]
