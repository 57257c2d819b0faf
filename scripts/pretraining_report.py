"""Pre-training report: FNet and its Transformer twin pre-trained on IMDB's unlabelled reviews with the
same wall-clock, then fine-tuned, against the same models trained from scratch.

One job, in this order (each part skipped when finished, resumed when started, so the script can be
killed and run again in a later session as often as needed):

1. `fnet-keras pretrain` of tiny FNet (`--hours-tiny`, default 1.5 h of training clock), which learns
   the WordPiece vocabulary on the text; then `fnet-keras train --init-from` of it on TREC (length
   32), SST-2 (64) and IMDB (256).
2. The same for the tiny twin, pre-trained with `--vocabulary` set to that vocab.txt: all models
   share one vocabulary. Pre-training length 256 (the longest used later).
3. The same for mini FNet and its twin (`--hours-mini`, default 3 h), fine-tuned on SST-2.
4. From-scratch baselines that docs/results does not already hold with today's defaults (mini FNet on
   SST-2); the others are quoted with their source (`BASELINES`).

After each part, and with `--no-train` from whatever has finished (or started), writes
docs/results/pretraining.{md,json} and one PNG of the masked-LM curves per preset. Runs go to
runs/pretraining/{pre,fine,scratch}/NAME, each child's output to runs/pretraining/logs/NAME.log.

    python scripts/pretraining_report.py                      # the whole job: ~12 h on 2 shared cores
    python scripts/pretraining_report.py --no-train           # the report from what has run so far
    python scripts/pretraining_report.py --models tiny-fourier,tiny-attention

Data: IMDB (Maas et al. 2011), SST-2 (Socher et al. 2013; GLUE, Wang et al. 2019), TREC (Li and Roth
2002). Masked LM: Devlin et al. 2019. FNet: Lee-Thorp et al. 2021.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("..") / "shared" / "data"  # relative to ROOT, as the commands are shown
MODELS = ("tiny-fourier", "tiny-attention", "mini-fourier", "mini-attention")
TASKS = {  # name: (data directory, fine-tuning length)
    "trec": (DATA / "trec", 32),
    "sst2": (DATA / "sst2", 64),
    "imdb": (DATA / "imdb", 256),
}
FINE_TUNED = {"tiny": ("trec", "sst2", "imdb"), "mini": ("sst2",)}
PRETRAIN_LENGTH = 256
# From-scratch test accuracies already measured with today's defaults (same preset, mixing, data, length,
# seed 0): quoted rather than run again. Their vocabularies were learned on each task's own training text.
BASELINES = {
    ("tiny-fourier", "trec"): (0.838, "docs/results/defaults.md (target figures)"),
    ("tiny-attention", "trec"): (0.852, "docs/results/defaults.md (target figures)"),
    ("tiny-fourier", "sst2"): (0.794, "docs/results/defaults.md (target figures)"),
    ("tiny-fourier", "imdb"): (0.848, "docs/results/defaults.md (target figures; --vocabulary-size 16000)"),
    ("tiny-attention", "imdb"): (0.838, "docs/results/defaults.md (target figures; --vocabulary-size 16000)"),
    # Attention models are untouched by the orthonormal Fourier scale, and SST-2 runs 3 epochs under both
    # the old and the new schedule (best epoch 3 of 3, so the old patience 1 did not act).
    ("tiny-attention", "sst2"): (0.794, "docs/results/sst2.md"),
    ("mini-attention", "sst2"): (0.803, "docs/results/sst2.md"),
}
# FNet's pre-training steps/s over the twin's, the same loop timed back to back
# (docs/results/pretrain_speed.md, median of paired rounds).
INTERLEAVED_SPEEDUP = {"tiny": 1.49, "mini": 1.65}
TARGETS_TEXT = (
    "mini FNet SST-2 test >= 0.84 and tiny >= 0.82 after pre-training; pre-training adds >= 2 points over "
    "from scratch on IMDB; FNet >= 0.97x the twin's accuracy at equal pre-training wall-clock, and "
    "pre-trains at <= 0.75x its step time"
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated (default: all four)")
    parser.add_argument("--text", default=str(DATA / "imdb" / "unsup.txt.gz"), help="pre-training text")
    parser.add_argument("--hours-tiny", type=float, default=1.5, help="pre-training clock per tiny model")
    parser.add_argument("--hours-mini", type=float, default=3.0, help="pre-training clock per mini model")
    parser.add_argument("--runs", type=Path, default=Path("runs/pretraining"), help="where the runs go")
    parser.add_argument("--no-train", action="store_true", help="only report what has run so far")
    parser.add_argument("--results", type=Path, default=ROOT / "docs" / "results" / "pretraining",
                        help="report path without suffix (.md, .json, -PRESET.png)")
    args = parser.parse_args(argv)
    args.models = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = [name for name in args.models if name not in MODELS]
    if unknown:
        parser.error(f"--models: unknown {unknown}; known: {', '.join(MODELS)}")
    args.models = [name for name in MODELS if name in args.models]  # the job's order
    args.shown_runs = args.runs  # as given (the resume command repeats it)
    args.runs = args.runs if args.runs.is_absolute() else ROOT / args.runs  # the children run in ROOT
    return args


# --- the job ------------------------------------------------------------------------------------


def shown(path: Path) -> str:
    """`path` relative to the repository root when inside it (commands run there), else as is."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def run_child(name: str, command: list[str], logs: Path) -> None:
    """Runs `fnet-keras ...` (command[0] is "fnet-keras") with this checkout first on the path."""
    logs.mkdir(parents=True, exist_ok=True)
    print(f"[{time.strftime('%H:%M:%S')}] [{name}] {shlex.join(command)}", flush=True)
    started = time.time()
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(logs / f"{name}.log", "a", encoding="utf-8") as log:
        log.write(f"\n$ {shlex.join(command)}\n")
        log.flush()
        subprocess.run([sys.executable, "-m", "fnet_keras", *command[1:]], cwd=ROOT, env=environment,
                       stdout=log, stderr=subprocess.STDOUT, check=True)
    print(f"[{time.strftime('%H:%M:%S')}] [{name}] done in {time.time() - started:.0f} s", flush=True)


