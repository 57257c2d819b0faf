"""Optional `tfds:NAME` source: a TensorFlow Datasets dataset, imported only when asked for.

`tensorflow_datasets` is not a dependency of fnet-keras; without it a `tfds:` source is a
DataError saying so. Splits: `train`, `validation` (or `dev`) as dev, `test`. Text and
label features are chosen like file columns (`TEXT_COLUMN_CANDIDATES`, ...). Class-label
features give their class names as labels; a test split whose labels are all -1 (GLUE's
unlabelled test sets) is read as unlabelled. Examples keep the dataset's order
(`shuffle_files=False`); `Split.lines` holds the example index + 1.
"""

from __future__ import annotations

from fnet_keras.data.errors import DataError
from fnet_keras.data.readers import ColumnSpec, column_indices, label_cell
from fnet_keras.data.split import Split

_SPLIT_NAMES = {"train": ("train",), "dev": ("validation", "dev"), "test": ("test",)}


def load_tfds_splits(
    name: str, *, text_column: ColumnSpec = None, label_column: ColumnSpec = None
) -> dict[str, Split]:
    """`{"train": Split, ...}` read from TensorFlow Datasets (downloading if not prepared)."""
    source = f"tfds:{name}"
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise DataError(
            "a tfds: source needs the tensorflow_datasets package, which is not installed "
            "(pip install tensorflow-datasets), or save the data as .tsv, .csv or .jsonl",
            source,
        ) from None
    try:
        builder = tfds.builder(name)
        builder.download_and_prepare()
    except Exception as error:  # tfds raises many types: unknown name, network, disk
        raise DataError(f"cannot load it from TensorFlow Datasets: {error}", source) from error
    info = builder.info
    # "glue/sst2/2.0.0" -> "glue/sst2:2.0.0", which pins the version on reload.
    pinned = f"{info.full_name.rsplit('/', 1)[0]}:{info.version}"
    keys = list(info.features.keys())
    text_index, label_index = column_indices(
        text_column, label_column, keys, "required", f"features {keys}", source, None, by_index=False
    )
    text_key, label_key = keys[text_index], keys[label_index]
    class_names = getattr(info.features[label_key], "names", None)

    splits: dict[str, Split] = {}
    for split_name, tfds_names in _SPLIT_NAMES.items():
        present = [tfds_name for tfds_name in tfds_names if tfds_name in info.splits]
        if not present:
            continue
        path = f"tfds:{pinned}/{present[0]}"
        texts: list[str] = []
        raw_labels: list = []
        examples = tfds.as_numpy(builder.as_dataset(split=present[0], shuffle_files=False))
        for example in examples:
            texts.append(_as_text(example[text_key], path, len(texts) + 1))
            raw_labels.append(example[label_key])
        labels = None
        if not (split_name == "test" and raw_labels and all(_is_missing(x) for x in raw_labels)):
            labels = [_as_label(x, class_names, path, i) for i, x in enumerate(raw_labels, 1)]
        splits[split_name] = Split(
            name=split_name,
            path=path,
            texts=texts,
            labels=labels,
            lines=list(range(1, len(texts) + 1)),
            sha256=None,
            format="tfds",
            header=None,
            text_column=text_key,
            label_column=None if labels is None else label_key,
        )
    if not splits.get("train"):
        raise DataError(f"no (or an empty) train split; splits: {list(info.splits)}", source)
    return splits


def _as_text(value, path: str, example: int) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DataError(f"text is not valid UTF-8 ({error.reason})", path, example) from None
    if isinstance(value, str):
        return value
    raise DataError(f"text feature is not a string: {type(value).__name__}", path, example)


def _is_missing(value) -> bool:
    return not isinstance(value, (bytes, str)) and int(value) == -1


def _as_label(value, class_names: list[str] | None, path: str, example: int) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return label_cell(value, path, example)
    class_id = int(value)
    if class_names is None:
        return str(class_id)
    if not 0 <= class_id < len(class_names):
        raise DataError(f"label {class_id} is not a class id (0..{len(class_names) - 1})", path, example)
    return class_names[class_id]
