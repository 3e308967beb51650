"""Tests for cnnviz.training.job: a job's whole life without Streamlit, on the bundled MNIST sample.

The models and subsets are tiny so that the file runs in well under two minutes. Nothing here
asserts on timings: the machine is shared and has two cores.
"""

import math

import numpy as np
import pytest

from cnnviz.training import fitting
from cnnviz.training import settings as training_settings
from cnnviz.training.scheduler import TrainingScheduler
from helpers.jobs import SLOWER_SPEC, WAIT_SECONDS, make_job, run_to_end, wait_until


def recorded_batches(job) -> int:
    return len(job.history()["batch"]["loss"])


@pytest.mark.trains
def test_a_job_trains_to_the_end_and_records_its_history(mnist):
    job = make_job(mnist, epochs=2, train_limit=500)
    assert job.state == "ready"
    status = run_to_end(job)

    assert status.state == "finished", status.message
    assert status.message == "Finished 2 epochs."
    batches, epochs = status.history["batch"], status.history["epoch"]
    assert len(batches["epoch"]) == len(batches["loss"]) == len(batches["accuracy"])
    assert len(batches["loss"]) == 2 * status.batches_per_epoch == 2 * math.ceil(450 / 64)
    assert epochs["epoch"] == [1.0, 2.0]
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(epochs[name]) == 2
        assert all(isinstance(value, float) for value in epochs[name])
    assert 0 < status.test_accuracy <= 1
    assert status.test_loss > 0
    assert status.progress == 2.0
    assert job.samples_trained == 2 * 450
    assert job.train_seconds > 0


@pytest.mark.trains
def test_stop_ends_the_job_within_a_batch_or_two_and_keeps_the_weights(mnist):
    job = make_job(mnist, SLOWER_SPEC, epochs=50, batch_size=128, train_limit=3000)
    images = mnist.x_test[:32]
    initial_predictions = job.model.predict(images, verbose=0)
    job.start()
    wait_until(lambda: recorded_batches(job) >= 3)
    recorded_when_stopping = recorded_batches(job)
    job.stop()
    assert job.wait(WAIT_SECONDS)

    status = job.status()
    assert status.state == "stopped"
    assert status.message == "Stopped by you."
    assert recorded_batches(job) - recorded_when_stopping <= 2
    assert status.epoch < 50
    # The weights learned so far are kept, not rolled back, and nothing changes them later.
    predictions = job.model.predict(images, verbose=0)
    assert not np.allclose(predictions, initial_predictions)
    job.status(), job.history(), job.weight_snapshots()
    np.testing.assert_array_equal(job.model.predict(images, verbose=0), predictions)
    assert all(np.isfinite(weight).all() for weight in job.model.get_weights())
    assert status.test_accuracy is not None  # a stop still measures the test accuracy


@pytest.mark.trains
def test_continue_appends_to_the_history_without_recompiling(mnist):
    job = make_job(mnist)
    first = run_to_end(job, epochs=1)
    assert first.state == "finished"
    optimizer = job.model.optimizer
    steps = int(optimizer.iterations.numpy())
    assert steps == first.batches_per_epoch

    second = run_to_end(job, epochs=1)
    assert second.state == "finished"
    assert job.epochs_done == 2
    assert second.epoch == 2
    assert job.model.optimizer is optimizer
    assert int(optimizer.iterations.numpy()) == 2 * steps
    assert second.history["epoch"]["epoch"] == [1.0, 2.0]
    assert len(second.history["batch"]["loss"]) == 2 * steps
    assert second.history["batch"]["epoch"][-1] == pytest.approx(2.0)