def shared_vocabulary(args) -> Path | None:
    """The vocab.txt the next pre-training reuses: that of the first model (in MODELS order) started."""
    for model in MODELS:
        vocabulary = args.runs / "pre" / model / "vocab.txt"
        if (args.runs / "pre" / model / "config.json").is_file() and vocabulary.is_file():
            return vocabulary
    return None


def pretrain_command(args, model: str) -> list[str]:
    pre = args.runs / "pre" / model
    command = ["fnet-keras", "pretrain", "--out", shown(pre), "--checkpoint-minutes", "5"]
    if (pre / "config.json").is_file():
        return command + ["--resume"]  # the recorded settings, text and vocabulary
    preset, mixing = model.split("-")
    hours = args.hours_tiny if preset == "tiny" else args.hours_mini
    command += ["--text", args.text, "--preset", preset, "--mixing", mixing,
                "--sequence-length", str(PRETRAIN_LENGTH), "--hours", f"{hours:g}", "--seed", "0"]
    vocabulary = shared_vocabulary(args)
    return command + (["--vocabulary", shown(vocabulary)] if vocabulary else [])


def train_command(run: Path, task: str, flags: list[str]) -> list[str]:
    data, length = TASKS[task]
    command = ["fnet-keras", "train", "--data", str(data), "--out", shown(run),
               "--sequence-length", str(length), "--seed", "0", *flags]
    return command + (["--resume"] if (run / "config.json").is_file() else [])


def plan(args) -> list[tuple[str, Path, str, list[str] | None]]:
    """The parts of the job in order: (kind, directory, name, flags); flags None for pre-training."""
    parts = []
    for model in args.models:  # each model's fine-tunes right after its pre-training: results sooner
        parts.append(("pre", args.runs / "pre" / model, model, None))
        preset = model.split("-")[0]
        for task in FINE_TUNED[preset]:
            flags = ["--init-from", shown(args.runs / "pre" / model)]
            parts.append(("fine", args.runs / "fine" / f"{model}-{task}", f"{model}-{task}", flags))
    for model in args.models:
        preset, mixing = model.split("-")
        for task in FINE_TUNED[preset]:
            if (model, task) not in BASELINES:
                name = f"{model}-{task}"
                parts.append(("scratch", args.runs / "scratch" / name, name,
                              ["--preset", preset, "--mixing", mixing]))
    return parts


