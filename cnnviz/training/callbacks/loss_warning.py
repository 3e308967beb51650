"""LossWarning: says, while training goes on, why a finite loss means the network is not learning.

Two patterns: a loss stuck at chance level (the loss of guessing every class equally, with an
accuracy to match) and a loss that has grown by orders of magnitude. Each warning names the fix.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import keras

if TYPE_CHECKING:
    from cnnviz.training.job_interface import CallbackTarget

# The loss is judged only after this many batches of an epoch (the running mean of a few
# batches says little), and then every this many batches.
GUARD_MIN_BATCHES = 20
# Stuck at chance: the epoch's mean loss within this fraction of ln(classes), the value of
# guessing every class equally, and accuracy below this multiple of 1/classes.
CHANCE_LOSS_TOLERANCE = 0.05
CHANCE_ACCURACY_FACTOR = 1.5
# Exploding: the mean loss this many times ln(classes), or this many times the best epoch so far.
EXPLODED_OVER_CHANCE = 10.0
EXPLODED_OVER_BEST = 100.0


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


class LossWarning(keras.callbacks.Callback):
    """Hands the job a warning (or None) every GUARD_MIN_BATCHES batches and at each epoch's end."""

    def __init__(
        self, job: CallbackTarget, num_classes: int, optimizer_title: str, learning_rate: float
    ):
        super().__init__()
        self.job = job
        self.num_classes = num_classes
        self.optimizer_title = optimizer_title
        self.learning_rate = learning_rate
        self._best_epoch_loss: float | None = None
        # The epoch's running means at the last judged batch: (batches, loss, accuracy).
        self._last_judged = (0, 0.0, 0.0)

    def on_epoch_begin(self, epoch, logs=None):
        self._last_judged = (0, 0.0, 0.0)

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        loss = float(logs.get("loss", math.nan))  # the epoch's running mean so far
        batches = batch + 1
        # A NaN or infinite loss is StopOnNonFiniteLoss's to handle.
        if not math.isfinite(loss) or batches % GUARD_MIN_BATCHES:
            return
        # The mean over the batches since the last judgement, from the two running means, so
        # that a spike in the epoch's first batches does not hide where the loss is now.
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
