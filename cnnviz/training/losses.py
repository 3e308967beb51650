"""The training loss: cross-entropy on class numbers, with optional label smoothing.

Label smoothing (Szegedy et al., "Rethinking the Inception architecture", 2015) trains towards
a target that gives the true class 1 - s and spreads s evenly over all classes, instead of
demanding a probability of exactly 1. The network then stops pushing its confident outputs ever
further, which generalises better in short trainings on photos. The loss is
(1 - s) * cross-entropy(true class) + s * mean over classes of -log(probability).
"""

from __future__ import annotations

import keras
from keras import ops

# Keras's own clip for probabilities before the logarithm.
_EPSILON = 1e-7


@keras.saving.register_keras_serializable(package="cnnviz")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Sparse categorical cross-entropy on probabilities, with label smoothing `smoothing`."""

    def __init__(self, smoothing: float = 0.0, name: str = "smoothed_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.smoothing = float(smoothing)

    def call(self, y_true, y_pred):
        crossentropy = keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
        spread = -ops.mean(ops.log(ops.clip(y_pred, _EPSILON, 1.0)), axis=-1)
        return (1.0 - self.smoothing) * crossentropy + self.smoothing * spread

    def get_config(self) -> dict:
        return {**super().get_config(), "smoothing": self.smoothing}


def training_loss(label_smoothing: float):
    """The loss to compile with: Keras's plain one without smoothing, else the smoothed one."""
    if label_smoothing == 0:
        return "sparse_categorical_crossentropy"
    return SmoothedSparseCrossentropy(label_smoothing)
