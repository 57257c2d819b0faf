"""MediaPipe's side of the parity checks: run in the MediaPipe venv (mediapipe 0.10.21), never imported here.

Reads jobs as JSON on stdin and prints one JSON answer as its last stdout line (the protocol of
`tests/mediapipe_venv.py`). Every job kind is optional and each is a list, so one process (about
2 s to start) serves a whole test module:

  "write":    [{"model", "vocabulary", "labels", "out"}]: MediaPipe's own writer,
              `text_classifier.MetadataWriter.create_for_bert_model`, on the model at "model" with
              the vocabulary file at "vocabulary"; the result goes to "out". Answer: {"json"} or {"error"}.
  "display":  [path]: MediaPipe's `MetadataDisplayer` on the model: {"json", "files" (name -> base64),
              "min_parser_version" (computed by MediaPipe's C++ from the metadata buffer)} or {"error"}.
  "classify": [{"model", "texts"}]: `TextClassifier` on each text: {"scores" (one list per text, in
              label-index order), "labels" (category names in index order)} or {"error"} (the first
              failure: creating the classifier or classifying).

Usage from a test: `run_in_mediapipe(WORKER.read_text(), {"classify": [...]})`.
"""

import base64
import json
import sys


def write(job):
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, text_classifier

    with open(job["model"], "rb") as file:
        model = file.read()
    writer = text_classifier.MetadataWriter.create_for_bert_model(
        model, metadata_writer.BertTokenizer(job["vocabulary"]), metadata_writer.Labels().add(job["labels"])
    )
    model_with_metadata, metadata_json = writer.populate()
    with open(job["out"], "wb") as file:
        file.write(model_with_metadata)
    return {"json": json.loads(metadata_json)}


def display(path):
    from mediapipe.tasks.cc.metadata.python import _pywrap_metadata_version
    from mediapipe.tasks.python.metadata import metadata

    with open(path, "rb") as file:
        displayer = metadata.MetadataDisplayer.with_model_buffer(file.read())
    files = {
        name: base64.b64encode(displayer.get_associated_file_buffer(name)).decode("ascii")
        for name in displayer.get_packed_associated_file_list()
    }
    version = _pywrap_metadata_version.GetMinimumMetadataParserVersion(bytes(displayer.get_metadata_buffer()))
    return {"json": json.loads(displayer.get_metadata_json()), "files": files, "min_parser_version": version}


def classify(job):
    from mediapipe.tasks import python as mp_python
    from mediapipe.tasks.python import text

    options = text.TextClassifierOptions(base_options=mp_python.BaseOptions(model_asset_path=job["model"]))
    scores, labels = [], None
    with text.TextClassifier.create_from_options(options) as classifier:
        for item in job["texts"]:
            result = classifier.classify(item).classifications[0]
            categories = sorted(result.categories, key=lambda category: category.index)
            scores.append([category.score for category in categories])
            labels = [category.category_name for category in categories]
    return {"scores": scores, "labels": labels}


def guarded(function, argument):
    try:
        return function(argument)
    except Exception as error:  # the answer carries MediaPipe's message; the caller asserts on it
        return {"error": f"{type(error).__name__}: {error}"}


def main():
    payload = json.load(sys.stdin) or {}
    answer = {
        "write": [guarded(write, job) for job in payload.get("write", [])],
        "display": [guarded(display, path) for path in payload.get("display", [])],
        "classify": [guarded(classify, job) for job in payload.get("classify", [])],
    }
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
