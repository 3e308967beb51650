"""A newcomer makes a data set of their own in headless Chromium and trains on it.

Two classes come from uploaded pictures and one from the camera: Chromium's fake camera
(--use-fake-device-for-media-stream) shows a moving test pattern, and --use-fake-ui-for-media-
stream answers the permission prompt. Then the Tiny preset trains on the three classes and the
Inspect page shows a test picture's feature maps.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from .conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_LOAD_TIMEOUT_MS,
    SKIP_REASON,
    VIEWPORT,
    assert_no_exception,
    wait_until_idle,
    wait_until_loaded,
)
from .steps import (
    FINISHED,
    app_button,
    choose,
    expect,
    go_to,
    start_training,
    status_text,
    sync_api,
)

UI_TIMEOUT_MS = 30_000
TRAINING_TIMEOUT_MS = 180_000
FAKE_CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
UPLOADED = {"red": (220, 40, 40), "blue": (40, 60, 220)}
PHOTOS = 4
VIDEO_PLAYING = (
    "() => [...document.querySelectorAll('video')]"
    ".some(video => video.readyState >= 2 && video.videoWidth > 0)"
)
VIDEO_SETTLE_MS = 700  # the first frames after the stream starts can still be black


@pytest.fixture
def camera_page(playwright_session, app_server, screenshot, request) -> Iterator[object]:
    """A fresh visitor on the Start page, in a Chromium whose camera is the fake device."""
    if SKIP_REASON is not None:
        pytest.skip(SKIP_REASON)
    browser = playwright_session.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + FAKE_CAMERA_ARGS, headless=True
    )
    context = browser.new_context(viewport=VIEWPORT, permissions=["camera"])
    page = context.new_page()
    page.goto(app_server.url, timeout=PAGE_LOAD_TIMEOUT_MS)
    wait_until_loaded(page, "cnnviz")
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            screenshot(page, "FAILED")
        context.close()
        browser.close()


def write_pictures(folder, colour, count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    paths = []
    for number in range(count):
        pixels = rng.normal(colour, 30, (60, 80, 3)).clip(0, 255).astype(np.uint8)
        path = folder / f"{seed}-{number}.jpg"
        Image.fromarray(pixels).save(path, "JPEG")
        paths.append(str(path))
    return paths


def add_class(page, name: str) -> None:
    page.get_by_label("New class name").fill(name)
    page.get_by_label("New class name").press("Enter")
    wait_until_idle(page)
    app_button(page, "Add class").click()
    expect(page.get_by_text(f"{name}: 0 picture(s)")).to_be_visible(timeout=UI_TIMEOUT_MS)


def photo_count(page, class_name: str) -> int:
    card = page.get_by_text(re.compile(rf"^{class_name}: \d+ picture\(s\)$"))
    return int(re.search(r": (\d+) picture", card.inner_text()).group(1))


def take_photos(page, class_name: str, wanted: int) -> None:
    """Press Take Photo until the class holds `wanted` photos.

    A press can land while Streamlit redraws the camera after the last photo and be lost, as
    it would be for a student; then it is pressed again.
    """
    for _attempt in range(3 * wanted):
        held = photo_count(page, class_name)
        if held >= wanted:
            return
        wait_until_idle(page)
        take = page.get_by_role("button", name="Take Photo")
        expect(take).to_be_enabled(timeout=UI_TIMEOUT_MS)
        # A photo taken before the video shows frames is black; the fake camera's pattern
        # moves, so photos taken while it plays all differ.
        page.wait_for_function(VIDEO_PLAYING, timeout=UI_TIMEOUT_MS)
        page.wait_for_timeout(VIDEO_SETTLE_MS)
        take.click()
        with contextlib.suppress(sync_api.TimeoutError):
            page.get_by_text(f"{class_name}: {held + 1} picture(s)").wait_for(timeout=10_000)
    assert photo_count(page, class_name) == wanted


def test_newcomer_makes_three_classes_from_uploads_and_the_camera_and_trains(
    camera_page, screenshot, tmp_path
):
    page = camera_page
    go_to(page, "My data", "My data")
    for name in (*UPLOADED, "camera"):
        add_class(page, name)
    screenshot(page, "01-classes")

    for seed, (name, colour) in enumerate(UPLOADED.items()):
        choose(page, "Add pictures to class", name)
        uploader = page.get_by_test_id("stFileUploader").filter(has_text=f"Pictures of {name}")
        files = write_pictures(tmp_path, colour, 12, seed)
        uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files)
        add = app_button(page, f"Add 12 picture(s) to {name}")
        expect(add).to_be_enabled(timeout=UI_TIMEOUT_MS)
        add.click()
        expect(page.get_by_text(f"{name}: 12 picture(s)")).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)

    choose(page, "Add pictures to class", "camera")
    page.get_by_role("tab", name="Camera").click()
    take_photos(page, "camera", PHOTOS)
    expect(page.get_by_role("button", name="Take Photo")).to_be_enabled(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "02-pictures-and-photos")

    app_button(page, "Train on My data").click()
    expect(page.get_by_text("My data is chosen")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("combobox", name="Data set")).to_have_value("My data")

    go_to(page, "Build", "Build your network")
    # The choice holds on every page, not only on My data.
    expect(page.get_by_role("combobox", name="Data set")).to_have_value("My data")
    choose(page, "Start from a preset", "Tiny CNN")
    app_button(page, "Load preset").click()
    expect(page.get_by_text("ready to train")).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "03-tiny-for-three-classes")

    go_to(page, "Train", "Train")
    start_training(page, epochs=5)
    expect(status_text(page, FINISHED)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    wait_until_idle(page)
    assert_no_exception(page)
    screenshot(page, "04-trained")

    go_to(page, "Inspect", "Look inside")
    # The network overview: every layer's feature maps for the chosen picture.
    expect(page.get_by_text("each layer's feature maps").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "05-feature-maps")


def test_a_drawing_on_the_canvas_becomes_a_picture_of_its_class(camera_page, screenshot):
    page = camera_page
    go_to(page, "My data", "My data")
    add_class(page, "zigzag")
    page.get_by_role("tab", name="Draw").click()
    add = app_button(page, "Add drawing to zigzag")
    expect(add).to_be_disabled(timeout=UI_TIMEOUT_MS)
    canvas = page.locator("canvas").last
    expect(canvas).to_be_visible(timeout=UI_TIMEOUT_MS)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 30)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(box["x"] + 30 + 20 * step, box["y"] + (30 if step % 2 else 150), steps=4)
    page.mouse.up()
    expect(add).to_be_enabled(timeout=UI_TIMEOUT_MS)
    add.click()
    expect(page.get_by_text("zigzag: 1 picture(s)")).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "01-drawing-added")
