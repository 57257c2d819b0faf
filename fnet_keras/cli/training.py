"""`fnet-keras train`, `pretrain`, `augment` and `listops`: their flags and their runs."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from fnet_keras.argtypes import add_column_arguments, positive_int
from fnet_keras.cli.common import UsageError, needs_tensorflow, require_training_extra, say_unless, tell

# --- settings flags (train, pretrain) -----------------------------------------------------


def _add_setting_flags(parser, cls: type, groups: dict[str, Any] | None = None, only=None) -> None:
    """One flag per field of the settings dataclass `cls` (`TrainSettings`, `PretrainSettings`), made
    from the field's `_setting` metadata: help, default, `choices`, `type`, and `group` (a key of
    `groups`, else `parser`). Every flag's value is None unless given (`_given_settings`)."""
    for field in dataclasses.fields(cls):
        if field.name == "tokenizer" or (only is not None and field.name not in only):
            continue  # PretrainSettings.tokenizer: TrainSettings' tokenizer flags (`add_pretrain_arguments`)
        add = (groups or {}).get(field.metadata.get("group"), parser).add_argument
        flag, default, kind = "--" + field.name.replace("_", "-"), field.default, str(field.type)
        help_text = field.metadata["help"]
        if field.name == "backbone_overrides":
            add("--backbone-override", action="append", default=[], metavar="KEY=VALUE",
                help="replace a preset size, e.g. hidden_dim=64 (repeatable)")
        elif "bool" in kind:
            shown = "the rules' choice" if default is None else default
            add(flag, action=argparse.BooleanOptionalAction, help=f"{help_text} (default: {shown})")
        elif field.name == "patience":  # the setting's None ("never") is 0 on the command line
            add(flag, type=int, metavar="N", help="stop after N epochs without a better dev accuracy; "
                f"0: never stop early (default {default})")
        else:
            convert = field.metadata.get("type") or next((t for t in (int, float) if t.__name__ in kind), str)
            extra = ({"choices": field.metadata["choices"]} if "choices" in field.metadata
                     else {"metavar": "NAME" if convert is str else "N"})
            add(flag, type=convert, help=help_text + ("" if default is None else f" (default {default})"),
                **extra)


