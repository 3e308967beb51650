"""The Keras callbacks a TrainingJob trains with, one behaviour each.

- HistoryRecorder hands every batch's and epoch's metrics to the job.
- DivergenceGuard keeps a backup of finite weights, stops on a non-finite loss and warns while
  the loss sits at chance level or has grown by orders of magnitude.
- StopCheck stops training once the job has been asked to stop (or its owner has gone).
- LearningRateSchedule moves the learning rate along a schedule (cnnviz.lr_schedules).

Each talks to the job only through its public methods. Keras's TensorFlow backend calls every
hook on the training thread, between two steps (it never dispatches batch-end hooks to other
threads: its `IS_THREAD_SAFE` is False), so each hook must stay cheap: together they add about 2
microseconds a batch to the 4.5 that Keras's own callback handling takes (measured with a
CallbackList of these callbacks and one of Keras's History alone), against several milliseconds
for a training step. The weight backup runs on a timer, not every batch, for the same reason.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import keras

from cnnviz import lr_schedules

if TYPE_CHECKING:
    from cnnviz.training import TrainingJob

# How often (seconds) the guard saves the weights, to restore them if the loss diverges.
WEIGHT_BACKUP_SECONDS = 2.0
# How often (seconds) the stop check asks whether the job's owner is still there.
OWNER_CHECK_SECONDS = 1.0
# The guard judges the loss only after this many batches of an epoch (the running mean of a few
# batches says little), and then every this many batches.
GUARD_MIN_BATCHES = 20
# Stuck at chance: the epoch's mean loss within this fraction of ln(classes), the value of
# guessing every class equally, and accuracy below this multiple of 1/classes.
CHANCE_LOSS_TOLERANCE = 0.05
CHANCE_ACCURACY_FACTOR = 1.5
# Exploding: the mean loss this many times ln(classes), or this many times the best epoch so far.
EXPLODED_OVER_CHANCE = 10.0
EXPLODED_OVER_BEST = 100.0


class HistoryRecorder(keras.callbacks.Callback):
    """Hands the metrics Keras reports to the job, which keeps them as plain floats."""

    def __init__(self, job: TrainingJob):
        super().__init__()
        self.job = job

    def on_epoch_begin(self, epoch, logs=None):
        self.job.begin_epoch()

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.job.record_batch(
            batch, float(logs.get("loss", math.nan)), float(logs.get("accuracy", math.nan))
        )

    def on_epoch_end(self, epoch, logs=None):
        self.job.end_epoch(epoch, logs or {})


def loss_warning(
    mean_loss: float,
    mean_accuracy: float,
    num_classes: int,
    best_loss: float | None,
    optimizer_title: str,
    learning_rate: float,
) -> str | None:
    """Why a finite loss means the network is not learning, with the fix; None when it learns.

    Args:
        mean_loss: the mean training loss over at least GUARD_MIN_BATCHES recent batches.
        mean_accuracy: the mean training accuracy over the same batches.
        num_classes: how many classes the data set has.
        best_loss: the lowest mean loss of an earlier epoch, if any.
        optimizer_title: the optimizer's name as students read it, e.g. "Adam".
        learning_rate: the learning rate in use.
    """
    chance_loss = math.log(num_classes)
    fix = (
        f"Stop, and try a lower learning rate (e.g. {learning_rate / 10:g} instead of "
        f"{learning_rate:g}) or another optimizer (Adam at 0.001 is a safe start)."
    )
    if mean_loss >= EXPLODED_OVER_CHANCE * chance_loss or (
        best_loss is not None and best_loss > 0 and mean_loss >= EXPLODED_OVER_BEST * best_loss
    ):
        return (
            f"The loss has grown to {mean_loss:,.3g}, far above {chance_loss:.2f} (the loss of "
            f"guessing at random): {optimizer_title}'s steps are too large and the network is "
            f"not learning. {fix}"
        )
    if (
        abs(mean_loss - chance_loss) <= CHANCE_LOSS_TOLERANCE * chance_loss
        and mean_accuracy < CHANCE_ACCURACY_FACTOR / num_classes
    ):
        return (
            f"The loss stays at {mean_loss:.2f} and the accuracy at {mean_accuracy:.0%}: that is "
            f"guessing at random ({chance_loss:.2f} and {1 / num_classes:.0%} for "
            f"{num_classes} classes), so the network is not learning. A learning rate that is "
            f"too large often does this. {fix}"
        )
    return None


class DivergenceGuard(keras.callbacks.Callback):
    """Backs up finite weights, stops on a non-finite loss, warns on a loss that goes nowhere."""

    def __init__(
        self, job: TrainingJob, num_classes: int, optimizer_title: str, learning_rate: float
    ):
        super().__init__()
        self.job = job
        self.num_classes = num_classes
        self.optimizer_title = optimizer_title
        self.learning_rate = learning_rate
        self._last_backup = 0.0
        self._best_epoch_loss: float | None = None
        # The epoch's running means at the last judged batch: (batches, loss, accuracy).
        self._last_judged = (0, 0.0, 0.0)

    def on_train_begin(self, logs=None):
        self._last_backup = time.perf_counter()
        self.job.backup_weights()

    def on_train_batch_begin(self, batch, logs=None):
        # On the training thread, between two steps: the weights are consistent here.
        now = time.perf_counter()
        if now - self._last_backup >= WEIGHT_BACKUP_SECONDS:
            self._last_backup = now
            self.job.backup_weights()

    def on_epoch_begin(self, epoch, logs=None):
        self._last_judged = (0, 0.0, 0.0)

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        loss = float(logs.get("loss", math.nan))  # the epoch's running mean so far
        if not math.isfinite(loss):
            self.job.mark_diverged(loss)
            self.model.stop_training = True
            return
        batches = batch + 1
        if batches % GUARD_MIN_BATCHES == 0:
            # The mean over the batches since the last judgement, from the two running means,
            # so that a spike in the epoch's first batches does not hide where the loss is now.
            accuracy = float(logs.get("accuracy", math.nan))
            before, before_loss, before_accuracy = self._last_judged
            self._last_judged = (batches, loss, accuracy)
            count = batches - before
            self._judge(
                (loss * batches - before_loss * before) / count,
                (accuracy * batches - before_accuracy * before) / count,
            )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is None or not math.isfinite(loss):
            return
        if self.job.batches_trained() >= GUARD_MIN_BATCHES:
            self._judge(float(loss), float(logs.get("accuracy", math.nan)))
        if self._best_epoch_loss is None or loss < self._best_epoch_loss:
            self._best_epoch_loss = float(loss)

    def _judge(self, mean_loss: float, mean_accuracy: float) -> None:
        self.job.set_warning(
            loss_warning(
                mean_loss,
                mean_accuracy,
                self.num_classes,
                self._best_epoch_loss,
                self.optimizer_title,
                self.learning_rate,
            )
        )


class StopCheck(keras.callbacks.Callback):
    """Stops training after the current batch once the job says it should stop."""

    def __init__(self, job: TrainingJob):
        super().__init__()
        self.job = job
        self._last_owner_check = 0.0

    def on_train_batch_begin(self, batch, logs=None):
        now = time.perf_counter()
        if now - self._last_owner_check >= OWNER_CHECK_SECONDS:
            self._last_owner_check = now
            self.job.check_owner()
        if self.job.stop_requested():
            # Keras finishes this batch, then leaves the epoch.
            self.model.stop_training = True


class LearningRateSchedule(keras.callbacks.Callback):
    """Sets the optimizer's learning rate before every batch, along a cnnviz.lr_schedules curve.

    The curve spans the segment (Train or one Continue): `total_steps` batches from the first
    batch this callback sees.
    """

    def __init__(self, schedule: str, peak: float, total_steps: int):
        super().__init__()
        self.schedule = schedule
        self.peak = peak
        self.total_steps = total_steps
        self.step = 0

    def on_train_batch_begin(self, batch, logs=None):
        # On the training thread, between two steps: the next step uses the new rate.
        rate = lr_schedules.learning_rate_at(self.schedule, self.peak, self.step, self.total_steps)
        self.model.optimizer.learning_rate.assign(rate)
        self.step += 1
