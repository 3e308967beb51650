"""Tests for cnnviz.training.callbacks: one behaviour per callback, each talking to the job only
through the CallbackTarget Protocol (cnnviz.training.job_interface)."""

import ast
import math
from pathlib import Path

import keras
import numpy as np

from cnnviz.training import callbacks
from cnnviz.training.job_interface import CallbackTarget

CALLBACKS_DIR = Path(callbacks.__file__).parent
TARGET_METHODS = {name for name in vars(CallbackTarget) if not name.startswith("_")}


class FakeJob:
    """A CallbackTarget that notes what it is told."""

    def __init__(self, batches_trained: int = 0):
        self.calls: list[tuple] = []
        self._batches = batches_trained

    def begin_epoch(self):
        self.calls.append(("begin_epoch",))

    def record_batch(self, batch, running_loss, running_accuracy):
        self.calls.append(("record_batch", batch, running_loss, running_accuracy))

    def end_epoch(self, epoch, logs):
        self.calls.append(("end_epoch", epoch, logs))

    def batches_trained(self):
        return self._batches

    def mark_diverged(self, loss):
        self.calls.append(("mark_diverged", loss))

    def set_warning(self, warning):
        self.calls.append(("set_warning", warning))

    def stop_requested(self):
        return False

    def check_owner(self):
        self.calls.append(("check_owner",))


def tiny_model() -> keras.Model:
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])


def with_model(callback: keras.callbacks.Callback, model: keras.Model | None = None):
    model = model or tiny_model()
    callback.set_model(model)
    model.stop_training = False
    return callback, model


def test_each_module_holds_one_callback_that_uses_only_the_callback_target():
    modules = sorted(path for path in CALLBACKS_DIR.glob("*.py") if path.name != "__init__.py")
    assert len(modules) == 6
    for path in modules:
        tree = ast.parse(path.read_text())
        classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
        assert len(classes) == 1, f"{path.name} holds {len(classes)} callbacks"
        asked = {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "job"
        }
        assert asked <= TARGET_METHODS, f"{path.name} asks the job for {asked - TARGET_METHODS}"
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert "cnnviz.training.job" not in imported, f"{path.name} imports the job's class"
    assert not hasattr(callbacks, "DivergenceGuard")


def test_a_non_finite_loss_marks_the_job_diverged_and_stops_training():
    for loss in (math.nan, math.inf):
        job = FakeJob()
        stop, model = with_model(callbacks.StopOnNonFiniteLoss(job))
        stop.on_train_batch_end(0, {"loss": loss, "accuracy": 0.1})
        assert model.stop_training is True
        assert len(job.calls) == 1 and job.calls[0][0] == "mark_diverged"
        assert not math.isfinite(job.calls[0][1])
    job = FakeJob()
    stop, model = with_model(callbacks.StopOnNonFiniteLoss(job))
    stop.on_train_batch_end(0, {"loss": 2.3, "accuracy": 0.1})
    assert model.stop_training is False and job.calls == []


def test_the_weight_backup_keeps_only_finite_weights_and_restores_them():
    backup, model = with_model(callbacks.WeightBackup(every_seconds=0.0))
    start = [array.copy() for array in model.get_weights()]
    backup.on_train_begin()
    model.set_weights([np.full_like(array, np.nan) for array in start])
    backup.on_train_batch_begin(0)  # due at once (every_seconds=0), but the copy is not finite
    backup.restore(model)
    for restored, original in zip(model.get_weights(), start, strict=True):
        np.testing.assert_array_equal(restored, original)
    # Finite weights later on replace the kept copy.
    later = [array + 1.0 for array in start]
    model.set_weights(later)
    backup.on_train_batch_begin(1)
    model.set_weights(start)
    backup.restore(model)
    np.testing.assert_array_equal(model.get_weights()[0], later[0])


def test_the_weight_backup_waits_for_its_timer_between_copies():
    backup, model = with_model(callbacks.WeightBackup(every_seconds=3600.0))
    backup.on_train_begin()
    kept = backup.weights
    model.set_weights([array + 1.0 for array in model.get_weights()])
    backup.on_train_batch_begin(0)  # not due: the copy from the start stays
    assert backup.weights is kept


def test_the_loss_warning_judges_every_20_batches_and_leaves_a_nan_to_the_stop():
    job = FakeJob()
    warning, _ = with_model(callbacks.LossWarning(job, 10, "Adam", 1.0))
    warning.on_epoch_begin(0)
    warning.on_train_batch_end(0, {"loss": math.log(10), "accuracy": 0.1})
    assert job.calls == []  # too few batches to judge
    warning.on_train_batch_end(19, {"loss": math.log(10), "accuracy": 0.1})
    assert [call[0] for call in job.calls] == ["set_warning"]
    assert "guessing at random" in job.calls[0][1] and "0.1 instead of 1" in job.calls[0][1]
    warning.on_train_batch_end(39, {"loss": math.nan, "accuracy": 0.1})
    assert len(job.calls) == 1  # StopOnNonFiniteLoss's business, not a warning
    warning.on_train_batch_end(59, {"loss": 0.3, "accuracy": 0.9})
    assert job.calls[-1] == ("set_warning", None)  # learning: the warning goes away


def test_the_recorder_hands_every_metric_to_the_job():
    job = FakeJob()
    recorder, _ = with_model(callbacks.HistoryRecorder(job))
    recorder.on_epoch_begin(0)
    recorder.on_train_batch_end(0, {"loss": 2.0, "accuracy": 0.25})
    recorder.on_epoch_end(0, {"loss": 2.0})
    assert job.calls == [
        ("begin_epoch",),
        ("record_batch", 0, 2.0, 0.25),
        ("end_epoch", 0, {"loss": 2.0}),
    ]
