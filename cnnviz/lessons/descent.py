"""Lesson 7, first half: gradient descent on one weight, in plain NumPy.

The network here is as small as a network gets: one weight w, predicting y = w * x for a few
points (x, y). Its loss, the mean squared error over those points, is a bowl-shaped curve over
w; gradient descent starts at one w and steps against the slope, w <- w - rate * dL/dw. How far
each step goes is the learning rate: too small crawls, a good one arrives, too large overshoots
further every step and diverges. Everything is computed here from the points, so the curve, the
slope at each step and the verdict are live numbers, cheap enough for every slider move.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

# The points the one weight must fit: y is about 2 x, so the best weight is near 2.
POINTS_X = np.array([0.5, 1.0, 1.5, 2.0, 2.5])
POINTS_Y = np.array([1.1, 1.9, 3.2, 3.9, 5.1])
START_WEIGHT = -1.0
STEPS = 12
# How close to the best weight counts as arrived: this share of the first distance.
ARRIVED_SHARE = 0.05
# The learning rates the lesson's slider offers, from crawling to diverging.
RATES = (0.01, 0.03, 0.1, 0.2, 0.3, 0.35, 0.4, 0.5)
DEFAULT_RATE = 0.1


class Outcome(enum.StrEnum):
    """What the steps did, as a value (a view words it)."""

    TOO_SLOW = "too_slow"  # still far from the bottom after every step
    CONVERGES = "converges"  # at the bottom (within ARRIVED_SHARE of the first distance)
    DIVERGES = "diverges"  # further from the bottom than where it started


def loss(weight, points_x: np.ndarray = POINTS_X, points_y: np.ndarray = POINTS_Y):
    """Mean squared error of y = weight * x; weight may be a number or an array of them."""
    weight = np.asarray(weight, dtype=np.float64)
    errors = weight[..., np.newaxis] * points_x - points_y
    return np.mean(errors**2, axis=-1)


def slope(weight, points_x: np.ndarray = POINTS_X, points_y: np.ndarray = POINTS_Y):
    """dL/dw = mean(2 x (w x - y)), by the chain rule on the squared error."""
    weight = np.asarray(weight, dtype=np.float64)
    errors = weight[..., np.newaxis] * points_x - points_y
    return np.mean(2 * points_x * errors, axis=-1)


def best_weight(points_x: np.ndarray = POINTS_X, points_y: np.ndarray = POINTS_Y) -> float:
    """The bottom of the bowl, where the slope is zero: sum(x y) / sum(x^2)."""
    return float(np.sum(points_x * points_y) / np.sum(points_x**2))


def largest_stable_rate(points_x: np.ndarray = POINTS_X) -> float:
    """Above this rate the steps diverge: the loss's curvature is 2 mean(x^2), and a step
    overshoots more than it corrects once rate * curvature > 2."""
    return float(1.0 / np.mean(points_x**2))


@dataclass(frozen=True)
class Descent:
    """The steps of gradient descent from START_WEIGHT at one learning rate."""

    learning_rate: float
    weights: np.ndarray  # STEPS + 1 weights, the start first
    losses: np.ndarray  # the loss at each of them
    slopes: np.ndarray  # dL/dw at each of them
    best_weight: float
    outcome: Outcome


def _check_rate(learning_rate) -> float:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
        raise ValueError(f"The learning rate must be a number. Received: {learning_rate!r}")
    if not 0 < learning_rate <= 10:
        raise ValueError(
            f"The learning rate must lie above 0 and at most 10. Received: {learning_rate}"
        )
    return float(learning_rate)


def descend(learning_rate: float, start: float = START_WEIGHT, steps: int = STEPS) -> Descent:
    """Take `steps` steps of w <- w - learning_rate * dL/dw from `start`.

    Raises:
        ValueError: for a learning rate that is not a number above 0 (at most 10), or fewer
            than one step.
    """
    rate = _check_rate(learning_rate)
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1. Received: steps={steps!r}")
    weights = np.empty(steps + 1)
    weights[0] = start
    for step in range(steps):
        weights[step + 1] = weights[step] - rate * slope(weights[step])
    bottom = best_weight()
    first, last = abs(start - bottom), abs(weights[-1] - bottom)
    if last > first:
        outcome = Outcome.DIVERGES
    elif last <= ARRIVED_SHARE * first:
        outcome = Outcome.CONVERGES
    else:
        outcome = Outcome.TOO_SLOW
    return Descent(rate, weights, loss(weights), slope(weights), bottom, outcome)


# How far the drawn window may reach, in distances from the start to the bottom: far enough to
# show a diverging rate's first zigzags, near enough that the bowl's bottom stays visible.
WIDEST_REACH = 4.0


def loss_curve(descent: Descent | None = None, samples: int = 200) -> tuple[np.ndarray, ...]:
    """Weights and losses to draw the bowl: the start and the bottom with room on both sides,
    widened (up to WIDEST_REACH times the start's distance) to hold the steps of `descent`.

    Steps beyond the window leave the picture (the figure says where they went).
    """
    bottom = best_weight()
    first = abs(START_WEIGHT - bottom)
    reach = 1.5 * first
    if descent is not None:
        distances = np.abs(descent.weights - bottom)
        reach = max(reach, float(distances[distances <= WIDEST_REACH * first].max()) * 1.05)
    weights = np.linspace(bottom - reach, bottom + reach, samples)
    return weights, loss(weights)


def bench_cases() -> list[tuple[int, str, object]]:
    """(lesson, what, function) for `cnnviz bench lessons`: one slider move of this lesson."""

    def slider_move():
        from cnnviz.figures import lessons_descent

        for rate in RATES:
            steps = descend(rate)
            lessons_descent.plot_descent(
                *loss_curve(steps), steps.weights, steps.losses, steps.best_weight
            )

    return [(7, "one weight: every learning rate's steps", slider_move)]
