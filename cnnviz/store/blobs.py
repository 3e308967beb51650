"""A workspace's files (models, checkpoints, own data): as files for SQLite, as rows elsewhere.

With SQLite (one server) a blob is a file under `<state_dir>/workspaces/<id>/<name>`, written to
a temporary name, flushed to disk and renamed: the rename is the commit point, so a crash leaves
either the old file or the new one, never half of one. With any other database (PostgreSQL
replicas) a blob is a row of the `blobs` table, so replicas share nothing on disk.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from cnnviz.store import schema

# A name is one path part: it starts with a letter or digit (so never "." or ".."), then
# letters, digits and "-_." only. Temporary files start with "." and so never clash with one.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_TEMPORARY_PREFIX = "."
_TEMPORARY_SUFFIX = ".tmp"


def check_workspace_id(workspace_id: str) -> str:
    """Checks a workspace id (it names a folder) and returns it.

    Raises:
        ValueError: when it is not 1-64 letters, digits, "-", "_" or ".", starting with a
            letter or digit.
    """
    return _check(workspace_id, "workspace id", schema.ID_LENGTH)


def check_blob_name(name: str) -> str:
    """Checks a blob's name (it names a file) and returns it.

    Raises:
        ValueError: when it is not 1-200 letters, digits, "-", "_" or ".", starting with a
            letter or digit (no folders, no "..").
    """
    return _check(name, "file name", schema.NAME_LENGTH)


def _check(text: str, what: str, limit: int) -> str:
    if not isinstance(text, str) or len(text) > limit or not _NAME.fullmatch(text):
        raise ValueError(
            f"A {what} must be 1-{limit} letters, digits, '-', '_' or '.', starting with a "
            f"letter or digit (no folders). Received: {text!r}."
        )
    return text


class FileBlobs:
    """Blobs as files under `<root>/<workspace id>/<name>`, each written atomically.

    Args:
        root: the folder holding one folder per workspace (created when missing).
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, workspace_id: str, name: str) -> Path:
        """The file of one blob (checked names only)."""
        return self.root / check_workspace_id(workspace_id) / check_blob_name(name)

    def put(self, workspace_id: str, name: str, data: bytes) -> None:
        """Writes a blob: temporary file, fsync, rename, fsync of the folder."""
        target = self.path(workspace_id, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f"{_TEMPORARY_PREFIX}{name}.", suffix=_TEMPORARY_SUFFIX
        )
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _fsync_folder(target.parent)  # makes the rename itself survive a power cut

    def get(self, workspace_id: str, name: str) -> bytes | None:
        """A blob's bytes, or None when there is none by that name."""
        try:
            return self.path(workspace_id, name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, workspace_id: str, name: str) -> None:
        """Deletes a blob (nothing when it is not there)."""
        with contextlib.suppress(FileNotFoundError):
            self.path(workspace_id, name).unlink()

    def names(self, workspace_id: str) -> list[str]:
        """The workspace's blob names, sorted (temporary files left by a crash are not blobs)."""
        folder = self.root / check_workspace_id(workspace_id)
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return []
        return sorted(e.name for e in entries if _NAME.fullmatch(e.name) and e.is_file())

    def size(self, workspace_id: str, name: str) -> int:
        """A blob's size in bytes (0 when there is none)."""
        try:
            return self.path(workspace_id, name).stat().st_size
        except FileNotFoundError:
            return 0

    def workspace_bytes(self, workspace_id: str) -> int:
        """The bytes of all the workspace's blobs."""
        return sum(self.size(workspace_id, name) for name in self.names(workspace_id))

    def total_bytes(self) -> int:
        """The bytes of every workspace's blobs."""
        total = 0
        for folder in os.scandir(self.root):
            if folder.is_dir():
                for entry in os.scandir(folder.path):
                    if _NAME.fullmatch(entry.name) and entry.is_file():
                        total += entry.stat().st_size
        return total

    def delete_workspace(self, workspace_id: str) -> None:
        """Deletes the workspace's folder with everything in it."""
        shutil.rmtree(self.root / check_workspace_id(workspace_id), ignore_errors=True)

    def folder_ids(self) -> list[str]:
        """The workspace ids that have a folder."""
        return sorted(e.name for e in os.scandir(self.root) if e.is_dir())

    def clean_temporaries(self) -> int:
        """Deletes the temporary files a crash left between a write and its rename.

        Returns:
            How many were deleted.
        """
        removed = 0
        for path in self.root.glob(f"*/{_TEMPORARY_PREFIX}*{_TEMPORARY_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
        return removed


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def upsert(connection: sa.Connection, table: sa.Table, values: dict, keys: tuple[str, ...]):
    """Inserts a row, or updates the existing one with the same keys, in one statement.

    Args:
        connection: a connection inside a transaction.
        table: the table.
        values: every column's value.
        keys: the primary key's column names.
    """
    statement = _dialect_insert(connection)(table).values(**values)
    changed = {name: statement.excluded[name] for name in values if name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed))


