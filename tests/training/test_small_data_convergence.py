"""The training defaults on a small data set: the old ones (3 epochs, unscaled Fourier mixing) stop while
the model is still near chance, the new ones learn it (schedule planned in steps, orthonormal mixing,
early stopping that waits for the warm-up: without that last part patience stopped this run at
epoch 6 of 200, inside the 20-epoch warm-up, at 36% dev accuracy).

Everything but the schedule and the mixing scale is the package default (learning rate, warm-up,
patience, batch 64); the model is the tests' 1-block backbone on 300 keyword rows (5 steps an epoch).
"""

from support import TINY_BACKBONE, write_keyword_data

from fnet_keras.training import TrainSettings, fit

SMALL = {"preset": "tiny", "sequence_length": 16, "vocabulary_size": 200, "backbone_overrides": TINY_BACKBONE}


def test_the_old_defaults_stop_near_chance_and_the_new_ones_learn(tmp_path):
    data = write_keyword_data(tmp_path / "data", train=300, dev=100, test=100)
    old = TrainSettings(
        **{**SMALL, "backbone_overrides": {**TINY_BACKBONE, "fourier_normalization": "none"}}, epochs=3
    )
    old_result = fit(data, tmp_path / "old", old, verbose=0)
    new_result = fit(data, tmp_path / "new", TrainSettings(**SMALL), verbose=0)
    assert old_result.dev_metrics["accuracy"] < 0.75  # three labels: near chance after 15 steps
    assert new_result.history and len(new_result.history) > 3  # planned by steps, not 3 epochs
    assert new_result.dev_metrics["accuracy"] >= 0.9
    assert new_result.test_metrics["accuracy"] >= 0.9


def test_patience_counts_only_the_epochs_after_the_warm_up():
    from fnet_keras.training.checkpoint import stopped_early

    flat = [{"val_accuracy": 0.33}] * 6  # no better dev accuracy after epoch 1
    assert stopped_early(flat, patience=2, epochs=50)  # 5 epochs without improvement
    assert not stopped_early(flat, patience=2, epochs=50, warmup_epochs=5)  # 1 after the warm-up
    assert stopped_early(flat, patience=1, epochs=50, warmup_epochs=5)
    assert not stopped_early(flat, patience=2, epochs=6)  # the last planned epoch is not "early"
