"""Start the Streamlit server for `cnnviz app`, leaving nothing behind when it is stopped.

Supervisors (systemd, Docker, a class's job runner) stop a service with SIGTERM to the process
they started. A launcher that ran Streamlit as a child and died on SIGTERM left the server
running, holding its port. This one passes the stop signals on and exits when the server does.
(Exec-ing into Streamlit would also do, but then a test that fakes subprocess.Popen to look at
the command would turn its own process into a server.)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# Where the server listens. Unset: every interface (Streamlit's default), so that a class on a
# network can connect; 127.0.0.1 keeps it on this machine.
ADDRESS_ENV = "CNNVIZ_ADDRESS"
# Windows delivers Ctrl-C to the whole console and cannot send SIGINT to a child: there, only
# SIGTERM is passed on.
FORWARDED_SIGNALS = (
    (signal.SIGTERM, signal.SIGINT, signal.SIGHUP) if os.name == "posix" else (signal.SIGTERM,)
)


def configured_address(environment: Mapping[str, str] | None = None) -> str | None:
    """The address in CNNVIZ_ADDRESS, checked to belong to this machine; None when unset.

    Raises:
        ValueError: the address is empty, unknown, or not one of this machine's.
    """
    environment = os.environ if environment is None else environment
    text = environment.get(ADDRESS_ENV)
    if text is None:
        return None
    address = text.strip()
    hint = (
        "Give an address of this machine: 127.0.0.1 (this machine only) or 0.0.0.0 (every "
        f"interface). Received: {ADDRESS_ENV}={text!r}"
    )
    if not address:
        raise ValueError(f"--address is empty. {hint}")
    try:
        family, kind, protocol, _, socket_address = socket.getaddrinfo(
            address, 0, type=socket.SOCK_STREAM
        )[0]
    except (socket.gaierror, UnicodeError):
        raise ValueError(f"--address {address} is not a known address. {hint}") from None
    # Binding to port 0 is the cheap way to ask whether the address is this machine's.
    try:
        with socket.socket(family, kind, protocol) as probe:
            probe.bind(socket_address)
    except OSError:
        raise ValueError(f"--address {address} is not an address of this machine. {hint}") from None
    return address


def streamlit_command(
    app_path: Path, port: int, headless: bool, address: str | None = None
) -> list[str]:
    """The command that runs the app with this Python's Streamlit."""
    # The other settings are in .streamlit/config.toml beside app.py; run from that folder.
    command = [sys.executable, "-m", "streamlit", "run", str(app_path)]
    command += ["--server.port", str(port)]
    if address is not None:
        command += ["--server.address", address]
    if headless:
        # Without a terminal nobody can answer Streamlit's first-run e-mail prompt.
        command += ["--server.headless", "true"]
    return command


def run_server(command: Sequence[str], environment: Mapping[str, str], cwd: Path) -> int:
    """Run the server command until it ends; return its exit status as a shell shows it.

    SIGTERM, SIGINT and SIGHUP sent to this process are passed on to the server, which shuts
    down (Streamlit then exits 0), and this process waits for it: it never leaves the server
    running without it.

    Args:
        command: the program and its arguments.
        environment: the server's whole environment.
        cwd: the folder to run in (the app's, so that its .streamlit/config.toml applies).
    """
    process = subprocess.Popen(list(command), env=dict(environment), cwd=cwd)

    def pass_on(signal_number, _frame) -> None:
        # Ctrl-C in a terminal reaches the server too; a second SIGINT only repeats the stop.
        if process.poll() is None:
            process.send_signal(signal_number)

    previous = {number: signal.signal(number, pass_on) for number in FORWARDED_SIGNALS}
    try:
        while True:
            try:
                return_code = process.wait()
                break
            except KeyboardInterrupt:
                continue  # (Windows) Ctrl-C reached the server too, which is stopping: wait
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    # A child killed by a signal reports minus the signal number; shells say 128 + number.
    return 128 - return_code if return_code < 0 else return_code
