"""The general backbone shipped in `fnet_keras/backbones/tiny-en`: its text, its pre-training, its report.

    python scripts/general_backbone.py corpus   # runs/backbone/texts.txt.gz from ../shared/data
    python scripts/general_backbone.py pretrain # fnet-keras pretrain --encoder minilm on it (resumable)
    python scripts/general_backbone.py ship     # copy the finished backbone into the package
    python scripts/general_backbone.py report   # TREC, SST-2, IMDB: from the backbone vs from scratch

The text is unlabelled and never test text: SST-2's and TREC's training sentences without their
labels, and IMDB's training and unlabelled reviews cut into passages of whole sentences of up to
`PASSAGE_WORDS` words (a passage fits the backbone's 64 pieces; the encoder reads up to 128 of
its own). `make backbone` runs the four steps; each resumes or reuses what is finished.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import subprocess
import sys

from experiment import ROOT, Cells, command_line, write_results

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "runs" / "backbone"
TEXTS = OUT / "texts.txt.gz"
PRE_DIR = OUT / "pretrain"
SHIPPED = ROOT / "fnet_keras" / "backbones" / "tiny-en"
PASSAGE_WORDS = 40  # about 55 of our pieces: inside the 62 a 64-piece window holds
REVIEW_PASSAGES = 200_000  # with SST-2 and TREC, about 266k texts: ~25 min of the encoder here
SEED = 0
PRETRAIN = [
    "--encoder", "minilm", "--preset", "tiny", "--sequence-length", "64", "--steps", "24000",
    "--log-every", "1000", "--batch-size", "64", "--seed", str(SEED),
]
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _passages(review: str):
    words, passage = 0, []
    for sentence in SENTENCE_END.split(review.strip()):
        count = len(sentence.split())
        if count > PASSAGE_WORDS:
            continue  # a run-on sentence would be cut differently by the two tokenizers
        if words + count > PASSAGE_WORDS and passage:
            yield " ".join(passage)
            words, passage = 0, []
        passage.append(sentence)
        words += count
    if passage:
        yield " ".join(passage)


def corpus() -> None:
    if TEXTS.is_file():
        print(f"{TEXTS}: kept (delete it to cut the text again)")
        return
    from fnet_keras.data.readers import read_split

    train_texts = {name: [text.strip() for text in read_split(DATA / name / file).texts]
                   for name, file in (("imdb", "train.tsv.gz"), ("sst2", "train.tsv"), ("trec", "train.tsv"))}
    reviews = list(train_texts["imdb"])
    with gzip.open(DATA / "imdb" / "unsup.txt.gz", "rt", encoding="utf-8") as file:
        reviews += [line.strip() for line in file if line.strip()]
    passages = [passage for review in reviews for passage in _passages(review)]
    random.Random(SEED).shuffle(passages)
    texts = [*train_texts["sst2"], *train_texts["trec"], *passages[:REVIEW_PASSAGES]]
    OUT.mkdir(parents=True, exist_ok=True)
    temp = TEXTS.with_suffix(".tmp")
    with open(temp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed:
        packed.write("".join(text + "\n" for text in texts if text).encode("utf-8"))  # same bytes every time
    temp.replace(TEXTS)
    print(f"{TEXTS}: {len(texts):,} texts ({len(passages):,} review passages, {REVIEW_PASSAGES:,} kept)")


def pretrain() -> int:
    resume = ["--resume"] if PRE_DIR.is_dir() else []
    command = [sys.executable, "-m", "fnet_keras.cli", "pretrain", "--text", str(TEXTS),
               "--out", str(PRE_DIR), *PRETRAIN, *resume]
    return subprocess.call(command)


def ship() -> None:
    if not (PRE_DIR / "result.json").is_file():
        sys.exit(f"{PRE_DIR}: not finished; run `python scripts/general_backbone.py pretrain`")
    temp = SHIPPED.with_name(SHIPPED.name + ".tmp")
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(parents=True)
    for name in ("config.json", "vocab.txt", "backbone.weights.h5", "history.json", "result.json"):
        shutil.copy2(PRE_DIR / name, temp / name)
    shutil.rmtree(SHIPPED, ignore_errors=True)
    temp.replace(SHIPPED)
    print(f"shipped {SHIPPED}")


# (data, sequence length, extra flags): TREC and SST-2 at the backbone's length; IMDB at 256, where the
# backbone is named explicitly (the default leaves it out at another length: this measures that choice).
TASKS = {
    "trec": (DATA / "trec", 64, []),
    "sst2": (DATA / "sst2", 64, []),
    "imdb": (DATA / "imdb", 256, []),
}


def _train(task: str, start: str) -> dict:
    data, length, extra = TASKS[task]
    out = OUT / "report" / f"{task}-{start}"
    if not (out / "metrics.json").is_file():
        # At the backbone's length `train` starts from it by default: no flag, as a user runs it.
        init = {"backbone": [] if length == 64 else ["--init-from", str(SHIPPED)],
                "scratch": ["--from-scratch", "--preset", "tiny"]}[start]
        resume = ["--resume"] if (out / "config.json").is_file() else []
        command = [sys.executable, "-m", "fnet_keras.cli", "train", "--data", str(data), "--out", str(out),
                   "--sequence-length", str(length), *init, *extra, *resume]
        print(" ".join(command[2:]), flush=True)
        if subprocess.call(command) != 0:
            sys.exit(f"training {out} failed")
    init = json.loads((out / "config.json").read_text())["init"]
    if (init is not None) != (start == "backbone"):
        sys.exit(f"{out}: started from {init and init['pretrained_dir']}, not as its name says")
    metrics = json.loads((out / "metrics.json").read_text())
    history = json.loads((out / "history.json").read_text())
    return {"test_accuracy": metrics["test"]["accuracy"], "dev_accuracy": metrics["dev"]["accuracy"],
            "epochs": metrics["epochs_run"], "test_rows": metrics["test"]["count"],
            "train_seconds": sum(record["train_seconds"] for record in history)}


def report(tasks: list[str]) -> None:
    from fnet_keras.report_tables import markdown_table

    cells = Cells(OUT / "report" / "cells.json")
    for task in tasks:
        for start in ("scratch", "backbone"):
            key = f"{task}-{start}"
            if key not in cells.cells:
                cells.put(key, _train(task, start))
    config = json.loads((SHIPPED / "config.json").read_text())
    result = json.loads((SHIPPED / "result.json").read_text())
    rows = []
    for task in tasks:
        scratch, backbone = cells.cells[f"{task}-scratch"], cells.cells[f"{task}-backbone"]
        rows.append([task.upper() if task != "sst2" else "SST-2", str(TASKS[task][1]),
                     f"{scratch['test_accuracy']:.2%}", f"{backbone['test_accuracy']:.2%}",
                     f"{(backbone['test_accuracy'] - scratch['test_accuracy']) * 100:+.1f}",
                     str(scratch["test_rows"])])
    header = ["task", "length", "from scratch", "from the backbone", "points", "test rows"]
    table = "\n".join(markdown_table(header, rows))
    markdown = REPORT_TEMPLATE.format(
        texts=config["data"]["texts"], held_out=config["data"]["held_out"], steps=result["steps"],
        minutes=result["elapsed_seconds"] / 60, cosine=result["held_out_cosine"], table=table,
        command=command_line("general_backbone.py", ["report", *tasks]),
    )
    record = {"cells": cells.cells, "backbone": result}
    write_results(ROOT / "docs" / "results" / "backbone", record, markdown)
    print(markdown)


REPORT_TEMPLATE = """# The general backbone (fnet_keras/backbones/tiny-en)

