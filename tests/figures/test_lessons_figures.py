"""Lessons 7 and 8's figures: what they hold, from the lessons' own numbers."""

import numpy as np
import pytest

from cnnviz.figures import lessons_backprop, lessons_descent
from cnnviz.lessons import backprop, descent


def _descent_figure(rate):
    steps = descent.descend(rate)
    return steps, lessons_descent.plot_descent(
        *descent.loss_curve(steps), steps.weights, steps.losses, steps.best_weight
    )


def test_the_descent_figure_holds_the_curve_and_every_step():
    steps, figure = _descent_figure(0.1)
    curve, drawn_steps, per_step = figure.data
    weights, losses = descent.loss_curve(steps)
    assert list(curve.x) == pytest.approx(weights) and list(curve.y) == pytest.approx(losses)
    assert list(drawn_steps.x) == pytest.approx(steps.weights)
    assert list(drawn_steps.customdata) == list(range(descent.STEPS + 1))
    # The first steps are far apart and numbered; the crowd near the bottom is not.
    assert list(drawn_steps.text[:3]) == ["0", "1", "2"] and "" in drawn_steps.text
    assert list(per_step.y) == pytest.approx(steps.losses)
    assert figure.layout.yaxis2.type == "log"
    assert not figure.layout.annotations[2:]  # no note: every step is in the picture
    # The bottom is marked where the slope is zero.
    assert figure.layout.shapes[0].x0 == pytest.approx(descent.best_weight())


def test_diverging_steps_leave_the_picture_with_a_note():
    steps, figure = _descent_figure(0.5)
    drawn = figure.data[1]
    assert 0 < len(drawn.x) < len(steps.weights)
    assert max(drawn.x) <= figure.data[0].x[-1]
    note = figure.layout.annotations[-1].text
    assert note.startswith(f"step {len(drawn.x)} leaves the picture")
    assert f"{steps.weights[-1]:,.4g}" in note
    assert len(drawn.x) >= 3  # the window widens enough to show the first zigzags
    assert list(figure.data[2].y) == pytest.approx(steps.losses)  # all of them, log scale


def test_the_optimizer_figure_puts_each_curve_on_the_epoch_axis():
    losses = {"SGD": np.linspace(2.3, 2.0, 32), "Adam": np.linspace(2.3, 0.5, 32)}
    accuracy = {"SGD": np.array([0.1, 0.2, 0.3]), "Adam": np.array([0.1, 0.6, 0.8])}
    figure = lessons_descent.plot_optimizer_curves(losses, accuracy, batches_per_epoch=16)
    names = [trace.name for trace in figure.data]
    assert names == ["SGD", "SGD", "Adam", "Adam"]
    sgd_loss, sgd_accuracy, adam_loss, _ = figure.data
    assert sgd_loss.x[-1] == pytest.approx(2.0) and sgd_loss.x[15] == pytest.approx(1.0)
    assert sgd_loss.y[0] == pytest.approx(2.3)  # smoothing keeps the first value
    assert list(sgd_accuracy.y) == [0.1, 0.2, 0.3] and list(sgd_accuracy.x) == [0, 1, 2]
    assert sgd_loss.line.color != adam_loss.line.color
    with pytest.raises(ValueError, match="both its losses and its accuracy"):
        lessons_descent.plot_optimizer_curves(losses, {"SGD": accuracy["SGD"]}, 16)


def test_the_chain_shows_each_stage_over_its_gradient_in_a_diverging_scale():
    weights = backprop.starting_weights()
    image, label = backprop.lesson_image()
    values = backprop.forward(weights, image, label)
    gradients = backprop.backward(weights, values)
    figure = lessons_backprop.plot_chain(backprop.chain(weights, values, gradients))
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert titles[:3] == ["image", "filter", "filter output"]
    assert "dL/d(filter)" in titles and "dL/d(image)" not in titles
    # 6 stages of values, 5 gradients (the image has none).
    assert len(figure.data) == 11
    by_hover = {trace.hovertemplate.split("<br>")[0]: trace for trace in figure.data}
    filter_gradient = by_hover["dL/d(filter)"]
    np.testing.assert_allclose(np.array(filter_gradient.z), gradients.kernel)
    assert filter_gradient.colorscale[0][1] == "rgb(103,0,31)"  # RdBu, not red/green
    assert filter_gradient.zmid == 0 and filter_gradient.zmin == -filter_gradient.zmax
    assert by_hover["image"].colorscale[0][1] != "rgb(103,0,31)"  # pixels are not signed
    np.testing.assert_allclose(np.array(by_hover["scores"].z)[0], values.scores)
    assert by_hover["filter"].texttemplate == "%{z:.2f}"  # the numbers are written in
    assert by_hover["dense weights"].texttemplate is None  # 75 cells: colour only
    assert by_hover["filter output"].texttemplate is None  # 25 cells would overlap


def test_the_step_figure_shows_probabilities_and_the_loss_going_down():
    weights = backprop.starting_weights()
    image, label = backprop.lesson_image()
    step = backprop.step_on_filter(weights, image, label)
    figure = lessons_backprop.plot_step(
        backprop.class_names(),
        step.before.probabilities,
        step.after.probabilities,
        step.before.loss,
        step.after.loss,
        label,
    )
    before, after = figure.data
    assert list(after.y) == pytest.approx(step.after.probabilities)
    assert before.x[label].endswith("(right)")
    assert f"{step.before.loss:.3f} before" in figure.layout.title.text
    assert f"{step.after.loss:.3f} after" in figure.layout.title.text
    with pytest.raises(ValueError, match="at least one stage"):
        lessons_backprop.plot_chain([])


def test_the_fit_figure_draws_both_scores_of_each_network_and_their_sizes():
    from cnnviz.figures import lessons_overfitting

    steps = np.array([30, 60])
    train = {"CNN": np.array([0.5, 1.0]), "dense network": np.array([0.6, 1.0])}
    test = {"CNN": np.array([0.4, 0.7]), "dense network": np.array([0.5, 0.6])}
    sizes = {"CNN": 1898, "dense network": 13258}
    figure = lessons_overfitting.plot_fit(steps, train, test, sizes)
    lines = [trace for trace in figure.data if trace.type == "scatter"]
    assert [trace.name for trace in lines] == [
        "CNN, training digits",
        "CNN, new digits",
        "dense network, training digits",
        "dense network, new digits",
    ]
    assert [trace.line.dash for trace in lines] == ["dash", "solid", "dash", "solid"]
    assert list(lines[1].y) == [0.4, 0.7] and list(lines[1].x) == [30, 60]
    (bars,) = [trace for trace in figure.data if trace.type == "bar"]
    assert list(bars.y) == [1898, 13258]
    assert bars.text[0] == "1,898 weights<br>70% on new digits"
    with pytest.raises(ValueError, match="its size"):
        lessons_overfitting.plot_fit(steps, train, test, {"CNN": 1})
