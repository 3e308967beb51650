"""Benchmark: does a Build-page edit still re-render within 2 s while two trainings run?

Starts the app (two training slots), opens the Build page in headless Chromium and times edits
of the first convolution's filter count: from pressing Enter to the new parameter count on the
screen. Three blocks side by side in one run: no training, two students' trainings running
(each watching its Train page, which redraws every second), and no training again.

    PYTHONPATH=$PWD python -m tests.e2e.bench_responsiveness [--edits 10] [--epochs 100]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cnnviz import cli

from .conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_LOAD_TIMEOUT_MS,
    REPO,
    SKIP_REASON,
    VIEWPORT,
    _free_port,
    _server_environment,
    wait_until_idle,
    wait_until_loaded,
)

GOAL_SECONDS = 2.0
EDIT_TIMEOUT_MS = 60_000
# The default network's parameters as a function of the first convolution's filters f:
# conv1 10 f, conv2 (9 f + 1) * 64, the dense layers 204,928 + 1,290.
BASE_PARAMETERS = 64 + 204_928 + 1_290
PARAMETERS_PER_FILTER = 10 + 9 * 64


def expected_parameters(filters: int) -> str:
    return f"{PARAMETERS_PER_FILTER * filters + BASE_PARAMETERS:,}"


def start_server(log_path: Path, tf_threads: int | None) -> tuple[subprocess.Popen, str]:
    """The app with two training slots, on loopback; returns the process and its address.

    With `tf_threads`, TensorFlow's two thread pools (within one operation, and between
    operations) get that many threads each, through the variables TensorFlow reads at start.
    """
    port = _free_port()
    command = cli.streamlit_command(REPO / "app.py", port, headless=True)
    command += ["--server.address", "127.0.0.1"]
    environment = _server_environment()
    environment["CNNVIZ_MAX_TRAININGS"] = "2"
    if tf_threads is not None:
        environment["TF_NUM_INTRAOP_THREADS"] = str(tf_threads)
        environment["TF_NUM_INTEROP_THREADS"] = str(tf_threads)
    with open(log_path, "w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO, env=environment, stdout=log_file, stderr=subprocess.STDOUT
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
    raise SystemExit(f"the app did not start; see {log_path}")


def open_page(browser, url: str, path: str, heading: str):
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(f"{url}/{path}", timeout=PAGE_LOAD_TIMEOUT_MS)
    wait_until_loaded(page, heading)
    return page


def time_edits(page, filters: list[int]) -> list[float]:
    """Seconds from Enter to the new parameter count on screen, one per value of `filters`."""
    field = page.get_by_label("filters", exact=True).first
    seconds = []
    for value in filters:
        wait_until_idle(page)
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
        wait_until_idle(page)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=10, help="edits timed per block")
    parser.add_argument("--epochs", type=int, default=100, help="epochs of each training")
    parser.add_argument(
        "--tf-threads", type=int, default=None, help="TensorFlow threads per pool (default: all)"
    )
    args = parser.parse_args(argv)
    if SKIP_REASON is not None:
        print(f"cannot run: {SKIP_REASON}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    log_path = Path(tempfile.mkdtemp(prefix="cnnviz-bench-")) / "streamlit.log"
    process, url = start_server(log_path, args.tf_threads)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            editor = open_page(browser, url, "build", "Build your network")
            editor.get_by_text("Arguments").first.click()
            values = iter(range(33, 33 + 3 * args.edits + 1))
            # One edit first, untimed: the first rerun of a page warms Streamlit's caches.
            time_edits(editor, [next(values)])
            idle_before = time_edits(editor, [next(values) for _ in range(args.edits)])

            trainers = [open_page(browser, url, "train", "Train") for _ in range(2)]
            for trainer in trainers:
                start_long_training(trainer, args.epochs)
            for trainer in trainers:
                trainer.get_by_text(re.compile(r"epoch \d+ of \d+")).first.wait_for(timeout=120_000)
            time.sleep(3)  # past the first epoch's warm-up, into steady training
            busy = time_edits(editor, [next(values) for _ in range(args.edits)])
            speeds = training_speeds(trainers)
            for trainer in trainers:
                trainer.get_by_test_id("stButton").get_by_role(
                    "button", name="Stop", exact=True
                ).click()
            for trainer in trainers:
                trainer.get_by_text(re.compile(r"\bstopped\b")).first.wait_for(timeout=120_000)
            idle_after = time_edits(editor, [next(values) for _ in range(args.edits)])
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)

    threads = (
        "TensorFlow's default threads"
        if args.tf_threads is None
        else (f"TensorFlow limited to {args.tf_threads} thread(s) per pool")
    )
    print(f"Build-page edit -> new parameter count on screen (headless Chromium; {threads})")
    print(describe("no training", idle_before))
    print(describe("2 trainings running", busy))
    print(describe("no training, after", idle_after))
    idle = idle_before + idle_after
    print(f"trainings' speed meanwhile: {', '.join(speeds)} images/s")
    ratio = statistics.median(busy) / statistics.median(idle)
    print(f"median while training / median idle: {ratio:.2f}")
    verdict = "met" if max(busy) <= GOAL_SECONDS else "NOT met"
    print(f"goal: every edit within {GOAL_SECONDS:.0f} s while 2 trainings run: {verdict}")
    return 0 if max(busy) <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
