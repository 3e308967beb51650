"""Lesson 7's one weight: the loss, its slope and the steps of gradient descent."""

import numpy as np
import pytest

from cnnviz.lessons import descent


def test_the_loss_is_the_mean_squared_error_of_w_times_x():
    weight = 1.7
    expected = np.mean((weight * descent.POINTS_X - descent.POINTS_Y) ** 2)
    assert descent.loss(weight) == pytest.approx(expected, rel=1e-12)
    # An array of weights gives one loss each.
    assert descent.loss(np.array([weight, 0.0])).tolist() == pytest.approx(
        [expected, np.mean(descent.POINTS_Y**2)], rel=1e-12
    )


@pytest.mark.parametrize("weight", [-1.0, 0.3, 2.0, 4.5])
def test_the_slope_matches_a_central_finite_difference(weight):
    step = 1e-6
    numeric = (descent.loss(weight + step) - descent.loss(weight - step)) / (2 * step)
    assert descent.slope(weight) == pytest.approx(numeric, rel=1e-6)


def test_the_best_weight_is_where_the_slope_is_zero():
    best = descent.best_weight()
    assert descent.slope(best) == pytest.approx(0.0, abs=1e-12)
    assert descent.loss(best) < descent.loss(best + 0.01)
    assert descent.loss(best) < descent.loss(best - 0.01)


def test_each_step_goes_against_the_slope_by_the_rate():
    steps = descent.descend(0.1)
    for before, after, slope in zip(
        steps.weights[:-1], steps.weights[1:], steps.slopes[:-1], strict=True
    ):
        assert after == pytest.approx(before - 0.1 * slope, rel=1e-12)
    assert steps.weights[0] == descent.START_WEIGHT and len(steps.weights) == descent.STEPS + 1


def test_a_good_rate_converges_and_the_loss_goes_down_every_step():
    steps = descent.descend(0.1)
    assert steps.outcome is descent.Outcome.CONVERGES
    assert np.all(np.diff(steps.losses) < 0)
    assert steps.weights[-1] == pytest.approx(descent.best_weight(), abs=0.01)


def test_a_tiny_rate_is_too_slow():
    steps = descent.descend(0.01)
    assert steps.outcome is descent.Outcome.TOO_SLOW
    assert np.all(np.diff(steps.losses) < 0)  # downhill, just not far


def test_a_rate_past_the_stable_limit_diverges():
    limit = descent.largest_stable_rate()
    assert descent.descend(limit * 0.95).outcome is not descent.Outcome.DIVERGES
    steps = descent.descend(limit * 1.1)
    assert steps.outcome is descent.Outcome.DIVERGES
    assert np.all(np.diff(steps.losses) > 0)  # every step lands higher than the last
    # It zigzags: each step jumps over the bottom to the other side.
    sides = np.sign(steps.weights - descent.best_weight())
    assert np.all(sides[1:] != sides[:-1])


def test_the_slider_offers_all_three_outcomes():
    outcomes = {descent.descend(rate).outcome for rate in descent.RATES}
    assert outcomes == set(descent.Outcome)
    assert descent.DEFAULT_RATE in descent.RATES


def test_the_drawn_curve_holds_the_start_and_the_bottom_with_room_on_both_sides():
    weights, losses = descent.loss_curve()
    best = descent.best_weight()
    assert weights.min() < descent.START_WEIGHT and weights.max() > best
    assert weights.max() - best == pytest.approx(best - weights.min())
    assert losses == pytest.approx(descent.loss(weights))


def test_the_window_widens_for_diverging_steps_but_not_without_limit():
    narrow, _ = descent.loss_curve(descent.descend(0.1))
    assert narrow.tolist() == descent.loss_curve()[0].tolist()  # converging: the plain window
    steps = descent.descend(0.5)
    wide, _ = descent.loss_curve(steps)
    first = abs(descent.START_WEIGHT - descent.best_weight())
    assert wide.max() - descent.best_weight() <= descent.WIDEST_REACH * first * 1.05 + 1e-9
    inside = (steps.weights >= wide.min()) & (steps.weights <= wide.max())
    assert inside[:3].all() and not inside.all()


@pytest.mark.parametrize(
    ("rate", "message"),
    [(0, "above 0"), (-0.1, "above 0"), (11, "at most 10"), ("fast", "must be a number")],
)
def test_a_bad_rate_says_what_is_wrong(rate, message):
    with pytest.raises(ValueError, match=message):
        descent.descend(rate)
