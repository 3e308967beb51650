"""`cnnviz bench first-page` in headless Chromium: one fresh server, timed to its Start page."""

import json
import os
import subprocess
import sys

from .conftest import REPO


def test_bench_first_page_times_the_start_page_in_chromium():
    # A process of its own: Playwright allows one driver per process, and the session's
    # browser fixtures may hold it.
    environment = {**os.environ, "CNNVIZ_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz.cli", "bench", "first-page", "--servers", "1"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "First page of 1 fresh servers, measured in headless Chromium."
    assert "Start page shown after" in lines[1]
    summary = json.loads(lines[-1])
    assert summary["method"] == "headless Chromium"
    assert 0 < summary["up_seconds"][0] < summary["first_page_seconds"][0] < 60
