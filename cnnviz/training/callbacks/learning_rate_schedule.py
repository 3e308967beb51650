"""LearningRateSchedule: moves the optimizer's learning rate along a schedule, batch by batch."""

from __future__ import annotations

import keras

from cnnviz.training import lr_schedules


class LearningRateSchedule(keras.callbacks.Callback):
    """Sets the optimizer's learning rate before every batch, along a lr_schedules curve.

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
