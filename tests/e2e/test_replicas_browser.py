"""Two app servers on one PostgreSQL, each with its own state folder, serve the same workspace:
a run trained on the first is seen with its model on the second, also after the first stops;
a run whose server is killed mid-training is marked interrupted by the other and goes on there.

Needs a PostgreSQL (CNNVIZ_TEST_POSTGRES_URL; skipped with the reason otherwise, failed in CI).
"""

from __future__ import annotations

import re
import signal
import time

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

FINISHED = re.compile(r"Run 1 finished: test accuracy (\d+\.\d)%")
INTERRUPTED = re.compile(r"Run 2 was interrupted at epoch (\d+)")
# Quick heartbeats, so the second server sees the first stop within seconds.
REPLICA = {"CNNVIZ_HEARTBEAT_SECONDS": "1", "CNNVIZ_SERVER_STALE_SECONDS": "4"}


def test_two_servers_share_a_class_and_take_over_a_killed_ones_run(
    browser, screenshot, tmp_path, postgres_url
):
    def settings(name: str) -> dict:
        return REPLICA | {
            "CNNVIZ_DATABASE_URL": postgres_url,
            "CNNVIZ_STATE_DIR": str(tmp_path / name),
        }

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page, other = context.new_page(), context.new_page()
    try:
        with (
            serve_app(tmp_path / "first.log", environment=settings("first")) as first,
            serve_app(tmp_path / "second.log", environment=settings("second")) as second,
        ):
            page.goto(f"{first.url}/build")
            wait_until_loaded(page, "Build your network")
            load_tiny_cnn(page)
            workspace_id = workspace_id_of(page)
            go_to(page, "Train", "Train")
            set_number(page, "Training images", 2000)
            start_training(page, epochs=1)
            expect(status_text(page, FINISHED)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)

            # The same address on the second server: the run, and its model on Inspect.
            other.goto(f"{second.url}/compare?w={workspace_id}")
            wait_until_loaded(other, "Compare runs")
            expect(other.get_by_text("Run 1").first).to_be_visible(timeout=UI_TIMEOUT_MS)
            go_to(other, "Inspect", "Look inside")
            expect(other.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=UI_TIMEOUT_MS)
            assert_no_exception(other)
            screenshot(other, "01-second-server-inspect")

            # Run 2 trains on the first server, which is killed mid-training.
            start_training(page, epochs=100)
            expect(status_text(page, re.compile(r"Run 2: epoch [3-9] of 100"))).to_be_visible(
                timeout=TRAINING_TIMEOUT_MS
            )
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
            time.sleep(6)  # past the stale time: the second server marks the run

            other.goto(f"{second.url}/train?w={workspace_id}")
            wait_until_loaded(other, "Train")
            interrupted = status_text(other, INTERRUPTED)
            expect(interrupted).to_be_visible(timeout=UI_TIMEOUT_MS)
            assert int(INTERRUPTED.search(interrupted.inner_text()).group(1)) >= 2
            screenshot(other, "02-interrupted-on-the-second")
            set_number(other, "Epochs", 1)
            app_button(other, "Continue").click()
            expect(status_text(other, re.compile(r"Run 2 finished: test accuracy"))).to_be_visible(
                timeout=TRAINING_TIMEOUT_MS
            )
            assert_no_exception(other)
            screenshot(other, "03-continued-on-the-second")
            log = second.log_text()
            assert "Traceback" not in log, log[-3000:]
    finally:
        context.close()
