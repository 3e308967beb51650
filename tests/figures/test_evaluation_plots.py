"""The Evaluate page's figures hold the numbers they are given."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explain import evaluation
from cnnviz.figures import confusion

CONFUSION = np.array([[5, 1, 0], [2, 3, 0], [0, 0, 0]])
NAMES = ["cat", "dog", "fox"]


def test_confusion_matrix_shows_counts_and_row_shares():
    figure = confusion.plot_confusion_matrix(CONFUSION, NAMES)
    heatmap, cells = figure.data
    assert np.asarray(heatmap.text).tolist() == [["5", "1", "0"], ["2", "3", "0"], ["0", "0", "0"]]
    np.testing.assert_allclose(np.asarray(heatmap.z)[0], [5 / 6, 1 / 6, 0])
    np.testing.assert_allclose(np.asarray(heatmap.z)[1], [0.4, 0.6, 0])
    # An empty row (no fox images) is all zero, not NaN.
    assert np.asarray(heatmap.z)[2].tolist() == [0, 0, 0]
    assert list(figure.layout.xaxis.ticktext) == NAMES
    assert figure.layout.yaxis.autorange == "reversed"


def test_every_cell_has_a_clickable_marker_naming_its_classes():
    cells = confusion.plot_confusion_matrix(CONFUSION, NAMES).data[1]
    assert cells.name == confusion.CELL_TRACE
    data = np.asarray(cells.customdata, dtype=object)
    assert len(data) == 9
    # (row, column) of each marker, at x = predicted class and y = true class.
    for (true_class, predicted_class, true_name, predicted_name, count, _), x, y in zip(
        data, cells.x, cells.y, strict=True
    ):
        assert (x, y) == (predicted_class, true_class)
        assert (true_name, predicted_name) == (NAMES[true_class], NAMES[predicted_class])
        assert count == CONFUSION[true_class, predicted_class]


def test_selected_cell_is_outlined():
    figure = confusion.plot_confusion_matrix(CONFUSION, NAMES, selected=(1, 0))
    (shape,) = figure.layout.shapes
    assert (shape.x0, shape.x1, shape.y0, shape.y1) == (-0.5, 0.5, 0.5, 1.5)
    assert confusion.plot_confusion_matrix(CONFUSION, NAMES).layout.shapes == ()


def test_class_metric_bars_hold_the_figures_with_gaps_for_nan():
    metrics = evaluation.class_metrics(CONFUSION)
    figure = confusion.plot_class_metrics(metrics, NAMES)
    bars = {bar.name: list(bar.y) for bar in figure.data}
    assert bars["precision"][:2] == pytest.approx([5 / 7, 3 / 4])
    assert bars["precision"][2] is None
    assert bars["recall"][:2] == pytest.approx([5 / 6, 3 / 5])
    assert bars["accuracy"] == pytest.approx([8 / 11, 8 / 11, 1.0])


def test_figures_refuse_shapes_that_do_not_fit_the_names():
    with pytest.raises(ValueError, match="3 x 3"):
        confusion.plot_confusion_matrix(np.zeros((2, 2)), NAMES)
    with pytest.raises(ValueError, match="one value per class"):
        confusion.plot_class_metrics({"precision": [1], "recall": [1], "accuracy": [1]}, NAMES)
