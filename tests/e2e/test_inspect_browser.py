"""A newcomer looks inside a trained network in headless Chromium: draws a 3, opens the
overview of a test image, checks a conv value's arithmetic, sees Grad-CAM over an uploaded
photo and replays training from epoch 0 to the last."""

from __future__ import annotations

import re

from PIL import Image, ImageDraw

from .conftest import assert_no_exception, wait_until_idle
from .steps import (
    FINISHED,
    TRAINING_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    choose,
    expect,
    go_to,
    start_training,
    status_text,
)


def draw_three(page) -> None:
    """Two bulges and a middle bar, drawn with the mouse on the canvas."""
    canvas = page.locator("canvas").last
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_be_visible(timeout=UI_TIMEOUT_MS)
    box = canvas.bounding_box()
    scale = box["width"] / 280

    def stroke(points) -> None:
        page.mouse.move(box["x"] + points[0][0] * scale, box["y"] + points[0][1] * scale)
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=4)
        page.mouse.up()

    stroke([(80, 60), (120, 40), (170, 45), (195, 80), (180, 120), (140, 138)])
    stroke([(140, 138), (185, 155), (200, 195), (180, 235), (130, 245), (80, 225)])


def photo_of_a_digit(path) -> None:
    """A phone-style colour JPEG of a dark 7 on bluish paper, stored sideways with EXIF."""
    upright = Image.new("RGB", (240, 300), (205, 215, 230))
    pen = ImageDraw.Draw(upright)
    pen.line([(60, 70), (180, 70), (110, 250)], fill=(30, 30, 40), width=18, joint="curve")
    # Stored turned 90 degrees anticlockwise; orientation 6 says "turn clockwise to view".
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(path, "JPEG", exif=exif, quality=90)


def test_newcomer_explains_what_the_network_sees(open_page, screenshot, tmp_path):
    page = open_page("", heading="cnnviz")
    go_to(page, "Train", "Train")
    start_training(page, epochs=2)
    expect(status_text(page, FINISHED)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    wait_until_idle(page)

    # Draw a 3 and see it predicted.
    go_to(page, "Inspect", "Look inside")
    page.get_by_role("radio", name="Draw").click()
    wait_until_idle(page)
    draw_three(page)
    guesses = page.get_by_test_id("stPlotlyChart").filter(has_text="top guesses")
    expect(guesses).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_until_idle(page)
    # The most likely class is drawn last in the horizontal bar chart: its label is on top.
    top_label = guesses.locator(".ytick text").last
    expect(top_label).to_have_text("3", timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "01-drawn-three")

    # A test image's path through the network, and the arithmetic of one conv value.
    page.get_by_role("radio", name="A test image").click()
    wait_until_idle(page)
    expect(page.get_by_text("Check the arithmetic")).to_be_visible(timeout=UI_TIMEOUT_MS)
    choose(page, "Channel", "5")
    wait_until_idle(page)
    # The sentence with the numbers, redrawn for channel 5 once the rerun has ended.
    arithmetic = page.get_by_text(re.compile(r"of channel 5: .*The layer's own output"))
    expect(arithmetic).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "02-overview-and-arithmetic")

    # Grad-CAM over an uploaded photo.
    page.get_by_role("radio", name="Upload your own").click()
    wait_until_idle(page)
    photo = tmp_path / "photo.jpg"
    photo_of_a_digit(photo)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(photo))
    expect(page.get_by_text("Yours: photo.jpg")).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.get_by_role("radio", name="Where it looked").click()
    wait_until_idle(page)
    expect(page.get_by_text("Grad-CAM for").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "03-grad-cam-on-photo")

    # Replay: epoch 0 (random weights), then the last.
    page.get_by_role("radio", name="Path through the network").click()
    wait_until_idle(page)
    slider = page.get_by_role("slider").first
    slider.focus()
    page.keyboard.press("Home")
    wait_until_idle(page)
    expect(page.get_by_text("(after epoch 0)")).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "04-replay-epoch-0")
    slider.focus()
    page.keyboard.press("End")
    wait_until_idle(page)
    expect(page.get_by_text("(latest weights)")).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "05-replay-latest")
