"""Uploads over an uploader's own cap, and share links, get cnnviz's checks and words (AppTest).

AppTest hands files to the widgets without Streamlit's server-wide cap, so these tests see what
cnnviz itself says; tests/e2e/test_upload_caps_browser.py checks the browser side.
"""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from cnnviz.data import file_reading
from cnnviz.training import presets
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception, open_app
from helpers.files import pack
from helpers.paths import APP

OVER_64_MB = 65 * 2**20
DEFAULT_SPEC = presets.preset_spec(presets.DEFAULT_PRESET, (28, 28, 1), 10)


def errors(app: AppTest) -> list[str]:
    return [element.value for element in app.error]


def uploader(app: AppTest, prefix: str):
    return next(widget for widget in app.file_uploader if widget.key.startswith(prefix))


def test_a_share_link_nested_5000_deep_is_refused_on_the_page_it_opens():
    app = AppTest.from_file(APP, default_timeout=90)
    app.query_params["spec"] = pack(b"[" * 5000 + b"]" * 5000)
    app.run()
    assert_no_exception(app)
    assert len(errors(app)) == 1
    assert "nested too deeply" in errors(app)[0]
    assert app.session_state[keys.WORKSPACE][keys.SPEC] == DEFAULT_SPEC


def test_a_share_link_over_the_layer_limit_is_refused_as_the_spec_upload_is():
    layers = [{"type": "Activation", "activation": "relu"}] * 451
    payload = json.dumps(
        {"layers": [*layers, {"type": "Dense", "units": 10, "activation": "softmax"}]}
    ).encode()
    expected = (
        "The spec has 452 layers; this server allows at most 100. Remove layers to get under "
        "it. Received: 452 layers"
    )
    app = AppTest.from_file(APP, default_timeout=90)
    app.query_params["spec"] = pack(payload)
    app.run()
    assert_no_exception(app)
    assert errors(app) == [
        f"The share link's layers cannot be used: {expected} Your layers are unchanged."
    ]
    assert app.session_state[keys.WORKSPACE][keys.SPEC] == DEFAULT_SPEC
    app.switch_page("pages/build.py").run()
    app.file_uploader(key="spec_upload").set_value(("deep.json", payload, "application/json"))
    app.run()
    assert_no_exception(app)
    assert f"Could not load deep.json: {expected} Your layers are unchanged." in errors(app)


def test_a_keras_upload_over_its_cap_gets_cnnvizs_message():
    app = open_app("pages/build.py", timeout=90)
    data = b"PK\x03\x04" + bytes(OVER_64_MB)
    app.file_uploader(key="keras_upload").set_value(("huge.keras", data, "application/zip"))
    app.run()
    assert_no_exception(app)
    assert errors(app) == [
        "Could not load huge.keras: The file is 65 MB; this server takes files of up to "
        "64 MB here. A model within this server's parameter limit is smaller, even saved with "
        "its optimizer's state; `cnnviz inspect --model` reads larger files on the command "
        "line. Your work is unchanged."
    ]


def test_zip_and_data_set_uploads_over_their_caps_get_cnnvizs_message_and_a_fresh_uploader():
    app = open_app("pages/my_data.py", timeout=90)
    for prefix, name, advice in (
        ("own_zip_", "pictures.zip", "Split it into smaller zips"),
        ("own_npz_", "data.npz", "A data set file downloaded from this page is smaller"),
    ):
        widget = uploader(app, prefix)
        widget.set_value((name, b"PK\x03\x04" + bytes(OVER_64_MB), "application/zip")).run()
        assert_no_exception(app)
        assert any(
            text.startswith(f"{name} is 65 MB; this server takes files of up to 64 MB here.")
            and advice in text
            for text in errors(app)
        ), errors(app)
        # The refused file's uploader was replaced, so Streamlit lets go of its 65 MB.
        assert uploader(app, prefix).key != widget.key
    assert file_reading.SERVER_UPLOAD_MB == 64
