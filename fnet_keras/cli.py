"""The `fnet-keras` command line, the package's one parser module: parse, call one library function, print.

    fnet-keras [--verbose] SUBCOMMAND ...      (also: python -m fnet_keras)

Subcommands are `Subcommand` entries in `SUBCOMMANDS`. Importing this module imports no
TensorFlow: the edge install (numpy + LiteRT) runs `classify`, `evaluate BUNDLE`, `bench` and
`presets`; the TensorFlow-side subcommands check their arguments first (a bad preset, an
occupied --out) and only then load TensorFlow, quietly (`fnet_keras.quiet`).

One error handler: an `FnetKerasError` (data, tokenizer, bundle, run-directory, settings and
export errors, all naming the file and value at fault) prints `error: <message>` on stderr and
exits with the error's `exit_code` (2 for bad input, 1 for a failed check such as the parity
gate or a missing interpreter); an `OSError` exits 2; anything else is a bug and keeps its
traceback. Results go to stdout, progress (Keras' epoch lines included) and notes to stderr. A
stdout closed by its reader (`| head`) ends the command quietly with 141 (128 + SIGPIPE); Ctrl-C
prints how to continue and exits 130 at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fnet_keras.argtypes import add_column_arguments, positive_int
from fnet_keras.errors import FnetKerasError, LocatedError

USAGE_ERROR = 2
INTERRUPTED = 130
# stdout closed by its reader (`| head`): quiet, with the shell's status for death by SIGPIPE (128 + 13),
# as `yes | head` reports for `yes`.
BROKEN_PIPE = 141
TRAIN_EXTRA = "pip install 'fnet-keras[train]'"


class UsageError(LocatedError):
    """A command line that cannot be carried out as given (exit code 2)."""


@dataclasses.dataclass(frozen=True)
class Subcommand:
    """One `fnet-keras NAME ...` subcommand.

    Attributes:
        name, help: as shown by `fnet-keras --help`.
        add_arguments: adds its arguments to its parser.
        run: carries it out from the parsed arguments; returns the exit status.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _require_training_extra(command: str) -> None:
    """Refuses, with the install command, a TensorFlow-side subcommand in an edge-only install."""
    missing = [
        name for name in ("tensorflow", "keras", "keras_hub") if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise UsageError(
            f"`fnet-keras {command}` needs TensorFlow, Keras and keras-hub ({', '.join(missing)} "
            f"not installed): {TRAIN_EXTRA}"
        )


def _needs_tensorflow(command: str) -> None:
    """`_require_training_extra`, then TensorFlow loaded quietly."""
    _require_training_extra(command)
    from fnet_keras.quiet import load_tensorflow

    load_tensorflow()


def _add_interpreter_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.edge.runtime import RUNTIME_NAMES

    parser.add_argument(
        "--threads", type=positive_int, metavar="N",
        help="CPU threads: the LiteRT interpreter's for a bundle (default 1), TensorFlow's for "
        "a run directory (default: all)",
    )
    parser.add_argument(
        "--runtime", choices=RUNTIME_NAMES,
        help="LiteRT interpreter package for a bundle (default: ai_edge_litert if installed)",
    )


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


def _say_unless(quiet: bool) -> Callable[[str], None]:
    return (lambda message: None) if quiet else _say


# --- settings flags (train, pretrain) -----------------------------------------------------


def _add_setting_flags(parser, cls: type, groups: dict[str, Any] | None = None, only=None) -> None:
    """One flag per field of the settings dataclass `cls` (`TrainSettings`, `PretrainSettings`), made
    from the field's `_setting` metadata: help, default, `choices`, `type`, and `group` (a key of
    `groups`, else `parser`). Every flag's value is None unless given (`_given_settings`)."""
    for field in dataclasses.fields(cls):
        if field.name == "tokenizer" or (only is not None and field.name not in only):
            continue  # PretrainSettings.tokenizer: TrainSettings' tokenizer flags (`_add_pretrain_arguments`)
        container = (groups or {}).get(field.metadata.get("group"), parser)
        flag = "--" + field.name.replace("_", "-")
        default = field.default if field.default is not dataclasses.MISSING else None
        help_text, kind = field.metadata["help"], str(field.type)
        if field.name == "backbone_overrides":
            container.add_argument(
                "--backbone-override", action="append", default=[], metavar="KEY=VALUE",
                help="replace a preset size, e.g. hidden_dim=64 (repeatable)",
            )
        elif "bool" in kind:
            shown = "the rules' choice" if default is None else default
            container.add_argument(
                flag, action=argparse.BooleanOptionalAction, help=f"{help_text} (default: {shown})"
            )
        elif field.name == "patience":  # the setting's None ("never") is 0 on the command line
            container.add_argument(
                flag, type=int, metavar="N",
                help=f"stop after N epochs without a better dev accuracy; 0: never stop early "
                f"(default {default})",
            )
        else:
            value_type = field.metadata.get("type") or (
                int if "int" in kind else float if "float" in kind else str
            )
            extra = {"choices": field.metadata["choices"]} if "choices" in field.metadata else {
                "metavar": "NAME" if value_type is str else "N"
            }
            container.add_argument(
                flag, type=value_type, help=help_text + ("" if default is None else f" (default {default})"),
                **extra,
            )


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


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.training.settings import STRATEGIES, TrainSettings

    parser.add_argument(
        "--data",
        help="data: a directory of train/dev/test files (.tsv/.csv/.jsonl, optionally "
        ".gz), a folder per class, or one training file",
    )
    parser.add_argument("--out", help="run directory (default: runs/PRESET-MIXING)")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last finished epoch"
    )
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


