"""WeightBackup: a copy of the last finite weights, to restore after the loss diverges."""

from __future__ import annotations

import time

import keras
import numpy as np

# How often (seconds) the weights are copied: get_weights() of a large model costs
# milliseconds, too much for every batch.
WEIGHT_BACKUP_SECONDS = 2.0


class WeightBackup(keras.callbacks.Callback):
    """Copies the model's weights when training starts and then every WEIGHT_BACKUP_SECONDS.

    A copy holding any NaN or infinite value is not kept, so `restore` always goes back to
    weights the model could still learn from.
    """

    def __init__(self, every_seconds: float = WEIGHT_BACKUP_SECONDS):
        super().__init__()
        self.every_seconds = every_seconds
        self.weights: list[np.ndarray] | None = None
        self._last_backup = 0.0

    def on_train_begin(self, logs=None):
        self._last_backup = time.perf_counter()
        self._back_up()

    def on_train_batch_begin(self, batch, logs=None):
        # On the training thread, between two steps: the weights are consistent here.
        now = time.perf_counter()
        if now - self._last_backup >= self.every_seconds:
            self._last_backup = now
            self._back_up()

    def restore(self, model: keras.Model) -> None:
        """Give `model` the last finite weights kept, if any were."""
        if self.weights is not None:
            model.set_weights(self.weights)

    def _back_up(self) -> None:
        weights = self.model.get_weights()
        if all(np.isfinite(array).all() for array in weights):
            self.weights = weights
