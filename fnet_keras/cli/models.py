"""`fnet-keras export`, `evaluate`, `classify` and `bench`: a run made into bundles, and what reads them."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from fnet_keras.argtypes import add_column_arguments, positive_int
from fnet_keras.cli.common import UsageError, needs_tensorflow, print_json, tell


def _pairs(names: str):
    """The argparse type of `A=B,C=D,...` flags: a dict, each A once; `names` ("OLD=NEW") in its errors."""

    def parse(text: str) -> dict[str, str]:
        pairs = [item.partition("=") for item in text.split(",") if item]
        if not pairs or any(not key or not separator or not value for key, separator, value in pairs):
            raise argparse.ArgumentTypeError(f"expected {names} pairs separated by commas, got {text!r}")
        mapping: dict[str, str] = {}
        for key, _, value in pairs:
            if mapping.setdefault(key, value) != value:
                raise argparse.ArgumentTypeError(f"{key!r} is mapped twice ({mapping[key]!r} and {value!r})")
        return mapping

    return parse


def _target_kind(target: str, args: argparse.Namespace | None = None, command: str = "") -> str:
    """ "bundle" or "run" (`fnet_keras.target_kind`) for an existing `target`, else a UsageError naming it.
    With `args` (--threads, --runtime): TensorFlow loaded for a run directory, with --threads applied."""
    from fnet_keras import target_kind

    path = Path(target)
    kind = target_kind(path)
    if kind is None and path.suffix.lower() == ".tflite" and path.is_file():
        raise UsageError(
            "a .tflite alone holds no vocabulary or labels to classify or score text with: give its bundle "
            "(the directory or .zip holding model.tflite, vocab.txt, labels.txt, bundle.json)",
            path,
        )
    if kind is None:
        reason = "neither a run directory (config.json) nor a bundle (bundle.json)"
        raise UsageError(reason if path.exists() else "no such run directory or bundle", path)
    if kind == "run" and args is not None:
        if args.runtime:
            raise UsageError("--runtime chooses a LiteRT interpreter for a bundle; a run directory runs in "
                             "TensorFlow", target)
        needs_tensorflow(command)
        if args.threads:
            import tensorflow as tf

            try:
                tf.config.threading.set_intra_op_parallelism_threads(args.threads)
                tf.config.threading.set_inter_op_parallelism_threads(args.threads)
            except RuntimeError:  # TensorFlow started already (a library caller, not the CLI)
                if tf.config.threading.get_intra_op_parallelism_threads() != args.threads:
                    tell(f"note: --threads {args.threads} not applied: TensorFlow already started in this "
                         "process")
    return kind


def _add_model_arguments(parser: argparse.ArgumentParser, json_help: str) -> None:
    """--json, --threads and --runtime: evaluate's and classify's."""
    from fnet_keras.edge.runtime import RUNTIME_NAMES

    parser.add_argument("--json", action="store_true", help=json_help)
    parser.add_argument(
        "--threads", type=positive_int, metavar="N",
        help="CPU threads: the LiteRT interpreter's for a bundle (default 1), TensorFlow's for "
        "a run directory (default: all)",
    )
    parser.add_argument("--runtime", choices=RUNTIME_NAMES,
                        help="LiteRT interpreter package for a bundle (default: ai_edge_litert if installed)")


# --- export -----------------------------------------------------------------------------


def _quantization_list(text: str) -> tuple[str, ...]:
    from fnet_keras.export.errors import ExportError
    from fnet_keras.export.recipes import check_modes

    try:
        return check_modes(text)
    except ExportError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class _Retired(argparse.Action):
    """export's hidden flags: --int8-output, removed (an error); --mixing, another name of --fourier-method
    (accepted, with a note)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if option_string == "--int8-output":
            parser.error("--int8-output was removed in 0.2: bundles output float32 probabilities (MediaPipe "
                         "refuses an int8 output tensor)")
        tell(f"note: --mixing is deprecated (it names the model's architecture in training); use "
             f"--fourier-method {values}")
        namespace.fourier_method = values


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.edge.manifest import MODES
    from fnet_keras.export.recipes import FOURIER_METHOD_CHOICES

    parser.add_argument("run_dir", metavar="RUN_DIR", help="a finished training run")
    parser.add_argument("--quant", type=_quantization_list, default=MODES, metavar="MODES",
                        help=f"comma-separated modes, one bundle each (default {','.join(MODES)})")
    parser.add_argument(
        "--fourier-method", choices=FOURIER_METHOD_CHOICES, default="auto",
        help="FourierMixing method in the graph; auto: rfft for float modes at power-of-two sizes, "
        "dft otherwise; for int8 the faster passing one of int8-rfft and int8-dft",
    )
    parser.add_argument("--mixing", choices=FOURIER_METHOD_CHOICES, action=_Retired, help=argparse.SUPPRESS)
    parser.add_argument("--int8-output", nargs=0, action=_Retired, help=argparse.SUPPRESS)
    parser.add_argument("--representative-samples", type=positive_int, default=200, metavar="N",
                        help="training texts that calibrate int8 (default 200)")
    parser.add_argument("--out", metavar="OUT_DIR",
                        help="output directory (default RUN_DIR/bundles); it must be new or empty")
    parser.add_argument("--overwrite", action="store_true", help="replace a previous export in --out")
    parser.add_argument("--data", metavar="PATH", help="data to use instead of the run's recorded data")
    parser.add_argument("--zip", action="store_true", help="also write MODE.zip next to each bundle")
    parser.add_argument(
        "--parity-examples", type=positive_int, default=1000, metavar="N",
        help="texts the parity gate compares: dev first, topped up with training texts "
        "(at least 500; default 1000)",
    )
    parser.add_argument("--name", help="the bundles' display name (default: the run directory's name)")
    parser.add_argument(
        "--rename-labels", type=_pairs("OLD=NEW"), metavar="OLD=NEW,...",
        help="show labels under other names in the bundles (labels.txt and the model's "
        "metadata); the classes stay the same",
    )


