"""The job's contract: states and stop reasons as values, weight snapshots within their caps,
warnings for a loss that goes nowhere, plain failures, and dispose().

Small models on the bundled MNIST sample, as in test_training.py.
"""

import dataclasses
import gc
import math
import weakref

import numpy as np
import pytest
import tensorflow as tf

from cnnviz.training import callbacks, runs, snapshots
from cnnviz.training.job_base import JobBase
from cnnviz.training.job_interface import CallbackTarget, TrainingJobInterface
from cnnviz.training.job_state import JobState, StopReason
from cnnviz.training.scheduler import TrainingScheduler
from helpers.jobs import SLOWER_SPEC, TINY_SPEC, WAIT_SECONDS, make_job, run_to_end, wait_until

# ----- states and reasons -----


def test_states_and_stop_reasons_are_string_enums():
    assert JobState("running") is JobState.RUNNING
    assert JobState.RUNNING == "running" and str(JobState.FAILED) == "failed"
    assert [state for state in JobState if state.is_active] == [
        JobState.QUEUED,
        JobState.STARTING,
        JobState.RUNNING,
    ]
    assert StopReason.USER.measures_test_accuracy
    assert not StopReason.RESET.measures_test_accuracy
    assert not StopReason.OWNER_GONE.measures_test_accuracy
    assert StopReason.OWNER_GONE.message.startswith("Session ended")
    with pytest.raises(ValueError):
        StopReason("Stopped by you.")  # a message is not a reason


@pytest.mark.trains
def test_a_job_reports_enum_states_and_a_stop_reason(mnist):
    job = make_job(mnist, SLOWER_SPEC, epochs=50, batch_size=128, train_limit=3000)
    assert job.state is JobState.READY
    job.start()
    wait_until(lambda: job.status().state is JobState.RUNNING)
    job.stop(StopReason.RESET)
    assert job.wait(WAIT_SECONDS)
    status = job.status()
    assert status.state is JobState.STOPPED
    assert status.message == StopReason.RESET.message
    assert status.test_accuracy is None  # Reset skips the test set to free the slot at once


def interface_members() -> set[str]:
    members = set(TrainingJobInterface.__annotations__)
    members |= {name for name in vars(TrainingJobInterface) if not name.startswith("_")}
    return members


def test_both_jobs_share_one_base_and_offer_the_whole_interface(mnist):
    ray_jobs = pytest.importorskip("cnnviz.cluster.ray_jobs", reason="Ray is not installed")
    local = make_job(mnist)
    # Built only (never started), so no Ray cluster is needed.
    remote = ray_jobs.RayTrainingJob(
        TINY_SPEC,
        mnist,
        local.settings,
        scheduler=TrainingScheduler(1),
        unreachable="not started in this test",
    )
    for job in (local, remote):
        assert isinstance(job, JobBase)
        assert isinstance(job, TrainingJobInterface)
        missing = {name for name in interface_members() if not hasattr(job, name)}
        assert not missing, f"{type(job).__name__} lacks {missing}"
        # The shared code is written once, in JobBase, not copied into either job.
        for name in ("start", "stop", "wait", "dispose", "check_owner", "weight_snapshots"):
            assert name not in vars(type(job)), f"{type(job).__name__} redefines {name}"
    assert not hasattr(local, "kernel_snapshots") and not hasattr(remote, "kernel_snapshots")


def test_a_job_is_what_its_callbacks_report_to(mnist):
    job = make_job(mnist)
    target = {name for name in vars(CallbackTarget) if not name.startswith("_")}
    assert {name for name in target if not callable(getattr(job, name, None))} == set()


# ----- weight snapshots -----


@pytest.mark.trains
def test_weight_snapshots_hold_every_epoch_in_get_weights_order_as_float16(mnist):
    job = make_job(mnist, epochs=2)
    initial = job.model.get_weights()
    assert run_to_end(job).state is JobState.FINISHED
    kept = job.weight_snapshots()
    assert [epoch for epoch, _ in kept] == [0.0, 1.0, 2.0]
    final = job.model.get_weights()
    for _, weights in kept:
        assert [array.shape for array in weights] == [array.shape for array in final]
        assert all(array.dtype == np.float16 for array in weights)
    for start, array in zip(kept[0][1], initial, strict=True):
        np.testing.assert_allclose(start, array, rtol=1e-3, atol=1e-4)
    for end, array in zip(kept[-1][1], final, strict=True):
        np.testing.assert_allclose(end, array, rtol=1e-3, atol=1e-4)


def test_the_snapshot_store_thins_evenly_and_keeps_both_ends():
    store = snapshots.WeightSnapshots(max_count=5, max_bytes=10**9)
    for epoch in range(13):
        store.add(float(epoch), [np.full(3, epoch, np.float32)])
    epochs = [epoch for epoch, _ in store.items()]
    assert len(epochs) <= 5 and epochs[0] == 0.0 and epochs[-1] == 12.0
    assert epochs == sorted(epochs)
    gaps = np.diff(epochs)
    assert len(set(gaps[:-1])) == 1 and gaps[-1] <= gaps[0]  # even, up to the newest


def test_the_snapshot_store_obeys_its_byte_cap():
    one_snapshot = 1000 * 2  # 1,000 float16 values
    store = snapshots.WeightSnapshots(max_count=30, max_bytes=3 * one_snapshot + 10)
    for epoch in range(10):
        store.add(float(epoch), [np.ones(1000, np.float32)])
    assert len(store) <= 3 and store.nbytes <= 3 * one_snapshot + 10
    kept = [epoch for epoch, _ in store.items()]
    assert kept[0] == 0.0 and kept[-1] == 9.0
    # A snapshot larger than the whole cap: the start and the newest are still kept.
    tight = snapshots.WeightSnapshots(max_bytes=100)
    for epoch in range(4):
        tight.add(float(epoch), [np.ones(1000, np.float32)])
    assert [epoch for epoch, _ in tight.items()] == [0.0, 3.0]


