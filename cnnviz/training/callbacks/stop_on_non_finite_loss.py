"""StopOnNonFiniteLoss: stops training once the loss becomes NaN or infinite (it diverged)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import keras

if TYPE_CHECKING:
    from cnnviz.training.job_interface import CallbackTarget


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Like keras's TerminateOnNaN, and tells the job, which says why and what to try."""

    def __init__(self, job: CallbackTarget):
        super().__init__()
        self.job = job

    def on_train_batch_end(self, batch, logs=None):
        loss = float((logs or {}).get("loss", math.nan))  # the epoch's running mean so far
        if not math.isfinite(loss):
            self.job.mark_diverged(loss)
            self.model.stop_training = True
