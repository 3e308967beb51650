"""Training settings: plain data, checked without importing TensorFlow.

Kept apart from training.py so that the CLI can reject a bad setting at once, and pages can
show the choices, without waiting seconds for TensorFlow to load.
"""

from __future__ import annotations

from dataclasses import dataclass

# The optimizers a student can choose, by their lower-case Keras names.
OPTIMIZER_NAMES = ("adam", "sgd", "rmsprop")
# How the optimizers are written for people.
OPTIMIZER_TITLES = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}


@dataclass(frozen=True)
class TrainingSettings:
    """How to train. Every field is plain data, so settings can be shown, stored and compared."""

    epochs: int = 1
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 0.001
    train_limit: int | None = None  # use only this many training images (None: all)
    validation_fraction: float = 0.1  # of the training images, held out to validate each epoch
    seed: int = 0

    def check(self) -> None:
        """Raise ValueError with an actionable message for any out-of-range setting."""
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(
                f"epochs must be a whole number of at least 1. Received: {self.epochs}"
            )
        if (
            isinstance(self.batch_size, bool)
            or not isinstance(self.batch_size, int)
            or self.batch_size < 1
        ):
            raise ValueError(
                f"batch_size must be a whole number of at least 1. Received: {self.batch_size}"
            )
        if self.optimizer not in OPTIMIZER_NAMES:
            raise ValueError(
                f"optimizer must be one of {', '.join(OPTIMIZER_NAMES)}. "
                f"Received: {self.optimizer!r}"
            )
        if not (isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate <= 10):
            raise ValueError(
                f"learning_rate must be a number above 0 (typically 0.0001 to 0.1). "
                f"Received: {self.learning_rate}"
            )
        if self.train_limit is not None and (
            not isinstance(self.train_limit, int) or self.train_limit < 10
        ):
            raise ValueError(
                f"The training subset needs at least 10 images. Received: {self.train_limit}"
            )
        if not 0 <= self.validation_fraction < 0.9:
            raise ValueError(
                f"validation_fraction must be between 0 and 0.9. "
                f"Received: {self.validation_fraction}"
            )
