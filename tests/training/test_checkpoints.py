"""Tests for cnnviz.training.checkpoints and the checkpoints a training job hands its listener."""

import dataclasses
import math

import numpy as np
import pytest

from cnnviz.training import checkpoints
from cnnviz.training.checkpoints import Checkpoint
from cnnviz.training.job_interface import empty_history
from cnnviz.training.settings import TrainingSettings


def a_checkpoint(**changes) -> Checkpoint:
    rng = np.random.default_rng(0)
    history = empty_history()
    history["epoch"]["epoch"] = [1.0, 2.0]
    history["epoch"]["loss"] = [0.5, float("nan")]
    history["epoch"]["val_loss"] = [None, None]
    values = dict(
        epochs_done=2,
        progress=1.75,
        weights=[rng.normal(size=(3, 3, 1, 4)).astype(np.float32), np.zeros(4, np.float32)],
        optimizer_state=(
            "adam",
            [np.array(10, np.int64), np.array(0.001, np.float32), np.ones((2, 2), np.float32)],
        ),
        history=history,
        train_seconds=12.5,
        samples_trained=540,
        settings=dataclasses.asdict(TrainingSettings(epochs=3, optimizer="adam")),
        state="running",
        message="Training.",
        test_accuracy=0.91,
        test_loss=None,
    )
    values.update(changes)
    return Checkpoint(**values)


def test_a_checkpoint_goes_through_bytes_unchanged():
    checkpoint = a_checkpoint()
    back = Checkpoint.from_bytes(checkpoint.to_bytes())
    assert len(back.weights) == 2
    for original, restored in zip(checkpoint.weights, back.weights, strict=True):
        assert restored.dtype == np.float32
        np.testing.assert_array_equal(restored, original)
    name, values = back.optimizer_state
    assert name == "adam"
    assert [value.dtype for value in values] == [np.int64, np.float32, np.float32]
    for original, restored in zip(checkpoint.optimizer_state[1], values, strict=True):
        np.testing.assert_array_equal(restored, original)
    assert back.history["epoch"]["epoch"] == [1.0, 2.0]
    assert back.history["epoch"]["loss"][0] == 0.5 and math.isnan(back.history["epoch"]["loss"][1])
    assert back.history["epoch"]["val_loss"] == [None, None]
    plain = ("epochs_done", "progress", "train_seconds", "samples_trained", "settings", "state")
    for name in (*plain, "message", "test_accuracy", "test_loss"):
        assert getattr(back, name) == getattr(checkpoint, name), name
    assert TrainingSettings.from_dict(back.settings) == TrainingSettings(epochs=3)


def test_a_checkpoint_without_optimizer_state_keeps_none():
    back = Checkpoint.from_bytes(a_checkpoint(optimizer_state=None).to_bytes())
    assert back.optimizer_state is None


def test_damaged_bytes_raise_a_value_error_saying_so():
    data = a_checkpoint().to_bytes()
    for damaged in (data[: len(data) // 2], data[:10], b"", b"not a checkpoint at all"):
        with pytest.raises(ValueError, match="checkpoint is damaged or incomplete"):
            Checkpoint.from_bytes(damaged)
    # Garbage inside an intact archive: the JSON part overwritten.
    start = data.index(b'{"format"')
    garbled = data[:start] + b"#" * 20 + data[start + 20 :]
    with pytest.raises(ValueError, match="damaged or incomplete"):
        Checkpoint.from_bytes(garbled)


def test_a_checkpoint_from_a_newer_format_is_refused_by_name(monkeypatch):
    monkeypatch.setattr(checkpoints, "FORMAT_VERSION", 9)
    data = a_checkpoint().to_bytes()
    monkeypatch.undo()
    with pytest.raises(ValueError, match="format 9.*upgrade cnnviz"):
        Checkpoint.from_bytes(data)


# ----- the checkpoints a training job hands its listener -----


@pytest.mark.trains
def test_the_listener_hears_each_epoch_and_the_segment_end(mnist):
    from helpers.jobs import make_job, run_to_finish

    job = make_job(mnist, epochs=3)
    assert job.checkpoint() is None  # nothing trained yet
    heard = []
    job.checkpoint_listener = heard.append
    status = run_to_finish(job)
    assert [(c.epochs_done, c.state) for c in heard] == [
        (1, "running"),
        (2, "running"),
        (3, "running"),
        (3, "finished"),
    ]
    assert [c.progress for c in heard] == [1.0, 2.0, 3.0, 3.0]
    assert [len(c.history["epoch"]["epoch"]) for c in heard] == [1, 2, 3, 3]
    steps = -(-270 // 64)
    batches = [len(c.history["batch"]["loss"]) for c in heard]
    assert batches == [steps, 2 * steps, 3 * steps, 3 * steps]
    assert [c.samples_trained for c in heard] == [270, 540, 810, 810]
    assert heard[0].test_accuracy is None and heard[-1].test_accuracy == status.test_accuracy
    # Adam's iteration count goes with each epoch's weights: 5 steps an epoch.
    assert [int(c.optimizer_state[1][0]) for c in heard] == [5, 10, 15, 15]
    last = heard[-1]
    assert last.message == "Finished 3 epochs."
    for saved, now in zip(last.weights, job.model.get_weights(), strict=True):
        assert saved.dtype == np.float32
        np.testing.assert_array_equal(saved, now)
    # An epoch's weights are the ones replay keeps for it (in float16).
    snapshots = dict(job.weight_snapshots())
    np.testing.assert_allclose(snapshots[1.0][0], heard[0].weights[0], atol=1e-3)
    assert not np.allclose(heard[0].weights[0], heard[1].weights[0])
    assert TrainingSettings.from_dict(last.settings) == job.settings
    # Between segments checkpoint() is built from the model: the same as the last one heard.
    now = job.checkpoint()
    assert (now.epochs_done, now.state, now.test_accuracy) == (3, "finished", status.test_accuracy)


@pytest.mark.trains
def test_a_listener_that_raises_is_logged_and_training_goes_on(mnist, caplog):
    from helpers.jobs import make_job, run_to_finish

    job = make_job(mnist, epochs=2)
    calls = []

    def broken(checkpoint):
        calls.append(checkpoint.epochs_done)
        raise OSError("disk full")

    job.checkpoint_listener = broken
    status = run_to_finish(job)
    assert status.epoch == 2 and status.test_accuracy is not None
    assert calls == [1, 2, 2]
    failures = [r for r in caplog.records if "checkpoint listener failed" in r.getMessage()]
    assert len(failures) == 3 and "disk full" in failures[0].exc_text
