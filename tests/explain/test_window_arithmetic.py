"""The NumPy core of one window's arithmetic, shared by Inspect and the lessons."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explain import window_arithmetic


def test_a_window_inside_the_input_cuts_exactly_its_values():
    received = np.arange(5 * 6 * 2, dtype=float).reshape(5, 6, 2)
    patch, inside = window_arithmetic.cut_window(received, (1, 2), (3, 3))
    np.testing.assert_array_equal(patch, received[1:4, 2:5])
    assert inside.all()


def test_a_window_over_the_edge_reads_zeros_there():
    received = np.ones((4, 4, 1))
    patch, inside = window_arithmetic.cut_window(received, (-1, 3), (3, 3))
    assert inside.tolist() == [[False] * 3, [True, False, False], [True, False, False]]
    assert patch.sum() == 2


@pytest.mark.parametrize(("size", "stride"), [(28, 1), (28, 2), (5, 3), (7, 2)])
def test_same_padding_centres_the_windows_as_tensorflow_does(size, stride):
    output = window_arithmetic.output_size(size, 3, stride, "same")
    total = max((output - 1) * stride + 3 - size, 0)
    origin = window_arithmetic.window_origin(
        (size, size), (output, output), (3, 3), (stride, stride), "same", 0, 0
    )
    # TensorFlow puts the smaller half of the padding first.
    assert origin == (-(total // 2), -(total // 2))
    assert window_arithmetic.window_origin(
        (size, size), (output, output), (3, 3), (stride, stride), "valid", 2, 1
    ) == (
        2 * stride,
        stride,
    )


def test_the_weighted_sum_gives_products_and_per_channel_sums():
    patch = np.arange(18, dtype=float).reshape(3, 3, 2)
    kernel = np.full((3, 3, 2), 0.5)
    products, sums = window_arithmetic.weighted_sum(patch, kernel)
    np.testing.assert_array_equal(products, patch * 0.5)
    np.testing.assert_array_equal(sums, [patch[..., 0].sum() / 2, patch[..., 1].sum() / 2])


def test_inspect_arithmetic_uses_the_shared_core():
    # One implementation: Inspect's module holds no window code of its own any more.
    import ast
    import inspect as python_inspect

    from cnnviz.explain import arithmetic

    tree = ast.parse(python_inspect.getsource(arithmetic))
    names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert not names & {"_cut_window", "_same_padding_before"}
    source = python_inspect.getsource(arithmetic)
    assert "window_arithmetic.cut_window(" in source
    assert "window_arithmetic.weighted_sum(" in source
