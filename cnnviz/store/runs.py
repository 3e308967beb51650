"""The queries behind the Store's runs: rows of the `runs` table, and orphaned trainings.

Each function works inside the caller's transaction (cnnviz.store.database.Store owns them).
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from cnnviz.store import schema
from cnnviz.store.blobs import upsert


@dataclass(frozen=True)
class StoredRun:
    """One run as the database keeps it; server_id is set while a server trains it."""

    run_id: int
    record: dict
    state: str
    epochs_done: int
    test_accuracy: float | None
    server_id: str | None
    updated_at: float


def state_text(state) -> str:
    """A job state's value as text (a str Enum member or a plain str)."""
    return state.value if isinstance(state, enum.Enum) else str(state)


def write_run(connection: sa.Connection, values: dict) -> None:
    """Inserts or replaces one run's row (values: every column of `runs`)."""
    upsert(connection, schema.runs, values, ("workspace_id", "run_id"))


def read_runs(connection: sa.Connection, workspace_id: str) -> list[StoredRun]:
    """The workspace's runs, by run_id."""
    runs = schema.runs
    query = sa.select(runs).where(runs.c.workspace_id == workspace_id).order_by(runs.c.run_id)
    return [
        StoredRun(
            run_id=row.run_id,
            record=json.loads(row.record),
            state=row.state,
            epochs_done=row.epochs_done,
            test_accuracy=row.test_accuracy,
            server_id=row.server_id,
            updated_at=row.updated_at,
        )
        for row in connection.execute(query)
    ]


def delete_run_row(connection: sa.Connection, workspace_id: str, run_id: int) -> None:
    """Deletes one run's row."""
    runs = schema.runs
    connection.execute(
        sa.delete(runs).where(runs.c.workspace_id == workspace_id, runs.c.run_id == run_id)
    )


def mark_orphaned_runs(
    connection: sa.Connection,
    own_server_id: str,
    server_stopped: Callable[[sa.Row | None], bool],
    state: str,
) -> list[tuple[str, int]]:
    """Gives `state` to the runs other servers stamped and no longer train; clears the stamp.

    Args:
        connection: a connection inside a write transaction.
        own_server_id: this server's id (its runs are never touched).
        server_stopped: whether a server is gone, given its `servers` row (None: no row).
        state: the state to set.

    Returns:
        The (workspace_id, run_id) pairs marked, sorted.
    """
    runs, servers = schema.runs, schema.servers
    stamped = connection.execute(
        sa.select(runs.c.workspace_id, runs.c.run_id, runs.c.server_id).where(
            runs.c.server_id.is_not(None), runs.c.server_id != own_server_id
        )
    ).all()
    server_ids = {row.server_id for row in stamped}
    rows = connection.execute(sa.select(servers).where(servers.c.server_id.in_(server_ids)))
    known = {row.server_id: row for row in rows}
    stopped = {server_id for server_id in server_ids if server_stopped(known.get(server_id))}
    now = time.time()
    marked = []
    for row in stamped:
        if row.server_id not in stopped:
            continue
        # The server condition makes two replicas marking at once report each run once.
        result = connection.execute(
            sa.update(runs)
            .where(
                runs.c.workspace_id == row.workspace_id,
                runs.c.run_id == row.run_id,
                runs.c.server_id == row.server_id,
            )
            .values(state=state_text(state), server_id=None, heartbeat_at=None, updated_at=now)
        )
        if result.rowcount:
            marked.append((row.workspace_id, row.run_id))
    return sorted(marked)


def claim_run_row(
    connection: sa.Connection,
    workspace_id: str,
    run_id: int,
    own_server_id: str,
    server_stopped: Callable[[sa.Row | None], bool],
) -> str | None:
    """Stamps a run as trained by this server, unless another live server trains it.

    Returns:
        None when this server may train it now; else the id of the server training it.
    """
    runs, servers = schema.runs, schema.servers
    holder = connection.execute(
        sa.select(runs.c.server_id)
        .where(runs.c.workspace_id == workspace_id, runs.c.run_id == run_id)
        .with_for_update()
    ).scalar()
    if holder is not None and holder != own_server_id:
        row = connection.execute(sa.select(servers).where(servers.c.server_id == holder)).first()
        if not server_stopped(row):
            return holder
    now = time.time()
    connection.execute(
        sa.update(runs)
        .where(runs.c.workspace_id == workspace_id, runs.c.run_id == run_id)
        .values(server_id=own_server_id, heartbeat_at=now, updated_at=now)
    )
    return None
