"""Tests for cnnviz.training.restoring: a job restored from a stored checkpoint stands as it
stood, and a Continue from an epoch's checkpoint matches the run that was never interrupted."""

import numpy as np
import pytest

from cnnviz.training import restoring
from cnnviz.training.checkpoints import Checkpoint
from cnnviz.training.job_state import JobState
from helpers.jobs import SLOWER_SPEC, TINY_SPEC, WAIT_SECONDS, make_job, run_to_finish


def train_keeping_checkpoints(dataset, spec=TINY_SPEC, **settings):
    """Train a job to the end; return it and the checkpoints its listener heard, through bytes
    as the store keeps them."""
    job = make_job(dataset, spec, **settings)
    heard = []
    job.checkpoint_listener = lambda checkpoint: heard.append(
        Checkpoint.from_bytes(checkpoint.to_bytes())
    )
    run_to_finish(job)
    return job, heard


@pytest.mark.trains
@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
def test_continue_from_an_epochs_checkpoint_matches_the_uninterrupted_run(mnist, optimizer):
    whole, heard = train_keeping_checkpoints(mnist, epochs=2, optimizer=optimizer)
    after_one = next(c for c in heard if c.epochs_done == 1)
    assert after_one.state == "running"  # the server "stopped" here

    job = restoring.restore_job(TINY_SPEC, mnist, after_one, name="Run 2")
    assert job.state == JobState.INTERRUPTED
    assert (
        job.message == "Interrupted at epoch 1 (the server stopped). Continue goes on from there."
    )
    assert job.epochs_done == 1 and job.status().state == JobState.INTERRUPTED
    job.start(epochs=1)
    assert job.wait(WAIT_SECONDS)
    status = job.status()
    assert status.state == JobState.FINISHED, status.message
    assert job.epochs_done == 2 and status.progress == 2.0
    for restored, uninterrupted in zip(
        job.model.get_weights(), whole.model.get_weights(), strict=True
    ):
        np.testing.assert_allclose(restored, uninterrupted, rtol=1e-3, atol=1e-6)
    state, whole_state = job.optimizer_state(), whole.optimizer_state()
    assert state[0] == optimizer
    for restored, uninterrupted in zip(state[1], whole_state[1], strict=True):
        np.testing.assert_allclose(restored, uninterrupted, rtol=1e-3, atol=1e-6)
    history, whole_history = job.history(), whole.history()
    assert history["epoch"]["epoch"] == whole_history["epoch"]["epoch"] == [1.0, 2.0]
    assert len(history["batch"]["loss"]) == len(whole_history["batch"]["loss"])
    np.testing.assert_allclose(history["epoch"]["loss"], whole_history["epoch"]["loss"], rtol=1e-3)
    assert job.samples_trained == whole.samples_trained == 540
    assert status.test_accuracy == pytest.approx(whole.test_accuracy, abs=1e-6)


# Dropout and a random flip draw from Keras's seed generators, which get_weights() leaves out.
RANDOM_SPEC = {
    "layers": [
        {"type": "RandomFlip", "mode": "horizontal"},
        {"type": "Conv2D", "filters": 4, "kernel_size": 3, "activation": "relu"},
        {"type": "MaxPooling2D", "pool_size": 4},
        {"type": "Flatten"},
        {"type": "Dropout", "rate": 0.5},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
}


@pytest.mark.trains
def test_continue_with_dropout_and_augmentation_matches_the_uninterrupted_run(mnist):
    whole, heard = train_keeping_checkpoints(mnist, RANDOM_SPEC, epochs=2)
    after_one = next(c for c in heard if c.epochs_done == 1)
    job = restoring.restore_job(RANDOM_SPEC, mnist, after_one, name="Run 2")
    run_to_finish(job, epochs=1)
    for restored, uninterrupted in zip(
        job.model.get_weights(), whole.model.get_weights(), strict=True
    ):
        np.testing.assert_allclose(restored, uninterrupted, rtol=1e-3, atol=1e-6)


@pytest.mark.trains
def test_a_restored_finished_job_shows_its_result_and_predicts(mnist):
    whole, heard = train_keeping_checkpoints(mnist, epochs=2)
    final = heard[-1]
    job = restoring.restore_job(TINY_SPEC, mnist, final, name="Run 1")
    status = job.status()
    assert status.state == JobState.FINISHED and status.message == "Finished 2 epochs."
    assert status.test_accuracy == whole.test_accuracy and status.test_loss == whole.test_loss
    assert status.epoch == 2 and status.progress == 2.0
    assert status.history == whole.history()
    assert job.train_seconds == pytest.approx(whole.train_seconds)
    assert job.samples_trained == whole.samples_trained
    images = mnist.x_test[:16]
    np.testing.assert_allclose(
        job.model.predict(images, verbose=0), whole.model.predict(images, verbose=0), atol=1e-6
    )
    _, accuracy = job.model.evaluate(mnist.x_test, mnist.y_test, verbose=0)  # it is compiled
    assert accuracy == pytest.approx(whole.test_accuracy, abs=1e-6)
    # Replay starts at the checkpoint's weights; the app adds the snapshots it stored.
    assert [epoch for epoch, _ in job.weight_snapshots()] == [2.0]
    job.add_snapshots(whole.weight_snapshots()[:2])
    assert [epoch for epoch, _ in job.weight_snapshots()] == [0.0, 1.0, 2.0]
    np.testing.assert_array_equal(
        job.weight_snapshots()[0][1][0], whole.weight_snapshots()[0][1][0]
    )
    # The checkpoint of the restored job is the one it came from.
    again = job.checkpoint()
    assert (again.epochs_done, again.state, again.history) == (2, "finished", final.history)


@pytest.mark.trains
def test_a_restored_job_without_optimizer_state_evaluates_and_continues_afresh(mnist):
    _, heard = train_keeping_checkpoints(mnist, epochs=1)
    final = heard[-1]
    final.optimizer_state = None
    final.state, final.message = "stopped", "Stopped by you."
    job = restoring.restore_job(TINY_SPEC, mnist, final, name="Run 1")
    assert job.state == JobState.STOPPED and job.message == "Stopped by you."
    job.model.evaluate(mnist.x_test[:32], mnist.y_test[:32], verbose=0)
    assert job.optimizer_state() is None
    run_to_finish(job, epochs=1)
    assert job.epochs_done == 2 and int(job.optimizer_state()[1][0]) == 5  # a fresh Adam


@pytest.mark.trains
def test_a_checkpoint_of_another_model_is_refused(mnist):
    _, heard = train_keeping_checkpoints(mnist, epochs=1)
    with pytest.raises(ValueError):
        restoring.restore_job(SLOWER_SPEC, mnist, heard[-1], name="Run 1")


def test_the_app_says_where_an_interrupted_run_stopped():
    from types import SimpleNamespace

    from cnnviz.ui import jobs

    status = SimpleNamespace(state=JobState.INTERRUPTED, epoch=3, message="")
    assert jobs.describe_status("Run 2", status) == (
        "Run 2 was interrupted at epoch 3 (the server stopped). Continue goes on from there."
    )
    assert set(jobs.STATUS_ICONS) == set(JobState)
    assert not JobState.INTERRUPTED.is_active