def _given_settings(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The fields of the settings dataclass `cls` given on the command line."""
    from fnet_keras.training.settings import settings_from_items

    given = {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(cls)
        if field.name not in ("backbone_overrides", "tokenizer")
        and getattr(args, field.name, None) is not None
    }
    if given.get("patience") == 0:
        given["patience"] = None  # never stop early
    if args.backbone_override:
        given["backbone_overrides"] = settings_from_items(
            args.backbone_override, "--backbone-override", sizes_only=True
        )["backbone_overrides"]
    return given


# --- train ------------------------------------------------------------------------------


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.training.settings import STRATEGIES, TrainSettings

    parser.add_argument(
        "--data",
        help="data: a directory of train/dev/test files (.tsv/.csv/.jsonl, optionally "
        ".gz), a folder per class, or one training file",
    )
    parser.add_argument("--out", help="run directory (default: runs/PRESET-MIXING)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last finished epoch")
    parser.add_argument(
        "--init-from", metavar="PRE_DIR",
        help="start from a pre-trained backbone (fnet-keras pretrain): its vocabulary, tokenizer and "
        "weights, a fresh head; model and tokenizer settings default to the pre-training's",
    )
    parser.add_argument(
        "--from-scratch", action="store_true",
        help="do not start from the shipped general backbone (fnet_keras/backbones/tiny-en), which a run "
        "otherwise starts from when the model settings given fit it and its vocabulary covers the text",
    )
    parser.add_argument(
        "--teacher", metavar="RUN_DIR",
        help="distil from a finished run with the same labels (any preset, mixing or vocabulary): the loss "
        "mixes the labels with its temperature-softened probabilities (--distill-alpha, --temperature); "
        "its logits are computed once and kept in the run directory",
    )
    parser.add_argument(
        "--distill-text", metavar="FILE",
        help="with --teacher: extra unlabelled text (one text per line, .txt or .txt.gz, or a folder) "
        "that the teacher labels; joins every training epoch",
    )
    _add_setting_flags(parser.add_argument_group("settings (each recorded in the run's config.json)"),
                       TrainSettings)
    parser.add_argument(
        "--strategy", choices=STRATEGIES, default="default",
        help="tf.distribute strategy: mirrored (one machine, several devices) or multiworker "
        "(TF_CONFIG names the cluster)",
    )
    add_column_arguments(parser.add_argument_group("data columns"))
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def run_train(args: argparse.Namespace) -> int:
    from fnet_keras.data import load_dataset
    from fnet_keras.training.run_dir import RunDir, RunDirError
    from fnet_keras.training.settings import HOLDOUT_SEED, TrainSettings

    # Everything a user can get wrong is checked before TensorFlow loads (4-8 s here).
    require_training_extra("train")
    given = _given_settings(args, TrainSettings)
    defaults = TrainSettings()
    out = args.out or str(
        Path("runs") / f"{given.get('preset', defaults.preset)}-{given.get('mixing', defaults.mixing)}"
    )
    run = RunDir(out)
    if args.resume:
        if not run.has_started():
            raise RunDirError(
                "no run was started here, so there is nothing to resume; leave out --resume to start one",
                run.path,
            )
        settings = run.load().settings.replace(**given)
        if run.is_finished():
            tell(f"note: {run.path} holds a finished run (metrics.json): nothing to resume; its results:")
    elif args.init_from:
        if args.from_scratch:
            raise UsageError("--init-from and --from-scratch contradict each other: give one")
        from fnet_keras.training.pretrain_dir import load_pretrained

        settings = load_pretrained(args.init_from).fine_tuning_settings(**given)
        run.check_new()
    else:
        settings = TrainSettings(**given)
        run.check_new()
        if args.data is None:
            raise UsageError("--data is required (except with --resume on a started run)")
    if args.teacher:
        from fnet_keras.training.teacher import load_teacher

        load_teacher(args.teacher)  # a wrong teacher is an error before TensorFlow loads
    elif not args.resume and (settings.distills or args.distill_text):
        raise UsageError("--distill-alpha, --temperature and --distill-text apply with --teacher only")
    say = say_unless(args.quiet)
    dataset = None
    if args.data is not None:
        say(f"reading {args.data}")
        dataset = load_dataset(
            args.data, text_column=args.text_column, label_column=args.label_column, holdout_seed=HOLDOUT_SEED
        )
    init_from = args.init_from
    own_model = given.get("encoder") is not None or given.get("mixing") == "bag"  # nothing to start from
    if not (args.resume or args.init_from or args.from_scratch or own_model):
        from fnet_keras.backbones import SHIPPED, choose_backbone

        chosen, _, why = choose_backbone(dataset.train.texts, given)
        if chosen is not None:
            settings, init_from = chosen, SHIPPED
            say(f"starting from the shipped backbone {SHIPPED.name} ({why}; --from-scratch to train "
                "without it)")
        else:
            say(f"training from scratch: {why}")
    args.interrupt_hint = f"interrupted: continue with fnet-keras train --out {out} --resume"
    needs_tensorflow("train", say)
    from fnet_keras.training.trainer import fit

    # Keras writes its epoch lines to stdout; they are progress, so stderr: stdout holds the result.
    with contextlib.redirect_stdout(sys.stderr):
        result = fit(
            dataset, out, settings, resume=args.resume, strategy=args.strategy,
            verbose=0 if args.quiet else 1 if sys.stderr.isatty() else 2,
            init_from=init_from if not args.resume else None, teacher=args.teacher,
            distill_text=args.distill_text,
        )
    test = result.test_metrics
    print(f"run directory: {result.run_dir}")
    print(
        f"best epoch {result.best_epoch} of {len(result.history)}"
        f"{' (stopped early)' if result.stopped_early else ''}: "
        f"dev accuracy {result.dev_metrics['accuracy']:.4f}"
        + (f", test accuracy {test['accuracy']:.4f}" if test else ", no labelled test split")
    )
    print(result.improvement_line())
    return 0


# --- pretrain ---------------------------------------------------------------------------

# TrainSettings' tokenizer flags -> PretrainSettings.tokenizer keys.
_PRETRAIN_TOKENIZER_FLAGS = {
    "tokenizer_rules": "rules", "lowercase": "lowercase", "strip_accents": "strip_accents",
    "split_on_cjk": "split_on_cjk",
}


def add_pretrain_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.training.pretrain_settings import PretrainSettings
    from fnet_keras.training.settings import STRATEGIES, TrainSettings

    parser.add_argument(
        "--text", nargs="+", metavar="FILE_OR_DIR",
        help="unlabelled text: .txt or .txt.gz files, one document per line, or folders of "
        "them (not needed with --resume)",
    )
    parser.add_argument("--out", required=True, metavar="PRE_DIR", help="the pre-training directory to write")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint")
    groups = {"length": parser.add_mutually_exclusive_group()}
    for title in ("model", "tokenizer", "optimization", "checkpoints and progress"):
        groups[title] = parser.add_argument_group(title)
    _add_setting_flags(parser, PretrainSettings, groups)
    _add_setting_flags(groups["tokenizer"], TrainSettings, only=_PRETRAIN_TOKENIZER_FLAGS)
    groups["model"].add_argument(
        "--vocabulary", metavar="VOCAB_TXT",
        help="use this vocab.txt (e.g. another pre-training's) instead of learning one, so that models "
        "pre-trained apart share token ids",
    )
    groups["optimization"].add_argument(
        "--strategy", choices=STRATEGIES, default="default",
        help="tf.distribute strategy; multiworker reads TF_CONFIG (README: several machines)",
    )
    output = groups["checkpoints and progress"]
    output.add_argument("--checkpoint-steps", type=int, default=1000,
                        help="checkpoint every N steps (default 1000; 0: not by steps)")
    output.add_argument("--checkpoint-minutes", type=float, default=10.0,
                        help="checkpoint every M minutes of training (default 10; 0: not by time)")
    output.add_argument("--quiet", action="store_true", help="no progress output")


def pretrain_settings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The `PretrainSettings` fields given on the command line."""
    from fnet_keras.training.pretrain_settings import PretrainSettings

    given = _given_settings(args, PretrainSettings)
    tokenizer = {key: getattr(args, flag) for flag, key in _PRETRAIN_TOKENIZER_FLAGS.items()
                 if getattr(args, flag) is not None}
    if tokenizer:
        given["tokenizer"] = tokenizer
    return given


def run_pretrain(args: argparse.Namespace) -> int:
    from fnet_keras.training.pretrain_dir import PretrainDir
    from fnet_keras.training.pretrain_settings import PretrainSettings

    require_training_extra("pretrain")
    given = pretrain_settings_from_args(args)
    pre = PretrainDir(args.out)
    if args.resume and pre.has_started():
        if args.vocabulary is not None:
            raise UsageError("--vocabulary applies to a new run; a resumed run keeps its own vocab.txt")
        recorded = PretrainSettings.from_dict(pre.read_config()["settings"])
        settings = recorded.replace(**given) if given else None
    else:
        if args.text is None:
            raise UsageError("--text is required (except with --resume on a started run)")
        settings = PretrainSettings(**given)
    args.interrupt_hint = f"interrupted: continue with fnet-keras pretrain --out {args.out} --resume"
    needs_tensorflow("pretrain", say_unless(args.quiet))
    from fnet_keras.training.pretrain import pretrain

    result = pretrain(
        args.text, args.out, settings, resume=args.resume, strategy=args.strategy,
        checkpoint_steps=args.checkpoint_steps or None, checkpoint_minutes=args.checkpoint_minutes or None,
        verbose=0 if args.quiet else "auto", vocabulary=args.vocabulary,
    )
    last = result.history[-1] if result.history else {}
    print(f"pre-training directory: {Path(result.pre_dir)}")
    examples = (f"{result.windows['documents']:,} texts" if result.settings.encoder else
                f"{result.windows['windows']:,} windows of {result.windows['documents']:,} documents")
    print(f"{result.steps} steps in {result.elapsed_seconds / 60:.1f} min (stopped by {result.stopped_by}); "
          f"{examples}")
    if "held_out_cosine" in last:
        print(f"cosine with the encoder's embeddings on held-out texts: {last['held_out_cosine']:.4f}")
    elif last:
        print(
            f"last {result.settings.log_every} steps: loss {last['loss']:.4f}, "
            f"masked accuracy {last['masked_accuracy']:.4f}"
        )
    return 0


# --- augment -------------------------------------------------------------------------------


def add_augment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="labelled data whose training texts are copied")
    parser.add_argument("--teacher", required=True, metavar="RUN_DIR",
                        help="the teacher run whose token embeddings give replacement words")
    parser.add_argument("--out", required=True, help="text file to write, one text per line (.gz compresses)")
    parser.add_argument("--copies", type=int, default=2, help="perturbed copies of each text (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the perturbations (default 0)")
    parser.add_argument("--text", metavar="FILE",
                        help="unlabelled text (.txt/.txt.gz, one document per line) to sample sentences from")
    parser.add_argument("--sentences", type=int, default=0,
                        help="sentences of --text to add (6-50 words each; default 0)")