def test_huge_weights_are_clipped_not_made_infinite():
    (array,) = snapshots.to_float16([np.array([1e30, -1e30, 1.5], np.float32)])
    assert np.isfinite(array).all() and array[2] == 1.5


@pytest.mark.trains
def test_a_job_keeps_its_snapshots_within_the_byte_cap(mnist, monkeypatch):
    probe = make_job(mnist)
    size = sum(array.size * 2 for array in probe.model.get_weights())
    monkeypatch.setattr(snapshots, "SNAPSHOT_MAX_BYTES", 4 * size)
    job = make_job(mnist, epochs=6, train_limit=100)
    assert run_to_end(job).state is JobState.FINISHED
    kept = [epoch for epoch, _ in job.weight_snapshots()]
    assert len(kept) <= 4 and kept[0] == 0.0 and kept[-1] == 6.0


# ----- a loss that goes nowhere -----


@pytest.mark.trains
@pytest.mark.parametrize(
    ("optimizer", "learning_rate", "warns"),
    [("adam", 1.0, True), ("sgd", 10.0, True), ("adam", 0.001, False)],
)
def test_a_loss_stuck_at_chance_is_reported_while_training(mnist, optimizer, learning_rate, warns):
    job = make_job(
        mnist, epochs=2, train_limit=None, optimizer=optimizer, learning_rate=learning_rate
    )
    job.start()
    warned_while_running = None
    while not job.wait(0.05):
        status = job.status()
        if status.state is JobState.RUNNING and status.warning:
            warned_while_running = status.warning
    status = job.status()
    assert status.state is JobState.FINISHED
    if warns:
        assert warned_while_running is not None
        assert "not learning" in warned_while_running
        assert f"lower learning rate (e.g. {learning_rate / 10:g}" in warned_while_running
        assert "another optimizer" in warned_while_running
        assert status.test_accuracy < 0.2
        assert runs.RunRecord.from_job(1, job).warning == status.warning
    else:
        assert warned_while_running is None and status.warning is None
        assert status.test_accuracy > 0.8


def test_loss_warning_names_an_exploding_loss_and_stays_quiet_while_learning():
    exploded = callbacks.loss_warning(57.0, 0.1, 10, None, "SGD", 10.0)
    assert "grown to 57" in exploded and "lower learning rate (e.g. 1 instead of 10)" in exploded
    spiked = callbacks.loss_warning(
        3.0, 0.4, 10, best_loss=0.02, optimizer_title="Adam", learning_rate=0.1
    )
    assert spiked is not None and "grown" in spiked
    assert callbacks.loss_warning(0.4, 0.9, 10, 0.5, "Adam", 0.001) is None
    # Near chance loss but clearly better than chance accuracy: learning has begun.
    assert callbacks.loss_warning(2.25, 0.3, 10, None, "SGD", 0.01) is None
    stuck = callbacks.loss_warning(math.log(10), 0.1, 10, None, "Adam", 1.0)
    assert "guessing at random" in stuck


# ----- failures -----


@pytest.mark.trains
def test_out_of_memory_fails_the_job_plainly_and_the_server_trains_on(mnist):
    pool = TrainingScheduler(1)
    job = make_job(mnist, scheduler=pool)

    def out_of_memory(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(
            None, None, "OOM when allocating tensor with shape[1000000000,3,3,1]"
        )

    job.model.fit = out_of_memory
    status = run_to_end(job)
    assert status.state is JobState.FAILED
    assert "ran out of memory" in status.message and "smaller batch size" in status.message
    assert "OOM" not in status.message and "Traceback" not in status.message
    assert pool.running_count == 0  # the slot was given back
    assert make_job(mnist, scheduler=pool).state is JobState.READY
    assert run_to_end(make_job(mnist, scheduler=pool)).state is JobState.FINISHED


@pytest.mark.trains
def test_a_keras_error_at_run_time_fails_the_job_with_a_plain_message(mnist):
    # Labels outside the model's 10 classes: TensorFlow raises inside the training step.
    bad = dataclasses.replace(mnist, y_train=np.full_like(mnist.y_train, 15))
    job = make_job(bad)
    status = run_to_end(job)
    assert status.state is JobState.FAILED
    assert status.message.startswith("Training stopped because TensorFlow reported an error")
    assert "InvalidArgumentError" in status.message and "\n" not in status.message
    assert "earlier runs are kept" in status.message
    record = runs.RunRecord.from_job(1, job)
    assert record.state == "failed"


# ----- dispose -----


@pytest.mark.trains
def test_dispose_stops_a_running_job_and_lets_go_of_its_model(mnist):
    job = make_job(mnist, SLOWER_SPEC, epochs=50, batch_size=128, train_limit=3000)
    job.start()
    wait_until(lambda: len(job.history()["batch"]["loss"]) >= 2)
    model = weakref.ref(job.model)
    assert job.dispose() is True
    assert job.state is JobState.STOPPED and job.message == StopReason.CLOSED.message
    assert job.model is None and job.weight_snapshots() == []
    gc.collect()
    assert model() is None, "the model is still referenced after dispose()"
    assert len(job.history()["batch"]["loss"]) >= 2  # what it recorded stays readable
    with pytest.raises(RuntimeError, match="closed"):
        job.start()
