"""Benchmark: does a Build-page edit still re-render within 2 s while two trainings run?

Starts `cnnviz app` (two training slots, offline, on loopback), opens the Build page in headless
Chromium and times edits
of the first convolution's filter count: from pressing Enter to the new parameter count on the
screen. Three blocks side by side in one run: no training, two students' trainings running
(each watching its Train page, which redraws every second), and no training again.

    cnnviz bench responsiveness [--edits 10] [--epochs 100] [--tf-threads N]

A summary with "goal_met": false ends the command with exit status 1.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from cnnviz.bench import browser

GOAL_SECONDS = 2.0
EDIT_TIMEOUT_MS = 60_000
# The default network's parameters as a function of the first convolution's filters f:
# conv1 10 f, conv2 (9 f + 1) * 64, the dense layers 204,928 + 1,290.
BASE_PARAMETERS = 64 + 204_928 + 1_290
PARAMETERS_PER_FILTER = 10 + 9 * 64


def expected_parameters(filters: int) -> str:
    return f"{PARAMETERS_PER_FILTER * filters + BASE_PARAMETERS:,}"


def _server_environment(tf_threads: int | None) -> dict[str, str]:
    environment = dict(os.environ)
    # The bundled sample, never the network or a developer's own data folder.
    environment["CNNVIZ_OFFLINE"] = "1"
    environment.pop("CNNVIZ_DATA_DIR", None)
    environment["PYTHONUNBUFFERED"] = "1"
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if tf_threads is not None:
        # TensorFlow's two thread pools (within one operation, and between operations).
        environment["TF_NUM_INTRAOP_THREADS"] = str(tf_threads)
        environment["TF_NUM_INTEROP_THREADS"] = str(tf_threads)
    return environment


def start_server(log_path: Path, tf_threads: int | None) -> tuple[subprocess.Popen, str]:
    """`cnnviz app` with two training slots, on loopback; returns the process and its address.

    With `tf_threads`, TensorFlow's two thread pools get that many threads each.
    """
    port = browser.free_port()
    command = browser.app_command(port, "--max-trainings", "2")
    with open(log_path, "w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            command,
            env=_server_environment(tf_threads),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return process, url
        except OSError:
            time.sleep(0.25)
    process.terminate()
    raise RuntimeError(f"the app did not start in 60 s; see {log_path}")


def open_page(chromium, url: str, path: str, heading: str):
    page = chromium.new_context(viewport=browser.VIEWPORT).new_page()
    page.goto(f"{url}/{path}", timeout=browser.PAGE_LOAD_TIMEOUT_MS)
    browser.wait_until_loaded(page, heading)
    return page


def time_edits(page, filters: list[int]) -> list[float]:
    """Seconds from Enter to the new parameter count on screen, one per value of `filters`."""
    field = page.get_by_label("filters", exact=True).first
    seconds = []
    for value in filters:
        browser.wait_until_idle(page)
        field.fill(str(value))
        started = time.perf_counter()
        field.press("Enter")
        page.wait_for_function(
            "expected => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
            ".some(element => element.textContent.trim() === expected)",
            arg=expected_parameters(value),
            polling=10,
            timeout=EDIT_TIMEOUT_MS,
        )
        seconds.append(time.perf_counter() - started)
    return seconds


def start_long_training(page, epochs: int) -> None:
    for label, value in (("Training images", 6000), ("Epochs", epochs)):
        field = page.get_by_label(label, exact=True)
        field.fill(str(value))
        field.press("Enter")
        browser.wait_until_idle(page)
    page.get_by_test_id("stButton").get_by_role("button", name="Train", exact=True).click()


def training_speeds(pages) -> list[str]:
    speeds = []
    for page in pages:
        text = page.get_by_text(re.compile(r"images/s")).first.inner_text()
        match = re.search(r"epoch \d+ of \d+.*?([\d,]+) images/s", text)
        speeds.append(match.group(1) if match else f"not running ({text})")
    return speeds


def describe(name: str, seconds: list[float]) -> str:
    return (
        f"{name:<28} median {statistics.median(seconds):5.2f} s   max {max(seconds):5.2f} s   "
        f"({', '.join(f'{value:.2f}' for value in seconds)})"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--edits", type=int, default=10, help="edits timed per block (default 10)")
    parser.add_argument(
        "--epochs", type=int, default=100, help="epochs of each training (default 100)"
    )
    parser.add_argument(
        "--tf-threads", type=int, default=None, help="TensorFlow threads per pool (default: all)"
    )


def _measure(chromium, url: str, edits: int, epochs: int) -> dict:
    """The three blocks of timed edits, and the trainings' speeds during the middle one."""
    editor = open_page(chromium, url, "build", "Build your network")
    editor.get_by_text("Arguments").first.click()
    values = iter(range(33, 33 + 3 * edits + 1))
    # One edit first, untimed: the first rerun of a page warms Streamlit's caches.
    time_edits(editor, [next(values)])
    idle_before = time_edits(editor, [next(values) for _ in range(edits)])

    trainers = [open_page(chromium, url, "train", "Train") for _ in range(2)]
    for trainer in trainers:
        start_long_training(trainer, epochs)
    for trainer in trainers:
        trainer.get_by_text(re.compile(r"epoch \d+ of \d+")).first.wait_for(timeout=120_000)
    time.sleep(3)  # past the first epoch's warm-up, into steady training
    busy = time_edits(editor, [next(values) for _ in range(edits)])
    speeds = training_speeds(trainers)
    for trainer in trainers:
        trainer.get_by_test_id("stButton").get_by_role("button", name="Stop", exact=True).click()
    for trainer in trainers:
        trainer.get_by_text(re.compile(r"\bstopped\b")).first.wait_for(timeout=120_000)
    idle_after = time_edits(editor, [next(values) for _ in range(edits)])
    return {"idle_before": idle_before, "busy": busy, "idle_after": idle_after, "speeds": speeds}


