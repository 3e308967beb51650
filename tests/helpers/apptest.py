"""Driving the app through Streamlit's AppTest: open it, find a widget, train one short epoch.

AppTest runs the real scripts in-process but does not fire `run_every` reruns, so a test waits
for a training job itself and then reruns the page.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from cnnviz.ui import state as keys
from helpers.paths import APP

# AppTest's own 3 s are too short for a script run that imports TensorFlow (see DESIGN.md).
TIMEOUT_SECONDS = 60
# Only bounds how long a test waits for a training that never ends.
TRAINING_SECONDS = 120


def by_label(elements, label: str):
    """The one element of a widget list whose label is `label`."""
    matches = [element for element in elements if element.label == label]
    assert len(matches) == 1, f"expected one {label!r}, found {[e.label for e in elements]}"
    return matches[0]


def button(app: AppTest, label: str):
    """The one st.button labelled `label`."""
    return by_label(app.button, label)


def assert_no_exception(app: AppTest) -> None:
    assert not app.exception, [exception.message for exception in app.exception]


def own_data(app: AppTest):
    """The visitor's My data (cnnviz.data.own_data.OwnData)."""
    return app.session_state[keys.WORKSPACE][keys.OWN_DATA]


def open_app(page: str | None = None, *, timeout: float = TIMEOUT_SECONDS, **query) -> AppTest:
    """A new visitor: the app run once with `query` in its address, then `page` when given.

    Fails when either run shows an exception.
    """
    app = AppTest.from_file(APP, default_timeout=timeout)
    for name, value in query.items():
        app.query_params[name] = value
    app.run()
    assert_no_exception(app)
    if page is not None:
        app.switch_page(page).run()
        assert_no_exception(app)
    return app


def upload_zip(app: AppTest, file_name: str, data: bytes) -> None:
    """Hand `data` to the My data page's zip uploader as `file_name`."""
    uploader = next(u for u in app.file_uploader if u.key.startswith("own_zip_"))
    uploader.set_value((file_name, data, "application/zip")).run()


def start_training(app: AppTest, *, images: int | None = None, epochs: int | None = None):
    """From any state: go to Train, set the training images and epochs where given, press
    Train, and return the job (queued or running)."""
    app.switch_page("pages/train.py").run()
    if images is not None:
        by_label(app.number_input, "Training images").set_value(images)
    if epochs is not None:
        by_label(app.number_input, "Epochs").set_value(epochs)
    app.run()
    by_label(app.button, "Train").click().run()
    assert_no_exception(app)
    job = app.session_state[keys.WORKSPACE][keys.JOB]
    assert job is not None
    return job


def train_one_short_epoch(app: AppTest) -> None:
    """From any state: go to Train, use 1,000 images for one epoch, train and wait."""
    job = start_training(app, images=1000, epochs=1)
    assert job.wait(TRAINING_SECONDS), "training did not finish in time"
    app.run()
    assert_no_exception(app)