A tiny FNet (2 blocks, 128 hidden, length 64) that learned the sentence embeddings of all-MiniLM-L6-v2
(`pretrain --encoder minilm`): {texts:,} unlabelled texts ({held_out:,} held out), {steps:,} steps of 64 in
{minutes:.0f} min of training here; cosine with the encoder on the held-out texts {cosine:.3f}.
The text: SST-2's and TREC's training sentences without labels, and 200,000 passages of IMDB's training
and unlabelled reviews. No test text. `make backbone` rebuilds it (`scripts/general_backbone.py`).

## Fine-tuned from it against from scratch

Same settings on both sides (tiny FNet, the defaults of `fnet-keras train`); one seed each (binomial
standard error about 1.6 points on TREC's 500 test rows, 1.3 on SST-2's 872, 0.2 on IMDB's 25,000). TREC and
SST-2 at the backbone's length, where `train` starts from it with no flag (`--from-scratch` for the
other column); IMDB at 256 with `--init-from` (positions beyond 64 start untrained, and the default
leaves the backbone out at another length).

{table}

Measured with `{command}`.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("corpus", "pretrain", "ship", "report"))
    parser.add_argument("tasks", nargs="*", default=list(TASKS), help="report: the tasks (default all)")
    args = parser.parse_args(argv)
    if args.step == "corpus":
        corpus()
    elif args.step == "pretrain":
        return pretrain()
    elif args.step == "ship":
        ship()
    else:
        report(args.tasks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
