"""Fixtures that run the real app in a subprocess and drive it with headless Chromium.

The whole folder is skipped, with the reason shown, when Debian's Chromium or Python Playwright
is missing: `playwright install` cannot download browsers on the machines cnnviz targets, so the
tests only use a system Chromium.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from cnnviz.bench.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CONNECTED,
    IDLE,
    PAGE_LOAD_TIMEOUT_MS,
    VIEWPORT,
)
from cnnviz.cli import launcher
from helpers.paths import REPO

SCREENSHOT_MAX_HEIGHT = 6000
SERVER_START_TIMEOUT_SECONDS = 60


def _why_browser_tests_cannot_run() -> str | None:
    """The reason to skip this folder, or None when Chromium and Playwright are both there."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (install Debian's chromium to run the browser tests)"
    if importlib.util.find_spec("playwright") is None:
        return "Python playwright is not installed (pip install playwright)"
    return None


SKIP_REASON = _why_browser_tests_cannot_run()
HERE = Path(__file__).resolve().parent


# tryfirst: the e2e mark must be on the items before pytest's own hook deselects by -m.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the items of the whole session, so only this folder's tests are touched.
    # Every test here drives a browser: each is marked e2e even where its module forgets to,
    # so that `-m "not e2e"` never starts one.
    skip = None
    if SKIP_REASON is not None:
        skip = pytest.mark.skip(reason=f"browser tests skipped: {SKIP_REASON}")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            if skip is not None:
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Keep each phase's report on the test item so the page fixture can tell, while it tears
    # down, whether the test failed and a screenshot of every open page would help.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# ----- the app server -----


@dataclass
class AppServer:
    """A running `streamlit run app.py`, as the tests see it."""

    url: str
    log_path: Path
    process: subprocess.Popen | None = None  # the server's process, to kill it in a test

    def log_text(self) -> str:
        """Everything the server printed so far (stdout and stderr together)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_environment() -> dict[str, str]:
    environment = dict(os.environ)
    # Never reach for the network or a developer's own data folder: the bundled sample is used.
    environment["CNNVIZ_OFFLINE"] = "1"
    environment.pop("CNNVIZ_DATA_DIR", None)
    # One training slot makes the queue visible with only two students.
    environment["CNNVIZ_MAX_TRAININGS"] = "1"
    # A closed tab stops its training after 3 s rather than a minute.
    environment["CNNVIZ_SESSION_GRACE_SECONDS"] = "3"
    # So that log lines reach the file at once and tests polling it see them.
    environment["PYTHONUNBUFFERED"] = "1"
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # A crashed or aborted server writes every thread's traceback into the log.
    environment["PYTHONFAULTHANDLER"] = "1"
    return environment


def _wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = log_path.read_text(errors="replace")
            pytest.fail(f"the app exited with code {process.returncode} at start-up:\n{log}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    log = log_path.read_text(errors="replace")
    pytest.fail(f"the app did not answer its health check in 60 s:\n{log}")


@contextlib.contextmanager
def serve_app(
    log_path: Path, port: int | None = None, environment: dict[str, str] | None = None
) -> Iterator[AppServer]:
    """Run the app (as `cnnviz app` does) until the block ends; on a free port by default.

    `environment` adds or overrides variables (a test's own limits, say) for this server only.
    """
    port = port or _free_port()
    # The command `cnnviz app` runs, from the repository so .streamlit/config.toml applies.
    command = launcher.streamlit_command(REPO / "app.py", port, headless=True)
    # Loopback only: a test server must not be reachable from the network.
    command += ["--server.address", "127.0.0.1"]
    with open(log_path, "a", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**_server_environment(), **(environment or {})},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log_path)
        yield AppServer(url=url, log_path=log_path, process=process)
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app served on a free port for the whole session; stopped at the end."""
    if SKIP_REASON is not None:
        pytest.skip(SKIP_REASON)
    with serve_app(tmp_path_factory.mktemp("app-server") / "streamlit.log") as server:
        yield server


# ----- the browser -----


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[object]:
    """Playwright's one driver for the session (a second sync_playwright() cannot start while
    one runs), for fixtures that launch a Chromium of their own."""
    if SKIP_REASON is not None:
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session) -> Iterator[object]:
    """One headless Chromium for the session; each test page gets its own context."""
    chromium = playwright_session.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield chromium
    chromium.close()


def wait_until_idle(page) -> None:
    """Wait until no script run is under way, so widgets are not redrawn under a click.

    A dropdown opened while the page is still being drawn closes again when Streamlit replaces
    its element.
    """
    page.wait_for_selector(IDLE, timeout=PAGE_LOAD_TIMEOUT_MS)


def wait_until_loaded(page, heading: str | None = None) -> None:
    """Wait for Streamlit's websocket to connect, for the page's title (an h1), then for the
    script run that draws the page to end."""
    page.wait_for_selector(CONNECTED, timeout=PAGE_LOAD_TIMEOUT_MS)
    if heading is None:
        page.locator("h1").first.wait_for(timeout=PAGE_LOAD_TIMEOUT_MS)
    else:
        page.get_by_role("heading", name=heading, level=1).wait_for(timeout=PAGE_LOAD_TIMEOUT_MS)
    wait_until_idle(page)


