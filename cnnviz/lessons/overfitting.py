"""Lesson 9: overfitting and its cures, and why a CNN beats a dense network on images.

A small CNN and a dense network (about seven times its weights) train on the same shrunk digits
for the same epochs; each epoch records accuracy on the training digits and on digits neither
has seen. With few training digits the two curves part: the networks learn their training
digits by heart (overfitting). The cures are settings: more data, dropout (switching off a
random half of the last layer's inputs at each step) and shifting the training digits by a
pixel or two at random each epoch (augmentation). Like lesson 7's comparison, each setting is
trained at most once per process and shared (cnnviz.lessons.once).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from cnnviz.lessons import once, optimizers, small_digits

IMAGE_SIZE = 14
TRAIN_SIZES = (100, 500, 2000)
DEFAULT_TRAIN_SIZE = 100
TEST_IMAGES = 500
# The same number of training steps for every data size, so more data means each digit is seen
# fewer times, as in a real training budget; accuracy is measured every CHECK_EVERY steps.
STEPS = 300
CHECK_EVERY = 30
BATCH_SIZE = 32
LEARNING_RATE = 0.003
DROPOUT = 0.5
MAX_SHIFT = 2  # pixels, each way


class Network(enum.StrEnum):
    """The two networks compared, by the names the lesson shows."""

    CNN = "CNN"
    DENSE = "dense network"


@dataclass(frozen=True)
class FitSettings:
    """What one training of the two networks depends on (the cache's key)."""

    train_images: int = DEFAULT_TRAIN_SIZE
    dropout: bool = False
    shifts: bool = False
    seed: int = 0

    def __post_init__(self):
        if self.train_images not in TRAIN_SIZES:
            raise ValueError(
                f"train_images must be one of {', '.join(map(str, TRAIN_SIZES))}. "
                f"Received: train_images={self.train_images!r}"
            )
        for name in ("dropout", "shifts"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False. Received: {getattr(self, name)!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a whole number, 0 or more. Received: {self.seed!r}")


@dataclass(frozen=True)
class Fit:
    """Both networks' curves for one setting."""

    settings: FitSettings
    parameters: dict[str, int]  # network -> its weights
    steps: np.ndarray  # the training steps at which accuracy was measured
    train_accuracy: dict[str, np.ndarray]  # network -> at each of those, on the training digits
    test_accuracy: dict[str, np.ndarray]  # network -> at each of those, on digits it never saw

    def gap(self, network: str) -> float:
        """Training minus test accuracy at the end: how much it learnt by heart."""
        return float(self.train_accuracy[network][-1] - self.test_accuracy[network][-1])


_CACHE = once.OncePerKey()


def _build(network: Network, settings: FitSettings):
    import keras  # only a setting's first training needs it

    initializer = keras.initializers.GlorotUniform(seed=settings.seed)
    layers = keras.layers
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1))
    if network is Network.CNN:
        hidden = layers.Conv2D(8, 3, activation="relu", kernel_initializer=initializer)(inputs)
        hidden = layers.MaxPooling2D(2)(hidden)
        hidden = layers.Conv2D(16, 3, activation="relu", kernel_initializer=initializer)(hidden)
        hidden = layers.MaxPooling2D(2)(hidden)
        hidden = layers.Flatten()(hidden)
    else:
        hidden = layers.Flatten()(inputs)
        hidden = layers.Dense(64, activation="relu", kernel_initializer=initializer)(hidden)
    if settings.dropout:
        hidden = layers.Dropout(DROPOUT, seed=settings.seed)(hidden)
    outputs = layers.Dense(10, kernel_initializer=initializer)(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def shift(images: np.ndarray, rng: np.random.Generator, max_shift: int = MAX_SHIFT) -> np.ndarray:
    """Each (n, h, w, 1) image moved by up to max_shift pixels each way, zeros filling in."""
    shifted = np.zeros_like(images)
    size = images.shape[1]
    for index, (down, right) in enumerate(
        rng.integers(-max_shift, max_shift + 1, (len(images), 2))
    ):
        rows_to = slice(max(down, 0), size + min(down, 0))
        rows_from = slice(max(-down, 0), size + min(-down, 0))
        columns_to = slice(max(right, 0), size + min(right, 0))
        columns_from = slice(max(-right, 0), size + min(-right, 0))
        shifted[index, rows_to, columns_to] = images[index, rows_from, columns_from]
    return shifted


def _batches(images: np.ndarray, settings: FitSettings, rng: np.random.Generator):
    """STEPS batches: (the training images as this epoch sees them, a batch's indices)."""
    step = 0
    while True:
        seen = shift(images, rng) if settings.shifts else images
        order = rng.permutation(len(images))
        for begin in range(0, len(images) - BATCH_SIZE + 1, BATCH_SIZE):
            yield seen, order[begin : begin + BATCH_SIZE]
            step += 1
            if step == STEPS:
                return


def train_fit(settings: FitSettings) -> Fit:
    """Train both networks for `settings` (no cache: use `fit` instead)."""
    images, labels = small_digits.digits(settings.train_images, IMAGE_SIZE)
    test_images, test_labels = small_digits.digits(TEST_IMAGES, IMAGE_SIZE, split="test")
    images = images[..., np.newaxis].astype(np.float32)
    test_images = test_images[..., np.newaxis].astype(np.float32)
    parameters, train_accuracy, test_accuracy = {}, {}, {}
    for network in Network:
        model = _build(network, settings)
        rng = np.random.default_rng(settings.seed)  # the same batches and shifts for both
        train_curve, test_curve = [], []
        for step, (seen, batch) in enumerate(_batches(images, settings, rng), start=1):
            model.train_on_batch(seen[batch], labels[batch])
            if step % CHECK_EVERY == 0:
                train_curve.append(optimizers.accuracy(model, images, labels))
                test_curve.append(optimizers.accuracy(model, test_images, test_labels))
        parameters[network.value] = model.count_params()
        train_accuracy[network.value] = np.array(train_curve)
        test_accuracy[network.value] = np.array(test_curve)
    steps = np.arange(CHECK_EVERY, STEPS + 1, CHECK_EVERY)
    return Fit(settings, parameters, steps, train_accuracy, test_accuracy)


def fit(settings: FitSettings = FitSettings()) -> Fit:
    """Both networks' curves for `settings`, trained at most once per process and shared."""
    return _CACHE.get(settings, lambda: train_fit(settings))


def is_ready(settings: FitSettings) -> bool:
    """Whether `fit(settings)` would answer at once."""
    return _CACHE.has(settings)


def trainings_run() -> int:
    """How many settings this process has trained."""
    return _CACHE.computations


def forget_all() -> None:
    """Drop every finished setting (tests)."""
    _CACHE.clear()


def bench_cases() -> list[tuple[int, str, object]]:
    """(lesson, what, function) for `cnnviz bench lessons`: a change of view once trained."""

    def shared_curves():
        from cnnviz.figures import lessons_overfitting

        result = fit()
        lessons_overfitting.plot_fit(
            result.steps, result.train_accuracy, result.test_accuracy, result.parameters
        )

    return [(9, "CNN and dense curves (trained, shared)", shared_curves)]