def insert_if_missing(
    connection: sa.Connection, table: sa.Table, values: dict, keys: tuple[str, ...]
) -> None:
    """Inserts a row unless one with the same keys exists (a replica may insert it at once)."""
    statement = _dialect_insert(connection)(table).values(**values)
    connection.execute(statement.on_conflict_do_nothing(index_elements=keys))


def _dialect_insert(connection: sa.Connection):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"No upsert for the {connection.dialect.name} database.")
    return insert


class DatabaseBlobs:
    """Blobs as rows of the `blobs` table (bytes in the database; for replicas).

    The reads open their own connection; `put` and the `*_in` quota reads work inside the
    caller's transaction, so that the check and the write are one.

    Args:
        engine: the store's engine.
    """

    table = schema.blobs

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def _where(self, workspace_id: str, name: str | None = None):
        condition = self.table.c.workspace_id == check_workspace_id(workspace_id)
        if name is not None:
            condition = condition & (self.table.c.name == check_blob_name(name))
        return condition

    def put(self, connection: sa.Connection, workspace_id: str, name: str, data: bytes) -> None:
        """Writes a blob inside the caller's transaction (its commit is the commit point)."""
        values = {
            "workspace_id": check_workspace_id(workspace_id),
            "name": check_blob_name(name),
            "size": len(data),
            "data": bytes(data),
            "updated_at": time.time(),
        }
        upsert(connection, self.table, values, ("workspace_id", "name"))

    def get(self, workspace_id: str, name: str) -> bytes | None:
        """A blob's bytes, or None when there is none by that name."""
        query = sa.select(self.table.c.data).where(self._where(workspace_id, name))
        with self.engine.connect() as connection:
            value = connection.execute(query).scalar_one_or_none()
        return None if value is None else bytes(value)

    def delete(self, workspace_id: str, name: str) -> None:
        """Deletes a blob (nothing when it is not there)."""
        with self.engine.begin() as connection:
            connection.execute(sa.delete(self.table).where(self._where(workspace_id, name)))

    def names(self, workspace_id: str) -> list[str]:
        """The workspace's blob names, sorted."""
        query = sa.select(self.table.c.name).where(self._where(workspace_id))
        with self.engine.connect() as connection:
            return sorted(connection.execute(query).scalars())

    def workspace_bytes(self, workspace_id: str) -> int:
        """The bytes of all the workspace's blobs."""
        with self.engine.connect() as connection:
            return self.workspace_bytes_in(connection, workspace_id)

    def total_bytes(self) -> int:
        """The bytes of every workspace's blobs."""
        with self.engine.connect() as connection:
            return self.total_bytes_in(connection)

    def size_in(self, connection: sa.Connection, workspace_id: str, name: str) -> int:
        """A blob's size in bytes (0 when there is none), inside the caller's transaction."""
        query = sa.select(self.table.c.size).where(self._where(workspace_id, name))
        return connection.execute(query).scalar_one_or_none() or 0

    def workspace_bytes_in(self, connection: sa.Connection, workspace_id: str) -> int:
        """workspace_bytes inside the caller's transaction."""
        query = sa.select(sa.func.coalesce(sa.func.sum(self.table.c.size), 0)).where(
            self._where(workspace_id)
        )
        return int(connection.execute(query).scalar_one())

    def total_bytes_in(self, connection: sa.Connection) -> int:
        """total_bytes inside the caller's transaction."""
        query = sa.select(sa.func.coalesce(sa.func.sum(self.table.c.size), 0))
        return int(connection.execute(query).scalar_one())
