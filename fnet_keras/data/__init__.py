"""Labelled text data: TSV/CSV/JSONL readers, GLUE-style directories, label maps.

Pure Python (standard library only): importing this package imports no TensorFlow or numpy.

    dataset = load_dataset("../shared/data/sst2")          # train/dev/test.tsv
    label_map = LabelMap.from_labels(dataset.train.labels)  # numeric order: ("0", "1")
    train_ids = label_map.encode(dataset.train)
    config["data"] = dataset.source_info()                  # reload: load_dataset_from_info
"""

from fnet_keras.data.dataset import (
    SPLIT_NAMES,
    Dataset,
    check_split,
    find_split_files,
    load_dataset,
    load_dataset_from_info,
    read_evaluation_split,
)
from fnet_keras.data.errors import DataError
from fnet_keras.data.label_map import LabelMap
from fnet_keras.data.readers import (
    LABEL_COLUMN_CANDIDATES,
    TEXT_COLUMN_CANDIDATES,
    read_split,
)
from fnet_keras.data.split import Split

__all__ = [
    "SPLIT_NAMES",
    "DataError",
    "Dataset",
    "LABEL_COLUMN_CANDIDATES",
    "LabelMap",
    "Split",
    "TEXT_COLUMN_CANDIDATES",
    "check_split",
    "find_split_files",
    "load_dataset",
    "load_dataset_from_info",
    "read_evaluation_split",
    "read_split",
]