def finished(kind: str, directory: Path) -> bool:
    return (directory / ("result.json" if kind == "pre" else "metrics.json")).is_file()


def run_job(args) -> None:
    for kind, directory, name, flags in plan(args):
        if finished(kind, directory):
            continue
        if kind == "pre":
            command = pretrain_command(args, name)
        else:
            if kind == "fine" and not finished("pre", ROOT / flags[1]):
                print(f"[{name}] skipped: {flags[1]} has not finished", flush=True)
                continue
            task = name.rsplit("-", 1)[1]
            command = train_command(directory, task, flags)
        run_child(f"{kind}-{name}", command, args.runs / "logs")
        write_report(args)


# --- the report ---------------------------------------------------------------------------------


def pretraining_state(args, model: str) -> dict:
    """What a pre-training directory holds: settings, progress (finished or not), the curves."""
    pre = args.runs / "pre" / model
    if not (pre / "config.json").is_file():
        return {"model": model, "status": "not started", "dir": shown(pre)}
    config = read_json(pre / "config.json")
    settings = config["settings"]
    history = read_json(pre / "history.json") if (pre / "history.json").is_file() else []
    state = {"model": model, "dir": shown(pre), "settings": settings, "history": history,
             "vocabulary": config["vocabulary"], "windows": config["data"]["windows"],
             "steps_per_epoch": config["optimization"]["steps_per_epoch"]}
    if (pre / "result.json").is_file():
        result = read_json(pre / "result.json")
        state.update(status="finished", steps=result["steps"], seconds=result["elapsed_seconds"],
                     loss=result["loss"], masked_accuracy=result["masked_accuracy"])
    else:
        last = history[-1] if history else {"step": 0, "elapsed_seconds": 0.0}
        checkpoint = pre / "checkpoint" / "state.json"
        resume_step = read_json(checkpoint)["state"]["step"] if checkpoint.is_file() else 0
        state.update(status="started", steps=last["step"], seconds=last["elapsed_seconds"],
                     loss=last.get("loss"), masked_accuracy=last.get("masked_accuracy"),
                     resume_step=resume_step)
    state["hours"] = state["seconds"] / 3600
    state["seconds_per_step"] = state["seconds"] / state["steps"] if state["steps"] else None
    return state


def fine_tune_state(args, kind: str, name: str) -> dict | None:
    run = args.runs / kind / name
    if not (run / "metrics.json").is_file():
        return {"status": "started" if (run / "config.json").is_file() else "not started", "dir": shown(run)}
    metrics = read_json(run / "metrics.json")
    history = read_json(run / "history.json")
    log = args.runs / "logs" / f"{kind}-{name}.log"
    warnings = []
    if log.is_file():
        warnings = sorted({line.split("PretrainedLengthWarning: ", 1)[1].strip()
                           for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
                           if "PretrainedLengthWarning: " in line})
    return {"status": "finished", "dir": shown(run), "test": metrics["test"]["accuracy"],
            "dev": metrics["dev"]["accuracy"], "best_epoch": metrics["best_epoch"],
            "epochs_run": metrics["epochs_run"], "parameters": metrics["parameters"],
            "train_seconds": sum(record["train_seconds"] for record in history), "warnings": warnings}


def plot_curves(states: list[dict], path: Path) -> bool:
    """Masked-LM loss and accuracy against training hours, one line per model; False if nothing to plot."""
    drawn = [state for state in states if state.get("history")]
    if not drawn:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for state in drawn:
        hours = [record["elapsed_seconds"] / 3600 for record in state["history"]]
        running = "" if state["status"] == "finished" else ", unfinished"
        label = f"{state['model']} ({state['steps']:,} steps{running})"
        loss_axes.plot(hours, [record["loss"] for record in state["history"]], label=label)
        accuracy_axes.plot(hours, [record["masked_accuracy"] for record in state["history"]], label=label)
    for axes, name in ((loss_axes, "masked-LM loss"), (accuracy_axes, "masked-token accuracy")):
        axes.set_xlabel("training hours")
        axes.set_ylabel(name)
        axes.grid(alpha=0.3)
    loss_axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.tmp.png")
    figure.savefig(temporary, dpi=100)
    plt.close(figure)
    os.replace(temporary, path)
    return True


