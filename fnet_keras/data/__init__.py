"""Text data: TSV/CSV/JSONL readers (plain or .gz), GLUE-style directories, class folders,
label maps, unlabelled documents for pre-training, and the ListOps generator.

Pure Python (standard library only): importing this package imports no TensorFlow or numpy.

    dataset = load_dataset("../shared/data/sst2")          # train/dev/test.tsv (or .tsv.gz)
    label_map = LabelMap.from_labels(dataset.train.labels)  # numeric order: ("0", "1")
    train_ids = label_map.encode(dataset.train)
    config["data"] = dataset.source_info()                  # reload: load_dataset_from_info
    dataset = load_dataset("aclImdb")                       # train/<label>/*.txt, test/<label>/*.txt
    documents = read_documents("../shared/data/imdb/unsup.txt.gz")  # one document per line

ListOps (`fnet_keras.data.listops`, not imported here): `write_listops`, `evaluate`,
`listops_vocabulary`.
"""

from fnet_keras.data.class_folders import UNLABELLED_FOLDER_NAMES, read_class_folder
from fnet_keras.data.dataset import (
    SPLIT_NAMES,
    Dataset,
    check_split,
    find_split_files,
    load_dataset,
    load_dataset_from_info,
    load_split_from_info,
    read_evaluation_split,
)
from fnet_keras.data.documents import Documents, load_documents_from_info, read_documents
from fnet_keras.data.errors import DataError
from fnet_keras.data.label_map import LabelMap
from fnet_keras.data.readers import LABEL_COLUMN_CANDIDATES, TEXT_COLUMN_CANDIDATES, read_split
from fnet_keras.data.split import Split

__all__ = [
    "SPLIT_NAMES",
    "DataError",
    "Dataset",
    "Documents",
    "LABEL_COLUMN_CANDIDATES",
    "LabelMap",
    "Split",
    "TEXT_COLUMN_CANDIDATES",
    "UNLABELLED_FOLDER_NAMES",
    "check_split",
    "find_split_files",
    "load_dataset",
    "load_dataset_from_info",
    "load_documents_from_info",
    "load_split_from_info",
    "read_class_folder",
    "read_documents",
    "read_evaluation_split",
    "read_split",
]