def run_augment(args: argparse.Namespace) -> int:
    if args.copies < 1:
        raise UsageError(f"--copies must be at least 1; got {args.copies}", "--copies")
    if args.sentences and not args.text:
        raise UsageError("--sentences samples from unlabelled text: give --text FILE", "--sentences")
    needs_tensorflow("augment")
    from fnet_keras.training.augment import write_transfer_text

    lines = write_transfer_text(args.data, args.teacher, args.out, args.copies, args.seed, say=tell,
                                text=args.text, sentences=args.sentences)
    print(f"{lines:,} texts written to {args.out}; distil on them with "
          f"`fnet-keras train --teacher {args.teacher} --distill-text {args.out} ...`")
    return 0


# --- listops -----------------------------------------------------------------------------


def add_listops_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.data.listops import PRESETS

    parser.add_argument("--out", required=True, metavar="DIR", help="directory for train/dev/test.tsv")
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), default="lra",
        help="lra: Long Range Arena's task (lengths 501-1999, lists nest up to 9 deep); shallow: a "
        "quick demo (lengths 4-60, nesting up to 2); flat: lists of digits only (lengths 4-12) "
        "(default: lra)",
    )
    # A few seconds' worth by default (Long Range Arena's counts at its lengths: 224 MB, minutes).
    for name, default, lra, what in (
        ("train", 2_000, 96_000, "training"), ("dev", 500, 2_000, "dev"), ("test", 500, 2_000, "test")
    ):
        parser.add_argument(
            f"--{name}", type=positive_int, default=default, metavar="N",
            help=f"{what} expressions (default {default:,}, a few seconds; Long Range Arena's task "
            f"has {lra:,})",
        )
    parser.add_argument("--min-length", type=positive_int, metavar="N",
                        help="shortest expression, in symbols")
    parser.add_argument("--max-length", type=positive_int, metavar="N", help="longest expression, in symbols")
    parser.add_argument("--max-depth", type=int, metavar="N", help="deepest list nesting")
    parser.add_argument("--max-args", type=int, metavar="N", help="most arguments of a list (at least 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run_listops(args: argparse.Namespace) -> int:
    from fnet_keras.data.listops import PRESETS, write_listops

    total = args.train + args.dev + args.test
    tell(f"listops: generating {total:,} {args.preset} expressions into {args.out}")
    written = write_listops(
        args.out, train=args.train, dev=args.dev, test=args.test, config=PRESETS[args.preset],
        min_length=args.min_length, max_length=args.max_length, max_depth=args.max_depth,
        max_args=args.max_args, seed=args.seed,
        progress=lambda done, count: tell(f"listops: {done:,} of {count:,} expressions"),
    )
    settings = json.loads(written["settings"].read_text(encoding="utf-8"))
    print(f"ListOps ({args.preset}, seed {args.seed}) written to {args.out}: {settings['config']}")
    for name in ("train", "dev", "test"):
        counts = settings["label_counts"][name]
        print(f"  {written[name].name}: {sum(counts)} rows, labels 0-9: {counts}")
    return 0
