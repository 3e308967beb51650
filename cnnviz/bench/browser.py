"""What the benchmarks that drive a real browser share: Debian's Chromium, run headless.

The browser tests (tests/e2e/conftest.py) launch Chromium the same way. `playwright install`
cannot download browsers on the machines cnnviz targets, so only a system Chromium is used.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox, GPU or background traffic, as in the browser tests.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1100}
# The first page waits for Streamlit to start its session; later ones may wait for TensorFlow.
PAGE_LOAD_TIMEOUT_MS = 60_000
CONNECTED = "[data-testid=stApp][data-test-connection-state=CONNECTED]"
# Streamlit marks the app root while a script (or fragment) run is under way.
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def free_port() -> int:
    """A TCP port free on the loopback interface just now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_command(port: int, *options: str) -> list[str]:
    """`cnnviz app` on loopback, with this Python (as the installed `cnnviz` script runs it)."""
    command = [sys.executable, "-m", "cnnviz.cli", "app", "--address", "127.0.0.1"]
    return [*command, "--port", str(port), *options]


def browser_missing() -> str | None:
    """Why a browser measure cannot run here, or None when it can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing"
    if importlib.util.find_spec("playwright") is None:
        return "Python playwright is not installed"
    return None


def launch(playwright):
    """Debian's Chromium, headless, from a started sync_playwright()."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def wait_until_idle(page) -> None:
    """Wait until no script run is under way, so widgets are not redrawn under a click."""
    page.wait_for_selector(IDLE, timeout=PAGE_LOAD_TIMEOUT_MS)


def wait_until_loaded(page, heading: str) -> None:
    """Wait for Streamlit's websocket, the page's title (an h1), then the end of its run."""
    page.wait_for_selector(CONNECTED, timeout=PAGE_LOAD_TIMEOUT_MS)
    page.get_by_role("heading", name=heading, level=1).wait_for(timeout=PAGE_LOAD_TIMEOUT_MS)
    wait_until_idle(page)
