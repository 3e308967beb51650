"""The steps of a training that need no job around them: build, split, order, compile.

The in-process job (cnnviz.training.job), the Ray job (cnnviz.cluster.ray_jobs) and the
benchmarks use these, so that a model is built, its data split and its optimizer compiled the
same way wherever it trains.
"""

from __future__ import annotations

import threading

import keras
import numpy as np
import tensorflow as tf

from cnnviz.data.datasets import Dataset
from cnnviz.model.with_keras import builder
from cnnviz.training import losses
from cnnviz.training.settings import Optimizer, TrainingSettings

OPTIMIZERS = {
    Optimizer.ADAM: keras.optimizers.Adam,
    Optimizer.SGD: keras.optimizers.SGD,
    Optimizer.RMSPROP: keras.optimizers.RMSprop,
}

# Held while a model is built with its seed set: Keras draws initial weights and dropout seeds
# from process-wide random generators, which concurrent builds would otherwise share.
_BUILD_LOCK = threading.Lock()


def build_seeded_model(spec: dict, input_shape, num_classes: int, seed: int) -> keras.Model:
    """Build the spec's model with initial weights that depend only on the spec and the seed."""
    with _BUILD_LOCK:
        keras.utils.set_random_seed(seed)
        return builder.build_model(spec, input_shape, num_classes)


def split_data(
    dataset: Dataset, settings: TrainingSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Pick the training subset and the validation images held out from it.

    Returns:
        x_train, y_train, x_validation, y_validation (the latter two None without validation).
    """
    rng = np.random.default_rng(settings.seed)
    count = len(dataset.x_train)
    if settings.train_limit is not None:
        count = min(count, settings.train_limit)
    order = rng.permutation(len(dataset.x_train))[:count]
    validation_count = int(round(count * settings.validation_fraction))
    train_index = np.sort(order[validation_count:])
    x_train, y_train = dataset.x_train[train_index], dataset.y_train[train_index]
    if validation_count == 0:
        return x_train, y_train, None, None
    validation_index = np.sort(order[:validation_count])
    return x_train, y_train, dataset.x_train[validation_index], dataset.y_train[validation_index]


def epoch_order(seed: int, epoch: int, count: int) -> np.ndarray:
    """The order in which epoch `epoch` (0-based) visits the images; seed and epoch decide it."""
    return np.random.default_rng([seed, epoch]).permutation(count)


# Each epoch's random draws (dropout masks, augmentations) start this far apart in the counter
# of every Keras seed generator: more batches than an epoch ever has.
EPOCH_RANDOM_STRIDE = 2**20


def set_epoch_randomness(model: keras.Model, epoch: int) -> None:
    """Start epoch `epoch`'s random draws (dropout, augmentation) where seed and epoch say.

    Keras's layers draw from seed generators whose counters are model variables left out of
    get_weights(); set at each epoch's start, the draws of an epoch depend only on the model's
    seed and the epoch, as its order of images does, so a job restored from a checkpoint or
    continued on another Ray actor draws what an uninterrupted run would.
    """
    for variable in model.variables:
        if variable.name == "seed_generator_state":
            state = np.array(variable)
            state[1] = epoch * EPOCH_RANDOM_STRIDE
            variable.assign(state)


def compile_model(
    model: keras.Model,
    optimizer: str | keras.optimizers.Optimizer,
    learning_rate: float,
    label_smoothing: float = 0.0,
) -> None:
    """Compile for integer labels and softmax outputs, reporting accuracy.

    Args:
        model: the model.
        optimizer: an optimizer's name for a fresh one, or the model's own optimizer object to
            keep its state (Adam's moments) while the loss changes.
        learning_rate: the fresh optimizer's learning rate.
        label_smoothing: see cnnviz.training.losses.
    """
    if isinstance(optimizer, str):
        optimizer = OPTIMIZERS[optimizer](learning_rate=learning_rate)
    model.compile(
        optimizer=optimizer,
        loss=losses.training_loss(label_smoothing),
        metrics=["accuracy"],
    )


def compile_afresh(model: keras.Model, settings: TrainingSettings) -> None:
    """Compile with a fresh optimizer of `settings` (a restored model without optimizer state:
    Evaluate needs a compiled model)."""
    compile_model(model, settings.optimizer, settings.learning_rate, settings.label_smoothing)


def set_optimizer_state(
    model: keras.Model, optimizer: str, values: list[np.ndarray], settings: TrainingSettings
) -> None:
    """Compile `model` with a new `optimizer` whose variables take `values`.

    `values` are another copy of the same model's optimizer variables, in their order (for Adam:
    the iteration count, the learning rate, the moments): the optimizer goes on from where that
    copy stopped.

    Raises:
        ValueError: when the values do not fit this model's optimizer.
    """
    compile_model(model, optimizer, settings.learning_rate, settings.label_smoothing)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    variables = model.optimizer.variables
    shapes = [tuple(variable.shape) for variable in variables]
    given = [tuple(np.shape(value)) for value in values]
    if shapes != given:
        raise ValueError(
            f"The optimizer state does not fit this model's {optimizer} optimizer: it has "
            f"{len(given)} variables of shapes {given}, the optimizer needs {shapes}."
        )
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def describe_failure(error: BaseException) -> str:
    """What went wrong, in words a student can act on."""
    if isinstance(error, (MemoryError, tf.errors.ResourceExhaustedError)):
        return (
            "Training stopped: the server ran out of memory for this model. Try a smaller batch "
            "size, fewer filters or units, or fewer layers. Your earlier runs are kept."
        )
    detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return (
        f"Training stopped because TensorFlow reported an error ({type(error).__name__}"
        f"{': ' + detail if detail else ''}). Try other layers or settings; your earlier runs "
        "are kept."
    )
