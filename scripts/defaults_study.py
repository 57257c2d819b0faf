"""One training run of the training-defaults study (docs/results/defaults.md), with a summary line.

    PYTHONPATH=$PWD python scripts/defaults_study.py --data ../shared/data/trec --name trec-fnet \
        --set preset=tiny --set sequence_length=32

`--set KEY=VALUE` sets a `TrainSettings` field (VALUE parsed as JSON, else kept as a string);
`--override KEY=VALUE` a backbone override (`fourier_normalization=none`, `pooling=mean`, ...).
`--model bag_of_embeddings` trains the bag-of-embeddings baseline instead, with the same
vocabulary, optimizer and schedule (see `train_bag_of_embeddings`). IMDB is read from plain TSVs:
decompress `../shared/data/imdb/*.tsv.gz` into a scratch folder first (`runs/data/imdb`). The run
goes to `runs/study/NAME` and one JSON line (settings, dev/test accuracy, epochs, steps, wall
time) is appended to `runs/study/results.jsonl`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

STUDY = Path("runs/study")


def parse_assignments(items):
    values = {}
    for item in items:
        key, _, text = item.partition("=")
        try:
            values[key] = json.loads(text)
        except json.JSONDecodeError:
            values[key] = text
    return values


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--label-column")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--model", choices=("classifier", "bag_of_embeddings"), default="classifier")
    parser.add_argument("--embedding-init-std", type=float,
                        help="experiment: redraw token and position embeddings from N(0, STD) after building")
    parser.add_argument("--vocabulary-min-count", type=int,
                        help="experiment: the WordPiece learner's lower count threshold (keras-hub: 10)")
    args = parser.parse_args(argv)

    if args.vocabulary_min_count:
        lower_learner_threshold(args.vocabulary_min_count)
    import fnet_keras.train
    from fnet_keras.train import TrainSettings, fit

    if args.embedding_init_std:
        redraw_embeddings(fnet_keras.train, args.embedding_init_std)

    fields = parse_assignments(args.set)
    overrides = parse_assignments(args.override)
    settings = TrainSettings(**fields, backbone_overrides=overrides)
    out = STUDY / args.name
    start = time.perf_counter()
    if args.model == "bag_of_embeddings":
        result = train_bag_of_embeddings(args.data, out, settings, args.label_column)
    else:
        fitted = fit(args.data, out, settings, label_column=args.label_column, verbose=2)
        result = {
            "best_epoch": fitted.best_epoch,
            "epochs_run": len(fitted.history),
            "stopped_early": fitted.stopped_early,
            "steps": sum(record["steps"] for record in fitted.history),
            "dev": fitted.dev_metrics["accuracy"],
            "test": fitted.test_metrics["accuracy"] if fitted.test_metrics else None,
            "history": [
                {key: record[key] for key in ("epoch", "loss", "accuracy", "val_accuracy", "learning_rate")}
                for record in fitted.history
            ],
            "parameters": fitted.model.count_params(),
        }
    result = {
        "name": args.name, "data": args.data, "label_column": args.label_column, "model": args.model,
        "settings": fields, "overrides": overrides, **result,
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    with open(STUDY / "results.jsonl", "a") as log:
        log.write(json.dumps(result) + "\n")
    print("RESULT", json.dumps({k: v for k, v in result.items() if k != "history"}))
    return 0


def lower_learner_threshold(count):
    """keras-hub calls tensorflow_text's learner with its default `lower_thresh=10`: tokens
    seen fewer than 10 times never enter the vocabulary. This sets another threshold."""
    import functools
    import types

    import keras_hub.src.tokenizers.word_piece_tokenizer_trainer as trainer

    learner = trainer.learner
    trainer.learner = types.SimpleNamespace(
        count_words=learner.count_words, learn=functools.partial(learner.learn, lower_thresh=count)
    )


def redraw_embeddings(train_module, std):
    """Wraps `build_classifier` so token and position embeddings start as N(0, std) (seeded)."""
    import numpy as np

    build = train_module.build_classifier

    def build_classifier(settings, *args, **kwargs):
        model = build(settings, *args, **kwargs)
        rng = np.random.default_rng(settings.seed)
        for weight in model.backbone.weights:
            if weight.path.endswith(("token_embedding/embeddings", "position_embedding/embeddings")):
                weight.assign(rng.normal(0.0, std, weight.shape).astype("float32"))
        return model

    train_module.build_classifier = build_classifier


def train_bag_of_embeddings(data, out, settings, label_column) -> dict:
    """The bag-of-embeddings baseline on `fit`'s vocabulary, pipeline, optimizer and schedule.

    Selection like `fit`: the epoch with the best dev accuracy; stops after `patience` epochs
    without improvement.
    """
    import keras
    import numpy as np

    from fnet_keras.data import LabelMap, load_dataset
    from fnet_keras.models.bag_of_embeddings import BagOfEmbeddingsClassifier
    from fnet_keras.text.learn import learn_vocabulary
    from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
    from fnet_keras.training.pipeline import (
        encode_texts,
        evaluation_dataset,
        predict_logits,
        steps_per_epoch,
        training_dataset,
    )
    from fnet_keras.training.schedule import NO_WEIGHT_DECAY, WarmupDecay
    from fnet_keras.training.settings import HOLDOUT_SEED

    dataset = load_dataset(data, label_column=label_column, holdout_seed=HOLDOUT_SEED)
    label_map = LabelMap.from_labels(dataset.train.labels)
    config = settings.tokenizer_config()
    vocabulary = learn_vocabulary(dataset.train.texts, settings.vocabulary_size, config)
    tokenizer = make_tf_tokenizer(vocabulary, config)
    splits = {"train": dataset.train, "dev": dataset.dev, "test": dataset.test}
    encoded = {
        name: (encode_texts(tokenizer, split.texts), np.asarray(label_map.encode(split), np.int32))
        for name, split in splits.items()
    }
    steps = steps_per_epoch(len(dataset.train), settings.batch_size)
    epochs = settings.resolved_epochs(steps)
    total = steps * epochs
    keras.utils.set_random_seed(settings.seed)
    model = BagOfEmbeddingsClassifier(len(vocabulary), len(label_map))
    schedule = WarmupDecay(settings.learning_rate, settings.warmup_steps(total), total, settings.decay)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=settings.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    train = training_dataset(*encoded["train"], settings.batch_size, settings.seed, 0, epochs)
    best, best_weights, history, waited = -1.0, None, [], 0
    for epoch in range(epochs):
        logs = model.fit(train, epochs=epoch + 1, initial_epoch=epoch, steps_per_epoch=steps, verbose=2,
                         validation_data=evaluation_dataset(*encoded["dev"], 256)).history
        history.append({"epoch": epoch + 1, "loss": logs["loss"][-1], "accuracy": logs["accuracy"][-1],
                        "val_accuracy": logs["val_accuracy"][-1]})
        if logs["val_accuracy"][-1] > best:
            best, best_weights, best_epoch = logs["val_accuracy"][-1], model.get_weights(), epoch + 1
            waited = 0
        else:
            waited += 1
            if settings.patience is not None and waited >= settings.patience:
                break
    model.set_weights(best_weights)
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "model.keras")

    def accuracy(name):
        token_ids, labels = encoded[name]
        return float(np.mean(np.argmax(predict_logits(model, token_ids), axis=1) == labels))

    return {"best_epoch": best_epoch, "epochs_run": len(history), "steps": steps * len(history),
            "dev": accuracy("dev"), "test": accuracy("test"), "history": history,
            "parameters": model.count_params()}


if __name__ == "__main__":
    raise SystemExit(main())