def run_export(args: argparse.Namespace) -> int:
    from fnet_keras.export.parity import MIN_PARITY_EXAMPLES
    from fnet_keras.export.report import BUNDLES_DIR_NAME, check_out_dir

    if args.parity_examples < MIN_PARITY_EXAMPLES:
        raise UsageError(
            f"--parity-examples must be at least {MIN_PARITY_EXAMPLES}, got {args.parity_examples}"
        )
    _target_kind(args.run_dir)
    check_out_dir(Path(args.out) if args.out else Path(args.run_dir) / BUNDLES_DIR_NAME, args.overwrite)
    needs_tensorflow("export", tell)
    from fnet_keras.export import ParityGateError, export_run

    try:
        report = export_run(
            args.run_dir, args.quant, fourier_method=args.fourier_method,
            representative_samples=args.representative_samples, out_dir=args.out, data=args.data,
            make_zip=args.zip, overwrite=args.overwrite, parity_examples=args.parity_examples, name=args.name,
            rename_labels=args.rename_labels, command=args.command,
            progress=lambda line: tell(f"export: {line}"),
        )
    except ParityGateError as error:
        print(error.report.format(), end="")
        raise
    print(report.format(), end="")
    tell(f"bundles and export_report.md/.json written to {report.out_dir}")
    return 0


# --- evaluate ---------------------------------------------------------------------------


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", metavar="RUN_DIR_OR_BUNDLE",
        help="a run directory (fnet-keras train) or a bundle directory/.zip (fnet-keras export)",
    )
    parser.add_argument("--data",
                        help="labelled file or data directory (default: a run's own data; a bundle needs it)")
    parser.add_argument("--split", choices=("train", "dev", "test"),
                        help="split of a data directory or of the run's data (default test; not with a file)")
    add_column_arguments(parser)
    parser.add_argument(
        "--label-map", type=_pairs("DATA=LABEL"), metavar="DATA=LABEL,...",
        help="read the data's labels as the model's, e.g. 0=negative,1=positive (default: a bundle's "
        "recorded mapping where its export renamed the labels; other labels are taken as they are)",
    )
    _add_model_arguments(parser, "print one JSON object on stdout and nothing else")


def run_evaluate(args: argparse.Namespace) -> int:
    from fnet_keras.data import check_split
    from fnet_keras.metrics import format_metrics

    check_split(args.split, args.data)
    columns = dict(split=args.split, text_column=args.text_column, label_column=args.label_column,
                   label_map=args.label_map)
    if _target_kind(args.target, args, "evaluate") == "bundle":
        from fnet_keras.edge import evaluate_bundle, load_bundle

        if not args.data:
            raise UsageError("a bundle holds no data of its own; give --data FILE", args.target)
        bundle = load_bundle(args.target, num_threads=args.threads or 1, runtime=args.runtime)
        report = evaluate_bundle(bundle, args.data, **columns)
        if args.label_map is None and report.get("label_map"):
            pairs = ", ".join(f"{data}={label}" for data, label in report["label_map"].items())
            tell(f"note: the data's labels read as the bundle's names, as bundle.json records: {pairs}")
        if report["truncated"]:
            tell(
                f"note: {report['truncated']} of {report['count']} texts were truncated to sequence_length "
                f"{bundle.sequence_length}"
            )
    else:
        from fnet_keras.training.evaluation import evaluate

        report = evaluate(args.target, args.data, **columns)
    if args.json:
        print_json(report)
        return 0
    print(f"data: {report['data']}" + (f" ({report['split']} split)" if report["split"] else ""))
    print(format_metrics(report))
    if "timing" in report:
        timing = report["timing"]
        tell(
            f"tokenization {timing['tokenize_ms_per_example']:.3f} ms, inference "
            f"{timing['inference_ms_per_example']:.3f} ms per example "
            f"({report['bundle']['runtime']['name']}, {args.threads or 1} thread(s))"
        )
    return 0


