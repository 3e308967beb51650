"""Workspaces that survive a reload, pages that ask nothing of the internet, and a class at once.

Each test watches its pages from their first request: a console error, a failed request or a
request to another host fails it (the class server may be offline).
"""

from __future__ import annotations

import re
import time

from .conftest import (
    PAGE_LOAD_TIMEOUT_MS,
    VIEWPORT,
    PageWatch,
    _free_port,
    assert_no_exception,
    serve_app,
    wait_until_idle,
    wait_until_loaded,
    workspace_id_of,
)
from .steps import (
    FINISHED,
    STOP_TIMEOUT_MS,
    TINY_CNN_PARAMETERS,
    TRAINING_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    app_button,
    expect,
    go_to,
    load_tiny_cnn,
    set_number,
    start_training,
    status_text,
    wait_for_one_progress_panel,
)

# Every page, by its sidebar link and its title.
PAGES = [
    ("Start", "cnnviz", ""),
    ("Build", "Build your network", "build"),
    ("Train", "Train", "train"),
    ("Inspect", "Look inside", "inspect"),
    ("Compare", "Compare runs", "compare"),
]
# All of the bundled MNIST sample's training images.
ALL_SAMPLE_IMAGES = 6000


def expect_only_run_one_on_compare(page) -> None:
    """The Compare page lists exactly one run of this workspace, "Run 1".

    Each chosen run gets an expander with its layers below the table; a workspace's runs are
    all chosen at first (up to four).
    """
    expanders = page.get_by_test_id("stExpander")
    expect(expanders).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(expanders.first).to_contain_text("Run 1:")
    expect(page.get_by_test_id("stMultiSelect")).to_contain_text("Run 1")


