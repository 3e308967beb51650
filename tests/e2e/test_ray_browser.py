"""Six students press Train at once on an app whose trainings run on a local Ray instance.

Each sees only their own run finish and can look inside it. Slow (the pooled Ray workers
import TensorFlow first, one training slot as in the other browser tests): a few minutes.
"""

from __future__ import annotations

import os

import pytest

from .conftest import assert_no_exception, serve_app, wait_until_loaded
from .steps import FINISHED, UI_TIMEOUT_MS, app_button, expect, go_to

pytest.importorskip("ray", reason="Ray is not installed; pip install -e '.[cluster]' runs this")

STUDENTS = 6
ALL_TRAINED_TIMEOUT_MS = 600_000


@pytest.fixture(scope="module")
def ray_app_server(tmp_path_factory):
    """The app with CNNVIZ_RAY_ADDRESS=local; Ray binds 127.0.0.1 only."""
    saved = {name: os.environ.get(name) for name in ("CNNVIZ_RAY_ADDRESS",)}
    os.environ["CNNVIZ_RAY_ADDRESS"] = "local"
    try:
        with serve_app(tmp_path_factory.mktemp("ray-app") / "streamlit.log") as server:
            yield server
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_six_students_train_on_ray_at_once_and_inspect_their_own_runs(
    browser, ray_app_server, screenshot
):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(6)]
    try:
        pages = []
        for context in contexts:
            page = context.new_page()
            page.goto(f"{ray_app_server.url}/train", timeout=UI_TIMEOUT_MS * 2)
            wait_until_loaded(page, "Train")
            pages.append(page)
        for page in pages:
            train = app_button(page, "Train")
            expect(train).to_be_enabled(timeout=UI_TIMEOUT_MS)
            train.click()
        for number, page in enumerate(pages, start=1):
            # Each page shows one finished run: its own ("Run 1" in every fresh workspace).
            expect(page.get_by_text(FINISHED).first).to_be_visible(timeout=ALL_TRAINED_TIMEOUT_MS)
            expect(page.get_by_text("Run 2")).to_have_count(0)
            assert_no_exception(page)
            screenshot(page, f"student{number}-trained")
        for page in pages:
            go_to(page, "Inspect", "Look inside")
            expect(page.get_by_text("Check the arithmetic")).to_be_visible(timeout=UI_TIMEOUT_MS)
            assert_no_exception(page)
        screenshot(pages[-1], "student6-inspect")
    finally:
        for context in contexts:
            context.close()
