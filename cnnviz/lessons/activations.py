"""Lesson 3 (activation functions): ReLU, sigmoid, tanh and leaky ReLU as formulas in NumPy,
their curves, and what each does to lesson 2's feature map."""

from __future__ import annotations

import numpy as np

# Keras's default slope for LeakyReLU's negative side is 0.3; 0.1 is easier to see on a curve
# and is what many courses show. The lesson names the value it uses.
LEAKY_SLOPE = 0.1


def relu(values):
    return np.maximum(values, 0.0)


def sigmoid(values):
    values = np.asarray(values, dtype=np.float64)
    # Written in two halves so a large negative input does not overflow exp().
    positive = values >= 0
    result = np.empty_like(values)
    result[positive] = 1.0 / (1.0 + np.exp(-values[positive]))
    exponent = np.exp(values[~positive])
    result[~positive] = exponent / (1.0 + exponent)
    return result


def tanh(values):
    return np.tanh(values)


def leaky_relu(values, slope: float = LEAKY_SLOPE):
    values = np.asarray(values, dtype=np.float64)
    return np.where(values >= 0, values, slope * values)


ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "leaky_relu": leaky_relu}
FORMULAS = {
    "relu": "relu(x) = max(0, x)",
    "sigmoid": "sigmoid(x) = 1 / (1 + e^(−x))",
    "tanh": "tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x))",
    "leaky_relu": f"leaky_relu(x) = x if x ≥ 0, else {LEAKY_SLOPE}·x",
}


def apply(name: str, values) -> np.ndarray:
    """An activation applied value by value.

    Raises:
        ValueError: for a name not in ACTIVATIONS.
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}. Choose one of: {', '.join(ACTIVATIONS)}.")
    return np.asarray(ACTIVATIONS[name](np.asarray(values, dtype=np.float64)), dtype=np.float64)


def curves(low: float = -5.0, high: float = 5.0, points: int = 201) -> dict:
    """Every activation's curve on the same inputs: {"x": ..., name: y, ...}."""
    inputs = np.linspace(low, high, points)
    return {"x": inputs, **{name: apply(name, inputs) for name in ACTIVATIONS}}


def what_changes(name: str, feature_map) -> dict:
    """What an activation does to a feature map: the result, and how many values it zeroed
    or shrank (negative values, for ReLU thrown away entirely)."""
    values = np.asarray(feature_map, dtype=np.float64)
    result = apply(name, values)
    negative = values < 0
    return {
        "result": result,
        "negative_count": int(negative.sum()),
        "total_count": int(values.size),
        "zeroed_count": int(((result == 0) & (values != 0)).sum()),
        "negative_share": float(negative.mean()) if values.size else 0.0,
    }
