"""Lesson 7, second half: SGD, SGD with momentum and Adam train the same tiny network.

The three start from the same weights and see the same small digits in the same order, so the
only difference between their curves is the optimizer. A comparison is computed at most once per
setting for the whole process (cnnviz.lessons.once): thirty students on one setting cost the
server one training, and every later change of view is a lookup. TensorFlow is imported only
when a comparison is first computed.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

import numpy as np

from cnnviz.lessons import once, small_digits

IMAGE_SIZE = 14
TRAIN_IMAGES = 512
TEST_IMAGES = 200
BATCH_SIZE = 32
EPOCHS = 5
FILTERS = 8
MOMENTUM = 0.9
# One learning rate for all three, chosen from these: the lesson shows how each copes with it.
RATES = (0.001, 0.01, 0.1, 0.5)
DEFAULT_RATE = 0.01


class OptimizerName(enum.StrEnum):
    """The three optimizers compared, by the names the lesson shows."""

    SGD = "SGD"
    MOMENTUM = "SGD with momentum"
    ADAM = "Adam"


@dataclass(frozen=True)
class ComparisonSettings:
    """What a comparison depends on; equal settings give equal curves (the cache's key)."""

    learning_rate: float = DEFAULT_RATE
    epochs: int = EPOCHS
    seed: int = 0

    def __post_init__(self):
        if self.learning_rate not in RATES:
            raise ValueError(
                f"The comparison's learning rate must be one of {', '.join(map(str, RATES))}. "
                f"Received: learning_rate={self.learning_rate!r}"
            )
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int):
            raise ValueError(f"epochs must be a whole number. Received: epochs={self.epochs!r}")
        if not 1 <= self.epochs <= 20:
            raise ValueError(f"epochs must lie between 1 and 20. Received: epochs={self.epochs}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a whole number, 0 or more. Received: {self.seed!r}")


@dataclass(frozen=True)
class Comparison:
    """The curves of the three optimizers for one setting."""

    settings: ComparisonSettings
    batch_losses: dict[str, np.ndarray]  # optimizer -> the loss of each training batch
    test_accuracy: dict[str, np.ndarray]  # optimizer -> accuracy on held-out digits, per epoch
    #                                       (the first value before any training)
    parameters: int  # the tiny network's weights, the same for all three
    seconds: float  # how long the three trainings took


_CACHE = once.OncePerKey()


def _build(seed: int):
    import keras  # here, not at the top: only a comparison's first computation needs it

    initializer = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1))
    hidden = keras.layers.Conv2D(FILTERS, 3, activation="relu", kernel_initializer=initializer)(
        inputs
    )
    hidden = keras.layers.MaxPooling2D(2)(hidden)
    hidden = keras.layers.Flatten()(hidden)
    outputs = keras.layers.Dense(10, kernel_initializer=initializer)(hidden)
    return keras.Model(inputs, outputs)


def _optimizer(name: OptimizerName, learning_rate: float):
    import keras

    if name is OptimizerName.ADAM:
        return keras.optimizers.Adam(learning_rate)
    momentum = MOMENTUM if name is OptimizerName.MOMENTUM else 0.0
    return keras.optimizers.SGD(learning_rate, momentum=momentum)


def accuracy(model, images: np.ndarray, labels: np.ndarray) -> float:
    """The share of `images` a Keras model classifies as `labels`."""
    # A direct call, not predict(): no tracing of a prediction function for 200 small images.
    scores = np.asarray(model(images, training=False))
    return float(np.mean(np.argmax(scores, axis=1) == labels))


def train_comparison(settings: ComparisonSettings) -> Comparison:
    """Train the three optimizers for `settings` (no cache: use `comparison` instead)."""
    import keras

    start = time.perf_counter()
    images, labels = small_digits.digits(TRAIN_IMAGES, IMAGE_SIZE)
    test_images, test_labels = small_digits.digits(TEST_IMAGES, IMAGE_SIZE, split="test")
    images, test_images = images[..., np.newaxis], test_images[..., np.newaxis]
    images, test_images = images.astype(np.float32), test_images.astype(np.float32)
    first = _build(settings.seed)
    starting_weights = first.get_weights()
    # The same order of batches for every optimizer, drawn once from the seed.
    rng = np.random.default_rng(settings.seed)
    orders = [rng.permutation(TRAIN_IMAGES) for _ in range(settings.epochs)]
    batch_losses, test_accuracy = {}, {}
    for name in OptimizerName:
        model = first if name is OptimizerName.SGD else _build(settings.seed)
        model.set_weights(starting_weights)
        model.compile(
            optimizer=_optimizer(name, settings.learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        losses, accuracies = [], [accuracy(model, test_images, test_labels)]
        for order in orders:
            for begin in range(0, TRAIN_IMAGES, BATCH_SIZE):
                batch = order[begin : begin + BATCH_SIZE]
                losses.append(float(model.train_on_batch(images[batch], labels[batch])))
            accuracies.append(accuracy(model, test_images, test_labels))
        batch_losses[name.value] = np.array(losses)
        test_accuracy[name.value] = np.array(accuracies)
    return Comparison(
        settings,
        batch_losses,
        test_accuracy,
        first.count_params(),
        time.perf_counter() - start,
    )


def comparison(settings: ComparisonSettings = ComparisonSettings()) -> Comparison:
    """The comparison for `settings`, trained at most once per process and shared by all.

    Concurrent callers with the same settings wait for the first one's training.
    """
    return _CACHE.get(settings, lambda: train_comparison(settings))


def is_ready(settings: ComparisonSettings) -> bool:
    """Whether `comparison(settings)` would answer at once."""
    return _CACHE.has(settings)


def trainings_run() -> int:
    """How many comparisons this process has trained (each a training of three networks)."""
    return _CACHE.computations


def forget_all() -> None:
    """Drop every finished comparison (tests and the benchmark's cold measure)."""
    _CACHE.clear()


def bench_cases() -> list[tuple[int, str, object]]:
    """(lesson, what, function) for `cnnviz bench lessons`: a change of view once trained."""

    def shared_curves():
        from cnnviz.figures import lessons_descent

        result = comparison()
        lessons_descent.plot_optimizer_curves(
            result.batch_losses, result.test_accuracy, TRAIN_IMAGES // BATCH_SIZE
        )

    return [(7, "three optimizers' curves (trained, shared)", shared_curves)]
