"""Lesson 7's comparison: three optimizers, one tiny network, trained once per setting."""

import threading

import numpy as np
import pytest

from cnnviz.lessons import optimizers


@pytest.fixture(scope="module")
def default_comparison():
    optimizers.forget_all()
    return optimizers.comparison()


def test_the_three_start_equal_and_train_for_the_setting(default_comparison):
    result = default_comparison
    names = [name.value for name in optimizers.OptimizerName]
    assert list(result.batch_losses) == names and list(result.test_accuracy) == names
    steps = optimizers.EPOCHS * optimizers.TRAIN_IMAGES // optimizers.BATCH_SIZE
    first_losses = {result.batch_losses[name][0] for name in names}
    for name in names:
        assert result.batch_losses[name].shape == (steps,)
        assert result.test_accuracy[name].shape == (optimizers.EPOCHS + 1,)
    # Same starting weights and the same first batch: the first batch's loss is the same, and
    # untrained accuracy is the same for all three.
    assert max(first_losses) - min(first_losses) < 1e-5
    assert len({result.test_accuracy[name][0] for name in names}) == 1
    # A hand count: conv 3x3x1x8 + 8, dense 6*6*8*10 + 10.
    assert result.parameters == 3 * 3 * 8 + 8 + 6 * 6 * 8 * 10 + 10


def test_at_the_default_rate_adam_learns_fastest_and_plain_sgd_slowest(default_comparison):
    last_epoch = optimizers.TRAIN_IMAGES // optimizers.BATCH_SIZE
    final = {
        name: float(np.mean(losses[-last_epoch:]))
        for name, losses in default_comparison.batch_losses.items()
    }
    assert final["Adam"] < final["SGD with momentum"] < final["SGD"]
    assert default_comparison.test_accuracy["Adam"][-1] > 0.5


def test_a_setting_gives_the_same_curves_every_time(default_comparison):
    again = optimizers.train_comparison(optimizers.ComparisonSettings())
    for name, losses in default_comparison.batch_losses.items():
        np.testing.assert_allclose(again.batch_losses[name], losses, rtol=1e-5)


def test_concurrent_students_on_one_setting_cause_one_training():
    settings = optimizers.ComparisonSettings(learning_rate=0.1, epochs=1)
    optimizers.forget_all()
    before = optimizers.trainings_run()
    results = []
    start = threading.Barrier(8)

    def student():
        start.wait()
        results.append(optimizers.comparison(settings))

    threads = [threading.Thread(target=student) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert optimizers.trainings_run() - before == 1
    assert len(results) == 8 and all(result is results[0] for result in results)
    assert optimizers.is_ready(settings)
    # Another student later: still no training.
    assert optimizers.comparison(settings) is results[0]
    assert optimizers.trainings_run() - before == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"learning_rate": 0.02}, "must be one of 0.001, 0.01, 0.1, 0.5"),
        ({"epochs": 0}, "between 1 and 20"),
        ({"epochs": 2.5}, "whole number"),
        ({"seed": -1}, "0 or more"),
    ],
)
def test_bad_settings_say_what_is_allowed(settings, message):
    with pytest.raises(ValueError, match=message):
        optimizers.ComparisonSettings(**settings)
