"""A dev set for distilled students that no test label touches: held-out sentences labelled by the teacher.

SST-2's dev.tsv cannot choose a distillation recipe (88.6% of its rows occur inside training rows,
docs/results/teacher.md), and the test split is for reporting. A student's agreement with its teacher
on in-domain sentences that no transfer set holds tracks its test accuracy instead. This samples such
sentences from unlabelled text, excluding every line of the given transfer sets, labels them with the
teacher and writes a labelled TSV; `fnet-keras evaluate STUDENT --data OUT` then prints the agreement
as accuracy.

    python scripts/teacher_dev.py --teacher runs/teacher-30k --text ../shared/data/imdb/unsup.txt.gz \\
        --exclude runs/pareto-sst2/transfer-1x-reviews200k.txt.gz --out runs/s4/heldout-teacher.tsv
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys


def parse_args(argv=None) -> argparse.Namespace:
    from fnet_keras.argtypes import positive_int

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", required=True, help="the teacher's run directory")
    parser.add_argument("--text", required=True, help="unlabelled text (.txt/.txt.gz or a folder)")
    parser.add_argument("--exclude", action="append", default=[],
                        help="a transfer set whose lines to keep out (repeatable)")
    parser.add_argument("--sentences", type=positive_int, default=2000, help="how many (default 2000)")
    parser.add_argument("--seed", type=int, default=7, help="sampling seed (default 7)")
    parser.add_argument("--out", required=True, help="the labelled TSV to write (sentence, label)")
    return parser.parse_args(argv)


def predicted_labels(run_dir, texts) -> list[str]:
    """The labels a finished run gives `texts` (its Keras model, in batches)."""
    from fnet_keras.training.run_classifier import RunClassifier

    classifier = RunClassifier.load(run_dir)
    return [classifier.labels[i] for i in classifier.predict(texts).argmax(axis=1)]


def main(argv=None) -> int:
    args = parse_args(argv)
    from fnet_keras.errors import FnetKerasError
    from fnet_keras.quiet import quiet_native_output

    try:
        with quiet_native_output(expected=(FnetKerasError, OSError)):
            return _write(args)
    except (FnetKerasError, OSError) as error:  # a bad teacher, text or transfer set: named, no traceback
        print(f"error: {error}", file=sys.stderr)
        return getattr(error, "exit_code", 2)


def _write(args: argparse.Namespace) -> int:
    from fnet_keras.atomic import atomic_output
    from fnet_keras.data import read_documents
    from fnet_keras.training.augment import sample_sentences
    from fnet_keras.training.run_dir import RunDir

    RunDir(args.teacher).load()  # a bad run directory fails before the text is read
    used = set()
    for path in args.exclude:
        with (gzip.open if path.endswith(".gz") else open)(path, "rt", encoding="utf-8") as file:
            used.update(line.rstrip("\n") for line in file)
    pool = [s for s in sample_sentences(read_documents(args.text).texts, 10 * args.sentences, args.seed)
            if s not in used and "\t" not in s]
    random.Random(args.seed).shuffle(pool)
    picked = pool[: args.sentences]
    print(f"labelling {len(picked):,} held-out sentences with {args.teacher}", file=sys.stderr)
    labels = predicted_labels(args.teacher, picked)
    with atomic_output(args.out) as temp, open(temp, "w", encoding="utf-8") as file:
        file.write("sentence\tlabel\n")
        file.writelines(f"{text}\t{label}\n" for text, label in zip(picked, labels, strict=True))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
