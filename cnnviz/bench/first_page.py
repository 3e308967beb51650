"""How long a fresh server takes to show its Start page.

    cnnviz bench first-page [--servers 5]

For each of N fresh servers (a new `cnnviz app` process each, on a free loopback port), the
time from starting the process until the Start page's last box is on the screen of a headless
Chromium (Debian's, driven by Playwright). The browser is started once, before the first
server; every server gets a new visitor. Where Chromium or Playwright is missing, the time
until Streamlit's script health check (a run of app.py without a browser) answers is measured
instead, and the output says so.

The environment is passed on as it is: CNNVIZ_OFFLINE=1 or a data folder change what the first
page loads, so say which was set along with the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from cnnviz.bench import browser
from cnnviz.bench.browser import app_command

GOAL_SECONDS = 3.0
DEFAULT_SERVERS = 5
# The Start page's last box: once it shows, the whole page has been drawn.
START_PAGE_LAST_TEXT = "This page's address is your workspace"
# Streamlit's hidden option behind /_stcore/script-health-check, for the browser-free measure.
SCRIPT_CHECK_ENV = "STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED"
TIMEOUT_SECONDS = 120.0
BROWSER_METHOD = "headless Chromium"
POLL_SECONDS = 0.05


def _get(url: str) -> tuple[int, str] | None:
    """(status, body) of a GET, or None while nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read().decode(errors="replace").strip()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace").strip()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with status {process.returncode}; its log:\n"
                + log_path.read_text(errors="replace")
            )
        if _get(f"{url}/_stcore/health") == (200, "ok"):
            return
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"the server did not answer in {TIMEOUT_SECONDS:g} s; see {log_path}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _browser_page_opener(chromium) -> Callable[[str], None]:
    def open_start_page(url: str) -> None:
        context = chromium.new_context(viewport=browser.VIEWPORT)
        try:
            page = context.new_page()
            page.goto(url, timeout=TIMEOUT_SECONDS * 1000)
            page.get_by_text(START_PAGE_LAST_TEXT).wait_for(timeout=TIMEOUT_SECONDS * 1000)
        finally:
            context.close()

    return open_start_page


def _script_check(url: str) -> None:
    answer = _get(f"{url}/_stcore/script-health-check")
    if answer != (200, "ok"):
        raise RuntimeError(f"the first script run failed: {answer}")


def time_one_server(
    open_start_page: Callable[[str], None],
    log_path: Path,
    command: Callable[[int], list[str]] = app_command,
    environment: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> dict[str, float]:
    """Start one server, open its Start page, stop it; the times in seconds since its start.

    Returns:
        {"up": until its health check answers, "first_page": until the Start page shows}.
    """
    port = browser.free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w", encoding="utf-8") as log_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            command(port),
            env=environment,
            cwd=cwd,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, process, log_path)
        up = time.perf_counter() - started
        open_start_page(url)
        return {"up": up, "first_page": time.perf_counter() - started}
    finally:
        _stop(process)


@contextlib.contextmanager
def page_opener():
    """The function that opens a Start page, and how it measures; in a browser if possible.

    Yields:
        (open_start_page(url), method): method is BROWSER_METHOD in a browser, else a
        sentence saying why the script health check is timed instead.
    """
    missing = browser.browser_missing()
    if missing is not None:
        yield _script_check, f"no browser ({missing}): time until the script health check"
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        try:
            yield _browser_page_opener(chromium), BROWSER_METHOD
        finally:
            chromium.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--servers", default=str(DEFAULT_SERVERS), help="fresh servers to time (default 5)"
    )


def run(arguments: argparse.Namespace) -> dict:
    """`cnnviz bench first-page`: check --servers, then measure."""
    try:
        servers = int(arguments.servers)
    except ValueError:
        servers = 0
    if servers < 1:
        raise ValueError(
            f"--servers must be a whole number, 1 or more. Received: {arguments.servers!r}"
        )
    return measure(servers)


def measure(
    servers: int = DEFAULT_SERVERS,
    command: Callable[[int], list[str]] = app_command,
    cwd: Path | None = None,
    report: Callable[[str], None] = print,
) -> dict:
    """Time `servers` fresh servers' first pages; report each, return the summary."""
    environment = dict(os.environ)
    environment["PYTHONUNBUFFERED"] = "1"
    load_before = os.getloadavg()[0]
    results = []
    with page_opener() as (open_start_page, method), tempfile.TemporaryDirectory() as logs:
        in_browser = method == BROWSER_METHOD
        if not in_browser:
            environment[SCRIPT_CHECK_ENV] = "true"
        shown = "Start page shown" if in_browser else "first script run done"
        report(f"First page of {servers} fresh servers, measured in {method}.")
        for number in range(1, servers + 1):
            times = time_one_server(
                open_start_page, Path(logs) / f"server{number}.log", command, environment, cwd
            )
            results.append(times)
            report(
                f"server {number}: listening after {times['up']:.2f} s, {shown} after "
                f"{times['first_page']:.2f} s"
            )
    median = statistics.median(times["first_page"] for times in results)
    load_after = os.getloadavg()[0]
    if in_browser:
        goal = f"goal {GOAL_SECONDS:g} s: {'met' if median <= GOAL_SECONDS else 'missed'}"
    else:
        goal = f"the goal of {GOAL_SECONDS:g} s is for the browser measure"
    report(
        f"median {median:.2f} s ({goal}); load average {load_before:.2f} before, "
        f"{load_after:.2f} after"
    )
    return {
        "method": method,
        "first_page_seconds": [round(times["first_page"], 3) for times in results],
        "up_seconds": [round(times["up"], 3) for times in results],
        "median_seconds": round(median, 3),
        "goal_seconds": GOAL_SECONDS,
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "offline": environment.get("CNNVIZ_OFFLINE"),
    }
