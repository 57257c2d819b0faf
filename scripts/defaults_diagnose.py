"""Initialization and first-steps diagnostics of the training-defaults study (docs/results/defaults.md).

    PYTHONPATH=$PWD python scripts/defaults_diagnose.py --data ../shared/data/trec --sequence-length 32 \
        --variant fnet-none:mixing=fourier,fourier_normalization=none --variant twin:mixing=attention

For each variant (a name and `FNetBackbone`/`TrainSettings` values), on the same batches of the
training split (the vocabulary, tokenizer, optimizer and schedule of `fit`, the `tiny` preset):

- at initialization: per block, the standard deviation of the block input (the residual) and of
  the mixing sublayer's output, and how much of the block's output at the first position is
  explained by its input (cosine of input and output there);
- during the first `--steps` steps: the training loss of each step (the batch's loss before its
  update) and the global gradient norm of each part (embeddings, each block, pooler, logits).

Prints a table every `--every` steps and writes all of it as JSON to `--json`.
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def parse_variant(text):
    name, _, rest = text.partition(":")
    values = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        try:
            values[key] = json.loads(value)
        except json.JSONDecodeError:
            values[key] = value
    return name, values


def part_of(path):
    for prefix in ("encoder_block_", "pooled_dense", "logits"):
        if prefix in path:
            if prefix == "encoder_block_":
                return "block" + path.split("encoder_block_")[1].split("/")[0]
            return prefix
    return "embeddings"


def training_step(model, parts):
    """A traced step: the batch's loss before the update and the gradient norm of each part."""
    import keras
    import tensorflow as tf

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    variables = model.trainable_variables

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, variables)
        norms = {}
        for part in parts:
            chosen = [g for g, v in zip(grads, variables, strict=True) if part_of(v.path) == part]
            norms[part] = tf.linalg.global_norm([tf.convert_to_tensor(g) for g in chosen])
        model.optimizer.apply_gradients(zip(grads, variables, strict=True))
        return loss, norms

    return step


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--label-column")
    parser.add_argument("--sequence-length", type=int, default=128)
    parser.add_argument("--vocabulary-size", type=int, default=8000)
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--variant", action="append", required=True, metavar="NAME:KEY=VALUE,...")
    parser.add_argument("--json")
    args = parser.parse_args(argv)

    import keras

    from fnet_keras.data import LabelMap, load_dataset
    from fnet_keras.text.learn import learn_vocabulary
    from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
    from fnet_keras.training.pipeline import encode_texts, steps_per_epoch
    from fnet_keras.training.settings import HOLDOUT_SEED, TrainSettings
    from fnet_keras.training.trainer import build_classifier

    dataset = load_dataset(args.data, label_column=args.label_column, holdout_seed=HOLDOUT_SEED)
    label_map = LabelMap.from_labels(dataset.train.labels)
    base = TrainSettings(preset=args.preset, sequence_length=args.sequence_length,
                         vocabulary_size=args.vocabulary_size)
    vocabulary = learn_vocabulary(dataset.train.texts, base.vocabulary_size, base.tokenizer_config())
    token_ids = encode_texts(make_tf_tokenizer(vocabulary, base.tokenizer_config()), dataset.train.texts)
    labels = np.asarray(label_map.encode(dataset.train), np.int32)
    order = np.random.default_rng(0).permutation(len(labels))
    steps = steps_per_epoch(len(labels), base.batch_size)
    real = float(np.mean(token_ids != 0))
    print(f"{len(labels)} training rows, {len(label_map)} classes, {steps} steps per epoch, "
          f"{real:.1%} of positions are real tokens")

    report = {"steps_per_epoch": steps, "real_token_fraction": real, "variants": {}}
    for text in args.variant:
        name, values = parse_variant(text)
        setting_keys = {"mixing", "learning_rate", "warmup_fraction", "epochs", "dropout", "min_steps",
                        "warmup_steps"}
        settings = base.replace(
            **{k: v for k, v in values.items() if k in setting_keys},
            backbone_overrides={k: v for k, v in values.items() if k not in setting_keys},
        )
        keras.utils.set_random_seed(0)
        model = build_classifier(settings, len(vocabulary), len(label_map), steps)
        backbone = model.backbone
        sample = token_ids[order[:256]]
        block_inputs = [backbone.get_layer("embeddings_dropout").output]
        block_inputs += [block.output for block in backbone.encoder_blocks]
        values_at_init = keras.Model(backbone.input, block_inputs)(sample, training=False)
        init = []
        for i, block in enumerate(backbone.encoder_blocks):
            x, y = np.asarray(values_at_init[i]), np.asarray(values_at_init[i + 1])
            layer = block.mixing_layer
            if layer is None:
                mixed = np.zeros_like(x)
            elif block.mixing == "attention":
                mixed = np.asarray(layer(query=x, value=x))
            else:
                mixed = np.asarray(layer(x))
            cosine = np.sum(x[:, 0] * y[:, 0], -1) / (
                np.linalg.norm(x[:, 0], axis=-1) * np.linalg.norm(y[:, 0], axis=-1))
            init.append({"block": i, "residual_std": float(x.std()), "mixing_std": float(mixed.std()),
                         "first_position_cosine_in_out": float(cosine.mean())})
        print(f"\n== {name} {values}")
        for row in init:
            print(f"  init block{row['block']}: residual std {row['residual_std']:.3f}, mixing std "
                  f"{row['mixing_std']:.3f}, cos(input, output) at position 0 "
                  f"{row['first_position_cosine_in_out']:.3f}")

        parts = sorted({part_of(v.path) for v in model.trainable_variables})
        step = training_step(model, parts)
        trace = []
        for s in range(args.steps):
            batch = order[(s * base.batch_size) % len(order):][: base.batch_size]
            if len(batch) < base.batch_size:
                batch = order[: base.batch_size]
            loss, norms = step(token_ids[batch], labels[batch])
            trace.append({"step": s + 1, "loss": float(loss), **{k: float(v) for k, v in norms.items()}})
        print("  step   loss(mean of window) " + " ".join(f"{p:>11s}" for p in parts))
        for end in range(args.every, args.steps + 1, args.every):
            window = trace[end - args.every:end]
            mean = {k: np.mean([r[k] for r in window]) for k in ["loss", *parts]}
            norms = " ".join(f"{mean[p]:11.4f}" for p in parts)
            print(f"  {end:4d}   {mean['loss']:.3f}               {norms}")
        report["variants"][name] = {"values": values, "init": init, "trace": trace}
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
