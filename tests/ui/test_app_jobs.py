"""The job functions pages use: Reset while training keeps the run for Compare (AppTest), and
kernels at an epoch.

AppTest does not fire `run_every` reruns, so the test waits on the job itself.
"""

from __future__ import annotations

import time

import pytest

from cnnviz.training.job_state import JobState
from cnnviz.ui import state as keys
from helpers.apptest import by_label, open_app, start_training


@pytest.mark.trains
def test_reset_while_training_keeps_the_run_in_compare_and_frees_the_model():
    app = open_app()
    job = start_training(app, epochs=20)
    workspace = app.session_state[keys.WORKSPACE]
    deadline = time.monotonic() + 120
    while len(job.history()["batch"]["loss"]) < 3:
        assert time.monotonic() < deadline, "training did not start"
        time.sleep(0.05)
    assert job.is_active

    by_label(app.button, "Reset").click().run()
    assert not app.exception
    assert workspace[keys.JOB] is None
    assert not job.is_active and job.model is None  # stopped and let go of
    (record,) = workspace[keys.RUNS].records()
    assert record.name == job.name and record.state == JobState.STOPPED
    assert len(record.history["batch"]["loss"]) >= 3

    app.switch_page("pages/compare.py").run()
    assert not app.exception
    assert [row["run"] for row in app.dataframe[0].value.to_dict("records")] == [job.name]


@pytest.mark.trains
def test_the_train_page_warns_while_a_too_large_learning_rate_keeps_the_loss_at_chance():
    app = open_app("pages/train.py")
    by_label(app.number_input, "Epochs").set_value(20)
    by_label(app.select_slider, "Learning rate").set_value(1.0)
    app.run()
    by_label(app.button, "Train").click().run()
    job = app.session_state[keys.WORKSPACE][keys.JOB]
    try:
        deadline = time.monotonic() + 180
        while job.status().warning is None:
            assert time.monotonic() < deadline, "no warning while training at learning rate 1"
            assert job.is_active, job.status().message
            time.sleep(0.1)
        app.run()
        assert not app.exception
        (warning,) = [element.value for element in app.warning]
        assert "not learning" in warning and "lower learning rate (e.g. 0.1" in warning
    finally:
        job.stop()
        job.wait(60)
