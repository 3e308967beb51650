"""The app driven through Streamlit's AppTest: every page opens, and the whole loop works.

AppTest runs the real scripts in-process but does not fire `run_every` reruns, so tests wait for
the training job themselves and then rerun the page.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

from cnnviz.ui import patches
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception, by_label, open_app, train_one_short_epoch
from helpers.paths import APP

PAGES = [
    "pages/home.py",
    "pages/learn.py",
    "pages/build.py",
    "pages/train.py",
    "pages/inspect.py",
    "pages/compare.py",
]


def test_streamlit_still_has_the_pages_directory_switch():
    """Pages rely on switching Streamlit's legacy pages/ mode off (see cnnviz.ui.patches)."""
    from streamlit.runtime.pages_manager import PagesManager

    assert hasattr(PagesManager, "uses_pages_directory")
    PagesManager.uses_pages_directory = True
    assert patches.leave_pages_directory_mode() is True
    assert PagesManager.uses_pages_directory is False
    assert patches.leave_pages_directory_mode() is False


def test_pages_run_under_the_apps_navigation():
    """Even when Streamlit starts a page in legacy mode, the app's own menu is shown."""
    app = open_app()
    app.switch_page("pages/train.py").run()
    assert_no_exception(app)
    # The sidebar's data set chooser is drawn by the shared page setup, on every page.
    assert by_label(app.sidebar.selectbox, "Data set").value == "mnist"


def test_streamlit_still_has_the_keras_clearing_hook():
    """If Streamlit renames or moves the hook, this fails and the patch must follow it."""
    assert hasattr(script_runner, "_clean_problem_modules")
    assert patches.disable_keras_session_clearing() is True
    assert script_runner._clean_problem_modules is patches._keep_keras_session


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_without_an_exception(page):
    app = open_app()
    app.switch_page(page).run()
    assert_no_exception(app)
    assert app.title, f"{page} shows no title"


def test_start_page_says_when_the_bundled_sample_is_used():
    app = open_app()
    notices = " ".join(info.value for info in app.info)
    assert "small sample of MNIST" in notices
    assert "--data-dir" in notices


def test_build_page_shows_the_preset_with_shapes_and_parameters():
    app = open_app()
    app.switch_page("pages/build.py").run()
    table = app.table[0].value
    assert list(table["output shape"]) == [
        "28 x 28 x 1",
        "26 x 26 x 32",
        "13 x 13 x 32",
        "11 x 11 x 64",
        "5 x 5 x 64",
        "1600",
        "128",
        "10",
    ]
    assert sum(int(count.replace(",", "")) for count in table["parameters"]) == 225034
    assert any(metric.value == "225,034" for metric in app.metric)


def test_build_page_edits_layers_and_shows_errors_at_the_layer():
    app = open_app()
    app.switch_page("pages/build.py").run()
    # Add a Dense layer at position 1, before any Flatten: invalid, and said so at layer 1.
    by_label(app.selectbox, "Add a layer").set_value("Dense")
    by_label(app.number_input, "at position").set_value(1)
    app.run()
    by_label(app.button, "Add").click().run()
    assert_no_exception(app)
    spec = app.session_state[keys.WORKSPACE][keys.SPEC]
    assert spec["layers"][0]["type"] == "Dense"
    errors = [error.value for error in app.error]
    assert any("Layer 1 (Dense)" in error and "Flatten" in error for error in errors), errors
    # Remove it again: the stack is valid once more.
    app.button(key=f"remove{app.session_state[keys.WORKSPACE][keys.LAYER_IDS][0]}").click().run()
    assert app.session_state[keys.WORKSPACE][keys.SPEC]["layers"][0]["type"] == "Conv2D"
    assert not app.error
    # Move layer 2 (pooling) up: the spec order changes, the ids follow.
    second_id = app.session_state[keys.WORKSPACE][keys.LAYER_IDS][1]
    app.button(key=f"up{second_id}").click().run()
    assert app.session_state[keys.WORKSPACE][keys.SPEC]["layers"][0]["type"] == "MaxPooling2D"
    assert app.session_state[keys.WORKSPACE][keys.LAYER_IDS][0] == second_id
    # Edit an argument through its widget: 32 filters -> 8 changes the parameter count.
    conv_id = app.session_state[keys.WORKSPACE][keys.LAYER_IDS][1]
    app.number_input(key=f"layer{conv_id}_filters").set_value(8).run()
    assert app.session_state[keys.WORKSPACE][keys.SPEC]["layers"][1]["filters"] == 8
    assert_no_exception(app)


def test_build_page_loads_a_preset_and_undo_restores_the_layers():
    app = open_app()
    app.switch_page("pages/build.py").run()
    before = app.session_state[keys.WORKSPACE][keys.SPEC]
    by_label(app.selectbox, "Start from a preset").set_value("tiny")
    app.run()
    by_label(app.button, "Load preset").click().run()
    assert len(app.session_state[keys.WORKSPACE][keys.SPEC]["layers"]) == 4
    by_label(app.button, "Undo").click().run()
    assert app.session_state[keys.WORKSPACE][keys.SPEC] == before


def test_build_page_rejects_a_broken_spec_file_and_keeps_the_layers():
    app = open_app()
    app.switch_page("pages/build.py").run()
    before = app.session_state[keys.WORKSPACE][keys.SPEC]
    app.file_uploader(key="spec_upload").set_value(
        ("broken.json", b'{"layers": [{"type": "Conv3D"}]}', "application/json")
    )
    app.run()
    assert_no_exception(app)
    assert any("Conv3D" in error.value for error in app.error)
    assert app.session_state[keys.WORKSPACE][keys.SPEC] == before