def _run_train(args: argparse.Namespace) -> int:
    from fnet_keras.data import load_dataset
    from fnet_keras.training.run_dir import RunDir, RunDirError
    from fnet_keras.training.settings import HOLDOUT_SEED, TrainSettings

    # Everything a user can get wrong is checked before TensorFlow loads (4-8 s here).
    _require_training_extra("train")
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
            _say(f"note: {run.path} holds a finished run (metrics.json): nothing to resume; its results:")
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
    verbose = 0 if args.quiet else 1 if sys.stderr.isatty() else 2
    say = _say_unless(args.quiet)
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
    say("loading TensorFlow")
    _needs_tensorflow("train")
    import contextlib

    from fnet_keras.training.trainer import fit

    # Keras writes its epoch lines to stdout; they are progress, so stderr: stdout holds the result.
    with contextlib.redirect_stdout(sys.stderr):
        result = fit(
            dataset, out, settings, resume=args.resume, strategy=args.strategy, verbose=verbose,
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


def _add_pretrain_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.training.pretrain_settings import PretrainSettings
    from fnet_keras.training.settings import STRATEGIES, TrainSettings

    parser.add_argument(
        "--text", nargs="+", metavar="FILE_OR_DIR",
        help="unlabelled text: .txt or .txt.gz files, one document per line, or folders of "
        "them (not needed with --resume)",
    )
    parser.add_argument("--out", required=True, metavar="PRE_DIR", help="the pre-training directory to write")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last checkpoint"
    )
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
    output.add_argument(
        "--checkpoint-steps", type=int, default=1000,
        help="checkpoint every N steps (default 1000; 0: not by steps)",
    )
    output.add_argument(
        "--checkpoint-minutes", type=float, default=10.0,
        help="checkpoint every M minutes of training (default 10; 0: not by time)",
    )
    output.add_argument("--quiet", action="store_true", help="no progress output")


