"""A newcomer's path through the real app in headless Chromium, and what several students share.

AppTest (tests/ui/test_app.py) cannot fire `run_every` reruns, run JavaScript or open two browser
sessions; these tests can. They move between pages with the sidebar links, as a student does:
page.goto() would start a new Streamlit session and lose the trained model.
"""

from __future__ import annotations

import re
import time

from .conftest import assert_no_exception
from .steps import (
    FINISHED,
    STOP_TIMEOUT_MS,
    TRAINING_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    app_button,
    choose,
    draw_digit_png,
    expect,
    go_to,
    set_number,
    start_training,
    status_text,
    wait_for_one_progress_panel,
)


def test_newcomer_trains_the_default_network_and_looks_inside(open_page, screenshot, tmp_path):
    page = open_page("", heading="cnnviz")
    # The default data set is MNIST, shown in the sidebar's chooser.
    expect(page.get_by_role("combobox", name="Data set")).to_have_value("MNIST")
    screenshot(page, "01-start")

    go_to(page, "Train", "Train")
    expect(page.get_by_text("Press Train to start")).to_be_visible()
    start_training(page)
    expect(status_text(page, FINISHED)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    wait_for_one_progress_panel(page)
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible()
    # The curves' figure has a "Loss" panel; plotly draws panel titles as SVG text.
    expect(chart.get_by_text("Loss", exact=True)).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "02-trained")

    go_to(page, "Inspect", "Look inside")
    # A test image's path through the network comes first.
    expect(page.get_by_text("Check the arithmetic")).to_be_visible(timeout=UI_TIMEOUT_MS)
    screenshot(page, "03-overview")

    # The Image choice is a segmented control, whose options are radio buttons.
    page.get_by_role("radio", name="Upload your own").click()
    digit = tmp_path / "my-seven.png"
    draw_digit_png(digit)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(digit))
    expect(page.get_by_text("Yours: my-seven.png")).to_be_visible(timeout=UI_TIMEOUT_MS)
    guesses = page.get_by_text("The network's top guesses")
    expect(guesses).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "04-upload-predictions")

    # The first convolution's 32 filters, one view further.
    page.get_by_role("radio", name="Filters").click()
    filters_chart = page.get_by_test_id("stPlotlyChart").filter(has_text="32 filters")
    expect(filters_chart).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "05-filters")


def test_build_page_shows_a_bad_layer_at_the_layer_not_a_traceback(open_page, screenshot):
    page = open_page("", heading="cnnviz")
    go_to(page, "Build", "Build your network")

    choose(page, "Add a layer", "Dense")
    set_number(page, "at position", 1)
    app_button(page, "Add").click()

    # A Dense layer straight after the 28 x 28 x 1 input needs a Flatten first: the message
    # names the layer and what to add.
    message = page.get_by_test_id("stAlert").filter(has_text="Layer 1 (Dense)")
    expect(message).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(message).to_contain_text("Flatten")
    assert_no_exception(page)
    screenshot(page, "01-dense-too-early")

    # The new layer is card 1, so its delete button is the first one.
    delete = page.locator("[class*=st-key-remove] button").first
    delete.hover()
    expect(page.get_by_text("Remove this layer")).to_be_visible()
    delete.click()
    expect(page.get_by_text("ready to train")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(message).to_have_count(0)
    assert_no_exception(page)
    screenshot(page, "02-removed")


def test_second_student_waits_in_the_queue_until_the_first_stops(open_page, screenshot):
    student_a = open_page("train", heading="Train")
    student_b = open_page("train", heading="Train")

    # Long enough to be still running when A presses Stop, however slow the machine.
    start_training(student_a, epochs=50)
    running = re.compile(r"epoch \d+ of 50")
    expect(status_text(student_a, running)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)

    # The server trains one model at a time (CNNVIZ_MAX_TRAININGS=1): B is queued, visibly.
    start_training(student_b)
    waiting = status_text(student_b, "waiting for a free training slot")
    expect(waiting).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(waiting).to_contain_text("number 1 in the queue")
    assert_no_exception(student_b)
    wait_for_one_progress_panel(student_b)
    screenshot(student_b, "01-b-queued")

    # Stopping waits for the current batch and then measures test accuracy.
    app_button(student_a, "Stop").click()
    stopped = status_text(student_a, re.compile(r"\bstopped\b"))
    expect(stopped).to_be_visible(timeout=STOP_TIMEOUT_MS)
    assert_no_exception(student_a)
    wait_for_one_progress_panel(student_a)
    screenshot(student_a, "02-a-stopped")

    # A's slot is free, so B's queued run starts and finishes on its own.
    expect(status_text(student_b, FINISHED)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    wait_for_one_progress_panel(student_b)
    assert_no_exception(student_b)
    screenshot(student_b, "03-b-finished")


def test_closing_the_tab_stops_its_training(open_page, app_server, screenshot):
    student_c = open_page("train", heading="Train")
    start_training(student_c, epochs=20)
    expect(status_text(student_c, re.compile(r"epoch \d+ of 20"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    wait_for_one_progress_panel(student_c)
    screenshot(student_c, "01-running")
    # Only what the server logs from now on counts, not an earlier test's closed tab.
    log_before = len(app_server.log_text())
    student_c.context.close()

    # The server was started with a 3 s grace period for a vanished session.
    deadline = time.monotonic() + 15
    while "stopped: its browser session ended" not in app_server.log_text()[log_before:]:
        assert time.monotonic() < deadline, (
            "the closed tab's training was not stopped within 15 s; server log:\n"
            + app_server.log_text()[log_before:][-3000:]
        )
        time.sleep(0.25)