@pytest.mark.trains
def test_train_inspect_and_compare_after_one_short_epoch():
    app = open_app()
    train_one_short_epoch(app)
    job = app.session_state[keys.WORKSPACE][keys.JOB]
    assert job.state == "finished"
    assert 0.0 < job.test_accuracy <= 1.0
    assert len(job.history()["batch"]["loss"]) == job.status().batches_per_epoch
    accuracy = by_label(app.metric, "Test accuracy").value
    assert accuracy.endswith("%") and accuracy != "--"
    assert len(app.get("plotly_chart")) >= 1

    # The finished run is in the run history, and the Compare page draws it.
    assert len(app.session_state[keys.WORKSPACE][keys.RUNS]) == 1
    app.switch_page("pages/compare.py").run()
    assert_no_exception(app)
    assert app.get("plotly_chart") and app.dataframe

    # Inspect: filters, a test image's feature maps and predictions.
    app.switch_page("pages/inspect.py").run()
    assert_no_exception(app)
    charts_with_test_image = len(app.get("plotly_chart"))
    # prepared image + predictions + the network overview + the arithmetic of one value
    assert charts_with_test_image >= 4

    # An uploaded PNG: a dark digit on white paper, as a student would photograph it.
    canvas = np.full((120, 90), 255, np.uint8)
    canvas[20:100, 40:52] = 0  # a thick "1"
    buffer = io.BytesIO()
    Image.fromarray(canvas).save(buffer, format="PNG")
    app.segmented_control(key="inspect_source").set_value("upload").run()
    app.file_uploader(key="inspect_upload").set_value(("one.png", buffer.getvalue(), "image/png"))
    app.run()
    assert_no_exception(app)
    assert len(app.get("plotly_chart")) >= 4


@pytest.mark.trains
def test_inspect_page_explains_a_bad_upload():
    app = open_app()
    train_one_short_epoch(app)
    app.switch_page("pages/inspect.py").run()
    app.segmented_control(key="inspect_source").set_value("upload").run()
    app.file_uploader(key="inspect_upload").set_value(("cat.png", b"not an image", "image/png"))
    app.run()
    assert_no_exception(app)
    assert any("cat.png" in error.value for error in app.error)


# ----- workspaces on the server -----


def test_a_new_visitor_gets_a_workspace_id_in_the_url_that_reopens_their_work():
    app = open_app()
    workspace_id = app.query_params[keys.QUERY_PARAMETER]
    assert len(workspace_id) == 22  # 128 random bits
    assert keys.registry().attach(workspace_id) is not None
    app.switch_page("pages/build.py").run()
    by_label(app.selectbox, "Start from a preset").set_value("tiny")
    app.run()
    by_label(app.button, "Load preset").click().run()
    assert app.query_params[keys.QUERY_PARAMETER] == workspace_id
    tiny = app.session_state[keys.WORKSPACE][keys.SPEC]

    # The same address in another session (a reload, another browser) shows the same layers.
    again = AppTest.from_file(APP, default_timeout=60)
    again.query_params[keys.QUERY_PARAMETER] = workspace_id
    again.switch_page("pages/build.py").run()
    assert_no_exception(again)
    assert again.session_state[keys.WORKSPACE][keys.SPEC] == tiny
    assert len(again.table[0].value) == len(tiny["layers"]) + 1  # + the input row
    assert not again.warning

    # A new visitor without the address gets their own, fresh workspace.
    other = open_app()
    assert other.query_params[keys.QUERY_PARAMETER] != workspace_id
    assert other.session_state[keys.WORKSPACE][keys.SPEC] != tiny


def test_an_unknown_workspace_id_gets_a_message_and_a_fresh_workspace():
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params[keys.QUERY_PARAMETER] = "expired-or-from-before-a-restart"
    app.run()
    assert_no_exception(app)
    warnings = [warning.value for warning in app.warning]
    assert len(warnings) == 1 and "No workspace is kept at this address" in warnings[0]
    assert "mistyped" in warnings[0] and "not visited for 30 days" in warnings[0]
    fresh_id = app.query_params[keys.QUERY_PARAMETER]
    assert fresh_id != "expired-or-from-before-a-restart" and fresh_id in keys.registry()
    # The message is shown once, not on every page after.
    app.switch_page("pages/build.py").run()
    assert not app.warning
    assert app.query_params[keys.QUERY_PARAMETER] == fresh_id


def test_start_page_says_the_address_is_private_and_what_to_share():
    app = open_app()
    notice = " ".join(info.value for info in app.info)
    assert "address is your workspace" in notice
    assert "private" in notice and "share link" in notice
    assert "bookmark it" in notice and "kept for 30 days after your last visit" in notice
    assert "also when the server restarts" in notice
    # Its links to the steps carry the workspace id.
    workspace_id = app.query_params[keys.QUERY_PARAMETER]
    links = app.get("page_link")
    assert len(links) == 4  # the lessons, then the three steps
    assert "learn" in links[0].proto.page
    assert all(f"w={workspace_id}" in link.proto.query_string for link in links)


def test_a_page_switch_that_drops_the_id_keeps_the_sessions_workspace():
    app = open_app()
    workspace_id = app.query_params[keys.QUERY_PARAMETER]
    work = app.session_state[keys.WORKSPACE]
    # As a page link without query parameters would leave the address.
    app.query_params.clear()
    app.switch_page("pages/compare.py").run()
    assert_no_exception(app)
    assert app.query_params[keys.QUERY_PARAMETER] == workspace_id
    assert app.session_state[keys.WORKSPACE] is work
    assert not app.warning
