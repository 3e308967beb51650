"""Lesson 9: a CNN and a dense network on few or many digits, shared once per setting."""

import threading

import numpy as np
import pytest

from cnnviz.lessons import overfitting


@pytest.fixture(scope="module")
def few_digits():
    overfitting.forget_all()
    return overfitting.fit(overfitting.FitSettings(train_images=100))


def test_few_digits_are_learnt_by_heart(few_digits):
    for name in (overfitting.Network.CNN, overfitting.Network.DENSE):
        assert few_digits.train_accuracy[name][-1] == 1.0
        assert few_digits.gap(name) > 0.2  # far better on its own digits than on new ones
    expected_steps = np.arange(overfitting.CHECK_EVERY, overfitting.STEPS + 1, 30)
    np.testing.assert_array_equal(few_digits.steps, expected_steps)


def test_the_cnn_has_fewer_weights_and_does_better_on_new_digits(few_digits):
    # Hand counts: conv 3*3*1*8+8, conv 3*3*8*16+16, dense (2*2*16)*10+10; dense 196*64+64,
    # 64*10+10.
    assert few_digits.parameters == {
        "CNN": 80 + 1168 + 650,
        "dense network": 196 * 64 + 64 + 650,
    }
    assert few_digits.test_accuracy["CNN"][-1] > few_digits.test_accuracy["dense network"][-1]


def test_more_data_narrows_the_gap(few_digits):
    many = overfitting.fit(overfitting.FitSettings(train_images=2000))
    for name in few_digits.parameters:
        assert many.gap(name) < few_digits.gap(name) / 2
        assert many.test_accuracy[name][-1] > few_digits.test_accuracy[name][-1]


def test_shifting_moves_each_digit_by_at_most_two_pixels_and_keeps_its_ink():
    rng = np.random.default_rng(0)
    images = np.zeros((50, 14, 14, 1), np.float32)
    images[:, 5:9, 5:9] = 1.0  # a square well inside, so no ink falls off the edge
    shifted = overfitting.shift(images, rng)
    assert shifted.sum(axis=(1, 2, 3)).tolist() == images.sum(axis=(1, 2, 3)).tolist()
    rows = np.array([np.flatnonzero(picture.any(axis=(1, 2)))[0] for picture in shifted])
    assert set(rows - 5) <= {-2, -1, 0, 1, 2} and len(set(rows)) > 1


def test_students_on_one_setting_cause_one_training():
    settings = overfitting.FitSettings(train_images=500, dropout=True)
    before = overfitting.trainings_run()
    results = []
    start = threading.Barrier(6)

    def student():
        start.wait()
        results.append(overfitting.fit(settings))

    threads = [threading.Thread(target=student) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overfitting.trainings_run() - before == 1
    assert all(result is results[0] for result in results)


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"train_images": 50}, "one of 100, 500, 2000"), ({"dropout": "yes"}, "True or False")],
)
def test_bad_settings_say_what_is_allowed(settings, message):
    with pytest.raises(ValueError, match=message):
        overfitting.FitSettings(**settings)
