"""`cnnviz app` stops with its server: a supervisor's SIGTERM (or SIGINT) to the launcher must
leave no Streamlit behind holding the port. These start a real server on loopback."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from helpers.paths import REPO

START_SECONDS = 60
STOP_SECONDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether a new server could listen on the port (as servers do, despite closed
    connections still in TIME_WAIT: only a listening socket makes this fail)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def environment() -> dict[str, str]:
    values = {**os.environ, "PYTHONPATH": str(REPO), "CNNVIZ_OFFLINE": "1"}
    values.pop("CNNVIZ_ADDRESS", None)
    return values


def wait_until_healthy(port: int, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text(errors="replace")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as response:
                if response.read() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    pytest.fail(f"`cnnviz app` did not answer on port {port} in {START_SECONDS} s")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_stop_signal_to_cnnviz_app_stops_the_server_and_frees_the_port(stop_signal, tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "cnnviz.cli", "app", "--address", "127.0.0.1"]
    log_path = tmp_path / "server.log"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=tmp_path,  # anywhere: the launcher finds the app itself
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(port, process, log_path)
        process.send_signal(stop_signal)  # to the launcher only, as `kill PID` does
        status = process.wait(timeout=STOP_SECONDS)
        deadline = time.monotonic() + STOP_SECONDS
        while not port_is_free(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert port_is_free(port), "the server still holds the port"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log_path.read_text(errors="replace")
    # 143 (130) is how a shell shows a process ended by SIGTERM (SIGINT); Python says -15 (-2).
    assert status in (0, 128 + stop_signal, -stop_signal), output
    # The server listened on loopback only, as --address asked.
    assert f"URL: http://127.0.0.1:{port}" in output


def test_the_launcher_passes_sigterm_on_to_a_server_that_does_not_handle_it(tmp_path):
    """A server that dies of the signal: the launcher exits 143, and its child is gone."""
    pid_file = tmp_path / "child.pid"
    child = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    code = (
        "import os, sys; from cnnviz.cli import launcher; "
        f"sys.exit(launcher.run_server([sys.executable, '-c', {child!r}], os.environ, '.'))"
    )
    process = subprocess.Popen([sys.executable, "-c", code], env=environment(), cwd=tmp_path)
    deadline = time.monotonic() + START_SECONDS
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child_pid = int(pid_file.read_text())
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=STOP_SECONDS) == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
    with pytest.raises(ProcessLookupError):
        os.kill(child_pid, 0)  # the child was reaped by the launcher: it no longer exists
