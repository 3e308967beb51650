"""Uploads over an uploader's own cap, and share links, get cnnviz's checks and words (AppTest).

AppTest hands files to the widgets without Streamlit's server-wide cap, so these tests see what
cnnviz itself says; tests/e2e/test_upload_caps_browser.py checks the browser side.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from base64 import urlsafe_b64encode
from pathlib import Path

from streamlit.testing.v1 import AppTest

from cnnviz import file_reading
from cnnviz.training import presets
from cnnviz.ui import state as keys

APP = str(Path(__file__).resolve().parent.parent / "app.py")
OVER_64_MB = 65 * 2**20
DEFAULT_SPEC = presets.preset_spec(presets.DEFAULT_PRESET, (28, 28, 1), 10)


def pack(payload: bytes) -> str:
    """A share-link token with a valid check code, as anyone can write one."""
    raw = hashlib.sha256(payload).digest()[:8] + zlib.compress(payload, 9)
    return "s1" + urlsafe_b64encode(raw).decode().rstrip("=")


def assert_no_exception(app: AppTest) -> None:
    assert not app.exception, [exception.message for exception in app.exception]


def open_page(page: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=90)
    app.run()
    app.switch_page(page).run()
    assert_no_exception(app)
    return app


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
    app = open_page("pages/build.py")
    data = b"PK\x03\x04" + bytes(OVER_64_MB)
    app.file_uploader(key="keras_upload").set_value(("huge.keras", data, "application/zip"))
    app.run()
    assert_no_exception(app)
    assert errors(app) == [
        "Could not load huge.keras: The file is 65.0 MB; this server takes files of up to "
        "64 MB here. A model within this server's parameter limit is smaller, even saved with "
        "its optimizer's state; `cnnviz inspect --model` reads larger files on the command "
        "line. Your work is unchanged."
    ]


def test_zip_and_data_set_uploads_over_their_caps_get_cnnvizs_message_and_a_fresh_uploader():
    app = open_page("pages/my_data.py")
    for prefix, name, advice in (
        ("own_zip_", "pictures.zip", "Split it into smaller zips"),
        ("own_npz_", "data.npz", "A data set file downloaded from this page is smaller"),
    ):
        widget = uploader(app, prefix)
        widget.set_value((name, b"PK\x03\x04" + bytes(OVER_64_MB), "application/zip")).run()
        assert_no_exception(app)
        assert any(
            text.startswith(f"{name} is 65.0 MB; this server takes files of up to 64 MB here.")
            and advice in text
            for text in errors(app)
        ), errors(app)
        # The refused file's uploader was replaced, so Streamlit lets go of its 65 MB.
        assert uploader(app, prefix).key != widget.key
    assert file_reading.SERVER_UPLOAD_MB == 64
