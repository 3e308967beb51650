"""What the browser tests share: Playwright's expect, the time limits, and the steps a student
takes (go to a page, choose an option, press Train, read the status).

Importing this module skips the importing test file, with the reason, when Python Playwright is
missing (conftest.py also checks for Chromium).
"""

from __future__ import annotations

import re

import pytest
from PIL import Image, ImageDraw

from .conftest import wait_until_idle, wait_until_loaded

# Skipped with its reason when Playwright is missing (conftest.py also checks for Chromium).
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need Python playwright (pip install playwright)"
)
expect = sync_api.expect

# The first training in the server imports TensorFlow (several seconds) before its one epoch
# on the 6,000-image sample (a few seconds); both slow down when other tests run alongside.
TRAINING_TIMEOUT_MS = 120_000
UI_TIMEOUT_MS = 30_000
STOP_TIMEOUT_MS = 60_000
FINISHED = "finished: test accuracy"


def go_to(page, link: str, heading: str) -> None:
    """Click a page's link in the sidebar and wait for that page's title."""
    page.get_by_test_id("stSidebarNavLink").filter(has=page.get_by_text(link, exact=True)).click()
    wait_until_loaded(page, heading)


def app_button(page, text: str):
    """A button drawn by st.button whose text is exactly `text`.

    Streamlit's own status widget has a "Stop" button too, hence the exact match inside
    st.button's container.
    """
    return page.get_by_test_id("stButton").get_by_role("button", name=text, exact=True)


def status_text(page, pattern: str | re.Pattern):
    """The first element whose text matches `pattern`: the sidebar's status line, else the
    Train page's own (both say the same once the page has caught up)."""
    return page.get_by_text(pattern).first


def wait_for_one_progress_panel(page) -> None:
    """Wait until the Train page shows one progress panel (its metrics row) and no more.

    When a job changes state, the live fragment redraws and then reruns the whole page; for a
    moment both drawings are on screen. Screenshots and checks wait for the settled page.
    """
    expect(page.get_by_text("Epochs done", exact=True)).to_have_count(1, timeout=UI_TIMEOUT_MS)
    wait_until_idle(page)


def set_number(page, label: str, value: int) -> None:
    """Type into a number input and commit it with Enter, as a student does."""
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    expect(field).to_have_value(str(value))
    # Enter reruns the page: a button clicked while it is redrawn can be replaced under the
    # click, which is then lost.
    wait_until_idle(page)


def choose(page, label: str, option: str) -> None:
    """Pick an option of a select box by opening it and clicking the option."""
    select = page.get_by_role("combobox", name=label)
    for _attempt in range(3):
        wait_until_idle(page)
        select.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            break
        except sync_api.TimeoutError:
            # A rerun that landed just then redrew the select and closed its list: try again.
            page.keyboard.press("Escape")
    expect(select).to_have_value(option)


def draw_digit_png(path) -> None:
    """A hand-drawn-looking 7: a dark thick stroke on white paper, 100 x 120 pixels."""
    picture = Image.new("L", (100, 120), color=255)
    pen = ImageDraw.Draw(picture)
    pen.line([(22, 24), (80, 22), (46, 100)], fill=20, width=11, joint="curve")
    pen.line([(40, 62), (70, 60)], fill=30, width=8)
    picture.save(path, format="PNG")


def start_training(page, epochs: int | None = None) -> None:
    """On the Train page: optionally set the epochs, then press Train."""
    if epochs is not None:
        set_number(page, "Epochs", epochs)
    train = app_button(page, "Train")
    expect(train).to_be_enabled(timeout=UI_TIMEOUT_MS)
    train.click()


# The Tiny CNN preset on 28x28 gray images, 10 classes: Conv2D(8, 3x3) 80 + Dense(10) on
# 13 x 13 x 8 = 1,352 inputs 13,530.
TINY_CNN_PARAMETERS = "13,610"


def load_tiny_cnn(page) -> None:
    """On Build: load the Tiny CNN preset and wait until its parameter count shows (a click
    that lands during a rerun can otherwise be lost)."""
    choose(page, "Start from a preset", "Tiny CNN")
    app_button(page, "Load preset").click()
    expect(page.get_by_text(TINY_CNN_PARAMETERS).first).to_be_visible(timeout=UI_TIMEOUT_MS)
