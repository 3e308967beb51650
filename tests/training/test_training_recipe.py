"""Tests for the fast-training recipe: learning-rate schedules, label smoothing, test-time flips.

Values are checked against hand arithmetic; the jobs train tiny models on a few hundred images
of the bundled MNIST sample.
"""

import math

import keras
import numpy as np
import pytest

from cnnviz.explain import evaluation, inspection
from cnnviz.training import fitting, losses, lr_schedules, precision, presets
from cnnviz.training.job_state import JobState
from cnnviz.training.settings import TrainingSettings
from helpers.jobs import WAIT_SECONDS, make_job, run_to_finish


def trained_job(dataset, **settings_values):
    """A finished job of one epoch on 300 images, in batches of 50 unless told otherwise."""
    job = make_job(dataset, **{"batch_size": 50, **settings_values})
    run_to_finish(job)
    return job


# ----- schedules -----


def test_constant_schedule_keeps_the_rate():
    assert [lr_schedules.learning_rate_at("constant", 0.01, step, 10) for step in (0, 5, 9)] == [
        0.01
    ] * 3


def test_cosine_schedule_falls_from_the_peak_through_half_to_nearly_zero():
    rate = lambda step: lr_schedules.learning_rate_at("cosine", 0.1, step, 100)  # noqa: E731
    assert rate(0) == pytest.approx(0.1)
    assert rate(50) == pytest.approx(0.05)
    assert rate(99) == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi * 0.99)))
    assert rate(99) < 0.0003
    assert all(rate(step) > rate(step + 1) for step in range(99))


def test_one_cycle_rises_over_the_first_quarter_then_falls():
    rate = lambda step: lr_schedules.learning_rate_at("one_cycle", 0.2, step, 100)  # noqa: E731
    assert rate(0) == pytest.approx(0.2 * lr_schedules.ONE_CYCLE_START)
    assert rate(25) == pytest.approx(0.2)
    # Half-way up the rise: half-way between the start and the peak.
    assert rate(12.5) == pytest.approx((0.008 + 0.2) / 2)
    # Half-way down the fall (step 62.5 of 25..100): half the peak.
    assert rate(62.5) == pytest.approx(0.1)
    assert all(rate(step) < rate(step + 1) for step in range(25))
    assert all(rate(step) > rate(step + 1) for step in range(25, 99))


def test_an_unknown_schedule_is_refused_by_name():
    with pytest.raises(ValueError, match="one_cycle"):
        lr_schedules.learning_rate_at("triangle", 0.1, 0, 10)


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"lr_schedule": "triangle"}, "lr_schedule must be one of constant, cosine, one_cycle"),
        ({"label_smoothing": 0.9}, "label_smoothing must be a number from 0 to 0.5"),
        ({"label_smoothing": -0.1}, "label_smoothing"),
        ({"label_smoothing": "0.1"}, "label_smoothing"),
        ({"test_time_flip": "yes"}, "test_time_flip must be true or false"),
    ],
)
def test_bad_recipe_settings_get_a_message(values, words):
    with pytest.raises(ValueError, match=words):
        TrainingSettings.from_dict(values)


# ----- label smoothing -----


def test_smoothed_loss_equals_the_hand_formula():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32)
    labels = np.array([0, 1])
    smoothing = 0.1
    expected = []
    for row, label in zip(probabilities, labels, strict=True):
        target = np.full(3, smoothing / 3)
        target[label] += 1 - smoothing
        expected.append(-(target * np.log(row)).sum())
    loss = losses.SmoothedSparseCrossentropy(smoothing)
    assert float(loss(labels, probabilities)) == pytest.approx(np.mean(expected), rel=1e-5)


def test_without_smoothing_the_loss_is_keras_own():
    assert losses.training_loss(0.0) == "sparse_categorical_crossentropy"
    probabilities = np.array([[0.7, 0.2, 0.1]], dtype=np.float32)
    plain = keras.losses.SparseCategoricalCrossentropy()(np.array([0]), probabilities)
    unsmoothed = losses.SmoothedSparseCrossentropy(0.0)(np.array([0]), probabilities)
    assert float(unsmoothed) == pytest.approx(float(plain)) == pytest.approx(-math.log(0.7))


@pytest.mark.trains
def test_a_smoothed_model_saves_and_loads_in_safe_mode(mnist, tmp_path):
    job = trained_job(mnist, label_smoothing=0.1)
    assert job.model.loss.smoothing == pytest.approx(0.1)
    path = tmp_path / "smoothed.keras"
    job.model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.loss.smoothing == pytest.approx(0.1)
    images = mnist.x_test[:20]
    np.testing.assert_allclose(
        loaded.predict(images, verbose=0), job.model.predict(images, verbose=0), atol=1e-6
    )


# ----- the schedule inside a job -----


@pytest.mark.trains
def test_a_job_follows_its_schedule_to_the_last_batch(mnist):
    # 300 images less a tenth held out: 270 in batches of 50 is 6 batches an epoch, 12 in all.
    job = trained_job(mnist, epochs=2, learning_rate=0.01, lr_schedule="cosine")
    last = lr_schedules.learning_rate_at("cosine", 0.01, 11, 12)
    assert float(job.model.optimizer.learning_rate) == pytest.approx(last, rel=1e-5)
    assert int(job.model.optimizer.iterations) == 12


