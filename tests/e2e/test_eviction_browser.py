"""A class on a server at its caps of loaded workspaces: trainings are never unloaded, an
unloaded student loses nothing, and a newcomer with no room reads that the server is full.

The server here keeps at most two workspaces and 1 MB of estimated model memory
(CNNVIZ_MAX_WORKSPACES=2, CNNVIZ_WORKSPACE_MEMORY_MB=1), with three students.
"""

from __future__ import annotations

import re
import time

from .conftest import (
    CONNECTED,
    PAGE_LOAD_TIMEOUT_MS,
    VIEWPORT,
    PageWatch,
    assert_no_exception,
    serve_app,
    wait_until_loaded,
    workspace_id_of,
)
from .steps import (
    TRAINING_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    expect,
    go_to,
    load_tiny_cnn,
    set_number,
    start_training,
    status_text,
)

TINY_CAPS = {"CNNVIZ_MAX_WORKSPACES": "2", "CNNVIZ_WORKSPACE_MEMORY_MB": "1"}
SERVER_FULL = "The server is full:"
EPOCH = re.compile(r"epoch (\d+) of 100")


def alert(page, text: str | re.Pattern):
    """The notice or error box holding `text`."""
    return page.get_by_test_id("stAlert").filter(has_text=text)


def epoch_shown(page) -> int:
    """The epoch the Train page's status says the training is in."""
    expect(status_text(page, EPOCH)).to_be_visible(timeout=UI_TIMEOUT_MS)
    return int(EPOCH.search(status_text(page, EPOCH).inner_text()).group(1))


def test_at_the_caps_a_training_keeps_going_and_nobody_loses_work(browser, screenshot, tmp_path):
    with serve_app(tmp_path / "streamlit.log", environment=TINY_CAPS) as server:
        contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(3)]
        try:
            trainer, idle, newcomer = (context.new_page() for context in contexts)
            watches = [PageWatch(page, server.url) for page in (trainer, idle, newcomer)]

            def open_at(page, path: str, heading: str | None) -> None:
                page.goto(f"{server.url}/{path}", timeout=PAGE_LOAD_TIMEOUT_MS)
                if heading is None:  # a page stopped before its title: the server is full
                    page.wait_for_selector(CONNECTED, timeout=PAGE_LOAD_TIMEOUT_MS)
                else:
                    wait_until_loaded(page, heading)

            # The first student trains the Tiny CNN for long (its 13,610 parameters stay under
            # the 1 MB cap): 100 epochs of the whole sample outlast the test.
            open_at(trainer, "build", "Build your network")
            load_tiny_cnn(trainer)
            go_to(trainer, "Train", "Train")
            set_number(trainer, "Training images", 6000)
            start_training(trainer, epochs=100)
            first_epoch = epoch_shown(trainer)

            # A second student changes their layers, then idles; a third arrives: the second is
            # unloaded (written first) to make room.
            open_at(idle, "build", "Build your network")
            load_tiny_cnn(idle)
            idle_id = workspace_id_of(idle)
            time.sleep(1.5)  # the saver writes within a second
            open_at(newcomer, "train", "Train")
            newcomer_id = workspace_id_of(newcomer)

            # The second student's next visit: their own layers, same address, no notice.
            idle.reload()
            wait_until_loaded(idle, "Build your network")
            expect(idle.get_by_text("13,610").first).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(idle.get_by_test_id("stAlert").filter(has_text="workspace")).to_have_count(0)
            assert workspace_id_of(idle) == idle_id
            assert_no_exception(idle)
            screenshot(idle, "01-unloaded-and-back")

            # The second student presses Train: queued behind the first (one slot), so busy.
            go_to(idle, "Train", "Train")
            start_training(idle)
            expect(status_text(idle, "waiting for a free training slot")).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )

            # The third comes back: unloaded (they had changed nothing), and no room left for a
            # fresh workspace, since both others train.
            newcomer.reload()
            newcomer.wait_for_selector(CONNECTED, timeout=PAGE_LOAD_TIMEOUT_MS)
            expect(alert(newcomer, SERVER_FULL)).to_be_visible(timeout=UI_TIMEOUT_MS)
            assert workspace_id_of(newcomer) == newcomer_id  # a reload says the same
            assert_no_exception(newcomer)
            screenshot(newcomer, "02-server-full")

            # A newcomer without an address: only the plain words.
            open_at(newcomer, "", None)
            full = alert(newcomer, SERVER_FULL)
            expect(full).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(full).to_contain_text("Try again in a few minutes")
            expect(full).to_contain_text("ask your teacher")
            expect(newcomer.get_by_test_id("stAlert")).to_have_count(1)
            assert_no_exception(newcomer)
            screenshot(newcomer, "03-server-full-no-address")

            # Through all that the first student's training kept going, with no traceback.
            deadline = time.monotonic() + TRAINING_TIMEOUT_MS / 1000
            while epoch_shown(trainer) <= first_epoch:
                assert time.monotonic() < deadline, "the first student's training stalled"
                time.sleep(1)
            expect(trainer.get_by_test_id("stAlert").filter(has_text="workspace")).to_have_count(0)
            for page in (trainer, idle, newcomer):
                assert_no_exception(page)
            screenshot(trainer, "04-still-training")
            log = server.log_text()
            assert "KeyError" not in log and "Traceback" not in log, log[-3000:]
            for watch in watches:
                watch.assert_clean()
        finally:
            for context in contexts:
                context.close()
