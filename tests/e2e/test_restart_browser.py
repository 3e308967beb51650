"""Work survives a server killed with SIGKILL (SQLite, and PostgreSQL where one is reachable):
the student's own address, on a server started again on the same state folder (or database),
shows the finished run, the interrupted one, the model on Inspect and the runs on Compare;
Continue goes on from the interrupted run's last epoch."""

from __future__ import annotations

import re
import signal

import pytest

from .conftest import assert_no_exception, serve_app, wait_until_loaded, workspace_id_of
from .steps import (
    TRAINING_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    app_button,
    expect,
    go_to,
    load_tiny_cnn,
    set_number,
    start_training,
    status_text,
)

RUNNING_EPOCH = re.compile(r"Run 2: epoch (\d+) of 100")
FINISHED = re.compile(r"Run 1 finished: test accuracy (\d+\.\d)%")
INTERRUPTED = re.compile(r"Run 2 was interrupted at epoch (\d+)")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_killed_server_loses_no_work(browser, screenshot, tmp_path, request, backend):
    state = {"CNNVIZ_STATE_DIR": str(tmp_path / "state")}
    if backend == "postgresql":  # skipped with the reason where none is reachable
        state["CNNVIZ_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        with serve_app(tmp_path / "first.log", environment=state) as first:
            page.goto(f"{first.url}/build")
            wait_until_loaded(page, "Build your network")
            load_tiny_cnn(page)
            workspace_id = workspace_id_of(page)
            go_to(page, "Train", "Train")
            set_number(page, "Training images", 2000)
            start_training(page, epochs=1)
            finished = status_text(page, FINISHED)
            expect(finished).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
            accuracy = FINISHED.search(finished.inner_text()).group(1)
            # Run 2: long, killed after its second epoch has begun (the first is kept).
            start_training(page, epochs=100)
            expect(status_text(page, re.compile(r"Run 2: epoch [3-9] of 100"))).to_be_visible(
                timeout=TRAINING_TIMEOUT_MS
            )
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)

        with serve_app(tmp_path / "second.log", environment=state) as second:
            page.goto(f"{second.url}/train?w={workspace_id}")
            wait_until_loaded(page, "Train")
            assert workspace_id_of(page) == workspace_id
            interrupted = status_text(page, INTERRUPTED)
            expect(interrupted).to_be_visible(timeout=UI_TIMEOUT_MS)
            stopped_at = int(INTERRUPTED.search(interrupted.inner_text()).group(1))
            assert stopped_at >= 2
            assert_no_exception(page)
            screenshot(page, "01-train-interrupted")

            go_to(page, "Compare", "Compare runs")
            table = page.get_by_test_id("stDataFrame").first
            expect(table).to_be_visible(timeout=UI_TIMEOUT_MS)
            screenshot(page, "02-compare")
            compare_text = page.locator("body").inner_text()
            assert "interrupted" in compare_text

            go_to(page, "Inspect", "Look inside")
            expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=UI_TIMEOUT_MS)
            assert_no_exception(page)
            screenshot(page, "03-inspect")

            # Continue goes on from the last finished epoch.
            go_to(page, "Train", "Train")
            set_number(page, "Epochs", 1)
            continue_button = app_button(page, "Continue")
            expect(continue_button).to_be_enabled(timeout=UI_TIMEOUT_MS)
            continue_button.click()
            done = status_text(page, re.compile(r"Run 2 finished: test accuracy"))
            expect(done).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
            assert_no_exception(page)
            screenshot(page, "04-continued")
            log = second.log_text()
            assert "Traceback" not in log, log[-3000:]
        assert accuracy
    finally:
        context.close()
