"""Training settings: plain data, checked without importing TensorFlow.

Kept apart from the job (cnnviz.training.job) so that the CLI can reject a bad setting at once,
and pages can show the choices, without waiting seconds for TensorFlow to load.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Any

from cnnviz.model.spec import show_value
from cnnviz.quantities import is_whole_number
from cnnviz.training import precision
from cnnviz.training.lr_schedules import SCHEDULE_NAMES


class Optimizer(enum.StrEnum):
    """The optimizers a student can choose, by their lower-case Keras names (what JSON holds)."""

    ADAM = "adam"
    SGD = "sgd"
    RMSPROP = "rmsprop"


OPTIMIZER_NAMES = tuple(optimizer.value for optimizer in Optimizer)
# How the optimizers are written for people.
OPTIMIZER_TITLES = {Optimizer.ADAM: "Adam", Optimizer.SGD: "SGD", Optimizer.RMSPROP: "RMSprop"}
# Numbers each optimizer keeps per trainable weight (Keras 3 defaults: Adam its two moments,
# RMSprop its mean square, SGD without momentum nothing), for the memory estimate in limits.py.
OPTIMIZER_STATE_SLOTS = {Optimizer.ADAM: 2, Optimizer.SGD: 0, Optimizer.RMSPROP: 1}
# The largest values any setting may take, whatever the server's limits: beyond them TensorFlow
# or NumPy fails (a batch index past 32 bits, a seed past 32 bits).
MAX_EPOCHS = 10_000
MAX_BATCH_SIZE = 65_536
MAX_SEED = 2**32 - 1
# Above this, label smoothing hides the true class more than it helps (0.1 to 0.2 is usual).
MAX_LABEL_SMOOTHING = 0.5
# A wish rather than a setting: mixed precision only where the CPU computes bfloat16 natively
# (emulated, it is slower than float32, and the speed-up is its only reason). Presets say this;
# `for_this_machine` turns it into true or false, which is all TrainingSettings holds.
WHERE_NATIVE = "where_native"


@dataclass(frozen=True)
class TrainingSettings:
    """How to train. Every field is plain data, so settings can be shown, stored and compared."""

    epochs: int = 1
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 0.001
    # How the learning rate moves during a segment (see lr_schedules.py); learning_rate is its
    # constant value, the cosine's start or the one cycle's top.
    lr_schedule: str = "constant"
    label_smoothing: float = 0.0  # see losses.py
    # Judge the test images by the mean prediction of each image and its mirror image. Only for
    # photos: a mirrored digit is another symbol.
    test_time_flip: bool = False
    # Compute in bfloat16 while training (weights stay float32; see precision.py).
    mixed_precision: bool = False
    train_limit: int | None = None  # use only this many training images (None: all)
    validation_fraction: float = 0.1  # of the training images, held out to validate each epoch
    seed: int = 0

    def check(self) -> None:
        """Raise ValueError with an actionable message for any out-of-range setting."""
        _check_whole("epochs", self.epochs, 1, MAX_EPOCHS)
        _check_whole("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        if not isinstance(self.optimizer, str) or self.optimizer not in OPTIMIZER_NAMES:
            raise ValueError(
                f"optimizer must be one of {', '.join(OPTIMIZER_NAMES)}. "
                f"Received: {show_value(self.optimizer)}"
            )
        if not (_is_number(self.learning_rate) and 0 < self.learning_rate <= 10):
            raise ValueError(
                f"learning_rate must be a number above 0 and at most 10 (typically 0.0001 to "
                f"0.1). Received: {show_value(self.learning_rate)}"
            )
        if not isinstance(self.lr_schedule, str) or self.lr_schedule not in SCHEDULE_NAMES:
            raise ValueError(
                f"lr_schedule must be one of {', '.join(SCHEDULE_NAMES)}. "
                f"Received: {show_value(self.lr_schedule)}"
            )
        if not (
            _is_number(self.label_smoothing) and 0 <= self.label_smoothing <= MAX_LABEL_SMOOTHING
        ):
            raise ValueError(
                f"label_smoothing must be a number from 0 to {MAX_LABEL_SMOOTHING} (0.1 is "
                f"usual; 0 turns it off). Received: {show_value(self.label_smoothing)}"
            )
        if not isinstance(self.test_time_flip, bool):
            raise ValueError(
                f"test_time_flip must be true or false. Received: {show_value(self.test_time_flip)}"
            )
        if not isinstance(self.mixed_precision, bool):
            raise ValueError(
                f"mixed_precision must be true or false. Received: "
                f"{show_value(self.mixed_precision)}"
            )
        if self.train_limit is not None and not (
            is_whole_number(self.train_limit) and self.train_limit >= 10
        ):
            raise ValueError(
                "The training subset needs at least 10 images. "
                f"Received: {show_value(self.train_limit)}"
            )
        if not (_is_number(self.validation_fraction) and 0 <= self.validation_fraction < 0.9):
            raise ValueError(
                f"validation_fraction must be between 0 and 0.9. "
                f"Received: {show_value(self.validation_fraction)}"
            )
        _check_whole("seed", self.seed, 0, MAX_SEED)

    @classmethod
    def from_dict(cls, values: Any) -> TrainingSettings:
        """Checked settings from a dict of some of the fields (the rest keep their defaults).

        Raises:
            ValueError: for a value that is not a dict, an unknown field, or a bad setting.
        """
        if not isinstance(values, dict):
            raise ValueError(
                f'Training settings must be an object such as {{"epochs": 3}}. '
                f"Received: {show_value(values)}"
            )
        names = [field.name for field in dataclasses.fields(cls)]
        unknown = [name for name in values if name not in names]
        if unknown:
            raise ValueError(
                f"Unknown training setting {show_value(unknown[0])}. The settings are: "
                f"{', '.join(names)}."
            )
        settings = cls(**values)
        settings.check()
        return settings


def for_this_machine(values: dict) -> dict:
    """A copy of the settings `values` with their wishes decided for this machine.

    mixed_precision=WHERE_NATIVE stays on where the CPU computes bfloat16 natively
    (precision.bfloat16_is_native); elsewhere it is left out, so that the default (off) holds.
    """
    values = dict(values)
    if values.get("mixed_precision") == WHERE_NATIVE:
        if precision.bfloat16_is_native():
            values["mixed_precision"] = True
        else:
            del values["mixed_precision"]
    return values


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_whole(name: str, value: Any, minimum: int, maximum: int) -> None:
    if not is_whole_number(value) or not minimum <= value <= maximum:
        raise ValueError(
            f"{name} must be a whole number from {minimum} to {maximum:,}. "
            f"Received: {show_value(value)}"
        )
