"""HistoryRecorder: hands the metrics Keras reports to the job, which keeps them as floats."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import keras

if TYPE_CHECKING:
    from cnnviz.training.job_interface import CallbackTarget


class HistoryRecorder(keras.callbacks.Callback):
    """Hands every batch's and epoch's metrics to the job (which turns them into its history)."""

    def __init__(self, job: CallbackTarget):
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
