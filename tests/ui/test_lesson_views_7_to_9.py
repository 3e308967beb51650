"""Lessons 7, 8 and 9's views, drawn alone (the Learn page draws them between text and question)."""

import pytest
from streamlit.testing.v1 import AppTest


def _view_script(name):
    from cnnviz.ui.lesson_views import all_views  # noqa: F401 - registers every view
    from cnnviz.ui.lesson_views.registry import VIEWS

    VIEWS[name]()


def _open(name):
    app = AppTest.from_function(_view_script, kwargs={"name": name}, default_timeout=60)
    app.run()
    assert not app.exception
    return app


def test_both_views_are_registered_by_the_names_their_texts_give():
    from cnnviz.ui.lesson_views import all_views  # noqa: F401
    from cnnviz.ui.lesson_views.registry import VIEWS

    assert {"descent", "backprop", "overfitting"} <= set(VIEWS)


def test_the_rate_slider_moves_the_steps_from_converging_to_diverging():
    from cnnviz.lessons import descent

    app = _open("descent")
    assert len(app.success) == 1 and "Just right" in app.success[0].value
    charts_before = app.get("plotly_chart")[0].proto.spec
    app.select_slider(key="lesson7_rate").set_value(0.5).run()
    assert not app.exception
    assert len(app.error) == 1 and "Too large" in app.error[0].value
    assert app.get("plotly_chart")[0].proto.spec != charts_before
    steps = descent.descend(0.5)
    assert f"to {steps.losses[-1]:.3g}." in app.caption[0].value
    # Every figure has a one-line description beside it.
    assert len(app.caption) >= len(app.get("plotly_chart"))


def test_the_comparison_waits_for_a_click_unless_someone_trained_it(monkeypatch):
    from cnnviz.lessons import optimizers

    optimizers.forget_all()
    app = _open("descent")
    assert len(app.get("plotly_chart")) == 1  # the one-weight figure only
    app.button(key="lesson7_train").click().run()
    assert not app.exception
    assert len(app.get("plotly_chart")) == 2
    assert not app.button  # the gate is gone once the figure is there
    assert "Adam" in app.caption[-1].value and "SGD with momentum" in app.caption[-1].value
    # A second student (a fresh session) sees it at once, with no new training.
    trained = optimizers.trainings_run()
    again = _open("descent")
    assert len(again.get("plotly_chart")) == 2 and not again.button
    assert optimizers.trainings_run() == trained


@pytest.mark.parametrize("digit", [0, 3])
def test_the_backprop_view_shows_the_chain_the_check_and_the_step(digit):
    from cnnviz.lessons import backprop

    app = _open("backprop")
    app.slider(key="lesson8_digit").set_value(digit).run()
    assert not app.exception
    assert len(app.get("plotly_chart")) == 2 and len(app.caption) == 3
    check = app.dataframe[0].value
    assert check["relative error against finite differences"].max() < 1e-4
    weights = backprop.starting_weights()
    image, label = backprop.lesson_image(digit)
    step = backprop.step_on_filter(weights, image, label)
    assert f"the loss from {step.before.loss:.3f} to {step.after.loss:.3f}" in app.caption[-1].value


def test_the_overfitting_view_trains_on_a_click_and_shows_both_networks():
    from cnnviz.lessons import overfitting

    app = _open("overfitting")
    if app.button:  # nobody trained the default setting in this process yet
        app.button(key="lesson9_train").click().run()
        assert not app.exception
    assert not app.button
    assert len(app.get("plotly_chart")) == 1
    result = overfitting.fit(overfitting.FitSettings())
    caption = app.caption[-1].value
    assert f"CNN: {result.train_accuracy['CNN'][-1]:.0%} on its training digits" in caption
    assert "(13,258 weights)" in caption