def expect_build_page_drawn(page) -> None:
    """Wait until the Build page is fully drawn (a fresh server draws a first page twice)."""
    expect(page.get_by_text("ready to train")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(app_button(page, "Load preset")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_until_idle(page)


def test_pages_fetch_nothing_from_outside_and_log_no_errors(watched_page, screenshot):
    page, watch = watched_page("", heading="cnnviz")
    # The favicon is the bundled icon, served by the app itself.
    icon = page.locator("link[rel~=icon]").first.get_attribute("href")
    assert icon and icon.startswith(f"{watch.app_url}/media/"), icon
    workspace_id = workspace_id_of(page)
    for link, heading, _path in PAGES[1:] + PAGES[:1]:
        go_to(page, link, heading)
        assert_no_exception(page)
        # Switching pages keeps the workspace in the address.
        assert workspace_id_of(page) == workspace_id, page.url
    screenshot(page, "start-page")
    watch.assert_clean()


def test_a_reload_finds_the_layers_the_running_training_and_the_runs(watched_page, screenshot):
    page, watch = watched_page("", heading="cnnviz")
    workspace_id = workspace_id_of(page)
    expect(page.get_by_text("address is your workspace")).to_be_visible()

    go_to(page, "Build", "Build your network")
    load_tiny_cnn(page)

    # A first, short run that finishes, then a long one left running.
    go_to(page, "Train", "Train")
    set_number(page, "Training images", 600)
    start_training(page)
    expect(status_text(page, FINISHED)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    wait_for_one_progress_panel(page)
    set_number(page, "Training images", ALL_SAMPLE_IMAGES)
    # As long as the app allows, so that it still runs when the test is done with it.
    start_training(page, epochs=100)
    running = re.compile(r"epoch \d+ of 100")
    expect(status_text(page, running)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    screenshot(page, "01-before-reload")

    page.reload()
    wait_until_loaded(page, "Train")
    assert workspace_id_of(page) == workspace_id
    expect(status_text(page, running)).to_be_visible(timeout=UI_TIMEOUT_MS)
    # Longer than the server's grace period for a vanished session (3 s): the training goes
    # on, because the reloaded page is attached to its workspace.
    time.sleep(5)
    expect(status_text(page, running)).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text("Session ended")).to_have_count(0)
    assert_no_exception(page)
    wait_for_one_progress_panel(page)
    screenshot(page, "02-after-reload-still-training")

    go_to(page, "Compare", "Compare runs")
    expect_only_run_one_on_compare(page)
    screenshot(page, "03-after-reload-runs")
    go_to(page, "Build", "Build your network")
    expect(page.get_by_text(TINY_CNN_PARAMETERS).first).to_be_visible(timeout=UI_TIMEOUT_MS)
    screenshot(page, "04-after-reload-layers")

    # A new tab without the address is somebody else: a fresh workspace.
    stranger, stranger_watch = watched_page("train", heading="Train")
    assert workspace_id_of(stranger) != workspace_id
    expect(stranger.get_by_text("Press Train to start")).to_be_visible()

    # Free the server's one training slot for the other tests (on a fast machine the training
    # may have finished already).
    go_to(page, "Train", "Train")
    if app_button(page, "Stop").is_enabled():
        app_button(page, "Stop").click()
    ended = re.compile(r"\bstopped\b|finished: test accuracy")
    expect(status_text(page, ended)).to_be_visible(timeout=STOP_TIMEOUT_MS)
    watch.assert_clean()
    stranger_watch.assert_clean()


def test_an_unknown_workspace_address_says_so_and_starts_afresh(watched_page, screenshot):
    page, watch = watched_page("build?w=a-mistyped-address", heading=None)
    message = page.get_by_test_id("stAlert").filter(has_text="No workspace is kept at this")
    expect(message).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(message).to_contain_text("mistyped")
    assert workspace_id_of(page) != "a-mistyped-address"
    expect_build_page_drawn(page)
    assert_no_exception(page)
    screenshot(page, "fresh-workspace")
    watch.assert_clean()


def test_five_students_press_train_at_once_and_all_finish_in_turn(watched_page, screenshot):
    students = [watched_page("train", heading="Train") for _ in range(5)]
    pages = [page for page, _watch in students]
    assert len({workspace_id_of(page) for page in pages}) == 5
    for page in pages:
        set_number(page, "Training images", ALL_SAMPLE_IMAGES)
    for page in pages:  # as close together as one hand on five mice can be
        app_button(page, "Train").click()

    # The server trains one at a time (CNNVIZ_MAX_TRAININGS=1): one runs while the others wait,
    # each told its place. Which click reached the server first is up to its threads.
    waiting = re.compile(r"number (\d+) in the queue")
    places_seen: dict[int, list[int]] = {number: [] for number in range(len(pages))}
    whole_queue_seen = False
    finished: set[int] = set()
    deadline = time.monotonic() + 5 * TRAINING_TIMEOUT_MS / 1000
    while len(finished) < len(pages):
        assert time.monotonic() < deadline, f"only students {sorted(finished)} finished in time"
        places = {}
        for number, page in enumerate(pages):
            if number in finished:
                continue
            if page.get_by_text(FINISHED).count():
                finished.add(number)
                continue
            # all_inner_texts() does not wait: the status may be redrawn between two reads.
            # An element may be redrawn between matching and reading: keep what still matches.
            matches = [waiting.search(text) for text in page.get_by_text(waiting).all_inner_texts()]
            matches = [match for match in matches if match]
            if matches:
                places[number] = int(matches[0].group(1))
                places_seen[number].append(places[number])
        # A queue of at least three, each at its own place (a page that has not redrawn yet
        # can show a place its student has already left).
        values = sorted(places.values())
        if len(values) >= 3 and values == list(range(1, len(values) + 1)) and not whole_queue_seen:
            whole_queue_seen = True
            # The queue moves on while the shot is taken: the places shown may be lower by now.
            screenshot(pages[max(places, key=places.get)], "01-queued")
        time.sleep(0.2)
    assert whole_queue_seen, f"no queue of three or more was seen: {places_seen}"
    # First come, first served: nobody's place in the queue ever grew (nobody was overtaken).
    for number, seen in places_seen.items():
        assert seen == sorted(seen, reverse=True), f"student {number} was overtaken: {seen}"

    for page in pages:
        wait_for_one_progress_panel(page)
        assert_no_exception(page)
        go_to(page, "Compare", "Compare runs")
        # Each sees its own run only.
        expect_only_run_one_on_compare(page)
    screenshot(pages[0], "02-first-student-compare")
    for _page, watch in students:
        watch.assert_clean()


def test_ten_visitors_open_pages_at_once(watched_page, screenshot):
    visitors = [
        (watched_page(PAGES[number % 5][2], wait=False), PAGES[number % 5][1])
        for number in range(10)
    ]
    for (page, _watch), heading in visitors:
        wait_until_loaded(page, heading)
    for number, ((page, watch), _heading) in enumerate(visitors):
        assert_no_exception(page)
        wait_until_idle(page)
        watch.assert_clean()
        if number < 5:
            screenshot(page, f"visitor-{number}")
    assert len({workspace_id_of(page) for (page, _watch), _heading in visitors}) == 10


def test_after_a_server_restart_the_address_finds_the_work(browser, screenshot, tmp_path):
    log_path = tmp_path / "streamlit.log"
    port = _free_port()
    state = {"CNNVIZ_STATE_DIR": str(tmp_path / "state")}
    with serve_app(log_path, port, environment=state) as server:
        first_visit = browser.new_context(viewport=VIEWPORT)
        page = first_visit.new_page()
        page.goto(f"{server.url}/build", timeout=PAGE_LOAD_TIMEOUT_MS)
        wait_until_loaded(page, "Build your network")
        load_tiny_cnn(page)
        workspace_id = workspace_id_of(page)
        first_visit.close()
    # The student comes back to the same address once the server is up again (stopped with
    # SIGTERM, as a supervisor stops it; tests/e2e/test_restart_browser.py kills it).
    with serve_app(log_path, port, environment=state) as server:
        comeback = browser.new_context(viewport=VIEWPORT)
        try:
            page = comeback.new_page()
            watch = PageWatch(page, server.url)
            page.goto(f"{server.url}/build?w={workspace_id}", timeout=PAGE_LOAD_TIMEOUT_MS)
            wait_until_loaded(page, "Build your network")
            expect(page.get_by_text("13,610").first).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(page.get_by_test_id("stAlert").filter(has_text="workspace")).to_have_count(0)
            assert workspace_id_of(page) == workspace_id
            assert_no_exception(page)
            screenshot(page, "after-restart")
            watch.assert_clean()
        finally:
            comeback.close()
