"""AppTest: a model trained on My data is still inspected and evaluated after the data changes."""

from __future__ import annotations

import io
import zipfile

import pytest

from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception, button, by_label, open_app, own_data, upload_zip
from helpers.files import jpeg

COLOURS = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (40, 60, 220)}


def class_names_on_evaluate(app) -> list[str]:
    table = app.dataframe[0].value
    return list(table["class"])


@pytest.mark.trains
def test_a_model_outlives_the_classes_it_was_trained_on():
    app = open_app("pages/my_data.py", timeout=90)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, (name, colour) in enumerate(COLOURS.items()):
            for number in range(5):
                archive.writestr(f"{name}/{number}.jpg", jpeg(colour, 10 * index + number))
    upload_zip(app, "colours.zip", buffer.getvalue())
    button(app, "Train on My data").click().run()
    app.switch_page("pages/train.py").run()
    by_label(app.number_input, "Epochs").set_value(1)
    app.run()
    button(app, "Train").click().run()
    job = app.session_state[keys.WORKSPACE][keys.JOB]
    assert job.wait(180), "training did not finish in time"
    trained_test = job.dataset.x_test.copy()

    # Delete a class: the sidebar's My data now has two classes, the model knows three.
    app.switch_page("pages/my_data.py").run()
    app.button(key="own_delete_1").click().run()
    assert_no_exception(app)
    assert own_data(app).class_names == ["blue", "red"]
    app.switch_page("pages/evaluate.py").run()
    assert_no_exception(app)
    notes = " ".join(info.value for info in app.info)
    assert "Run 1 was trained on My data (3 classes, 15 pictures)" in notes
    assert "its 3 classes (blue, green, red) and its 3 test images" in notes
    assert class_names_on_evaluate(app) == ["blue", "green", "red"]
    assert app.metric[1].value == "3"  # the model's own three test images
    app.switch_page("pages/inspect.py").run()
    assert_no_exception(app)
    assert app.selectbox(key="inspect_class").options == ["any class", "blue", "green", "red"]
    assert len(app.get("plotly_chart")) >= 3

    # Delete another: My data cannot be trained on, the sidebar falls back to MNIST.
    app.switch_page("pages/my_data.py").run()
    app.button(key="own_delete_1").click().run()
    assert app.session_state[keys.WORKSPACE][keys.DATASET] != "own"
    app.switch_page("pages/evaluate.py").run()
    assert_no_exception(app)
    assert "not on the sidebar's MNIST" in " ".join(info.value for info in app.info)
    assert class_names_on_evaluate(app) == ["blue", "green", "red"]
    app.switch_page("pages/inspect.py").run()
    assert_no_exception(app)
    assert app.selectbox(key="inspect_class").options == ["any class", "blue", "green", "red"]
    assert (job.dataset.x_test == trained_test).all()
