"""StopCheck: stops training after the current batch once the job says it should stop."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import keras

if TYPE_CHECKING:
    from cnnviz.training.job_interface import CallbackTarget

# How often (seconds) the stop check asks whether the job's owner is still there.
OWNER_CHECK_SECONDS = 1.0


class StopCheck(keras.callbacks.Callback):
    """Stops training after the current batch once the job says it should stop.

    It also asks the job, about once a second, to check that its owner is still there.
    """

    def __init__(self, job: CallbackTarget):
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
