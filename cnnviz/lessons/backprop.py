"""Lesson 8: backpropagation, every gradient of a tiny network written out in NumPy float64.

The network: one 3x3 filter (and its bias) slides over a 7x7 digit, ReLU keeps the positive
values of that 5x5 map, the map is flattened to 25 numbers, and a dense layer turns them into
one score per class (three classes: the digits 0, 1 and 2); softmax makes the scores
probabilities and the loss is cross-entropy, -log(probability of the right class).

Backpropagation walks that chain backwards, one stage at a time, each stage multiplying what
came from after it by its own local slope (the chain rule):

    dL/dscores   = p - y                      (softmax with cross-entropy)
    dL/dW        = flat (outer) dL/dscores    dL/db_dense = dL/dscores
    dL/dflat     = W @ dL/dscores             (then reshaped back to 5x5: flatten moves nothing)
    dL/dpre      = dL/drelu * (pre > 0)       (ReLU passes a gradient only where it passed a value)
    dL/dfilter   = sum over positions of dL/dpre * the input window there
    dL/dbias     = sum of dL/dpre

`finite_differences` checks each of them by nudging each weight up and down.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from cnnviz.lessons import convolution, small_digits

IMAGE_SIZE = 7
KERNEL_SIZE = 3
CLASSES = (0, 1, 2)
DEFAULT_IMAGE = 0  # which of the bundled digits of those classes the lesson starts on
DEFAULT_RATE = 0.1  # the step on the filter the lesson takes (0.5 kills most ReLUs)
NUDGE = 1e-6  # the finite differences' step: small, but far above float64's rounding


@dataclass(frozen=True)
class Weights:
    """The network's weights: the filter and its bias, the dense layer's weights and biases."""

    kernel: np.ndarray  # (3, 3)
    bias: float
    dense: np.ndarray  # (25, classes)
    dense_bias: np.ndarray  # (classes,)


@dataclass(frozen=True)
class Forward:
    """Every value of one forward pass, stage by stage."""

    image: np.ndarray  # (7, 7)
    pre_activation: np.ndarray  # (5, 5): the filter's weighted sums plus its bias
    relu: np.ndarray  # (5, 5)
    flat: np.ndarray  # (25,)
    scores: np.ndarray  # (classes,), the logits
    probabilities: np.ndarray  # (classes,)
    label: int  # the right class's index
    loss: float


@dataclass(frozen=True)
class Gradients:
    """dL/d(each stage and each weight), the same shapes as what they belong to."""

    scores: np.ndarray
    dense: np.ndarray
    dense_bias: np.ndarray
    flat: np.ndarray
    relu: np.ndarray
    pre_activation: np.ndarray
    kernel: np.ndarray
    bias: float


def starting_weights(seed: int = 0) -> Weights:
    """Small random weights, the same for a seed (the lesson's network before any training)."""
    rng = np.random.default_rng(seed)
    outputs = IMAGE_SIZE - KERNEL_SIZE + 1
    return Weights(
        kernel=rng.normal(0.0, 0.5, (KERNEL_SIZE, KERNEL_SIZE)),
        bias=0.1,
        dense=rng.normal(0.0, 0.3, (outputs * outputs, len(CLASSES))),
        dense_bias=np.zeros(len(CLASSES)),
    )


def lesson_image(index: int = DEFAULT_IMAGE) -> tuple[np.ndarray, int]:
    """One bundled digit of the lesson's classes, 7x7 in 0-1, and its class index."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 50:
        raise ValueError(f"The digit's number must lie between 0 and 49. Received: {index!r}")
    images, labels = small_digits.digits(index + 1, IMAGE_SIZE, classes=CLASSES)
    return images[index], int(labels[index])


def convolve(image: np.ndarray, kernel: np.ndarray, bias: float) -> np.ndarray:
    """A valid convolution (stride 1, no padding): each output is its window times the kernel,
    summed, plus the bias; lesson 2's arithmetic, the one Inspect shows (one implementation)."""
    return convolution.feature_map(image, kernel, bias, stride=1, padding="valid")


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max())  # the largest score at 0: no overflow
    return shifted / shifted.sum()


def _check(image: np.ndarray, label: int) -> tuple[np.ndarray, int]:
    image = np.asarray(image, dtype=np.float64)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(
            f"The lesson's network reads a {IMAGE_SIZE}x{IMAGE_SIZE} image. "
            f"Received: shape={image.shape}"
        )
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
        raise ValueError(f"The label must be a class index. Received: label={label!r}")
    if not 0 <= label < len(CLASSES):
        raise ValueError(
            f"The label must lie between 0 and {len(CLASSES) - 1}. Received: label={label}"
        )
    return image, int(label)