@pytest.fixture
def open_page(watched_page) -> Callable:
    """Open a page in a fresh browser context: a new visitor with a new Streamlit session.

    Call it with a path such as "" or "train". Contexts still open when the test ends are
    closed; when the test failed, each open page is screenshotted first. (The page is
    watched_page's, whose watch nobody reads here.)
    """

    def open_new(path: str = "", heading: str | None = None):
        page, _ = watched_page(path, heading)
        return page

    return open_new


def _close_contexts(contexts: list, request, screenshot: Callable) -> None:
    """Close a test's browser contexts, screenshotting each open page first if it failed."""
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    for number, context in enumerate(contexts, start=1):
        for page in context.pages:
            if failed and not page.is_closed():
                # Best effort: a crashed page must not hide the test's own failure.
                with contextlib.suppress(Exception):
                    screenshot(page, f"FAILED-context{number}")
        context.close()


# ----- screenshots and checks -----


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $CNNVIZ_SCREENSHOTS when set (to look at them), else tmp_path."""
    configured = os.environ.get("CNNVIZ_SCREENSHOTS")
    directory = Path(configured) if configured else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def screenshot(screenshot_dir: Path, request) -> Callable:
    """save(page, step) writes <test name>--<step>.png and returns its path.

    Streamlit scrolls its main area inside the window, so Playwright's full_page option shows
    no more than the window. To show a whole page to whoever reviews the screenshots, the
    window is made as tall as the main area for the shot and then restored.
    """

    def save(page, step: str, whole_page: bool = True) -> Path:
        path = screenshot_dir / f"{request.node.name}--{step}.png"
        if not whole_page:
            page.screenshot(path=str(path))
            return path
        height = page.evaluate(
            "() => document.querySelector('[data-testid=stMain]')?.scrollHeight ?? 0"
        )
        tall = min(max(height, VIEWPORT["height"]), SCREENSHOT_MAX_HEIGHT)
        page.set_viewport_size({"width": VIEWPORT["width"], "height": tall})
        try:
            # One animation frame lets the taller layout settle before the shot.
            page.evaluate("() => new Promise(requestAnimationFrame)")
            page.screenshot(path=str(path))
        finally:
            page.set_viewport_size(VIEWPORT)
        return path

    return save


def assert_no_exception(page) -> None:
    """Fail with the traceback text when the page shows a Streamlit exception box."""
    exceptions = page.locator("[data-testid=stException]")
    count = exceptions.count()
    if count:
        texts = "\n---\n".join(exceptions.nth(index).inner_text() for index in range(count))
        pytest.fail(f"the page shows {count} exception(s):\n{texts}")


# Opened at a page's own address (say /build, or a reload there), Streamlit's frontend first
# tries that path as the server's base URL: /build/_stcore/health and /build/_stcore/host-config
# answer 404 before it settles on /. Those two probes are the only errors tolerated, and only
# for an app page's path.
_BASE_URL_PROBE = re.compile(
    r"status of 404 .*\((?P<url>https?://[^/]+/[a-z_]+/_stcore/(health|host-config))\)$"
)


class PageWatch:
    """What a page logged or asked for that an offline class server must never see: console
    errors, failed requests, and requests to any host but the app's own."""

    def __init__(self, page, app_url: str) -> None:
        self.app_url = app_url
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.outside_requests: list[str] = []
        page.on("console", self._on_console)
        page.on("requestfailed", self._on_request_failed)
        page.on("request", self._on_request)

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        text = f"{message.text} ({message.location.get('url', '')})"
        if _BASE_URL_PROBE.search(text):
            return
        self.console_errors.append(text)

    def _on_request_failed(self, request) -> None:
        self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def _on_request(self, request) -> None:
        url = request.url
        if not (url.startswith(self.app_url) or url.startswith(("data:", "blob:", "about:"))):
            self.outside_requests.append(url)

    def problems(self) -> list[str]:
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"failed request: {text}" for text in self.failed_requests]
            + [f"request leaving the server: {url}" for url in self.outside_requests]
        )

    def assert_clean(self) -> None:
        """Fail listing every problem seen so far."""
        problems = self.problems()
        if problems:
            pytest.fail("the page was not offline-clean:\n" + "\n".join(problems))


@pytest.fixture
def watched_page(browser, app_server: AppServer, request, screenshot) -> Iterator[Callable]:
    """Like open_page, but the page is watched from before its first request.

    Call it with a path such as "" or "train?w=ID"; it returns (page, watch). With
    wait=False it returns as soon as the page's address is committed, so that several pages
    can load at once.
    """
    contexts = []

    def open_new(path: str = "", heading: str | None = None, wait: bool = True):
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch(page, app_server.url)
        if wait:
            page.goto(f"{app_server.url}/{path}", timeout=PAGE_LOAD_TIMEOUT_MS)
            wait_until_loaded(page, heading)
        else:
            page.goto(f"{app_server.url}/{path}", wait_until="commit")
        return page, watch

    yield open_new
    _close_contexts(contexts, request, screenshot)


def workspace_id_of(page) -> str:
    """The workspace id in the page's URL (fails the test when there is none)."""
    values = parse_qs(urlparse(page.url).query).get("w")
    if not values:
        pytest.fail(f"no workspace id in the page's address: {page.url}")
    return values[0]
