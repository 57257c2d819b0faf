"""Distillation on SST-2: a tiny FNet distilled from a teacher against the same FNet from scratch.

Trains, with `fnet-keras train` and the same seed, settings and data: the teacher (default a
`tiny` hybrid, the best from-scratch model of docs/results/sst2.md), the student from scratch,
and the student distilled with each (alpha, temperature) of the grid. The distillation settings
are chosen on dev.tsv; test.tsv (the GLUE SST-2 dev split) is reported for the teacher, the
student from scratch and the chosen distilled student only. Writes
docs/results/distillation.{md,json}. Runs go to runs/distill-sst2/NAME; running the script again
reads finished runs back and resumes unfinished ones.

    python scripts/distill_sst2.py                          # ~1 h on 2 idle cores
    python scripts/distill_sst2.py --teacher-run RUN_DIR    # another (e.g. pre-trained) teacher
    python scripts/distill_sst2.py --no-train               # tables from finished runs only

Data: Socher et al. 2013 (SST); Wang et al. 2019 (GLUE). Distillation: Hinton, Vinyals and Dean
2015.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import experiment  # puts ROOT on sys.path
from experiment import ROOT, command_line

from fnet_keras.report_tables import markdown_table, percent
from fnet_keras.training.ensure import plan_run  # TF-free

SST2 = Path("..") / "shared" / "data" / "sst2"  # relative to ROOT, as the commands are shown
GRID = ((0.5, 2.0), (0.5, 1.0), (0.5, 4.0), (0.1, 2.0), (0.9, 2.0))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(SST2))
    parser.add_argument("--out", type=Path, default=Path("runs/distill-sst2"))
    parser.add_argument("--teacher-run", type=Path, help="a finished run to use as the teacher instead")
    parser.add_argument("--teacher-flags", default="--preset tiny --mixing hybrid",
                        help="flags of the teacher's own run (default %(default)s)")
    parser.add_argument("--student-flags", default="--preset tiny --mixing fourier")
    parser.add_argument("--common-flags", default="--sequence-length 64 --seed 0",
                        help="flags of every run (default %(default)s)")
    parser.add_argument("--grid", default=",".join(f"{a}:{t}" for a, t in GRID),
                        help="alpha:temperature pairs to choose from on dev (default %(default)s)")
    parser.add_argument("--no-train", action="store_true", help="only read finished runs")
    parser.add_argument("--results", type=Path, default=ROOT / "docs" / "results" / "distillation")
    return parser.parse_args(argv)


def train(name: str, run: Path, flags: list[str], data: str, no_train: bool) -> dict:
    """`fnet-keras train` into `run` (reused when finished, resumed when started); returns the command,
    metrics and config."""
    command = ["fnet-keras", "train", "--data", data, "--out", str(run), *flags]
    action = "reuse" if no_train else plan_run(None, ROOT / run)
    if action != "reuse":
        resume = ["--resume"] if action == "resume" else []
        print(f"[{name}] {shlex.join(command + resume)}", flush=True)
        started = time.time()
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "fnet_keras", *command[1:], *resume, "--quiet"],
                       cwd=ROOT, env=environment, check=True)
        print(f"[{name}] done in {time.time() - started:.0f} s", flush=True)
    metrics = json.loads((ROOT / run / "metrics.json").read_text())
    config = json.loads((ROOT / run / "config.json").read_text())
    history = json.loads((ROOT / run / "history.json").read_text())
    return {"name": name, "command": shlex.join(command), "run": str(run), "metrics": metrics,
            "settings": config["settings"], "distillation": config.get("distillation"),
            "train_seconds": sum(record["train_seconds"] for record in history)}


def main(argv=None) -> int:
    args = parse_args(argv)
    common = shlex.split(args.common_flags)
    started = time.time()
    if args.teacher_run is not None:
        teacher_run = args.teacher_run
        teacher = {"name": "teacher", "command": f"(given) {teacher_run}", "run": str(teacher_run),
                   "metrics": json.loads((teacher_run / "metrics.json").read_text()),
                   "settings": json.loads((teacher_run / "config.json").read_text())["settings"]}
    else:
        teacher_run = args.out / "teacher"
        teacher = train("teacher", teacher_run, shlex.split(args.teacher_flags) + common, args.data,
                        args.no_train)
    student = shlex.split(args.student_flags) + common
    scratch = train("scratch", args.out / "scratch", student, args.data, args.no_train)
    distilled = []
    for pair in args.grid.split(","):
        alpha, temperature = (float(value) for value in pair.split(":"))
        name = f"distilled-a{alpha:g}-t{temperature:g}"
        flags = student + ["--teacher", str(teacher_run), "--distill-alpha", f"{alpha:g}",
                           "--temperature", f"{temperature:g}"]
        distilled.append(train(name, args.out / name, flags, args.data, args.no_train))
    chosen = max(distilled, key=lambda row: (row["metrics"]["dev"]["accuracy"], -distilled.index(row)))
    write_results(args, teacher, scratch, distilled, chosen, time.time() - started)
    return 0


def write_results(args, teacher, scratch, distilled, chosen, seconds) -> None:
    def dev(row):
        return percent(row["metrics"]["dev"]["accuracy"])

    lines = [
        "# Distillation on SST-2: tiny FNet from a teacher against from scratch",
        "",
        f"Command: `{command_line('distill_sst2.py')}`",
        "",
        "Data: SST-2 (Socher et al. 2013) as shipped by GLUE (Wang et al. 2019), `../shared/data/sst2`: "
        "epochs and the distillation settings are chosen on dev.tsv; test.tsv (the GLUE SST-2 dev split, "
        "872 sentences) is reported for the teacher, the student from scratch and the chosen distilled "
        "student only. One seed (0) for all runs: differences of a few tenths of a point are within "
        "seed noise (docs/results/sst2-repeats).",
        "",
        *markdown_table(
            ["run", "dev acc.", "test acc.", "parameters", "training s", "command"],
            [[row["name"], dev(row), percent(row["metrics"]["test"]["accuracy"]),
              f"{row['metrics']['parameters']:,}", f"{row.get('train_seconds', 0):.0f}",
              f"`{row['command']}`"]
             for row in (teacher, scratch, chosen)]),
        "", "Choice on dev (test not looked at):", "",
        *markdown_table(
            ["alpha", "temperature", "dev acc.", "run"],
            [[f"{row['settings']['distill_alpha']:g}", f"{row['settings']['temperature']:g}",
              dev(row) + (" (chosen)" if row is chosen else ""), f"`{row['run']}`"] for row in distilled]),
        "", f"Total time of this invocation: {seconds / 60:.1f} min.", "",
    ]
    rows = {"teacher": teacher, "scratch": scratch, "distilled": distilled, "chosen": chosen["name"]}
    for row in [scratch, *distilled]:
        row.pop("distillation", None)
    for row in distilled:
        if row is not chosen:
            row["metrics"].pop("test", None)  # chosen on dev: only the chosen run's test is reported
    experiment.write_results(args.results, rows, "\n".join(lines), indent=2)
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
