"""`fnet-keras classify` and `fnet-keras evaluate BUNDLE`: argument parsing and output only, TF-free.

The project CLI (`fnet_keras/cli.py`) wires each subcommand with its `add_*_arguments(parser)`
and `run_*(args) -> int`; `python -m fnet_keras.edge` runs the same two subcommands where only
the edge runtime is installed. Exit codes: 0 success, 2 bad input (arguments, texts, data
file, bundle), 1 anything else (no LiteRT interpreter, an interpreter failure). Errors print
`error: ...` on stderr, notes print `note: ...` on stderr, results go to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fnet_keras.argtypes import positive_int
from fnet_keras.data.errors import DataError
from fnet_keras.edge.bundle import Bundle, load_bundle
from fnet_keras.edge.classification import Classification
from fnet_keras.edge.errors import BundleError, EdgeRuntimeError
from fnet_keras.edge.evaluate import SPLIT_NAMES, evaluate_bundle
from fnet_keras.edge.manifest import MANIFEST_NAME
from fnet_keras.edge.runtime import RUNTIME_NAMES
from fnet_keras.metrics import format_metrics
from fnet_keras.text.errors import TokenizerError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
_PREVIEW_CHARS = 60


class UsageError(ValueError):
    """A command line that cannot be carried out as given (exit code 2)."""


def is_bundle_path(path: str | os.PathLike) -> bool:
    """Whether `path` looks like a bundle (a directory with bundle.json, or a .zip), not a run dir."""
    path = Path(path)
    return (path / MANIFEST_NAME).is_file() or (path.suffix.lower() == ".zip" and path.is_file())


def add_classify_arguments(parser: argparse.ArgumentParser) -> None:
    """`classify BUNDLE [TEXT ...] [--top-k K] [--json] [--threads N] [--runtime NAME]`."""
    parser.add_argument("bundle", help="bundle directory or .zip (written by `fnet-keras export`)")
    parser.add_argument(
        "texts",
        nargs="*",
        metavar="TEXT",
        help="texts to classify; without any, one text per line is read from stdin",
    )
    parser.add_argument(
        "--top-k", type=positive_int, default=1, metavar="K", help="labels to show per text (default 1)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_interpreter_arguments(parser)


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """`evaluate BUNDLE --data FILE [--split S] [--text-column C] [--label-column C] [--json] [--threads N]
    [--runtime NAME]`."""
    parser.add_argument("bundle", help="bundle directory or .zip")
    parser.add_argument(
        "--data", required=True, help="labelled .tsv/.csv/.jsonl file, or a dataset directory"
    )
    parser.add_argument(
        "--split", choices=SPLIT_NAMES, help="split of a dataset directory (default test); not with a file"
    )
    parser.add_argument(
        "--text-column", help="text column: name, or 0-based index for a file without a header"
    )
    parser.add_argument(
        "--label-column", help="label column: name, or 0-based index for a file without a header"
    )
    parser.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    add_interpreter_arguments(parser)


def add_interpreter_arguments(parser: argparse.ArgumentParser) -> None:
    """--threads and --runtime, the same for every subcommand that runs a bundle."""
    parser.add_argument(
        "--threads", type=positive_int, default=1, metavar="N", help="interpreter threads (default 1)"
    )
    parser.add_argument(
        "--runtime",
        choices=RUNTIME_NAMES,
        help="interpreter package to use (default: ai_edge_litert if installed)",
    )


def run_classify(args: argparse.Namespace) -> int:
    """Classifies the texts (arguments or stdin lines) and prints labels, probabilities and timings."""
    return _guarded(_classify, args)


def run_evaluate(args: argparse.Namespace) -> int:
    """Scores the bundle on a labelled file and prints the metrics (the run-dir evaluate's JSON keys)."""
    return _guarded(_evaluate, args)


def _guarded(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Runs `command`, turning the errors a user can cause into `error: ...` and an exit code."""
    try:
        return command(args)
    except (UsageError, BundleError, DataError, TokenizerError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except EdgeRuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE


def _classify(args: argparse.Namespace) -> int:
    texts, replaced = _read_texts(args.texts)
    bundle = load_bundle(args.bundle, num_threads=args.threads, runtime=args.runtime)
    result = bundle.classify_timed(texts, args.top_k)
    if replaced:
        print(f"note: {replaced} undecodable byte(s) in the input were replaced with U+FFFD", file=sys.stderr)
    truncated = [index for index, flag in enumerate(result.truncated) if flag]
    if truncated:
        shown = ", ".join(str(index + 1) for index in truncated[:10]) + (
            " ..." if len(truncated) > 10 else ""
        )
        print(
            f"note: {len(truncated)} text(s) had more than {bundle.sequence_length - 2} tokens and were "
            f"truncated to fit sequence_length {bundle.sequence_length} (text {shown})",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(_classify_json(bundle, texts, result, replaced, args.threads), ensure_ascii=False))
    else:
        _print_classify_text(bundle, texts, result, args.threads)
    return EXIT_OK


def _read_texts(arguments: Sequence[str]) -> tuple[list[str], int]:
    """The texts from the arguments, else stdin lines; undecodable bytes become U+FFFD and are counted."""
    if arguments:
        decoded = [_decode_argument(argument) for argument in arguments]
        return [text for text, _ in decoded], sum(count for _, count in decoded)
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("no texts: give them as arguments, or one per line on stdin")
    text, replaced = decode_replacing(sys.stdin.buffer.read())
    lines = text.split("\n")  # Not splitlines(): U+2028 and friends are text, not line ends.
    if lines[-1] == "":
        lines.pop()
    if not lines:
        raise UsageError("no texts: stdin was empty")
    return [line[:-1] if line.endswith("\r") else line for line in lines], replaced


def _decode_argument(argument: str) -> tuple[str, int]:
    # argv holds undecodable bytes as surrogate escapes; recover the bytes to treat them as stdin's are.
    try:
        return decode_replacing(os.fsencode(argument))
    except UnicodeEncodeError:  # A str given in-process with a lone surrogate: the tokenizer names it.
        return argument, 0


def decode_replacing(data: bytes) -> tuple[str, int]:
    """UTF-8 `data` decoded with `errors="replace"`, plus the number of bytes replaced by U+FFFD."""
    # Every byte is either part of a decoded character or one that was replaced, and both decodes
    # are linear in len(data) (a loop re-decoding the rest after each bad byte was quadratic).
    kept = len(data.decode("utf-8", "ignore").encode("utf-8"))
    return data.decode("utf-8", "replace"), len(data) - kept


def _classify_json(
    bundle: Bundle, texts: list[str], result: Classification, replaced: int, threads: int
) -> dict[str, Any]:
    results = []
    for index, (text, ranking) in enumerate(zip(texts, result.rankings, strict=True)):
        results.append(
            {
                "index": index,
                "text": text,
                "label": ranking[0][0],
                "probability": ranking[0][1],
                "ranking": [{"label": label, "probability": probability} for label, probability in ranking],
                "tokens": result.token_counts[index],
                "truncated": result.truncated[index],
            }
        )
    return {
        "bundle": bundle.describe(),
        "results": results,
        "count": len(texts),
        "truncated": sum(result.truncated),
        "replaced_bytes": replaced,
        "timing": {
            "tokenize_seconds": result.tokenize_seconds,
            "inference_seconds": result.inference_seconds,
            "threads": threads,
        },
    }


def _print_classify_text(bundle: Bundle, texts: list[str], result: Classification, threads: int) -> None:
    for text, ranking in zip(texts, result.rankings, strict=True):
        labels = "  ".join(f"{label} {probability:.4f}" for label, probability in ranking)
        preview = text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 3] + "..."
        print(f"{labels}\t{preview!r}")
    count = len(texts)
    runtime = bundle.runtime
    tokenize_ms, inference_ms = 1000 * result.tokenize_seconds, 1000 * result.inference_seconds
    print(
        f"tokenization {tokenize_ms:.3f} ms, inference {inference_ms:.3f} ms for {count} text(s) "
        f"({tokenize_ms / count:.3f} + {inference_ms / count:.3f} ms per text; {bundle.quantization}, "
        f"{runtime.name} {runtime.version}, {threads} thread(s))"
    )


def evaluate_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Loads the bundle `args.bundle` (or `args.target`) and scores it on `args.data`; the report dict.

    Reads `data`, `split`, `text_column`, `label_column` and, if present, `threads` and
    `runtime`; fits the project CLI's evaluate targets (`(is_bundle_path, evaluate_from_args)`).
    """
    target = getattr(args, "bundle", None) or args.target
    if not args.data:
        raise UsageError(f"{target}: a bundle holds no data of its own; give --data FILE")
    bundle = load_bundle(
        target, num_threads=getattr(args, "threads", 1), runtime=getattr(args, "runtime", None)
    )
    report = evaluate_bundle(
        bundle, args.data, split=args.split, text_column=args.text_column, label_column=args.label_column
    )
    if report["truncated"]:
        print(
            f"note: {report['truncated']} of {report['count']} texts were truncated to sequence_length "
            f"{bundle.sequence_length}",
            file=sys.stderr,
        )
    return report


def _evaluate(args: argparse.Namespace) -> int:
    report = evaluate_from_args(args)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return EXIT_OK
    bundle, timing = report["bundle"], report["timing"]
    split = f" ({report['split']} split)" if report["split"] else ""
    print(f"bundle: {bundle['path']} ({bundle['quantization']})\ndata: {report['data']}{split}")
    print(format_metrics(report))
    print(
        f"\ntokenization {timing['tokenize_ms_per_example']:.3f} ms, inference "
        f"{timing['inference_ms_per_example']:.3f} ms per example ({bundle['runtime']['name']} "
        f"{bundle['runtime']['version']}, {args.threads} thread(s))"
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The parser of `python -m fnet_keras.edge` (the same subcommands as `fnet-keras`)."""
    parser = argparse.ArgumentParser(prog="python -m fnet_keras.edge", description="TF-free bundle runtime.")
    commands = parser.add_subparsers(dest="command", required=True)
    add_classify_arguments(commands.add_parser("classify", help="classify texts with a bundle"))
    add_evaluate_arguments(commands.add_parser("evaluate", help="score a bundle on a labelled file"))
    return parser


def merge_extra_texts(args: argparse.Namespace, extras: list[str]) -> list[str]:
    """Moves texts that argparse left over into `args.texts`; returns what is still unrecognized.

    Python 3.11's argparse gives a `nargs="*"` positional nothing once an option comes between
    it and the previous positional (`classify BUNDLE --json "text"`), and reports the text as
    unrecognized; parse with `parse_known_args` and call this to accept that order too.
    """
    texts = [extra for extra in extras if not extra.startswith("-") or extra == "-"]
    args.texts = [*args.texts, *texts]
    return [extra for extra in extras if extra not in texts]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if args.command == "classify":
        extras = merge_extra_texts(args, extras)
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return run_classify(args) if args.command == "classify" else run_evaluate(args)
