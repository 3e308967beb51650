"""Lesson 6 (loss): cross-entropy for one picture, the negative log of the probability the
network gave the right class, and why a confident wrong answer costs most."""

from __future__ import annotations

import numpy as np

# Probabilities are kept off 0: log(0) is minus infinity (Keras clips at 1e-7 likewise).
SMALLEST_PROBABILITY = 1e-7


def check_probabilities(probabilities) -> np.ndarray:
    """Probabilities as float64, checked: none negative, summing to 1.

    Raises:
        ValueError: for negative values or a sum other than 1.
    """
    values = np.asarray(probabilities, dtype=np.float64)
    if values.ndim != 1 or values.size < 2 or (values < 0).any():
        raise ValueError(
            f"Probabilities are a list of two or more numbers of at least 0. Received: {values}"
        )
    if not np.isclose(values.sum(), 1.0, atol=1e-6):
        raise ValueError(f"Probabilities must add up to 1. Received: sum={values.sum():.4f}")
    return values


def cross_entropy(probabilities, right: int) -> float:
    """−log(probability of the right class), in nats (natural log), as Keras computes it."""
    values = check_probabilities(probabilities)
    if not 0 <= right < values.size:
        raise ValueError(f"right must be a class from 0 to {values.size - 1}. Received: {right}")
    return float(-np.log(max(values[right], SMALLEST_PROBABILITY)))


def probabilities_from(right_probability: float, wrong_share: float, classes: int = 3, right=0):
    """The probabilities the lesson's two sliders describe: `right_probability` for the right
    class, and the rest split between the first wrong class (`wrong_share` of it) and the
    others equally.

    Raises:
        ValueError: for a probability or share outside 0..1.
    """
    for name, value in (("right_probability", right_probability), ("wrong_share", wrong_share)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must lie between 0 and 1. Received: {name}={value}")
    rest = 1.0 - right_probability
    wrong = [index for index in range(classes) if index != right]
    values = np.zeros(classes)
    values[right] = right_probability
    values[wrong[0]] = rest * wrong_share
    for index in wrong[1:]:
        values[index] = rest * (1 - wrong_share) / (len(wrong) - 1)
    return values


def loss_curve(points: int = 200) -> dict:
    """The loss against the right class's probability, from 0.01 to 1."""
    probability = np.linspace(0.01, 1.0, points)
    return {"probability": probability, "loss": -np.log(probability)}


CONFIDENCE_EXAMPLES = (0.99, 0.9, 0.5, 0.1, 0.01)


def confidence_table() -> list[dict]:
    """The loss for a few probabilities of the right class: confident and right, unsure,
    confident and wrong."""
    return [{"right_probability": p, "loss": float(-np.log(p))} for p in CONFIDENCE_EXAMPLES]
