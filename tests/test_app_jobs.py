"""The Train page's job buttons through AppTest: Reset while training keeps the run for Compare.

AppTest does not fire `run_every` reruns, so the test waits on the job itself.
"""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from cnnviz.job_state import JobState
from cnnviz.ui import state as keys

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def by_label(elements, label: str):
    matches = [element for element in elements if element.label == label]
    assert len(matches) == 1, f"expected one {label!r}, found {[e.label for e in elements]}"
    return matches[0]


def test_reset_while_training_keeps_the_run_in_compare_and_frees_the_model():
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/train.py").run()
    by_label(app.number_input, "Epochs").set_value(20)
    app.run()
    by_label(app.button, "Train").click().run()
    assert not app.exception
    workspace = app.session_state[keys.WORKSPACE]
    job = workspace[keys.JOB]
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