# --- classify ---------------------------------------------------------------------------


def add_classify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "words", nargs="*", metavar="[BUNDLE_OR_RUN_DIR] TEXT",
        help="a bundle (directory or .zip) or a run directory, then the texts; without a model "
        "the package's demo bundle answers; without texts, one text per line is read from "
        "stdin",
    )
    parser.add_argument("--model", metavar="PATH",
                        help="the bundle or run directory (instead of the first word)")
    parser.add_argument("--top-k", type=positive_int, default=1, metavar="K",
                        help="labels to show per text (default 1)")
    _add_model_arguments(parser, "print one JSON object instead of text")


def _names_a_model(word: str) -> bool:
    """Whether `classify`'s first word is the model (else it is a text and the demo bundle answers), decided
    by what exists: a directory holding a run or a bundle, or a word naming a .zip or .tflite file (present
    or not, so that a mistyped bundle is an error, not a text). An empty word is a text (Path("") is the
    current directory); a text that looks like a path gets a note."""
    from fnet_keras import target_kind

    if not word.strip():
        return False
    spaced = any(char.isspace() for char in word)
    if not spaced and word.lower().endswith((".zip", ".tflite")):
        return True
    folder = Path(word).is_dir()
    if folder and target_kind(word) is not None:
        return True
    if folder and not spaced:
        tell(f"note: {word!r} names a folder that is neither a run directory (config.json) nor a bundle "
             f"(bundle.json): classified as text with the demo bundle (a model goes first, or --model PATH)")
    elif not spaced and (os.sep in word or (os.altsep and os.altsep in word)):
        tell(f"note: {word!r} is no run directory or bundle here: classified as text with the demo bundle "
             f"(a model goes first, or --model PATH)")
    return False


def decode_replacing(data: bytes) -> tuple[str, int]:
    """UTF-8 `data` decoded with `errors="replace"`, plus the number of bytes replaced by U+FFFD."""
    # Every byte is either part of a decoded character or one that was replaced; both decodes are
    # linear in len(data).
    kept = len(data.decode("utf-8", "ignore").encode("utf-8"))
    return data.decode("utf-8", "replace"), len(data) - kept


def _decoded_word(word: str) -> tuple[str, int]:
    try:
        return decode_replacing(os.fsencode(word))  # undecodable argv bytes arrive as surrogate escapes
    except UnicodeEncodeError:  # a str given in-process with a lone surrogate: the tokenizer names it
        return word, 0


