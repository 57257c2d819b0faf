"""The fixed-budget report's choice of a model per budget: the Pareto front of dev accuracy against p50."""

import pareto


def _point(name, agreement, p50_ms):
    # SST-2's dev accuracy runs against teacher-dev here, as it did on the real cells.
    return {"name": name, "teacher_dev": agreement, "dev_accuracy": 1.7 - agreement,
            "test_accuracy": agreement - 0.01, "p50_ms": p50_ms}


def test_the_front_is_each_point_more_accurate_than_every_faster_one_on_teacher_dev():
    points = [_point("bag", 0.80, 0.02), _point("tiny", 0.84, 0.30), _point("twin", 0.83, 0.45),
              _point("mini", 0.86, 1.20), _point("slow-but-worse", 0.85, 2.0)]
    assert [point["name"] for point in pareto.frontier(points)] == ["bag", "tiny", "mini"]
    assert [point["name"] for point in pareto.frontier(points, "dev_accuracy")] == ["bag"]


def test_unknown_cells_are_refused_by_name(capsys):
    import pytest

    with pytest.raises(SystemExit):
        pareto.parse_args(["--cells", "tiny-fnet,huge"])
    assert "unknown cell(s) ['huge']" in capsys.readouterr().err


def test_cells_distilled_on_the_training_text_alone_write_no_transfer_file(tmp_path):
    # IMDB's transfer set is its 20,000 training reviews: perturbed copies would double the teacher's cost.
    args = pareto.parse_args(["--cells", "tiny-fnet-distilled-train,tiny-twin-distilled-train,bag",
                              "--runs-dir", str(tmp_path)])
    assert pareto.transfer_files(args, tmp_path / "teacher") == {}
    assert list(tmp_path.iterdir()) == []


def test_the_dev_split_can_be_chosen_on_instead_of_teacher_dev():
    assert pareto.parse_args([]).choose_on == "teacher-dev"
    assert pareto.parse_args(["--choose-on", "dev", "--teacher-epochs", "1"]).choose_on == "dev"


def test_a_whole_review_transfer_set_is_a_seeded_sample_of_the_reviews(tmp_path):
    import gzip

    reviews = tmp_path / "unsup.txt.gz"
    with gzip.open(reviews, "wt", encoding="utf-8") as file:
        file.writelines(f"review number {i} was fine\n" for i in range(25000))
    runs = tmp_path / "runs"
    runs.mkdir()
    args = pareto.parse_args(["--cells", "tiny-fnet-backbone-distilled-unsup10k,tiny-fnet",
                              "--runs-dir", str(runs), "--reviews", str(reviews)])
    files = pareto.transfer_files(args, runs / "teacher")
    assert list(files) == ["unsup10k"]
    assert [path.name for path in runs.iterdir()] == ["transfer-unsup10k.txt.gz"]
    with gzip.open(files["unsup10k"], "rt", encoding="utf-8") as file:
        lines = file.read().splitlines()
    assert len(lines) == len(set(lines)) == 10000
    assert lines != [f"review number {i} was fine" for i in range(10000)]  # sampled, not the first
    assert pareto.transfer_files(args, runs / "teacher") == files  # kept, not rewritten


def test_every_transfer_set_a_cell_uses_is_described_in_the_report():
    assert {transfer for _, transfer, _ in pareto.CELLS.values() if transfer} == set(pareto.TRANSFER_SETS)