def pretrain_settings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The `PretrainSettings` fields given on the command line."""
    from fnet_keras.training.pretrain_settings import PretrainSettings

    given = _given_settings(args, PretrainSettings)
    tokenizer = {
        key: getattr(args, flag)
        for flag, key in _PRETRAIN_TOKENIZER_FLAGS.items()
        if getattr(args, flag) is not None
    }
    if tokenizer:
        given["tokenizer"] = tokenizer
    return given


def _run_pretrain(args: argparse.Namespace) -> int:
    from fnet_keras.training.pretrain_dir import PretrainDir
    from fnet_keras.training.pretrain_settings import PretrainSettings

    _require_training_extra("pretrain")
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
    _say_unless(args.quiet)("loading TensorFlow")
    _needs_tensorflow("pretrain")
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


# --- evaluate ---------------------------------------------------------------------------


def _add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", metavar="RUN_DIR_OR_BUNDLE",
        help="a run directory (fnet-keras train) or a bundle directory/.zip (fnet-keras export)",
    )
    parser.add_argument(
        "--data", help="labelled file or data directory (default: a run's own data; a bundle needs it)"
    )
    parser.add_argument(
        "--split", choices=("train", "dev", "test"),
        help="split of a data directory or of the run's data (default test; not with a file)",
    )
    add_column_arguments(parser)
    parser.add_argument(
        "--label-map", type=_label_pairs, metavar="DATA=LABEL,...",
        help="read the data's labels as the model's, e.g. 0=negative,1=positive (default: a bundle's "
        "recorded mapping where its export renamed the labels; other labels are taken as they are)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout and nothing else"
    )
    _add_interpreter_arguments(parser)


def _label_pairs(text: str) -> dict[str, str]:
    pairs = [item.partition("=") for item in text.split(",") if item]
    if not pairs or any(not data or not separator or not label for data, separator, label in pairs):
        raise argparse.ArgumentTypeError(f"expected DATA=LABEL pairs separated by commas, got {text!r}")
    mapping: dict[str, str] = {}
    for data, _, label in pairs:
        if mapping.get(data, label) != label:
            raise argparse.ArgumentTypeError(f"{data!r} is mapped twice ({mapping[data]!r} and {label!r})")
        mapping[data] = label
    return mapping


def _run_evaluate(args: argparse.Namespace) -> int:
    from fnet_keras.data import check_split
    from fnet_keras.metrics import format_metrics

    kind = _target_kind(Path(args.target))
    check_split(args.split, args.data)
    columns = dict(split=args.split, text_column=args.text_column, label_column=args.label_column,
                   label_map=args.label_map)
    if kind == "bundle":
        from fnet_keras.edge import evaluate_bundle, load_bundle

        if not args.data:
            raise UsageError("a bundle holds no data of its own; give --data FILE", args.target)
        bundle = load_bundle(args.target, num_threads=args.threads or 1, runtime=args.runtime)
        report = evaluate_bundle(bundle, args.data, **columns)
        if args.label_map is None and report.get("label_map"):
            pairs = ", ".join(f"{data}={label}" for data, label in report["label_map"].items())
            _say(f"note: the data's labels read as the bundle's names, as bundle.json records: {pairs}")
        if report["truncated"]:
            _say(
                f"note: {report['truncated']} of {report['count']} texts were truncated to sequence_length "
                f"{bundle.sequence_length}"
            )
    else:
        if args.runtime:
            raise UsageError(
                "--runtime chooses a LiteRT interpreter for a bundle; a run directory is evaluated "
                "with TensorFlow",
                args.target,
            )
        _needs_tensorflow("evaluate")
        if args.threads:
            _set_tensorflow_threads(args.threads)
        from fnet_keras.training.evaluation import evaluate

        report = evaluate(args.target, args.data, **columns)
    if args.json:
        _print_json(report)
        return 0
    print(f"data: {report['data']}" + (f" ({report['split']} split)" if report["split"] else ""))
    print(format_metrics(report))
    if "timing" in report:
        timing = report["timing"]
        _say(
            f"tokenization {timing['tokenize_ms_per_example']:.3f} ms, inference "
            f"{timing['inference_ms_per_example']:.3f} ms per example "
            f"({report['bundle']['runtime']['name']}, {args.threads or 1} thread(s))"
        )
    return 0


def _set_tensorflow_threads(threads: int) -> None:
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already started in this process (a library caller, not the CLI)
        if tf.config.threading.get_intra_op_parallelism_threads() != threads:
            _say(f"note: --threads {threads} not applied: TensorFlow already started in this process")


def _target_kind(path: Path) -> str:
    """ "bundle" or "run" (`fnet_keras.target_kind`) for an existing path; a UsageError naming it
    otherwise."""
    from fnet_keras import target_kind

    kind = target_kind(path)
    if kind is not None:
        return kind
    if path.suffix.lower() == ".tflite" and path.is_file():
        raise UsageError(
            "a .tflite alone holds no vocabulary or labels to classify or score text with: give its bundle "
            "(the directory or .zip holding model.tflite, vocab.txt, labels.txt, bundle.json)",
            path,
        )
    if not path.exists():
        raise UsageError("no such run directory or bundle", path)
    raise UsageError("neither a run directory (config.json) nor a bundle (bundle.json)", path)


# --- export -----------------------------------------------------------------------------


def _quantization_list(text: str) -> tuple[str, ...]:
    from fnet_keras.export.errors import ExportError
    from fnet_keras.export.recipes import check_modes

    try:
        return check_modes(text)
    except ExportError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class _DeprecatedMixing(argparse.Action):
    """`--mixing`, another name of --fourier-method: accepted, with a note."""

    def __call__(self, parser, namespace, values, option_string=None):
        _say(
            "note: --mixing is deprecated (it names the model's architecture in training); use "
            f"--fourier-method {values}"
        )
        namespace.fourier_method = values


class _RemovedInt8Output(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(
            "--int8-output was removed in 0.2: bundles output float32 probabilities (MediaPipe refuses "
            "an int8 output tensor)"
        )


def _add_export_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.edge.manifest import MODES
    from fnet_keras.export.recipes import FOURIER_METHOD_CHOICES

    parser.add_argument("run_dir", metavar="RUN_DIR", help="a finished training run")
    parser.add_argument(
        "--quant", type=_quantization_list, default=MODES, metavar="MODES",
        help=f"comma-separated modes, one bundle each (default {','.join(MODES)})",
    )
    parser.add_argument(
        "--fourier-method", choices=FOURIER_METHOD_CHOICES, default="auto",
        help="FourierMixing method in the graph; auto: rfft for float modes at power-of-two sizes, "
        "dft otherwise; for int8 the faster passing one of int8-rfft and int8-dft",
    )
    parser.add_argument(
        "--mixing", choices=FOURIER_METHOD_CHOICES, action=_DeprecatedMixing, help=argparse.SUPPRESS
    )
    parser.add_argument("--int8-output", nargs=0, action=_RemovedInt8Output, help=argparse.SUPPRESS)
    parser.add_argument(
        "--representative-samples", type=positive_int, default=200, metavar="N",
        help="training texts that calibrate int8 (default 200)",
    )
    parser.add_argument(
        "--out", metavar="OUT_DIR", help="output directory (default RUN_DIR/bundles); it must be new or empty"
    )
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
        "--rename-labels", type=_renames, metavar="OLD=NEW,...",
        help="show labels under other names in the bundles (labels.txt and the model's "
        "metadata); the classes stay the same",
    )


def _renames(text: str) -> dict[str, str]:
    pairs = [item.partition("=") for item in text.split(",") if item]
    if not pairs or any(not old or not separator for old, separator, _ in pairs):
        raise argparse.ArgumentTypeError(f"expected OLD=NEW pairs separated by commas, got {text!r}")
    return {old: new for old, _, new in pairs}


def _run_export(args: argparse.Namespace) -> int:
    from fnet_keras.export.parity import MIN_PARITY_EXAMPLES
    from fnet_keras.export.report import BUNDLES_DIR_NAME, check_out_dir

    if args.parity_examples < MIN_PARITY_EXAMPLES:
        raise UsageError(
            f"--parity-examples must be at least {MIN_PARITY_EXAMPLES}, got {args.parity_examples}"
        )
    _target_kind(Path(args.run_dir))
    check_out_dir(Path(args.out) if args.out else Path(args.run_dir) / BUNDLES_DIR_NAME, args.overwrite)
    _say("loading TensorFlow")
    _needs_tensorflow("export")
    from fnet_keras.export import ParityGateError, export_run

    try:
        report = export_run(
            args.run_dir, args.quant, fourier_method=args.fourier_method,
            representative_samples=args.representative_samples, out_dir=args.out, data=args.data,
            make_zip=args.zip, overwrite=args.overwrite, parity_examples=args.parity_examples, name=args.name,
            rename_labels=args.rename_labels, command=getattr(args, "command", None),
            progress=lambda line: _say(f"export: {line}"),
        )
    except ParityGateError as error:
        print(error.report.format(), end="")
        raise
    print(report.format(), end="")
    _say(f"bundles and export_report.md/.json written to {report.out_dir}")
    return 0


# --- classify ---------------------------------------------------------------------------


def _add_classify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "words", nargs="*", metavar="[BUNDLE_OR_RUN_DIR] TEXT",
        help="a bundle (directory or .zip) or a run directory, then the texts; without a model "
        "the package's demo bundle answers; without texts, one text per line is read from "
        "stdin",
    )
    parser.add_argument(
        "--model", metavar="PATH", help="the bundle or run directory (instead of the first word)"
    )
    parser.add_argument(
        "--top-k", type=positive_int, default=1, metavar="K", help="labels to show per text (default 1)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    _add_interpreter_arguments(parser)


def _classifier_and_texts(args: argparse.Namespace):
    words = list(args.words)
    target = args.model
    if target is None and words:
        if _names_a_model(words[0]):
            target = words.pop(0)
        else:
            note = _text_also_a_path(words[0])
            if note:
                _say(note)
    if target is None:
        from fnet_keras.demo import demo_bundle_path

        target = demo_bundle_path()
    if _target_kind(Path(target)) == "bundle":
        from fnet_keras.edge import load_bundle

        return load_bundle(target, num_threads=args.threads or 1, runtime=args.runtime), words
    if args.runtime:
        raise UsageError(
            "--runtime chooses a LiteRT interpreter for a bundle; a run directory runs in TensorFlow", target
        )
    _needs_tensorflow("classify RUN_DIR")
    from fnet_keras.training.run_classifier import RunClassifier

    return RunClassifier.load(target), words


def _names_a_model(word: str) -> bool:
    """Whether the first word of `classify` is the model (else it is a text and the demo bundle answers),
    decided by what exists: a directory holding a run or a bundle (`fnet_keras.target_kind`), or a
    word naming a .zip or .tflite file (present or not, so that a mistyped bundle is an error, not
    a text). An empty word is a text (Path("") is the current directory)."""
    from fnet_keras import target_kind

    if not word.strip():
        return False
    if word.lower().endswith((".zip", ".tflite")) and not any(char.isspace() for char in word):
        return True
    return Path(word).is_dir() and target_kind(word) is not None


def _text_also_a_path(word: str) -> str | None:
    """A note where a text that is not a model looks like a path: it names a folder, or has a separator."""
    if not word.strip() or any(char.isspace() for char in word):
        return None
    if Path(word).is_dir():
        return (
            f"note: {word!r} names a folder that is neither a run directory (config.json) nor a bundle "
            f"(bundle.json): classified as text with the demo bundle (a model goes first, or --model PATH)"
        )
    if os.sep in word or (os.altsep and os.altsep in word):
        return (
            f"note: {word!r} is no run directory or bundle here: classified as text with the demo bundle "
            f"(a model goes first, or --model PATH)"
        )
    return None


def _run_classify(args: argparse.Namespace) -> int:
    from fnet_keras.edge.errors import EmptyTextError

    classifier, words = _classifier_and_texts(args)
    if words:
        decoded = [decode_replacing(os.fsencode(word)) if _encodable(word) else (word, 0) for word in words]
        texts, replaced = [text for text, _ in decoded], sum(count for _, count in decoded)
        from_stdin = False
    else:
        texts, replaced = _stdin_texts()
        from_stdin = True
    if replaced:
        _say(f"note: {replaced} undecodable byte(s) in the input were replaced with U+FFFD")
    try:
        result = classifier.classify(texts, args.top_k)
        skipped = []
    except EmptyTextError as error:
        if not from_stdin:
            raise UsageError(f"{error}: give non-empty texts") from None
        skipped = error.indices  # stdin: mark blank lines in the output, keep the lines aligned
        kept = [text for index, text in enumerate(texts) if index not in set(skipped)]
        result = classifier.classify(kept, args.top_k) if kept else None
    gaps, predicted = set(skipped), iter(result or [])
    predictions = [None if index in gaps else next(predicted) for index in range(len(texts))]
    if skipped:
        _say(
            f"note: {len(skipped)} empty line(s) not classified "
            f"(line {', '.join(str(i + 1) for i in skipped[:10])}"
            f"{' ...' if len(skipped) > 10 else ''})"
        )
    truncated = [index for index, prediction in enumerate(predictions) if prediction and prediction.truncated]
    if truncated:
        _say(
            f"note: {len(truncated)} text(s) had more word pieces than fit sequence_length "
            f"{classifier.sequence_length} and were truncated "
            f"(text {', '.join(str(i + 1) for i in truncated[:10])})"
        )
    timing = {
        "tokenize_seconds": result.tokenize_seconds if result else 0.0,
        "inference_seconds": result.inference_seconds if result else 0.0,
    }
    if args.json:
        results = [
            {"index": index, **(p.to_dict() if p else {"text": texts[index], "label": None,
                                                        "skipped": "empty text"})}
            for index, p in enumerate(predictions)
        ]
        _print_json({"model": classifier.describe(), "results": results, "count": len(texts),
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
    _say(
        f"{classifier.name}: tokenization {1000 * timing['tokenize_seconds'] / count:.3f} ms + inference "
        f"{1000 * timing['inference_seconds'] / count:.3f} ms per text"
    )
    return 0


def _encodable(word: str) -> bool:
    try:
        os.fsencode(word)
        return True
    except UnicodeEncodeError:  # a str given in-process with a lone surrogate: the tokenizer names it
        return False


def decode_replacing(data: bytes) -> tuple[str, int]:
    """UTF-8 `data` decoded with `errors="replace"`, plus the number of bytes replaced by U+FFFD."""
    # Every byte is either part of a decoded character or one that was replaced; both decodes are
    # linear in len(data).
    kept = len(data.decode("utf-8", "ignore").encode("utf-8"))
    return data.decode("utf-8", "replace"), len(data) - kept


def _stdin_texts() -> tuple[list[str], int]:
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("no texts: give them as arguments, or one per line on stdin")
    text, replaced = decode_replacing(sys.stdin.buffer.read())
    lines = text.split("\n")  # Not splitlines(): U+2028 and friends are text, not line ends.
    if lines[-1] == "":
        lines.pop()
    if not lines:
        raise UsageError("no texts: stdin was empty")
    return [line[:-1] if line.endswith("\r") else line for line in lines], replaced


# --- bench ------------------------------------------------------------------------------


def _add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.edge.bench import DEFAULT_MEMORY_RUNS, DEFAULT_RUNS, DEFAULT_WARMUP, thread_list
    from fnet_keras.edge.runtime import RUNTIME_NAMES

    parser.add_argument(
        "models", nargs="*", metavar="MODEL",
        help="bundle directories or .zip files, or .tflite files (the first is the reference of "
        "every ratio; default: the package's demo bundle)",
    )
    parser.add_argument(
        "--threads", type=thread_list, default=[1], metavar="N,N", help="thread counts (default 1)"
    )
    parser.add_argument(
        "--runs", type=positive_int, default=DEFAULT_RUNS, metavar="N",
        help=f"counted runs per model and thread count (default {DEFAULT_RUNS}; p99 needs >= 100)",
    )
    parser.add_argument(
        "--warmup", type=positive_int, default=DEFAULT_WARMUP, metavar="N",
        help=f"runs before counting; the first is the first inference (default {DEFAULT_WARMUP})",
    )
    parser.add_argument(
        "--round-runs", type=positive_int, metavar="N",
        help="runs per model per interleaving round (default: about ten rounds)",
    )
    parser.add_argument(
        "--texts", metavar="FILE", help="one text per line: end-to-end latency with tokenization (bundles)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of Markdown")
    parser.add_argument("--save", metavar="PREFIX", help="also write PREFIX.json and PREFIX.md")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    parser.add_argument(
        "--memory-runs", type=positive_int, default=DEFAULT_MEMORY_RUNS, metavar="N",
        help=f"inferences in each peak-memory process (default {DEFAULT_MEMORY_RUNS})",
    )
    parser.add_argument(
        "--runtime", choices=RUNTIME_NAMES, help="interpreter package (default: ai_edge_litert)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic inputs (default 0)")


def _run_bench(args: argparse.Namespace) -> int:
    from fnet_keras.edge.bench import benchmark

    models = args.models
    if not models:
        from fnet_keras.demo import demo_bundle_path

        models = [demo_bundle_path()]
    result = benchmark(
        models, threads=args.threads, runs=args.runs, warmup=args.warmup, round_runs=args.round_runs,
        texts=args.texts, memory=not args.no_memory, memory_runs=args.memory_runs, runtime=args.runtime,
        seed=args.seed, progress=lambda line: _say(f"bench: {line}"),
    )
    if args.save:
        json_path, markdown_path = result.save(args.save)
        _say(f"note: wrote {json_path} and {markdown_path}")
    load = result.machine_load
    load_warning = None if load is None else load.warning()
    for note in result.notes:
        _say(f"warning: {note}" if note == load_warning else f"note: {note}")
    if args.json:
        _print_json(result.to_dict())
    else:
        print(result.format(), end="")
    return 0


# --- budget -----------------------------------------------------------------------------


def _name_list(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def _length_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(dict.fromkeys(int(part) for part in text.split(",") if part.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of milliseconds, got {text!r}")
    return value


def _add_budget_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.budget.candidates import MODEL_KINDS
    from fnet_keras.budget.latency import BUDGET_ON
    from fnet_keras.budget.runner import (
        DEFAULT_LENGTHS,
        DEFAULT_MIXINGS,
        DEFAULT_PRESETS,
        DEFAULT_QUANTIZATION,
        DEFAULT_RUNS,
        DEFAULT_TEXTS,
    )
    from fnet_keras.edge.manifest import MODES
    from fnet_keras.edge.runtime import RUNTIME_NAMES

    parser.add_argument(
        "--data", required=True,
        help="labelled data every candidate trains on; its dev split chooses (test is only reported)",
    )
    parser.add_argument(
        "--latency-ms", type=_milliseconds, required=True, metavar="MS",
        help="the budget: a p50 in milliseconds",
    )
    parser.add_argument(
        "--budget-on", choices=BUDGET_ON, default="model",
        help="which p50 the budget applies to: one inference (model, default) or tokenization plus "
        "inference per dev text (end-to-end)",
    )
    parser.add_argument(
        "--threads", type=positive_int, default=1, metavar="N", help="interpreter threads (default 1)"
    )
    parser.add_argument(
        "--quant", choices=MODES, default=DEFAULT_QUANTIZATION,
        help=f"the bundles' quantization (default {DEFAULT_QUANTIZATION})",
    )
    grid = parser.add_argument_group("candidates (preset x kind x length, a run directory each)")
    grid.add_argument(
        "--presets", type=_name_list, default=DEFAULT_PRESETS, metavar="P,P",
        help=f"presets (default {','.join(DEFAULT_PRESETS)})",
    )
    grid.add_argument(
        "--kinds", type=_name_list, default=DEFAULT_MIXINGS, metavar="K,K",
        help=f"model kinds: {', '.join(MODEL_KINDS)} (default {','.join(DEFAULT_MIXINGS)})",
    )
    grid.add_argument(  # the older name of --kinds
        "--mixings", type=_name_list, dest="kinds", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    grid.add_argument(
        "--lengths", type=_length_list, default=DEFAULT_LENGTHS, metavar="N,N",
        help=f"sequence lengths (default {','.join(map(str, DEFAULT_LENGTHS))})",
    )
    grid.add_argument(
        "--runs-dir", metavar="DIR",
        help="the candidates' run directories PRESET-KIND-LENGTH: finished runs and passing bundles "
        "are reused, unfinished runs resumed (default runs/budget/DATA_NAME)",
    )
    grid.add_argument(
        "--setting", action="append", default=[], metavar="KEY=VALUE",
        help="a training setting for new runs, e.g. vocabulary_size=16000 or hidden_dim=64 (repeatable; "
        "reused runs must have it)",
    )
    grid.add_argument(
        "--retry-failed-exports", action="store_true",
        help="export again where the parity gate failed before (default: the recorded failure stands)",
    )
    latency = parser.add_argument_group("latency (measured here, interleaved, unless --profile)")
    latency.add_argument(
        "--profile", metavar="BENCH.json",
        help="latencies measured on the target device: the JSON of `fnet-keras bench --json` (or --save) "
        "over the candidates' bundles, matched by each model's SHA-256",
    )
    latency.add_argument(
        "--runs", type=positive_int, default=DEFAULT_RUNS, metavar="N",
        help=f"counted runs per model here (default {DEFAULT_RUNS})",
    )
    latency.add_argument(
        "--texts", type=int, default=DEFAULT_TEXTS, metavar="N",
        help=f"dev texts timed end to end here (default {DEFAULT_TEXTS}; 0: model only)",
    )
    latency.add_argument("--runtime", choices=RUNTIME_NAMES, help="interpreter package for timing here")
    latency.add_argument(
        "--save-bench", metavar="PREFIX",
        help="write the latencies measured here as PREFIX.json and PREFIX.md (a bench result)",
    )
    add_column_arguments(parser.add_argument_group("data columns"))
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def _run_budget(args: argparse.Namespace) -> int:
    import contextlib

    from fnet_keras.budget.runner import run_budget
    from fnet_keras.training.settings import settings_from_items

    say = _say_unless(args.quiet)
    args.interrupt_hint = (
        "interrupted: run the same command again to continue (finished runs and passing bundles are "
        "reused, an unfinished run resumes from its last epoch)"
    )
    # Keras prints training progress on stdout; here stdout holds only the result.
    with contextlib.redirect_stdout(sys.stderr):
        result = run_budget(
            args.data, args.latency_ms, runs_dir=args.runs_dir, presets=args.presets, mixings=args.kinds,
            lengths=args.lengths, quantization=args.quant, threads=args.threads, budget_on=args.budget_on,
            profile=args.profile, settings=settings_from_items(args.setting), runs=args.runs,
            texts=args.texts,
            text_column=args.text_column, label_column=args.label_column,
            retry_failed_exports=args.retry_failed_exports, runtime=args.runtime,
            progress=lambda line: say(f"budget: {line}"), verbose=0 if args.quiet else 2,
            load_tensorflow=lambda: _needs_tensorflow("budget"),
        )
    if args.save_bench:
        if result.latency_source["kind"] != "measured":
            _say("note: --save-bench: nothing was measured here (latencies from --profile)")
        else:
            json_path, markdown_path = result.benchmark.save(args.save_bench)
            _say(f"note: wrote {json_path} and {markdown_path}")
    if args.json:
        _print_json(result.to_dict())
    else:
        print(result.format(), end="")
    if result.choice is None:
        _say(f"error: {result.verdict()}")
        return 1
    return 0


# --- listops -----------------------------------------------------------------------------

# A few seconds' worth (Long Range Arena's 96,000 / 2,000 / 2,000 at its lengths: 224 MB, minutes).
LISTOPS_DEFAULT_COUNTS = {"train": 2_000, "dev": 500, "test": 500}


def _add_listops_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.data.listops import PRESETS

    parser.add_argument("--out", required=True, metavar="DIR", help="directory for train/dev/test.tsv")
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), default="lra",
        help="lra: Long Range Arena's task (lengths 501-1999, lists nest up to 9 deep); shallow: a "
        "quick demo (lengths 4-60, nesting up to 2); flat: lists of digits only (lengths 4-12) "
        "(default: lra)",
    )
    for name, lra, what in (("train", 96_000, "training"), ("dev", 2_000, "dev"), ("test", 2_000, "test")):
        default = LISTOPS_DEFAULT_COUNTS[name]
        parser.add_argument(
            f"--{name}", type=positive_int, default=default, metavar="N",
            help=f"{what} expressions (default {default:,}, a few seconds; Long Range Arena's task "
            f"has {lra:,})",
        )
    parser.add_argument(
        "--min-length", type=positive_int, metavar="N", help="shortest expression, in symbols"
    )
    parser.add_argument("--max-length", type=positive_int, metavar="N", help="longest expression, in symbols")
    parser.add_argument("--max-depth", type=int, metavar="N", help="deepest list nesting")
    parser.add_argument("--max-args", type=int, metavar="N", help="most arguments of a list (at least 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def _run_listops(args: argparse.Namespace) -> int:
    from fnet_keras.data.listops import PRESETS, write_listops

    total = args.train + args.dev + args.test
    _say(f"listops: generating {total:,} {args.preset} expressions into {args.out}")
    written = write_listops(
        args.out, train=args.train, dev=args.dev, test=args.test, config=PRESETS[args.preset],
        min_length=args.min_length, max_length=args.max_length, max_depth=args.max_depth,
        max_args=args.max_args, seed=args.seed,
        progress=lambda done, count: _say(f"listops: {done:,} of {count:,} expressions"),
    )
    settings = json.loads(written["settings"].read_text(encoding="utf-8"))
    print(f"ListOps ({args.preset}, seed {args.seed}) written to {args.out}: {settings['config']}")
    for name in ("train", "dev", "test"):
        counts = settings["label_counts"][name]
        print(f"  {written[name].name}: {sum(counts)} rows, labels 0-9: {counts}")
    return 0


# --- presets ----------------------------------------------------------------------------


def _add_presets_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--vocabulary-size", type=positive_int, default=8000, metavar="N",
        help="vocabulary size the parameter counts assume (default 8000)",
    )
    parser.add_argument("--classes", type=positive_int, default=2, metavar="N", help="labels (default 2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _run_presets(args: argparse.Namespace) -> int:
    from fnet_keras.presets import PRESETS, count_parameters, preset_table

    if args.classes < 2:
        raise UsageError(f"--classes must be at least 2, got {args.classes}")
    if args.json:
        _print_json({
            name: {**preset, "parameters": {
                mixing: count_parameters(name, args.vocabulary_size, args.classes, mixing)
                for mixing in ("fourier", "attention", "hybrid")
            }}
            for name, preset in PRESETS.items()
        })
        return 0
    print(preset_table(args.vocabulary_size, args.classes))
    print()
    for name, preset in PRESETS.items():
        print(f"{name}: {preset['description']}")
    return 0


# --- augment -------------------------------------------------------------------------------


def _add_augment_arguments(parser: argparse.ArgumentParser) -> None:
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


def _run_augment(args: argparse.Namespace) -> int:
    if args.copies < 1:
        raise UsageError(f"--copies must be at least 1; got {args.copies}", "--copies")
    _needs_tensorflow("augment")
    from fnet_keras.training.augment import write_transfer_text

    if args.sentences and not args.text:
        raise UsageError("--sentences samples from unlabelled text: give --text FILE", "--sentences")
    lines = write_transfer_text(args.data, args.teacher, args.out, args.copies, args.seed,
                                say=lambda message: print(message, file=sys.stderr),
                                text=args.text, sentences=args.sentences)
    print(f"{lines:,} texts written to {args.out}; distil on them with "
          f"`fnet-keras train --teacher {args.teacher} --distill-text {args.out} ...`")
    return 0


# --- quickstart ----------------------------------------------------------------------------


def _add_quickstart_arguments(parser: argparse.ArgumentParser) -> None:
    from fnet_keras.quickstart.command import add_arguments

    add_arguments(parser)


def _run_quickstart(args: argparse.Namespace) -> int:
    from fnet_keras.quickstart.command import run

    return run(args, load_tensorflow=lambda: _needs_tensorflow("quickstart"))


# --- the command ------------------------------------------------------------------------

SUBCOMMANDS: list[Subcommand] = [
    Subcommand(
        "quickstart",
        "the whole pipeline in one command: a tiny FNet and its Transformer twin trained (built-in ListOps "
        "or --data), exported to fp32 and dynamic (int8 weights) through the parity gate, timed here",
        _add_quickstart_arguments, _run_quickstart,
    ),
    Subcommand("train", "train a classifier into a run directory", _add_train_arguments, _run_train),
    Subcommand(
        "pretrain", "pre-train a backbone on unlabelled text: masked-language modelling, or a "
        "pre-trained encoder's sentence embeddings (--encoder)",
        _add_pretrain_arguments, _run_pretrain,
    ),
    Subcommand(
        "augment",
        "write a transfer set for distillation: perturbed copies of the training text (Tang et al. 2019)",
        _add_augment_arguments, _run_augment,
    ),
    Subcommand(
        "listops", "write a ListOps data set (Long Range Arena's nested MAX/MIN/MED/SM expressions)",
        _add_listops_arguments, _run_listops,
    ),
    Subcommand(
        "evaluate", "score a run directory or a bundle on labelled data", _add_evaluate_arguments,
        _run_evaluate,
    ),
    Subcommand(
        "export", "quantize and export a run to LiteRT bundles (builtin ops, parity-gated, MediaPipe-ready)",
        _add_export_arguments, _run_export,
    ),
    Subcommand(
        "classify", "classify texts with a bundle or a run directory", _add_classify_arguments, _run_classify
    ),
    Subcommand(
        "bench", "time bundles or .tflite models on this device (latency, memory, ops)",
        _add_bench_arguments, _run_bench,
    ),
    Subcommand(
        "budget", "choose the most accurate model whose p50 latency fits a budget (trains, exports, times)",
        _add_budget_arguments, _run_budget,
    ),
    Subcommand(
        "presets", "list the model presets: sizes, parameters, what each is for", _add_presets_arguments,
        _run_presets,
    ),
]


def build_parser() -> argparse.ArgumentParser:
    from fnet_keras import __version__

    parser = argparse.ArgumentParser(prog="fnet-keras", description="FNet text classifiers for edge devices.")
    parser.add_argument("--version", action="version", version=f"fnet-keras {__version__}")
    parser.add_argument(
        "--verbose", action="store_true", help="show the libraries' own start-up and conversion logging"
    )
    subparsers = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    for subcommand in SUBCOMMANDS:
        subparser = subparsers.add_parser(subcommand.name, help=subcommand.help, description=subcommand.help)
        subcommand.add_arguments(subparser)
        subparser.set_defaults(run=subcommand.run)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras and args.subcommand == "classify":
        # `classify BUNDLE --json "text"`: argparse leaves words after an option unparsed.
        words = [extra for extra in extras if not extra.startswith("-") or extra == "-"]
        args.words = [*args.words, *words]
        extras = [extra for extra in extras if extra not in words]
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Runs `fnet-keras` with `argv` (default `sys.argv[1:]`); returns the exit status."""
    try:
        args = parse_args(argv)
    except SystemExit as exit_:  # argparse has printed usage or help
        return exit_.code if isinstance(exit_.code, int) else USAGE_ERROR
    # The command as given, the one record of it in reports (export_report, quickstart).
    args.command = shlex.join(["fnet-keras", *map(str, sys.argv[1:] if argv is None else argv)])
    from fnet_keras.quiet import VERBOSE_ENVIRONMENT, quiet_native_output

    if args.verbose:
        os.environ[VERBOSE_ENVIRONMENT] = "1"
    try:
        # Native library logging (TensorFlow, absl, LiteRT) stays out of the output; it is shown if a
        # command fails unexpectedly, and always with --verbose.
        with quiet_native_output(expected=(FnetKerasError, OSError, KeyboardInterrupt)):
            code = args.run(args)
            if sys.stdout is not None:
                sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return code
    except BrokenPipeError:
        _discard_stdout()
        return BROKEN_PIPE
    except FnetKerasError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print(getattr(args, "interrupt_hint", None) or "interrupted", file=sys.stderr)
        if argv is None:  # main owns the process (the console script, python -m fnet_keras)
            _exit_now(INTERRUPTED)
        return INTERRUPTED


def _exit_now(code: int) -> None:
    """Ends the process at once after Ctrl-C: everything the command writes is atomic and was finished or
    abandoned while the interrupt unwound it (run directories keep their last finished epoch), so the
    interpreter's teardown of TensorFlow (seconds after training, tens of seconds after a large one,
    with nothing to show) is skipped."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _discard_stdout() -> None:
    """Points descriptor 1 at /dev/null, so that output still buffered is not written to the closed pipe
    again at exit ("Exception ignored ... BrokenPipeError")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (a test's capture object)
        pass


if __name__ == "__main__":
    sys.exit(main())