def collect(args) -> dict:
    pre = {model: pretraining_state(args, model) for model in args.models}
    rows = []
    for model in args.models:
        preset = model.split("-")[0]
        for task in FINE_TUNED[preset]:
            name = f"{model}-{task}"
            baseline = BASELINES.get((model, task))
            scratch = ({"status": "quoted", "test": baseline[0], "source": baseline[1]} if baseline
                       else fine_tune_state(args, "scratch", name))
            rows.append({"model": model, "task": task, "length": TASKS[task][1],
                         "pretrained": fine_tune_state(args, "fine", name), "scratch": scratch})
    return {"pretraining": pre, "fine_tuning": rows}


def targets(report: dict) -> list[tuple[str, str, str]]:
    """(target, value, met) for each target the report can judge; 'pending' where parts are missing."""
    rows = {(row["model"], row["task"]): row for row in report["fine_tuning"]}
    pre = report["pretraining"]

    def test(model, task, kind="pretrained"):
        row = rows.get((model, task))
        return None if row is None else row[kind].get("test")

    def judge(value, good):
        return "pending" if value is None else ("yes" if good(value) else "NO")

    out = []
    for model, bound in (("mini-fourier", 0.84), ("tiny-fourier", 0.82)):
        value = test(model, "sst2")
        out.append((f"{model} SST-2 test after pre-training >= {bound}", _fmt(value),
                    judge(value, lambda v, b=bound: v >= b)))
    for model in ("tiny-fourier", "tiny-attention"):
        after, before = test(model, "imdb"), test(model, "imdb", "scratch")
        gain = None if after is None or before is None else after - before
        out.append((f"{model} IMDB: pre-trained - from scratch >= +0.02", _fmt(gain, signed=True),
                    judge(gain, lambda v: v >= 0.02 - 1e-9)))
    for preset in ("tiny", "mini"):
        for task in FINE_TUNED[preset]:
            fnet, twin = test(f"{preset}-fourier", task), test(f"{preset}-attention", task)
            ratio = None if fnet is None or twin is None else fnet / twin
            out.append((f"{preset} {task}: FNet / twin test accuracy (both pre-trained) >= 0.97", _fmt(ratio),
                        judge(ratio, lambda v: v >= 0.97)))
        fnet, twin = pre.get(f"{preset}-fourier", {}), pre.get(f"{preset}-attention", {})
        ratio = None
        if fnet.get("seconds_per_step") and twin.get("seconds_per_step"):
            ratio = fnet["seconds_per_step"] / twin["seconds_per_step"]
        out.append((f"{preset}: FNet / twin pre-training seconds per step <= 0.75 (these runs)", _fmt(ratio),
                    judge(ratio, lambda v: v <= 0.75)))
        interleaved = 1 / INTERLEAVED_SPEEDUP[preset]
        out.append((f"{preset}: the same, timed interleaved (docs/results/pretrain_speed.md)",
                    _fmt(interleaved), judge(interleaved, lambda v: v <= 0.75)))
    return out


def _budget(state: dict) -> str:
    hours = state["settings"]["hours"]
    return f"{hours:g} h" if hours is not None else f"{state['settings']['steps']:,} steps"


def _fmt(value, signed=False) -> str:
    if value is None:
        return "–"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


# Why the unfinished parts are not planned (measured; issue 15).
RETIRED = (
    "The finished part answered the question: 1.5 h of masked-LM pre-training (masked accuracy 0.12) gave "
    "no fine-tuning gain (TREC -2.2 points, SST-2 -0.4), and the remaining parts need about 10 more hours "
    "of this 2-core machine. Knowledge now comes from a pre-trained encoder distilled into the small "
    "models (`fnet-keras train --encoder`, docs/results/pareto.md); `fnet-keras pretrain` stays as a tool."
)


