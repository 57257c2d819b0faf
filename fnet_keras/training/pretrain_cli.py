"""`fnet-keras pretrain`: arguments and the call to `pretrain`. Importing this module imports no TensorFlow.

    fnet-keras pretrain --text ../shared/data/imdb/unsup.txt.gz --preset mini --steps 20000 --out pre/imdb
    fnet-keras pretrain --out pre/imdb --resume          # after a kill: continues from the last checkpoint
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import Any

from fnet_keras.argtypes import positive_int
from fnet_keras.text.config import TokenizerConfig
from fnet_keras.training.pretrain_settings import PRETRAIN_MIXINGS, TOKENIZER_KEYS, PretrainSettings
from fnet_keras.training.settings import DECAYS, FOURIER_METHODS, STRATEGIES

# Options that are PretrainSettings fields (None when not given on the command line).
SETTING_OPTIONS = (
    "preset", "mixing", "num_attention_layers", "sequence_length", "vocabulary_size", "steps", "hours",
    "batch_size", "learning_rate", "warmup_fraction", "decay", "weight_decay", "dropout", "seed",
    "fourier_method", "log_every",
)

# The on/off tokenizer settings, as --flag / --no-flag.
_TOKENIZER_FLAGS = [
    field.name for field in dataclasses.fields(TokenizerConfig) if isinstance(field.default, bool)
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `fnet-keras pretrain`."""
    parser.add_argument("--text", nargs="+", metavar="FILE_OR_DIR",
                        help="unlabelled text: .txt or .txt.gz files, one document per line, or "
                             "folders of them (not needed with --resume)")
    parser.add_argument("--out", required=True, metavar="PRE_DIR",
                        help="the pre-training directory to write")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--steps", type=positive_int, help="optimizer steps to run")
    length.add_argument("--hours", type=float,
                        help="time budget in hours; the learning rate schedule runs on the training clock")
    model = parser.add_argument_group("model")
    model.add_argument("--preset", help="model size: tiny, mini, small, medium, base, large (default mini)")
    model.add_argument("--mixing", choices=PRETRAIN_MIXINGS, help="token mixing (default fourier)")
    model.add_argument("--num-attention-layers", type=int,
                       help="attention blocks on top for hybrid (default 1)")
    model.add_argument("--sequence-length", type=int,
                       help="window length in pieces with [CLS] and [SEP] (default 256); pre-train at the "
                            "longest length you will fine-tune at")
    model.add_argument("--vocabulary-size", type=int, help="WordPiece vocabulary size bound (default 8000)")
    model.add_argument("--dropout", type=float, help="dropout rate (default 0.1)")
    model.add_argument("--fourier-method", choices=FOURIER_METHODS,
                       help="how Fourier mixing is computed in training (default auto)")
    model.add_argument("--backbone-override", action="append", default=[], metavar="KEY=VALUE",
                       help="replace a preset size, e.g. hidden_dim=64 (repeatable)")
    tokenizer = parser.add_argument_group("tokenizer")
    for key in _TOKENIZER_FLAGS:
        tokenizer.add_argument(f"--{key.replace('_', '-')}", action=argparse.BooleanOptionalAction,
                               help="(default on)")
    optimization = parser.add_argument_group("optimization")
    optimization.add_argument("--batch-size", type=int, help="global batch size in windows (default 64)")
    optimization.add_argument("--learning-rate", type=float, help="peak AdamW learning rate (default 5e-4)")
    optimization.add_argument("--warmup-fraction", type=float,
                              help="share of the steps or time warming up (default 0.05)")
    optimization.add_argument("--decay", choices=DECAYS, help="decay after warmup (default linear)")
    optimization.add_argument("--weight-decay", type=float, help="AdamW weight decay (default 0.01)")
    optimization.add_argument("--seed", type=int, help="random seed: weights, order, masks (default 0)")
    optimization.add_argument("--strategy", choices=STRATEGIES, default="default",
                              help="tf.distribute strategy; multiworker reads TF_CONFIG")
    output = parser.add_argument_group("checkpoints and progress")
    output.add_argument("--checkpoint-steps", type=int, default=1000,
                        help="checkpoint every N steps (default 1000; 0: not by steps)")
    output.add_argument("--checkpoint-minutes", type=float, default=10.0,
                        help="checkpoint every M minutes of training (default 10; 0: not by time)")
    output.add_argument("--log-every", type=positive_int, help="steps per history record (default 50)")
    output.add_argument("--quiet", action="store_true", help="no progress output")


def settings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The `PretrainSettings` fields given on the command line."""
    given = {name: getattr(args, name) for name in SETTING_OPTIONS if getattr(args, name, None) is not None}
    tokenizer = {key: getattr(args, key) for key in TOKENIZER_KEYS if getattr(args, key, None) is not None}
    if tokenizer:
        given["tokenizer"] = tokenizer
    if args.backbone_override:
        given["backbone_overrides"] = dict(_key_value(item) for item in args.backbone_override)
    return given


def run(args: argparse.Namespace) -> int:
    """Runs `fnet-keras pretrain`; returns the exit status."""
    from fnet_keras.training.pretrain_dir import PretrainDir

    given = settings_from_args(args)
    pre = PretrainDir(args.out)
    settings = None
    if args.resume and pre.has_started():
        recorded = PretrainSettings.from_dict(pre.read_config()["settings"])
        settings = recorded.replace(**given) if given else None
    else:
        if args.text is None:
            raise ValueError("--text is required (except with --resume on a started run)")
        settings = PretrainSettings(**given)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from fnet_keras.training.pretrain import pretrain

    result = pretrain(
        args.text, args.out, settings, resume=args.resume, strategy=args.strategy,
        checkpoint_steps=args.checkpoint_steps or None, checkpoint_minutes=args.checkpoint_minutes or None,
        verbose=0 if args.quiet else "auto",
    )
    last = result.history[-1] if result.history else {}
    print(f"pre-training directory: {Path(result.pre_dir)}")
    print(f"{result.steps} steps in {result.elapsed_seconds / 60:.1f} min (stopped by {result.stopped_by}); "
          f"{result.windows['windows']} windows of {result.windows['documents']} documents")
    if last:
        print(f"last {result.settings.log_every} steps: loss {last['loss']:.4f}, "
              f"masked accuracy {last['masked_accuracy']:.4f}")
    return 0


def _key_value(item: str) -> tuple[str, Any]:
    key, separator, value = item.partition("=")
    if not separator or not key:
        raise ValueError(f"--backbone-override expects KEY=VALUE, got {item!r}")
    try:
        return key, int(value)
    except ValueError:
        try:
            return key, float(value)
        except ValueError:
            raise ValueError(f"--backbone-override {item!r}: the value must be a number") from None