def run_classify(args: argparse.Namespace) -> int:
    import fnet_keras
    from fnet_keras.edge.errors import EmptyTextError

    words, target = list(args.words), args.model
    if target is None and words and _names_a_model(words[0]):
        target = words.pop(0)
    if target is None:
        from fnet_keras.demo import demo_bundle_path

        target = demo_bundle_path()
    _target_kind(target, args, "classify RUN_DIR")
    classifier = fnet_keras.load(target, num_threads=args.threads or 1, runtime=args.runtime)
    if words:
        decoded = [_decoded_word(word) for word in words]
        texts, replaced = [text for text, _ in decoded], sum(count for _, count in decoded)
    elif sys.stdin is None or sys.stdin.isatty():
        raise UsageError("no texts: give them as arguments, or one per line on stdin")
    else:
        text, replaced = decode_replacing(sys.stdin.buffer.read())
        from fnet_keras.data.files import physical_lines  # U+2028 and friends are text: not splitlines()

        texts = [line for _, line in physical_lines(text)]
        if not texts:
            raise UsageError("no texts: stdin was empty")
    if replaced:
        tell(f"note: {replaced} undecodable byte(s) in the input were replaced with U+FFFD")
    skipped, gaps = [], set()
    try:
        result = classifier.classify(texts, args.top_k)
    except EmptyTextError as error:
        if words:
            raise UsageError(f"{error}: give non-empty texts") from None
        skipped = error.indices  # stdin: mark blank lines in the output, keep the lines aligned
        gaps = set(skipped)
        kept = [text for index, text in enumerate(texts) if index not in gaps]
        result = classifier.classify(kept, args.top_k) if kept else None
    predicted = iter(result or [])
    predictions = [None if index in gaps else next(predicted) for index in range(len(texts))]
    if skipped:
        tell(
            f"note: {len(skipped)} empty line(s) not classified "
            f"(line {', '.join(str(i + 1) for i in skipped[:10])}"
            f"{' ...' if len(skipped) > 10 else ''})"
        )
    truncated = [index for index, prediction in enumerate(predictions) if prediction and prediction.truncated]
    if truncated:
        tell(
            f"note: {len(truncated)} text(s) had more word pieces than fit sequence_length "
            f"{classifier.sequence_length} and were truncated "
            f"(text {', '.join(str(i + 1) for i in truncated[:10])})"
        )
    timing = {key: getattr(result, key, 0.0) for key in ("tokenize_seconds", "inference_seconds")}
    if args.json:
        results = [
            {"index": index, **(p.to_dict() if p else {"text": texts[index], "label": None,
                                                        "skipped": "empty text"})}
            for index, p in enumerate(predictions)
        ]
        print_json({"model": classifier.describe(), "results": results, "count": len(texts),
                     "replaced_bytes": replaced, "timing": timing})
        return 0
    for text, prediction in zip(texts, predictions, strict=True):
        preview = text if len(text) <= 60 else text[:57] + "..."
        if prediction is None:
            print(f"-\t(empty: not classified)\t{preview!r}")
        else:
            ranking = "  ".join(f"{label} {probability:.4f}" for label, probability in prediction.ranking)
            print(f"{ranking}\t{preview!r}")
    count = max(len(texts) - len(skipped), 1)
    tell(
        f"{classifier.name}: tokenization {1000 * timing['tokenize_seconds'] / count:.3f} ms + inference "
        f"{1000 * timing['inference_seconds'] / count:.3f} ms per text"
    )
    return 0


# --- bench ------------------------------------------------------------------------------


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.edge.bench import DEFAULT_MEMORY_RUNS, DEFAULT_RUNS, DEFAULT_WARMUP, thread_list
    from fnet_keras.edge.runtime import RUNTIME_NAMES

    parser.add_argument(
        "models", nargs="*", metavar="MODEL",
        help="bundle directories or .zip files, or .tflite files (the first is the reference of "
        "every ratio; default: the package's demo bundle)",
    )
    parser.add_argument("--threads", type=thread_list, default=[1], metavar="N,N",
                        help="thread counts (default 1)")
    parser.add_argument(
        "--runs", type=positive_int, default=DEFAULT_RUNS, metavar="N",
        help=f"counted runs per model and thread count (default {DEFAULT_RUNS}; p99 needs >= 100)",
    )
    parser.add_argument(
        "--warmup", type=positive_int, default=DEFAULT_WARMUP, metavar="N",
        help=f"runs before counting; the first is the first inference (default {DEFAULT_WARMUP})",
    )
    parser.add_argument("--round-runs", type=positive_int, metavar="N",
                        help="runs per model per interleaving round (default: about ten rounds)")
    parser.add_argument("--texts", metavar="FILE",
                        help="one text per line: end-to-end latency with tokenization (bundles)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of Markdown")
    parser.add_argument("--save", metavar="PREFIX", help="also write PREFIX.json and PREFIX.md")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    parser.add_argument("--memory-runs", type=positive_int, default=DEFAULT_MEMORY_RUNS, metavar="N",
                        help=f"inferences in each peak-memory process (default {DEFAULT_MEMORY_RUNS})")
    parser.add_argument("--runtime", choices=RUNTIME_NAMES,
                        help="interpreter package (default: ai_edge_litert)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic inputs (default 0)")


def run_bench(args: argparse.Namespace) -> int:
    from fnet_keras.demo import demo_bundle_path
    from fnet_keras.edge.bench import benchmark

    result = benchmark(
        args.models or [demo_bundle_path()], threads=args.threads, runs=args.runs, warmup=args.warmup,
        round_runs=args.round_runs, texts=args.texts, memory=not args.no_memory, memory_runs=args.memory_runs,
        runtime=args.runtime, seed=args.seed, progress=lambda line: tell(f"bench: {line}"),
    )
    if args.save:
        json_path, markdown_path = result.save(args.save)
        tell(f"note: wrote {json_path} and {markdown_path}")
    load_warning = result.machine_load and result.machine_load.warning()
    for note in result.notes:
        tell(f"warning: {note}" if note == load_warning else f"note: {note}")
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.format(), end="")
    return 0