def remaining(args, report: dict) -> list[str]:
    left = []
    for kind, directory, name, _ in plan(args):
        if finished(kind, directory):
            continue
        what = {"pre": "pre-training", "fine": "fine-tuning", "scratch": "from scratch"}[kind]
        if kind == "pre":
            state = report["pretraining"][name]
            if state["status"] == "started":
                left.append(f"{what} {name}: started, {state['hours']:.2f} h of {_budget(state)} "
                            f"({state['steps']:,} steps logged; resumes from the checkpoint at step "
                            f"{state['resume_step']:,}) in `{shown(directory)}`")
                continue
        elif (directory / "config.json").is_file():
            left.append(f"{what} {name}: started (resumes from its last finished epoch) in "
                        f"`{shown(directory)}`")
            continue
        left.append(f"{what} {name}: not started")
    return left


def write_report(args) -> dict:
    report = collect(args)
    results = args.results
    figures = {}
    for preset in ("tiny", "mini"):
        states = [state for model, state in report["pretraining"].items() if model.startswith(preset + "-")]
        path = results.with_name(f"{results.name}-{preset}.png")
        if plot_curves(states, path):
            figures[preset] = path.name
    left = remaining(args, report)
    judged = targets(report)
    resume_args = ["scripts/pretraining_report.py", *_job_flags(args)]
    command = shlex.join(["python", *resume_args])
    lines = [
        "# Pre-training: FNet and its Transformer twin on IMDB's unlabelled reviews, then fine-tuned",
        "",
        f"Made by `{command}` (`--no-train`: the report alone); this page: "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node() or 'this machine'}, "
        f"{os.cpu_count()} CPUs shared with other jobs (the job runs under `nice -n 19`).",
        "",
        "**Status: " + ("complete.**" if not left else f"retired with {len(left)} part(s) not planned** "
                        f"(listed at the end). {RETIRED}"),
        "",
        "Setup: masked-LM pre-training (BERT's 15% masking, 80/10/10) on "
        f"`{args.text}` at length {PRETRAIN_LENGTH}, batch 64, AdamW 5e-4 with 5% "
        "warm-up and linear decay over a time budget (`--hours`: the same training wall-clock for FNet and "
        "its twin; the schedule runs on the training clock, which survives `--resume`), seed 0. One "
        "WordPiece vocabulary for all models, learned on the text by the first (tiny FNet), passed to the "
        "others with `--vocabulary`. Fine-tuning: `fnet-keras train --init-from PRE_DIR` with today's "
        "defaults (epochs planned from `min_steps` 1,000, early stopping on dev, patience 2, seed 0); test "
        "accuracy reported. TREC's dev split is the seeded 10% hold-out of train; SST-2's test is GLUE's "
        "dev split (872 sentences).",
        "",
        "## Pre-training",
        "",
        "| model | status | steps | training hours (budget) | epochs | s/step (mean) | last loss | "
        "masked acc. | vocabulary | dir |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for model, state in report["pretraining"].items():
        if state["status"] == "not started":
            lines.append(f"| {model} | not started | | | | | | | | `{state['dir']}` |")
            continue
        per_step = f"{state['seconds_per_step']:.2f}" if state["seconds_per_step"] else "–"
        lines.append(
            f"| {model} | {state['status']} | {state['steps']:,} | {state['hours']:.2f} ({_budget(state)}) | "
            f"{state['steps'] / state['steps_per_epoch']:.2f} | {per_step} | {_fmt(state['loss'])} | "
            f"{_fmt(state['masked_accuracy'])} | {state['vocabulary']['size']:,} "
            f"({'learned' if state['vocabulary']['learned_from'] == 'text' else 'shared'}) | "
            f"`{state['dir']}` |")
    lines += [""]
    for preset, name in figures.items():
        lines += [f"![{preset} masked-LM curves]({name})", ""]
    lines += [
        "s/step is training time over steps as the runs went, on a machine shared with other jobs: a run "
        "that met more load did fewer steps in its hours. The interleaved measurement in "
        "docs/results/pretrain_speed.md (the same loop, FNet and twin timed back to back) is the fairer "
        f"speed comparison: FNet {INTERLEAVED_SPEEDUP['tiny']}x the twin's steps/s for tiny, "
        f"{INTERLEAVED_SPEEDUP['mini']}x for mini.",
        "",
        "## Fine-tuned test accuracy: pre-trained against from scratch",
        "",
        "| model | task (length) | from scratch | pre-trained | gain | dev (pre-trained) | "
        "epochs (best/run) | fine-tuning s |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for row in report["fine_tuning"]:
        pretrained, scratch = row["pretrained"], row["scratch"]
        before = scratch.get("test")
        after = pretrained.get("test")
        gain = None if before is None or after is None else after - before
        scratch_text = _fmt(before) if before is not None else scratch["status"]
        if scratch.get("status") == "quoted":
            scratch_text += f" ({scratch['source'].split(' ')[0].split('/')[-1]})"
        if pretrained["status"] == "finished":
            lines.append(f"| {row['model']} | {row['task']} ({row['length']}) | {scratch_text} | "
                         f"{_fmt(after)} | {_fmt(gain, signed=True)} | {_fmt(pretrained['dev'])} | "
                         f"{pretrained['best_epoch']}/{pretrained['epochs_run']} | "
                         f"{pretrained['train_seconds']:.0f} |")
        else:
            lines.append(f"| {row['model']} | {row['task']} ({row['length']}) | {scratch_text} | "
                         f"{pretrained['status']} | | | | |")
    lines += [
        "",
        "From-scratch figures quoted from docs/results were made with today's defaults on the same data, "
        "length and seed; their vocabularies were learned on each task's own training text (IMDB's with "
        "`--vocabulary-size 16000`), whereas every pre-trained model uses the one vocabulary learned on "
        "unsup.txt.gz (bound 8,000). Quoted: " + "; ".join(
            f"{row['model']} {row['task']} from {row['scratch']['source']}"
            for row in report["fine_tuning"] if row["scratch"].get("status") == "quoted") + ".",
        "",
    ]
    warned = [(row, warning) for row in report["fine_tuning"]
              for warning in row["pretrained"].get("warnings", [])]
    if warned:
        lines += ["Fine-tuning below the pre-training length warns (expected; recorded from the logs):", ""]
        lines += [f"- {row['model']} {row['task']}: `PretrainedLengthWarning: {warning}`"
                  for row, warning in warned]
        lines += [""]
    lines += ["## Targets", "", f"Issue 11: {TARGETS_TEXT}.", "",
              "| target | value | met |", "|---|---:|---|"]
    lines += [f"| {name} | {value} | {met} |" for name, value, met in judged]
    lines += ["", "## Not planned", ""]
    if left:
        lines += [f"- {item}" for item in left]
        lines += ["", "To run them anyway: resume (skips finished parts, resumes started ones from their "
                  "checkpoints), from the repository root:", "",
                  f"    PYTHONPATH=$PWD nohup nice -n 19 {shlex.join(['.venv/bin/python', *resume_args])} "
                  ">> runs/pretraining.log 2>&1 &", ""]
    else:
        lines += ["Nothing: every part has finished.", ""]
    lines += ["References: Lee-Thorp et al. 2021, FNet: Mixing Tokens with Fourier Transforms; Devlin et "
              "al. 2019, BERT; Maas et al. 2011 (IMDB); Socher et al. 2013 (SST); Wang et al. 2019 (GLUE); "
              "Li and Roth 2002 (TREC).", ""]
    text = "\n".join(lines)
    _write_atomic(results.with_suffix(".md"), text)
    data = {"command": command, "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "remaining": left,
            "targets": [dict(zip(("target", "value", "met"), row, strict=True)) for row in judged],
            "figures": figures, **report}
    _write_atomic(results.with_suffix(".json"), json.dumps(data, indent=2) + "\n")
    return data


def _job_flags(args) -> list[str]:
    flags = []
    if args.models != list(MODELS):
        flags += ["--models", ",".join(args.models)]
    if args.hours_tiny != 1.5:
        flags += ["--hours-tiny", f"{args.hours_tiny:g}"]
    if args.hours_mini != 3.0:
        flags += ["--hours-mini", f"{args.hours_mini:g}"]
    if args.shown_runs != Path("runs/pretraining"):
        flags += ["--runs", str(args.shown_runs)]
    return flags


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.no_train:
        try:
            run_job(args)
        except subprocess.CalledProcessError as error:
            write_report(args)
            print(f"a part failed (exit {error.returncode}); its log is under {args.runs / 'logs'}",
                  file=sys.stderr)
            return 1
    data = write_report(args)
    print(args.results.with_suffix(".md").read_text(encoding="utf-8"))
    return 0 if not data["remaining"] or args.no_train else 1


if __name__ == "__main__":
    sys.exit(main())
