"""Exports the SST-2 `mini` FNet run to all four bundles and records the figures against the targets.

Command (from the repository root, after `make accuracy` trained the run):

    .venv/bin/python export/export_sst2.py      (or: make export-sst2)

which runs `fnet-keras export runs/sst2/mini-fourier --quant fp32,fp16,dynamic,int8
--out runs/sst2/mini-fourier-bundles` through the library and writes docs/results/export.md
and docs/results/export.json: sizes and ratios to fp32, parity, test accuracy per mode
against the Keras model's, and the targets:
  int8 size <= 0.30 x fp32; dynamic and int8 test accuracy within 1.0 point of Keras;
  fp16 within 0.2 point.
Exit code: 0 when the export passed its gates and every target is met, 3 when a target is
missed (the results are still written), else the export's own code (1 gate, 2 bad input).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from fnet_keras.errors import FnetKerasError
from fnet_keras.quiet import load_tensorflow

REPO = Path(__file__).resolve().parents[1]
MODES = ("fp32", "fp16", "dynamic", "int8")
INT8_SIZE_RATIO_MAX = 0.30
ACCURACY_POINTS_MAX = {"fp16": 0.2, "dynamic": 1.0, "int8": 1.0}
EXIT_TARGET_MISSED = 3


def targets(report) -> list[dict]:
    """Each target with its measured value and whether it is met."""
    rows = []
    ratio = report.size_ratio(report.mode("int8"))
    rows.append(
        {
            "target": f"int8 size <= {INT8_SIZE_RATIO_MAX:.2f} x fp32",
            "measured": None if ratio is None else round(ratio, 4),
            "met": ratio is not None and ratio <= INT8_SIZE_RATIO_MAX,
        }
    )
    for quantization, points in ACCURACY_POINTS_MAX.items():
        accuracy, keras = report.mode(quantization).test_accuracy, report.keras_test_accuracy
        delta = None if accuracy is None or keras is None else 100 * (accuracy - keras)
        rows.append(
            {
                "target": f"{quantization} test accuracy within {points} point of Keras",
                "measured": None if delta is None else round(delta, 3),
                "met": delta is not None and abs(delta) <= points,
            }
        )
    return rows


def results_markdown(command: str, report, rows: list[dict]) -> str:
    lines = [
        "# LiteRT export of the SST-2 `mini` FNet",
        "",
        f"Command: `{command}`",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---:|---|",
    ]
    for row in rows:
        measured = (
            "-"
            if row["measured"] is None
            else (f"{row['measured']:.3f}" if "size" in row["target"] else f"{row['measured']:+.2f} pts")
        )
        lines.append(f"| {row['target']} | {measured} | {'yes' if row['met'] else 'NO'} |")
    lines += ["", "## Export report", "", report.format()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", type=Path, default=REPO / "runs" / "sst2" / "mini-fourier")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "sst2" / "mini-fourier-bundles")
    parser.add_argument(
        "--results",
        type=Path,
        default=REPO / "docs" / "results" / "export",
        help="results path without suffix: writes .md and .json",
    )
    args = parser.parse_args(argv)
    command = shlex.join(["python", "export/export_sst2.py", *(sys.argv[1:] if argv is None else argv)])
    load_tensorflow()
    from fnet_keras.export import export_run

    try:
        report = export_run(
            args.run_dir,
            MODES,
            out_dir=args.out,
            overwrite=True,
            command=f"fnet-keras export {args.run_dir} --quant {','.join(MODES)} --out {args.out} "
            f"--overwrite",
            progress=lambda line: print(f"export: {line}", file=sys.stderr, flush=True),
        )
    except FnetKerasError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    rows = targets(report)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.with_suffix(".md").write_text(results_markdown(command, report, rows), encoding="utf-8")
    data = {"command": command, "targets": rows, "report": report.to_dict()}
    args.results.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(results_markdown(command, report, rows))
    return 0 if all(row["met"] for row in rows) else EXIT_TARGET_MISSED


if __name__ == "__main__":
    sys.exit(main())
