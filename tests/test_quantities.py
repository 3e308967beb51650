"""The one whole-number check and the one way counts and sizes are written (cnnviz.quantities)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import quantities


@pytest.mark.parametrize(
    ("value", "whole"),
    [
        (3, True),
        (0, True),
        (-2, True),
        (np.int64(5), True),
        (np.uint8(7), True),
        (True, False),
        (False, False),
        (np.bool_(True), False),
        (3.0, False),
        ("3", False),
        (None, False),
        ([3], False),
    ],
)
def test_is_whole_number(value, whole):
    assert quantities.is_whole_number(value) is whole


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0"),
        (999, "999"),
        (225_034, "225,034"),
        (999_999, "999,999"),
        (1_199_882, "1.2 M"),
        (2_631_040, "2.63 M"),
        (159_000_010, "159 M"),
        (3e9, "3 G"),
    ],
)
def test_format_count(count, text):
    assert quantities.format_count(count) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 bytes"),
        (1023, "1,023 bytes"),
        (1536, "1.5 KB"),
        (900_136, "879 KB"),  # the Keras example's 225,034 float32 weights
        (1010 * 1024, "1010 KB"),  # never 1.01e+03 KB
        (1_300_000, "1.24 MB"),
        (10 * 2**20, "10 MB"),  # the upload caps read as round numbers
        (3 * 2**30, "3 GB"),
    ],
)
def test_format_bytes(count, text):
    assert quantities.format_bytes(count) == text


def test_bytes_per_number_is_float32():
    assert np.dtype(np.float32).itemsize == quantities.BYTES_PER_NUMBER
