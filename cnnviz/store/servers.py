"""Which app servers live: their rows in `servers`, and (SQLite) a lock file each holds.

A server refreshes its heartbeat every heartbeat_seconds; one whose heartbeat is older than
server_stale_seconds, or whose row says stopped, no longer trains anything. On SQLite every
server runs on this machine, so a surer sign is added: each holds an flock on
`<state_dir>/servers/<server_id>.lock` for its whole life, which the kernel drops when the process
dies (even by SIGKILL), so a restart at once knows the old process is gone.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from cnnviz.store import schema

SERVERS_FOLDER = "servers"


def register_server(connection: sa.Connection, server_id: str) -> None:
    """Adds this process's row (host name, pid, started and heartbeat now)."""
    now = time.time()
    connection.execute(
        sa.insert(schema.servers).values(
            server_id=server_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=now,
            heartbeat_at=now,
            stopped_at=None,
        )
    )


def beat(connection: sa.Connection, server_id: str) -> None:
    """Refreshes the heartbeat of a server and of the runs it trains."""
    now = time.time()
    servers, runs = schema.servers, schema.runs
    connection.execute(
        sa.update(servers).where(servers.c.server_id == server_id).values(heartbeat_at=now)
    )
    connection.execute(
        sa.update(runs).where(runs.c.server_id == server_id).values(heartbeat_at=now)
    )


def mark_stopped(connection: sa.Connection, server_id: str) -> None:
    """Records a server's clean stop."""
    servers = schema.servers
    connection.execute(
        sa.update(servers).where(servers.c.server_id == server_id).values(stopped_at=time.time())
    )


def forget_old_servers(connection: sa.Connection, older_than: float) -> int:
    """Deletes the rows of servers gone before `older_than` that no run names any more.

    Every start adds a row; without this a server restarted daily would keep them all.

    Returns:
        How many rows were deleted.
    """
    servers, runs = schema.servers, schema.runs
    named = sa.select(runs.c.server_id).where(runs.c.server_id.is_not(None))
    result = connection.execute(
        sa.delete(servers).where(
            sa.or_(servers.c.stopped_at < older_than, servers.c.heartbeat_at < older_than),
            servers.c.server_id.not_in(named),
        )
    )
    return result.rowcount


def server_is_stopped(row: sa.Row | None, stale_seconds: float, now: float) -> bool:
    """Whether a server is gone, from its row: missing, stopped, its heartbeat stale, or (on
    this machine) its process no longer there."""
    if row is None or row.stopped_at is not None:
        return True
    if row.heartbeat_at < now - stale_seconds:
        return True
    return row.host == socket.gethostname() and not _process_exists(row.pid)


def _process_exists(pid: int | None) -> bool:
    # Signal 0 asks whether the process exists without touching it. A server restarted on the
    # same machine after a kill need not wait for the old one's heartbeat to go stale.
    if not pid:
        return True  # unknown: leave it to the heartbeat
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that number
    return True


class AliveLocks:
    """The lock files that say which servers on this machine live (SQLite only).

    Args:
        state_dir: the state folder (the locks are in its `servers` folder).
    """

    def __init__(self, state_dir: Path):
        self.folder = Path(state_dir) / SERVERS_FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)
        self._held = None
        self._guard = threading.Lock()

    def hold(self, server_id: str) -> None:
        """Takes this server's lock for as long as the process lives (or release())."""
        self._held = open(self.folder / f"{server_id}.lock", "wb")  # noqa: SIM115
        # flock, not lockf: it keeps two stores in one process apart too (tests do that).
        fcntl.flock(self._held, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        """Lets this server's lock go (a stop); the next check of it removes the file."""
        if self._held is not None:
            self._held.close()
            self._held = None

    def is_free(self, server_id: str) -> bool:
        """True when no process holds that server's lock (it died, stopped or never had one)."""
        path = self.folder / f"{server_id}.lock"
        with self._guard:
            try:
                with open(path, "rb") as file:
                    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except FileNotFoundError:
                return True
            except BlockingIOError:
                return False
            path.unlink(missing_ok=True)
            return True
