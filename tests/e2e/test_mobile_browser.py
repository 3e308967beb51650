"""A student builds the MobileNet preset in headless Chromium: its diagram, then, after a
short training, the depthwise filters and the arithmetic of one separable value on Inspect."""

from __future__ import annotations

import re

from .conftest import assert_no_exception, wait_until_idle
from .steps import (
    FINISHED,
    TRAINING_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    app_button,
    choose,
    expect,
    go_to,
    start_training,
    status_text,
)


def test_mobilenet_layers_on_build_and_inspect(open_page, screenshot):
    page = open_page("", heading="cnnviz")
    go_to(page, "Build", "Build")
    choose(page, "Start from a preset", "Tiny MobileNet")
    app_button(page, "Load preset").click()
    wait_until_idle(page)
    diagram = page.get_by_test_id("stPlotlyChart").first
    expect(page.get_by_text("SeparableConv2D 128 filters 3x3, relu").first).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )
    expect(diagram).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "01-build-diagram")

    go_to(page, "Train", "Train")
    start_training(page, epochs=1)
    expect(status_text(page, FINISHED)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    wait_until_idle(page)

    go_to(page, "Inspect", "Look inside")
    page.get_by_role("radio", name="A test image").click()
    wait_until_idle(page)
    expect(page.get_by_text("Check the arithmetic")).to_be_visible(timeout=UI_TIMEOUT_MS)
    choose(page, "Layer", "6 · SeparableConv2D 128 filters 3x3, relu")
    wait_until_idle(page)
    arithmetic = page.get_by_text(re.compile(r"The layer's own output"))
    expect(arithmetic.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "02-separable-arithmetic")

    choose(page, "Layer", "3 · DepthwiseConv2D 3x3 x1, relu")
    wait_until_idle(page)
    expect(arithmetic.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "03-depthwise-arithmetic")

    page.get_by_role("radio", name="Filters").click()
    wait_until_idle(page)
    choose(page, "Convolution layer", "depthwise_conv2d_3")
    wait_until_idle(page)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "04-depthwise-filters")