def forward(weights: Weights, image: np.ndarray, label: int) -> Forward:
    """The forward pass through filter, ReLU, flatten, dense, softmax and cross-entropy.

    Raises:
        ValueError: for an image that is not 7x7 or a label that is not a class index.
    """
    image, label = _check(image, label)
    pre = convolve(image, weights.kernel, weights.bias)
    relu = np.maximum(pre, 0.0)
    flat = relu.reshape(-1)
    scores = flat @ weights.dense + weights.dense_bias
    probabilities = _softmax(scores)
    return Forward(
        image, pre, relu, flat, scores, probabilities, label, float(-np.log(probabilities[label]))
    )


def backward(weights: Weights, values: Forward) -> Gradients:
    """Every gradient of the loss, by the chain rule, from the end of the chain to its start."""
    one_hot = np.eye(len(CLASSES))[values.label]
    scores = values.probabilities - one_hot
    dense = np.outer(values.flat, scores)
    flat = weights.dense @ scores
    relu = flat.reshape(values.relu.shape)
    pre = relu * (values.pre_activation > 0)
    # Each filter weight met one input value per output position: the window's same cell.
    windows = np.lib.stride_tricks.sliding_window_view(values.image, weights.kernel.shape)
    kernel = np.einsum("rcij,rc->ij", windows, pre)
    return Gradients(scores, dense, scores.copy(), flat, relu, pre, kernel, float(pre.sum()))


def loss(weights: Weights, image: np.ndarray, label: int) -> float:
    """The loss alone (what the finite differences nudge)."""
    return forward(weights, image, label).loss


def finite_differences(weights: Weights, image: np.ndarray, label: int) -> dict[str, np.ndarray]:
    """dL/d(each weight) as (L(w + h) - L(w - h)) / 2h, one weight at a time (central)."""
    estimates = {}
    for name in ("kernel", "bias", "dense", "dense_bias"):
        value = np.array(getattr(weights, name), dtype=np.float64)
        estimate = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            nudged = []
            for sign in (1, -1):
                moved = value.copy()
                moved[index] += sign * NUDGE
                changed = dataclasses.replace(
                    weights, **{name: moved if moved.ndim else float(moved)}
                )
                nudged.append(loss(changed, image, label))
            estimate[index] = (nudged[0] - nudged[1]) / (2 * NUDGE)
        estimates[name] = estimate
    return estimates


def relative_error(analytic, numeric) -> float:
    """The largest |a - n| / max(|a| + |n|, 1e-12) over the values: 0 is perfect agreement."""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    return float(np.max(np.abs(analytic - numeric) / scale))


@dataclass(frozen=True)
class Step:
    """One step of gradient descent on the filter and its bias, and what it did to the loss."""

    learning_rate: float
    before: Forward
    gradients: Gradients
    weights_after: Weights
    after: Forward


def step_on_filter(
    weights: Weights, image: np.ndarray, label: int, learning_rate: float = DEFAULT_RATE
) -> Step:
    """Move the filter and its bias against their gradients: w <- w - rate * dL/dw.

    Raises:
        ValueError: for a learning rate that is not a number above 0 (at most 10).
    """
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
        raise ValueError(f"The learning rate must be a number. Received: {learning_rate!r}")
    if not 0 < learning_rate <= 10:
        raise ValueError(
            f"The learning rate must lie above 0, at most 10. Received: {learning_rate}"
        )
    before = forward(weights, image, label)
    gradients = backward(weights, before)
    after_weights = Weights(
        weights.kernel - learning_rate * gradients.kernel,
        weights.bias - learning_rate * gradients.bias,
        weights.dense,
        weights.dense_bias,
    )
    return Step(
        float(learning_rate), before, gradients, after_weights, forward(after_weights, image, label)
    )


def chain(weights: Weights, values: Forward, gradients: Gradients) -> list[tuple]:
    """The stages in the order the forward pass meets them, for the lesson's figure:
    (title, values, dL/d(values) or None, whether the values can be negative)."""
    return [
        ("image", values.image, None, False),
        ("filter", weights.kernel, gradients.kernel, True),
        ("filter output", values.pre_activation, gradients.pre_activation, True),
        ("after ReLU", values.relu, gradients.relu, False),
        ("dense weights", weights.dense.T, gradients.dense.T, True),
        ("scores", values.scores, gradients.scores, True),
    ]


def class_names() -> list[str]:
    """The lesson's classes as people read them."""
    return [f"digit {digit}" for digit in CLASSES]


def bench_cases() -> list[tuple[int, str, object]]:
    """(lesson, what, function) for `cnnviz bench lessons`: the lesson's numbers and figures."""

    def lesson():
        from cnnviz.figures import lessons_backprop

        weights = starting_weights()
        image, label = lesson_image()
        step = step_on_filter(weights, image, label)
        finite_differences(weights, image, label)
        lessons_backprop.plot_chain(chain(weights, step.before, step.gradients))
        lessons_backprop.plot_step(
            class_names(),
            step.before.probabilities,
            step.after.probabilities,
            step.before.loss,
            step.after.loss,
            label,
        )

    return [(8, "the chain rule, its check and one step", lesson)]
