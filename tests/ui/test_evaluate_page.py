"""The Evaluate page driven through Streamlit's AppTest (after a short real training)."""

from __future__ import annotations

import pytest

from cnnviz.explain import evaluation
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception, by_label, open_app, start_training

# Where the trained_app fixture (tests/conftest.py) leaves the app.
TRAINED_APP_PAGE = "pages/evaluate.py"


def test_evaluate_without_a_model_says_what_to_do():
    app = open_app("pages/evaluate.py")
    assert "no model yet" in app.info[0].value


@pytest.mark.trains
def test_evaluate_shows_accuracy_and_the_confusion_matrix(trained_app):
    app = trained_app
    job = app.session_state[keys.WORKSPACE][keys.JOB]
    accuracy = by_label(app.metric, "Test accuracy").value
    assert accuracy == f"{job.test_accuracy:.2%}"
    assert by_label(app.metric, "Test images").value == "1,000"
    charts = app.get("plotly_chart")
    assert len(charts) == 2
    table = app.dataframe[0].value
    assert list(table["class"]) == [str(digit) for digit in range(10)]
    assert table["images"].sum() == 1000


@pytest.mark.trains
def test_choosing_a_cell_shows_exactly_its_images(trained_app):
    app = trained_app
    job = app.session_state[keys.WORKSPACE][keys.JOB]
    result = evaluation.evaluate(
        job.model, job.dataset.x_test, job.dataset.y_test, job.dataset.class_names
    )
    # The fullest right-answer cell, so that it holds images however the short training went.
    digit = int(result.confusion.diagonal().argmax())
    by_label(app.selectbox, "True class").set_value(digit)
    app.run()
    by_label(app.selectbox, "Predicted class").set_value(digit)
    app.run()
    assert_no_exception(app)
    assert app.session_state[keys.WORKSPACE][keys.EVALUATE]["cell"] == (digit, digit)
    expected = result.cell_indices(digit, digit)[:18].tolist()
    shown = [
        int(button.key.rsplit("_", 1)[1])
        for button in app.button
        if button.key and button.key.startswith("evaluate_open_cell_")
    ]
    assert shown == expected
    assert f"**{len(result.cell_indices(digit, digit)):,}** test images of **{digit}**" in "".join(
        element.value for element in app.markdown
    )
    mistakes = [
        int(button.key.rsplit("_", 1)[1])
        for button in app.button
        if button.key and button.key.startswith("evaluate_open_mistake_")
    ]
    assert mistakes == result.most_confident_mistakes(12).tolist()


@pytest.mark.trains
def test_inspect_button_opens_that_test_image_on_inspect(trained_app):
    app = trained_app
    buttons = [b for b in app.button if b.key and b.key.startswith("evaluate_open_mistake_")]
    index = int(buttons[0].key.rsplit("_", 1)[1])
    buttons[0].click().run()
    assert_no_exception(app)
    dataset = app.session_state[keys.WORKSPACE][keys.JOB].dataset
    assert app.title[0].value == "Look inside"
    assert by_label(app.metric, "True class").value == dataset.class_names[dataset.y_test[index]]
    assert by_label(app.slider, "Which one").value == index
    assert "index" not in app.session_state[keys.WORKSPACE][keys.INSPECT]


@pytest.mark.trains
def test_evaluate_a_cifar10_run_stopped_part_way():
    import time

    app = open_app()
    by_label(app.selectbox, "Data set").set_value("cifar10").run()
    job = start_training(app, images=2000, epochs=5)
    deadline = time.monotonic() + 120
    while job.status().batch < 3 and job.is_active and time.monotonic() < deadline:
        time.sleep(0.05)
    job.stop()
    assert job.wait(120)
    assert job.state == "stopped" and job.epochs_done < 5
    app.switch_page("pages/evaluate.py").run()
    assert_no_exception(app)
    assert by_label(app.metric, "Test images").value == "500"
    table = app.dataframe[0].value
    assert list(table["class"])[:2] == ["airplane", "automobile"]
    result = evaluation.shared_cache.get(
        job.model,
        evaluation.job_version(job),
        job.dataset.x_test,
        job.dataset.y_test,
        job.dataset.class_names,
    )
    assert by_label(app.metric, "Test accuracy").value == f"{result.accuracy:.2%}"
    assert result.accuracy == pytest.approx(job.test_accuracy, abs=1e-6)
