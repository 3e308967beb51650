"""A student chooses Integrated Gradients under "Where it looked" in headless Chromium and sees
signed attributions over a test image, red for the class and blue against it."""

from __future__ import annotations

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


def test_integrated_gradients_on_where_it_looked(open_page, screenshot, screenshot_dir, request):
    page = open_page("", heading="cnnviz")
    go_to(page, "Train", "Train")
    start_training(page, epochs=2)
    expect(status_text(page, FINISHED)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    wait_until_idle(page)
    go_to(page, "Inspect", "Look inside")
    page.get_by_role("radio", name="Where it looked").click()
    wait_until_idle(page)
    expect(page.get_by_text("Grad-CAM for").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    choose(page, "Method", "Integrated Gradients")
    wait_until_idle(page)
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="Integrated Gradients for")
    expect(chart).to_be_visible(timeout=UI_TIMEOUT_MS)
    # The diverging scale's ends are named, and the one sentence of help is there.
    expect(chart.get_by_text("against")).to_be_visible()
    expect(chart.get_by_text("for", exact=True)).to_be_visible()
    expect(page.get_by_text("adds to (red) or takes from (blue)")).to_be_visible()
    expect(page.get_by_role("combobox", name="Layer")).to_have_count(0)
    assert_no_exception(page)
    screenshot(page, "01-integrated-gradients")
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(screenshot_dir / f"{request.node.name}--02-chart.png"))
