"""Numbers as the whole library checks and shows them: one whole-number test, one way to write
a count and one way to write a size in bytes, so every page (Build shows several sizes side by
side) prints them alike.

Pure Python: every package may import it, the Build page's TensorFlow-free path included.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

# Weights, gradients and activations are float32 everywhere in cnnviz.
BYTES_PER_NUMBER = 4
_BYTE_UNITS = ((1024**3, "GB"), (1024**2, "MB"), (1024, "KB"))
_COUNT_UNITS = ((1e9, "G"), (1e6, "M"))


def is_whole_number(value: Any) -> bool:
    """True for an int or a numpy integer, False for a bool (True is an int in Python: a
    checkbox's value must not pass as a count of 1) and for anything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _three_digits(value: float) -> str:
    # Three significant digits, but never in exponent form (1010 KB, not 1.01e+03 KB).
    return f"{value:.3g}" if float(f"{value:.3g}") < 1000 else f"{value:.0f}"


def format_count(count: int) -> str:
    """A count as people read it: exact below a million (123,456), then three significant
    digits (2631040 -> '2.63 M', 3e9 -> '3 G')."""
    for size, unit in _COUNT_UNITS:
        if count >= size:
            return f"{_three_digits(count / size)} {unit}"
    return f"{int(count):,}"


def format_bytes(count: int) -> str:
    """A size in bytes, three significant digits (1 MB = 1024 x 1024 bytes):
    1_300_000 -> '1.24 MB', 10 * 2**20 -> '10 MB', 512 -> '512 bytes'."""
    for size, unit in _BYTE_UNITS:
        if count >= size:
            return f"{_three_digits(count / size)} {unit}"
    return f"{int(count):,} bytes"


def number_setting(
    environ: Mapping[str, str],
    variable: str,
    default: float,
    *,
    what: str = "a positive number",
    allow_zero: bool = False,
) -> float:
    """A number read from a CNNVIZ_* variable: the one way every setting's number is read.

    Unset or blank gives `default`. A finite number above 0 (0 too with `allow_zero`) is
    taken as it is.

    Raises:
        ValueError: for anything else, naming the variable, what it must be (`what`, e.g.
            "a positive number of hours, such as 3"), what it got and the default.
    """
    text = environ.get(variable, "")
    if not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and (value >= 0 if allow_zero else value > 0)):
        raise ValueError(
            f"{variable} must be {what}. Received: {variable}={text!r}. Unset it to use the "
            f"default, {default:g}."
        )
    return value