def _report(seconds: dict, tf_threads: int | None) -> dict:
    """Print the three blocks and the verdict; return the summary."""
    threads = (
        "TensorFlow's default threads"
        if tf_threads is None
        else f"TensorFlow limited to {tf_threads} thread(s) per pool"
    )
    busy, idle = seconds["busy"], seconds["idle_before"] + seconds["idle_after"]
    print(f"Build-page edit -> new parameter count on screen (headless Chromium; {threads})")
    print(describe("no training", seconds["idle_before"]))
    print(describe("2 trainings running", busy))
    print(describe("no training, after", seconds["idle_after"]))
    print(f"trainings' speed meanwhile: {', '.join(seconds['speeds'])} images/s")
    ratio = statistics.median(busy) / statistics.median(idle)
    print(f"median while training / median idle: {ratio:.2f}")
    goal_met = max(busy) <= GOAL_SECONDS
    verdict = "met" if goal_met else "NOT met"
    print(f"goal: every edit within {GOAL_SECONDS:.0f} s while 2 trainings run: {verdict}")
    return {
        **{
            name: [round(value, 3) for value in seconds[name]]
            for name in ("idle_before", "busy", "idle_after")
        },
        "training_speeds": seconds["speeds"],
        "busy_over_idle": round(ratio, 3),
        "goal_seconds": GOAL_SECONDS,
        "goal_met": goal_met,
    }


def run(arguments: argparse.Namespace) -> dict:
    """Start the app, time the edits in Chromium, stop the app; print and return the figures."""
    if arguments.edits < 1 or arguments.epochs < 1:
        raise ValueError(
            f"--edits and --epochs must be at least 1. Received: {arguments.edits}, "
            f"{arguments.epochs}"
        )
    missing = browser.browser_missing()
    if missing is not None:
        raise ValueError(f"the responsiveness benchmark needs Chromium and Playwright: {missing}.")
    from playwright.sync_api import sync_playwright

    log_path = Path(tempfile.mkdtemp(prefix="cnnviz-bench-")) / "streamlit.log"
    process, url = start_server(log_path, arguments.tf_threads)
    try:
        with sync_playwright() as playwright:
            chromium = browser.launch(playwright)
            try:
                seconds = _measure(chromium, url, arguments.edits, arguments.epochs)
            finally:
                chromium.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    return _report(seconds, arguments.tf_threads)
