"""`fnet-keras export`: argument parsing and exit codes over `export_run`.

    fnet-keras export RUN_DIR --quant fp32,fp16,dynamic,int8 [--mixing auto|rfft|dft]
        [--representative-samples 200] [--out OUT_DIR] [--data PATH] [--int8-output] [--zip]

Exit codes: 0 every bundle written; 1 a check failed (parity gate, or ops outside LiteRT's
builtins), nothing written; 2 bad input (run directory, data, options).
The lead wires `add_arguments` and `run` into `fnet_keras/cli.py`; `python -m
fnet_keras.export.cli` runs it alone.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from fnet_keras.argtypes import positive_int
from fnet_keras.export.convert import QUANTIZATIONS, check_quantizations
from fnet_keras.export.errors import ExportError
from fnet_keras.export.mixing import MIXING_CHOICES

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DESCRIPTION = (
    "Export a training run to LiteRT bundles, one per quantization mode, each checked against the "
    "Keras model (parity gate) before anything is written. Exit codes: 0 written, 1 a check failed, "
    "2 bad input."
)


def _quantization_list(text: str) -> tuple[str, ...]:
    try:
        return check_quantizations(text)
    except ExportError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the `export` subcommand's arguments to `parser`."""
    parser.add_argument(
        "run_dir", metavar="RUN_DIR", help="training run directory (model.keras, vocab.txt, ...)"
    )
    parser.add_argument(
        "--quant",
        type=_quantization_list,
        default=QUANTIZATIONS,
        metavar="MODES",
        help=f"comma-separated quantization modes, one bundle each (default: {','.join(QUANTIZATIONS)})",
    )
    parser.add_argument(
        "--mixing",
        choices=MIXING_CHOICES,
        default="auto",
        help="FourierMixing method in the exported graph; auto: rfft for float modes at power-of-two "
        "sizes, dft otherwise and for int8 (default: auto)",
    )
    parser.add_argument(
        "--representative-samples",
        type=positive_int,
        default=200,
        metavar="N",
        help="training texts used to calibrate int8 (default: 200)",
    )
    parser.add_argument(
        "--out", metavar="OUT_DIR", default=None, help="output directory (default: RUN_DIR/bundles)"
    )
    parser.add_argument(
        "--data", metavar="PATH", default=None, help="dataset to use instead of the run's recorded one"
    )
    parser.add_argument(
        "--int8-output", action="store_true", help="int8 mode: int8 logits instead of float32"
    )
    parser.add_argument("--zip", action="store_true", help="also write <mode>.zip next to each bundle")
    parser.add_argument(
        "--parity-examples",
        type=positive_int,
        default=1000,
        metavar="N",
        help="dev examples the parity gate compares (at least 500, or all of dev; default: 1000)",
    )


def run(args: argparse.Namespace) -> int:
    """Runs the export; prints the report (stdout) or the error (stderr); returns the exit code."""
    from fnet_keras.export.pipeline import export_run  # TensorFlow loads here, not at parse time

    command = "fnet-keras export " + " ".join(
        shlex.quote(part)
        for part in [str(args.run_dir), "--quant", ",".join(args.quant), "--mixing", args.mixing]
        + ["--representative-samples", str(args.representative_samples)]
        + ["--parity-examples", str(args.parity_examples)]
        + (["--out", str(args.out)] if args.out else [])
        + (["--data", str(args.data)] if args.data else [])
        + (["--int8-output"] if args.int8_output else [])
        + (["--zip"] if args.zip else [])
    )
    try:
        report = export_run(
            args.run_dir,
            quantizations=args.quant,
            mixing=args.mixing,
            representative_samples=args.representative_samples,
            out_dir=args.out,
            data=args.data,
            int8_output=args.int8_output,
            make_zip=args.zip,
            parity_examples=args.parity_examples,
            command=command,
        )
    except ExportError as error:
        print(f"fnet-keras export: error: {error}", file=sys.stderr)
        return error.exit_code
    print(report.format())
    print(f"bundles and export_report.md/.json written to {report.out_dir}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fnet-keras export", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