@pytest.mark.trains
def test_a_non_finite_loss_stops_the_job_as_diverged_with_finite_weights(mnist):
    job = make_job(mnist)
    # Huge positive output weights make every logit overflow to infinity, so the loss is NaN.
    classifier = job.model.get_layer("dense_4")
    classifier.kernel.assign(np.full(classifier.kernel.shape, 1e38, dtype="float32"))
    status = run_to_end(job)

    assert status.state == "diverged"
    assert "lower learning rate" in status.message
    assert all(np.isfinite(weight).all() for weight in job.model.get_weights())
    assert len(status.history["batch"]["loss"]) == 1
    assert status.test_accuracy is None


@pytest.mark.trains
def test_the_owner_leaving_stops_a_running_job(mnist):
    alive = [True]
    job = make_job(
        mnist,
        SLOWER_SPEC,
        epochs=50,
        batch_size=128,
        train_limit=3000,
        owner_alive=lambda: alive[0],
        owner_grace_seconds=0,
    )
    job.start()
    wait_until(lambda: recorded_batches(job) >= 2)
    alive[0] = False
    assert job.wait(WAIT_SECONDS)
    status = job.status()
    assert status.state == "stopped"
    assert status.message.startswith("Session ended")
    assert status.epoch < 50


@pytest.mark.trains
def test_the_owner_leaving_stops_a_queued_job(mnist):
    pool = TrainingScheduler(1)
    holder = object()
    assert pool.acquire(holder, lambda: False)
    alive = [True]
    job = make_job(mnist, owner_alive=lambda: alive[0], owner_grace_seconds=0, scheduler=pool)
    try:
        job.start()
        wait_until(lambda: pool.position(job) == 1)
        assert job.status().state == "queued"
        assert job.status().queue_position == 1
        alive[0] = False
        assert job.wait(WAIT_SECONDS)
    finally:
        pool.release(holder)
    status = job.status()
    assert status.state == "stopped"
    assert status.message.startswith("Session ended")
    assert pool.waiting_count == 0
    assert status.history["batch"]["loss"] == []


@pytest.mark.trains
def test_per_batch_values_are_recovered_from_the_running_means(mnist):
    # A learning rate this small freezes the weights, so every batch is scored by one model.
    settings_values = {"optimizer": "sgd", "learning_rate": 1e-9, "train_limit": 500}
    job = make_job(mnist, **settings_values)
    status = run_to_end(job)
    assert status.state == "finished"

    x_train, y_train, _, _ = fitting.split_data(mnist, job.settings)
    batch_size = job.settings.batch_size
    sizes = [min(batch_size, len(x_train) - start) for start in range(0, len(x_train), batch_size)]
    assert sizes[-1] < batch_size  # the short last batch is part of what is checked
    losses = np.array(status.history["batch"]["loss"])
    accuracies = np.array(status.history["batch"]["accuracy"])
    assert len(losses) == len(sizes)

    epoch_loss = status.history["epoch"]["loss"][0]
    assert np.average(losses, weights=sizes) == pytest.approx(epoch_loss, abs=1e-4)
    evaluated_loss, evaluated_accuracy = job.model.evaluate(x_train, y_train, verbose=0)
    assert np.average(losses, weights=sizes) == pytest.approx(evaluated_loss, abs=1e-3)
    assert np.average(accuracies, weights=sizes) == pytest.approx(evaluated_accuracy, abs=1e-3)
    # Each batch's accuracy is a count of right answers over its size.
    correct = accuracies * np.array(sizes)
    np.testing.assert_allclose(correct, np.round(correct), atol=1e-3)
    # float32 running means leave a rounding error of about 1e-7 in the recovered values.
    assert np.all((accuracies > -1e-5) & (accuracies < 1 + 1e-5))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("epochs", 0),
        ("epochs", -1),
        ("epochs", 1.5),
        ("epochs", True),
        ("batch_size", 0),
        ("batch_size", "32"),
        ("optimizer", "adagrad"),
        ("learning_rate", 0),
        ("learning_rate", -0.01),
        ("learning_rate", 11),
        ("learning_rate", math.nan),
        ("learning_rate", "fast"),
        ("train_limit", 5),
        ("train_limit", 100.0),
        ("validation_fraction", -0.1),
        ("validation_fraction", 0.95),
    ],
)
def test_training_settings_check_rejects_bad_values(field, value):
    settings = training_settings.TrainingSettings(**{field: value})
    with pytest.raises(ValueError, match=field if field != "train_limit" else "at least 10"):
        settings.check()