@pytest.mark.trains
def test_continue_runs_a_fresh_cycle_and_keeps_the_optimizer_state(mnist):
    job = trained_job(mnist, learning_rate=0.01, lr_schedule="one_cycle")
    moments_before = [np.array(v) for v in job.model.optimizer.variables[2:4]]
    job.start(epochs=1)
    assert job.wait(WAIT_SECONDS)
    assert job.state == JobState.FINISHED, job.message
    # Adam's step count went on from 6 to 12: the optimizer was not rebuilt.
    assert int(job.model.optimizer.iterations) == 12
    assert any(
        not np.array_equal(before, np.array(after))
        for before, after in zip(moments_before, job.model.optimizer.variables[2:4], strict=True)
    )
    last = lr_schedules.learning_rate_at("one_cycle", 0.01, 5, 6)
    assert float(job.model.optimizer.learning_rate) == pytest.approx(last, rel=1e-5)


@pytest.mark.trains
def test_continue_with_another_smoothing_keeps_the_optimizer(mnist):
    job = trained_job(mnist)
    optimizer = job.model.optimizer
    job.start(
        epochs=1,
        settings=TrainingSettings(epochs=1, batch_size=50, train_limit=300, label_smoothing=0.2),
    )
    assert job.wait(WAIT_SECONDS)
    assert job.model.optimizer is optimizer
    assert int(optimizer.iterations) == 12
    assert job.model.loss.smoothing == pytest.approx(0.2)


# ----- test-time flips -----


@pytest.mark.trains
def test_flipped_predictions_are_the_mean_of_both_views(mnist):
    job = trained_job(mnist)
    images = mnist.x_test[:30]
    plain = job.model.predict(images, verbose=0)
    mirrored = job.model.predict(images[:, :, ::-1], verbose=0)
    both = inspection.predict_probabilities(job.model, images, flip=True)
    np.testing.assert_allclose(both, (plain + mirrored) / 2, atol=1e-6)
    np.testing.assert_allclose(inspection.predict_probabilities(job.model, images), plain)


@pytest.mark.trains
def test_loss_and_accuracy_match_keras_evaluate(mnist):
    job = trained_job(mnist)
    keras_loss, keras_accuracy = job.model.evaluate(
        mnist.x_test, mnist.y_test, batch_size=512, verbose=0
    )
    probabilities = inspection.predict_probabilities(job.model, mnist.x_test)
    loss, accuracy = evaluation.loss_and_accuracy(probabilities, mnist.y_test)
    assert loss == pytest.approx(keras_loss, rel=1e-4)
    assert accuracy == pytest.approx(keras_accuracy)
    assert (job.test_loss, job.test_accuracy) == pytest.approx((loss, accuracy))


@pytest.mark.trains
def test_a_job_with_test_time_flip_reports_the_flipped_accuracy(mnist):
    job = trained_job(mnist, test_time_flip=True)
    both = inspection.predict_probabilities(job.model, mnist.x_test, flip=True)
    assert job.test_accuracy == pytest.approx(evaluation.loss_and_accuracy(both, mnist.y_test)[1])
    # The Evaluate page judges the same way and so shows the same accuracy.
    result = evaluation.EvaluationCache().get(
        job.model, 1, mnist.x_test, mnist.y_test, mnist.info.class_names, flip=True
    )
    assert result.accuracy == pytest.approx(job.test_accuracy)


# ----- mixed precision -----


def test_switching_back_to_float32_predicts_exactly_as_a_float32_model(mnist):
    spec = presets.preset_spec("vgg_small", (28, 28, 1), 10)
    model = fitting.build_seeded_model(spec, (28, 28, 1), 10, seed=0)
    twin = fitting.build_seeded_model(spec, (28, 28, 1), 10, seed=0)
    images = mnist.x_test[:32]
    reference = twin.predict(images, verbose=0)
    precision.set_mixed_precision(model, True)
    computes = {type(layer).__name__: layer.compute_dtype for layer in model.layers}
    assert computes["Conv2D"] == computes["BatchNormalization"] == "bfloat16"
    # The input side and the output layer stay float32.
    assert computes["Rescaling"] == computes["RandomTranslation"] == computes["Dense"] == "float32"
    mixed = model.predict(images, verbose=0)
    assert mixed.dtype == np.float32
    assert 0 < np.abs(mixed - reference).max() < 0.05
    precision.set_mixed_precision(model, False)
    np.testing.assert_array_equal(model.predict(images, verbose=0), reference)


@pytest.mark.trains
def test_a_mixed_precision_job_trains_and_ends_in_float32(mnist):
    job = trained_job(mnist, mixed_precision=True)
    assert {layer.compute_dtype for layer in job.model.layers} == {"float32"}
    probabilities = inspection.predict_probabilities(job.model, mnist.x_test)
    assert job.test_accuracy == pytest.approx(
        evaluation.loss_and_accuracy(probabilities, mnist.y_test)[1]
    )
    assert job.test_accuracy > 0.3  # it learnt something in 6 steps of bfloat16


def test_bfloat16_is_native_reads_the_cpu_flags(tmp_path):
    with_flags = tmp_path / "with"
    with_flags.write_text("flags\t\t: fpu avx512f avx512_bf16 avx512vl\n")
    without = tmp_path / "without"
    without.write_text("flags\t\t: fpu avx2 avx512f\n")
    assert precision.bfloat16_is_native(with_flags) is True
    assert precision.bfloat16_is_native(without) is False
    assert precision.bfloat16_is_native(tmp_path / "missing") is False


def test_presets_suggest_bfloat16_only_where_it_is_native(monkeypatch):
    vgg = presets.PRESETS["vgg_small"]
    monkeypatch.setattr(precision, "bfloat16_is_native", lambda: True)
    assert vgg.settings_for((32, 32, 3))["mixed_precision"] is True
    monkeypatch.setattr(precision, "bfloat16_is_native", lambda: False)
    assert "mixed_precision" not in vgg.settings_for((32, 32, 3))
