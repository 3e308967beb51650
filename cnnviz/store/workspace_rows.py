"""The queries behind the Store's workspaces: rows of the `workspaces` table.

Each function works inside the caller's transaction (cnnviz.store.database.Store owns them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from cnnviz.store import schema
from cnnviz.store.blobs import insert_if_missing, upsert

_KEY = ("workspace_id",)


@dataclass(frozen=True)
class StoredWorkspace:
    """A workspace as the database keeps it (times are time.time() seconds)."""

    id: str
    data: dict
    name: str | None
    created_at: float
    changed_at: float
    last_visit: float
    bytes_used: int


def stored_workspace(row: sa.Row, bytes_used: int) -> StoredWorkspace:
    """A StoredWorkspace from its row and the bytes of its files."""
    return StoredWorkspace(
        id=row.workspace_id,
        data=json.loads(row.data),
        name=row.name,
        created_at=row.created_at,
        changed_at=row.changed_at,
        last_visit=row.last_visit,
        bytes_used=bytes_used,
    )


def to_json(data, what: str) -> str:
    """Plain data as compact JSON text.

    Raises:
        ValueError: naming `what` when the data is not plain JSON (arrays, objects, ...).
    """
    try:
        return json.dumps(data, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise ValueError(f"The store keeps plain JSON data only; {what} is not: {error}.") from None


def ensure_workspace(connection: sa.Connection, workspace_id: str, now: float) -> None:
    """Adds an empty workspace row unless one exists (runs and blobs need one)."""
    values = {"workspace_id": workspace_id, "name": None, "data": "{}"}
    values |= {"created_at": now, "changed_at": now, "last_visit": now}
    insert_if_missing(connection, schema.workspaces, values, _KEY)


def write_workspace(
    connection: sa.Connection, workspace_id: str, text: str, name: str | None, now: float
) -> None:
    """Inserts or replaces a workspace's data; keeps its creation time, and its name when None."""
    table = schema.workspaces
    stored = connection.execute(
        sa.select(table.c.created_at, table.c.name).where(table.c.workspace_id == workspace_id)
    ).first()
    if stored is not None and name is None:
        name = stored.name
    created = now if stored is None else stored.created_at
    values = {"workspace_id": workspace_id, "name": name, "data": text}
    values |= {"created_at": created, "changed_at": now, "last_visit": now}
    upsert(connection, table, values, _KEY)


def read_workspace(connection: sa.Connection, workspace_id: str) -> sa.Row | None:
    """The workspace's row, or None."""
    table = schema.workspaces
    return connection.execute(sa.select(table).where(table.c.workspace_id == workspace_id)).first()


def delete_workspace_rows(connection: sa.Connection, workspace_id: str) -> bool:
    """Deletes the workspace's blob, run and workspace rows; True when it existed."""
    for table in (schema.blobs, schema.runs, schema.workspaces):
        result = connection.execute(sa.delete(table).where(table.c.workspace_id == workspace_id))
    return result.rowcount > 0


def expired_ids(connection: sa.Connection, oldest: float) -> list[str]:
    """The ids of workspaces last visited before `oldest` with no run in training, sorted."""
    table, runs = schema.workspaces, schema.runs
    training = sa.select(runs.c.workspace_id).where(runs.c.server_id.is_not(None))
    query = sa.select(table.c.workspace_id).where(
        table.c.last_visit < oldest, table.c.workspace_id.not_in(training)
    )
    return sorted(connection.execute(query).scalars())