def test_training_settings_check_accepts_the_defaults():
    training_settings.TrainingSettings().check()
    training_settings.TrainingSettings(train_limit=10, validation_fraction=0).check()


@pytest.mark.trains
def test_a_job_cannot_start_twice_at_once(mnist):
    job = make_job(mnist, SLOWER_SPEC, epochs=50, batch_size=128, train_limit=3000)
    job.start()
    try:
        with pytest.raises(RuntimeError, match="already training"):
            job.start()
    finally:
        job.stop()
        assert job.wait(WAIT_SECONDS)
    assert job.state == "stopped"


def test_every_optimizer_name_has_a_keras_optimizer():
    """The TensorFlow-free list of names and the Keras classes must not drift apart."""
    assert tuple(fitting.OPTIMIZERS) == training_settings.OPTIMIZER_NAMES


# ----- going on from another copy of a job (how Continue runs on Ray) -----


@pytest.mark.trains
def test_resume_from_goes_on_exactly_as_continue_does(mnist):
    whole = make_job(mnist, epochs=2)
    run_to_end(whole)
    first = make_job(mnist, epochs=1)
    run_to_end(first)
    state = first.optimizer_state()
    name, values = state
    assert name == "adam"
    assert int(values[0]) == 5  # Adam's iteration count: 270 images in batches of 64

    # A second copy of the model takes the weights, the epoch count and the optimizer's state.
    second = make_job(mnist, epochs=1)
    second.model.set_weights(first.model.get_weights())
    second.resume_from(first.epochs_done, first.status().progress, state)
    run_to_end(second)
    resumed_weights, continued_weights = second.model.get_weights(), whole.model.get_weights()
    for resumed, continued in zip(resumed_weights, continued_weights, strict=True):
        np.testing.assert_array_equal(resumed, continued)
    assert second.epochs_done == 2
    assert second.history()["epoch"]["epoch"] == [2.0]
    assert [epoch for epoch, _ in second.weight_snapshots()] == [1.0, 2.0]
    assert int(second.optimizer_state()[1][0]) == 10


@pytest.mark.trains
def test_resume_from_without_the_optimizer_state_starts_it_afresh(mnist):
    whole = make_job(mnist, epochs=2)
    run_to_end(whole)
    first = make_job(mnist, epochs=1)
    run_to_end(first)
    second = make_job(mnist, epochs=1)
    second.model.set_weights(first.model.get_weights())
    second.resume_from(1, 1.0)
    run_to_end(second)
    assert int(second.optimizer_state()[1][0]) == 5
    assert any(
        not np.allclose(a, b)
        for a, b in zip(second.model.get_weights(), whole.model.get_weights(), strict=True)
    )


@pytest.mark.trains
def test_resume_from_refuses_what_does_not_fit(mnist):
    trained = make_job(mnist)
    run_to_end(trained)
    fresh = make_job(mnist)
    with pytest.raises(ValueError, match="progress between 0 and it"):
        fresh.resume_from(1, 2.0)
    with pytest.raises(ValueError, match="Unknown optimizer 'lbfgs'"):
        fresh.resume_from(1, 1.0, ("lbfgs", []))
    other = make_job(mnist, SLOWER_SPEC)
    with pytest.raises(ValueError, match="does not fit this model's adam optimizer"):
        fresh.resume_from(1, 1.0, ("adam", other.model.get_weights()))
    with pytest.raises(RuntimeError, match="has not trained"):
        trained.resume_from(1, 1.0)
    assert trained.optimizer_state() is not None and fresh.optimizer_state() is None
