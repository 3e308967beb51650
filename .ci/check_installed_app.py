"""Check that the installed cnnviz (say, from a wheel) serves its app from any folder.

Run from a folder outside the checkout with the Python that has cnnviz installed: starts
`cnnviz app --address 127.0.0.1` on a free port, waits for Streamlit's health answer, has it run
the first page's script once (app.py, the Start page, the data set sample, the icon), stops it
with SIGTERM and checks it ended within 10 s, leaving the port free. Exit status 0 when all
held; otherwise the failure and the server's log.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from cnnviz import app_files


def get(url: str) -> tuple[int, str] | None:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, response.read().decode(errors="replace").strip()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace").strip()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def main() -> int:
    print(f"cnnviz's app folder: {app_files.app_dir()}")
    missing = app_files.missing_files()
    if missing:
        print(f"FAILED: the installed cnnviz lacks {', '.join(missing)}")
        return 1
    # The Learn page reads its lessons from assets/lessons/ at run time.
    from cnnviz.lessons import texts

    try:
        lessons = texts.load_lessons()
    except ValueError as error:
        print(f"FAILED: a lesson text of the installed cnnviz cannot be read: {error}")
        return 1
    if not lessons:
        print(f"FAILED: the installed cnnviz has no lesson texts in {texts.lessons_dir()}")
        return 1
    print(f"{len(lessons)} lessons in {texts.lessons_dir()}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [shutil.which("cnnviz") or "cnnviz", "app", "--address", "127.0.0.1"]
    environment = {**os.environ, "CNNVIZ_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    # Streamlit's hidden endpoint that runs the app's script once, as a first visitor would.
    environment["STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED"] = "true"
    url = f"http://127.0.0.1:{port}"
    log_path = Path(tempfile.mkdtemp()) / "app.log"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    failure = None
    try:
        deadline = time.monotonic() + 90
        while get(f"{url}/_stcore/health") != (200, "ok"):
            if process.poll() is not None or time.monotonic() > deadline:
                failure = "the server did not answer its health check"
                break
            time.sleep(0.25)
        if failure is None:
            answer = get(f"{url}/_stcore/script-health-check")
            if answer != (200, "ok"):
                failure = f"the first page's script did not run cleanly: {answer}"
        if failure is None and (get(url) or (0, ""))[0] != 200:
            failure = "the page itself did not load"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            failure = failure or "the server did not stop within 10 s of SIGTERM"
            status = None
    if failure is None and status not in (0, 128 + signal.SIGTERM):
        failure = f"the server ended with status {status} on SIGTERM"
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            failure = failure or f"port {port} is still taken after the server stopped"
    if failure is not None:
        print(f"FAILED: {failure}\n--- the server's log ---\n{log_path.read_text()}")
        return 1
    print(f"ok: healthy, first page's script ran, stopped by SIGTERM with status {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
