"""Checkpoints of trainings on Ray, and Ray jobs restored from them (cnnviz.cluster: ray_jobs,
executors.restore_job), on a local Ray instance on loopback only."""

import os

import numpy as np
import pytest

# Before Ray is imported: the local instance binds 127.0.0.1 only (see DESIGN.md).
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
pytest.importorskip("ray", reason="Ray is not installed; pip install -e '.[cluster]' runs these")

from cnnviz.cluster import executors, ray_actor, ray_jobs  # noqa: E402
from cnnviz.training.checkpoints import Checkpoint  # noqa: E402
from cnnviz.training.job import TrainingJob  # noqa: E402
from cnnviz.training.job_state import JobState  # noqa: E402
from helpers.jobs import TINY_SPEC, WAIT_SECONDS, make_job, run_to_finish  # noqa: E402

EPOCHS = 3


@pytest.fixture(scope="module")
def cluster():
    executors.connect(executors.LOCAL_ADDRESS)
    yield
    executors.shutdown()
    ray_actor.clear_dataset_refs()


@pytest.fixture(scope="module")
def trained_on_ray(cluster, mnist):
    """A Ray job trained EPOCHS epochs, and the checkpoints it handed its listener (through
    bytes, as the store keeps them)."""
    # Epochs long enough (about a second) that the server's polls see each one end.
    job = make_job(
        mnist, job_class=ray_jobs.RayTrainingJob, name="ray", epochs=EPOCHS, train_limit=3000
    )
    heard = []
    job.checkpoint_listener = lambda checkpoint: heard.append(
        Checkpoint.from_bytes(checkpoint.to_bytes())
    )
    run_to_finish(job, WAIT_SECONDS)
    return job, heard


def restore(mnist, checkpoint, executor):
    return executors.restore_job(
        TINY_SPEC,
        mnist,
        checkpoint,
        name="Run 2",
        executor=executor,
        ray_address=executors.LOCAL_ADDRESS,
    )


@pytest.mark.trains
def test_a_ray_job_hands_its_listener_each_epoch_seen_and_the_end(trained_on_ray):
    job, heard = trained_on_ray
    running = [c.epochs_done for c in heard if c.state == "running"]
    assert running and running == sorted(set(running)) and running[0] >= 1
    assert [c.state for c in heard[len(running) :]] == ["finished"]
    last = heard[-1]
    assert (last.epochs_done, last.test_accuracy) == (EPOCHS, job.test_accuracy)
    assert len(last.history["epoch"]["epoch"]) == EPOCHS and last.samples_trained == 3 * 2700
    for saved, now in zip(last.weights, job.model.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, now)
    # Each epoch's weights and optimizer state were taken together, at the epoch's end.
    first = heard[0]
    steps = -(-2700 // 64)
    assert int(first.optimizer_state[1][0]) == first.epochs_done * steps
    assert len(first.history["batch"]["loss"]) == first.epochs_done * steps


@pytest.mark.trains
@pytest.mark.parametrize("executor", [executors.Executor.RAY, executors.Executor.LOCAL])
def test_continue_from_a_ray_epochs_checkpoint_matches_the_uninterrupted_run(
    trained_on_ray, mnist, executor
):
    whole, heard = trained_on_ray
    checkpoint = next(c for c in heard if c.state == "running" and c.epochs_done < EPOCHS)
    done = checkpoint.epochs_done
    job = restore(mnist, checkpoint, executor)
    expected_class = ray_jobs.RayTrainingJob if executor == "ray" else TrainingJob
    assert type(job) is expected_class
    assert job.state == JobState.INTERRUPTED and f"at epoch {done} " in job.message
    assert job.epochs_done == done
    job.start(epochs=EPOCHS - done)
    assert job.wait(WAIT_SECONDS)
    assert job.status().state == JobState.FINISHED, job.status().message
    assert job.epochs_done == EPOCHS
    for restored, uninterrupted in zip(
        job.model.get_weights(), whole.model.get_weights(), strict=True
    ):
        np.testing.assert_allclose(restored, uninterrupted, rtol=1e-3, atol=1e-5)
    history, whole_history = job.history(), whole.history()
    assert history["epoch"]["epoch"] == whole_history["epoch"]["epoch"]
    assert len(history["batch"]["loss"]) == len(whole_history["batch"]["loss"])
    assert job.samples_trained == whole.samples_trained
    job.dispose()


@pytest.mark.trains
def test_a_restored_finished_ray_job_shows_its_result_and_predicts(trained_on_ray, mnist):
    whole, heard = trained_on_ray
    job = restore(mnist, heard[-1], executors.Executor.RAY)
    status = job.status()
    assert status.state == JobState.FINISHED and status.test_accuracy == whole.test_accuracy
    assert status.epoch == EPOCHS and status.history == whole.history()
    images = mnist.x_test[:16]
    np.testing.assert_allclose(
        job.model.predict(images, verbose=0), whole.model.predict(images, verbose=0), atol=1e-6
    )
    _, accuracy = job.model.evaluate(mnist.x_test, mnist.y_test, verbose=0)
    assert accuracy == pytest.approx(whole.test_accuracy, abs=1e-6)
    assert job.checkpoint().epochs_done == EPOCHS
