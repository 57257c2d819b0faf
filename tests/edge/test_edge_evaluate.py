"""evaluate_bundle on data that spells the labels otherwise: bundle.json's "data_labels" and `label_map`.

The shipped demo bundle shows SST-2's "0"/"1" as negative/positive; it must still score SST-2's files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import write_tsv

from fnet_keras.data.errors import DataError
from fnet_keras.demo import demo_bundle_path
from fnet_keras.edge import BundleError, evaluate_bundle, load_bundle

ROWS = [
    ("a gorgeous, witty, moving film", "1"),
    ("one of the best films of the year", "1"),
    ("dull, lifeless and far too long", "0"),
    ("an awful mess of a movie", "0"),
]


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    return Path(shutil.copytree(demo_bundle_path(), tmp_path / "demo"))


def _without_data_labels(bundle_dir: Path) -> None:
    path = bundle_dir / "bundle.json"
    manifest = json.loads(path.read_text())
    manifest.pop("data_labels", None)
    path.write_text(json.dumps(manifest, indent=2))


def test_the_demo_bundle_records_its_datas_labels_and_scores_them(tmp_path):
    bundle = load_bundle(demo_bundle_path())
    assert bundle.labels == ("negative", "positive") and bundle.data_labels == ("0", "1")
    report = evaluate_bundle(bundle, write_tsv(tmp_path / "test.tsv", ROWS))
    assert report["count"] == 4 and report["label_map"] == {"0": "negative", "1": "positive"}
    assert report["accuracy"] == 1.0
    # Data already spelling the display names is read as it is.
    named = [(text, {"0": "negative", "1": "positive"}[label]) for text, label in ROWS]
    report = evaluate_bundle(bundle, write_tsv(tmp_path / "named.tsv", named))
    assert report["accuracy"] == 1.0


def test_a_bundle_without_data_labels_still_loads_and_takes_a_label_map(demo_copy, tmp_path):
    _without_data_labels(demo_copy)
    bundle = load_bundle(demo_copy)
    assert bundle.data_labels is None
    data = write_tsv(tmp_path / "test.tsv", ROWS)
    with pytest.raises(DataError) as error:
        evaluate_bundle(bundle, data)
    assert "label '1' of the test split" in str(error.value) and "--label-map DATA=LABEL" in str(error.value)
    assert error.value.line == 2  # the header is line 1
    report = evaluate_bundle(bundle, data, label_map={"0": "negative", "1": "positive"})
    assert report["accuracy"] == 1.0 and report["label_map"] == {"0": "negative", "1": "positive"}
    assert "label_map" not in evaluate_bundle(bundle, write_tsv(tmp_path / "n.tsv", [("great", "positive")]))


def test_a_label_map_naming_no_label_of_the_bundle_is_refused(tmp_path):
    bundle = load_bundle(demo_bundle_path())
    with pytest.raises(DataError, match="--label-map: 1=good maps to no label of the model"):
        evaluate_bundle(bundle, write_tsv(tmp_path / "t.tsv", ROWS), label_map={"0": "negative", "1": "good"})
    with pytest.raises(DataError, match=r"label '1' .* nor mapped to one \(0=negative\)"):
        evaluate_bundle(bundle, write_tsv(tmp_path / "t.tsv", ROWS), label_map={"0": "negative"})


def test_bad_data_labels_in_bundle_json_are_refused(demo_copy):
    path = demo_copy / "bundle.json"
    manifest = json.loads(path.read_text())
    for value, message in (
        (["0", "1", "2"], "'data_labels' \\['0', '1', '2'\\] has 3 labels, labels.txt 2"),
        (["0", "0"], "field 'data_labels': duplicate labels"),
        ("0,1", "field 'data_labels' must be a JSON array"),
    ):
        path.write_text(json.dumps({**manifest, "data_labels": value}))
        with pytest.raises(BundleError, match=message):
            load_bundle(demo_copy)
