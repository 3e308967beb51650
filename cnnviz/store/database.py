"""The store: students' workspaces, runs and files in a database that outlives the server.

`open_store(settings)` makes one Store per process: it migrates the schema (under a lock),
registers this process as a server (so that replicas can tell whose trainings stopped) and
returns the Store. Every write is one transaction; the Store is safe to share between threads.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator

import sqlalchemy as sa

from cnnviz.store import schema
from cnnviz.store.blobs import (
    DatabaseBlobs,
    FileBlobs,
    check_blob_name,
    check_workspace_id,
)
from cnnviz.store.migrating import WRITE_OPTION, StoreError, make_engine, migrate
from cnnviz.store.quotas import QuotaExceeded, check_quotas
from cnnviz.store.runs import (
    StoredRun,
    claim_run_row,
    delete_run_row,
    mark_orphaned_runs,
    read_runs,
    state_text,
    write_run,
)
from cnnviz.store.servers import (
    AliveLocks,
    beat,
    forget_old_servers,
    mark_stopped,
    register_server,
    server_is_stopped,
)
from cnnviz.store.settings import StoreSettings
from cnnviz.store.workspace_rows import (
    StoredWorkspace,
    delete_workspace_rows,
    ensure_workspace,
    expired_ids,
    read_workspace,
    stored_workspace,
    to_json,
    write_workspace,
)

__all__ = ["QuotaExceeded", "Store", "StoreError", "StoredRun", "StoredWorkspace", "open_store"]

WORKSPACES_FOLDER = "workspaces"
SECONDS_PER_DAY = 86_400
# A gone server's row is kept this long (for a teacher's or an admin's look), then deleted.
SERVER_ROWS_KEPT_DAYS = 7


def open_store(settings: StoreSettings) -> Store:
    """Opens the store: state folder, engine, migrations under a lock, this server's row.

    Args:
        settings: where and how to keep the work (store_settings_from_environment()).

    Returns:
        The Store; close() it when the server stops.

    Raises:
        StoreError: when the database cannot be reached or its schema is newer than this code.
    """
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings)
    try:
        migrate(engine, settings)
        return Store(settings, engine)
    except BaseException:
        engine.dispose()
        raise


class Store:
    """Workspaces, runs and blobs in one database; made by open_store().

    Attributes:
        server_id: this process's id as a server (uuid4 hex).
        settings: the store's settings.
        engine: the SQLAlchemy engine (one pool per process).
    """

    def __init__(self, settings: StoreSettings, engine: sa.Engine):
        self.settings = settings
        self.engine = engine
        self.server_id = uuid.uuid4().hex
        self._closed = False
        # Keeps this process's quota checks and writes apart (another replica's are kept apart
        # by the row lock in _put_row_or_check).
        self._blob_lock = threading.Lock()
        self._files: FileBlobs | None = None
        self._rows: DatabaseBlobs | None = None
        self._alive: AliveLocks | None = None
        if settings.is_sqlite:
            self._files = FileBlobs(settings.state_dir / WORKSPACES_FOLDER)
            self._files.clean_temporaries()
            self._alive = AliveLocks(settings.state_dir)
            self._alive.hold(self.server_id)
        else:
            self._rows = DatabaseBlobs(engine)
        # Reads go to whichever back end this database uses.
        self._blobs: FileBlobs | DatabaseBlobs = self._files or self._rows
        with self._write() as connection:
            forget_old_servers(connection, time.time() - SERVER_ROWS_KEPT_DAYS * SECONDS_PER_DAY)
            register_server(connection, self.server_id)
        if self._files is not None:
            self._remove_orphan_folders()

    # -- transactions and servers ---------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One write transaction (SQLite: begun IMMEDIATE, so writers queue instead of failing)."""
        with self.engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                yield connection

    def heartbeat(self) -> None:
        """Tells the other servers this one lives (server row and the runs it trains).

        Does nothing once the store is closed (a heartbeat thread may beat once more).
        """
        if self._closed:
            return
        with self._write() as connection:
            beat(connection, self.server_id)

    def close(self) -> None:
        """Marks this server stopped and lets the engine go (a second call does nothing)."""
        if self._closed:
            return
        self._closed = True
        try:
            with self._write() as connection:
                mark_stopped(connection, self.server_id)
        finally:
            if self._alive is not None:
                self._alive.release()
            self.engine.dispose()

    def servers(self) -> list[dict]:
        """Every server row (server_id, host, pid, started_at, heartbeat_at, stopped_at)."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(schema.servers).order_by("started_at"))
            return [dict(row._mapping) for row in rows]

    def _server_stopped(self, row: sa.Row | None) -> bool:
        if server_is_stopped(row, self.settings.server_stale_seconds, time.time()):
            return True
        return self._alive is not None and self._alive.is_free(row.server_id)

    # -- workspaces -----------------------------------------------------------------------

    def save_workspace(self, workspace_id: str, data: dict, *, name: str | None = None) -> None:
        """Stores a workspace's data (insert or replace); its change and visit times are now.

        Args:
            workspace_id: the id in the student's address.
            data: plain JSON-able data (layers, settings, ...).
            name: a display name; None keeps the one stored.

        Raises:
            ValueError: when the id is malformed or the data cannot be written as JSON.
        """
        check_workspace_id(workspace_id)
        text = to_json(data, f"workspace {workspace_id}'s data")
        with self._write() as connection:
            write_workspace(connection, workspace_id, text, name, time.time())

    def load_workspace(self, workspace_id: str) -> StoredWorkspace | None:
        """The stored workspace, or None when this id was never stored (or was deleted)."""
        check_workspace_id(workspace_id)
        with self.engine.connect() as connection:
            row = read_workspace(connection, workspace_id)
        if row is None:
            return None
        return stored_workspace(row, self.workspace_bytes(workspace_id))

    def touch(self, workspace_id: str) -> None:
        """Records a visit (last_visit = now), only when the workspace is stored."""
        table = schema.workspaces
        with self._write() as connection:
            connection.execute(
                sa.update(table)
                .where(table.c.workspace_id == check_workspace_id(workspace_id))
                .values(last_visit=time.time())
            )

    def workspace_exists(self, workspace_id: str) -> bool:
        """True when the workspace is stored."""
        table = schema.workspaces
        query = sa.select(table.c.workspace_id).where(
            table.c.workspace_id == check_workspace_id(workspace_id)
        )
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def workspace_ids(self) -> list[str]:
        """Every stored workspace's id, sorted."""
        with self.engine.connect() as connection:
            query = sa.select(schema.workspaces.c.workspace_id)
            return sorted(connection.execute(query).scalars())

    def delete_workspace(self, workspace_id: str) -> bool:
        """Deletes a workspace: its rows, then its files.

        Returns:
            True when there was one to delete.
        """
        check_workspace_id(workspace_id)
        with self._write() as connection:
            existed = delete_workspace_rows(connection, workspace_id)
        if self._files is not None:
            # After the commit: a crash in between leaves a folder with no row, removed at open.
            self._files.delete_workspace(workspace_id)
        return existed

    def expire_workspaces(self, now: float | None = None, keep=frozenset()) -> list[str]:
        """Deletes the workspaces nobody visited for retention_days, with their files.

        Args:
            now: the time to measure from (time.time() when None).
            keep: ids not to delete (those open in a tab right now).

        Returns:
            The deleted ids. A workspace with a run in training is kept.
        """
        now = time.time() if now is None else now
        oldest = now - self.settings.retention_days * SECONDS_PER_DAY
        with self.engine.connect() as connection:
            candidates = [i for i in expired_ids(connection, oldest) if i not in keep]
        return [i for i in candidates if self.delete_workspace(i)]

    def _remove_orphan_folders(self) -> None:
        stored = set(self.workspace_ids())
        for workspace_id in self._files.folder_ids():
            if workspace_id not in stored:
                self._files.delete_workspace(workspace_id)

    # -- runs -----------------------------------------------------------------------------

    def save_run(
        self,
        workspace_id: str,
        run_id: int,
        record: dict,
        *,
        state: str,
        epochs_done: int,
        test_accuracy: float | None,
        training: bool,
    ) -> None:
        """Stores a run (insert or replace).

        Args:
            workspace_id: its workspace (stored with empty data when not yet stored).
            run_id: its number in the workspace.
            record: plain JSON-able data (settings, history, results).
            state: its job state's value ("finished", "training", ...).
            epochs_done: its finished epochs.
            test_accuracy: its test accuracy, or None.
            training: True while this server trains it (stamps this server's id and heartbeat);
                False clears the stamp.
        """
        check_workspace_id(workspace_id)
        text = to_json(record, f"run {run_id}'s record")
        now = time.time()
        values = {"workspace_id": workspace_id, "run_id": int(run_id), "record": text}
        values |= {"state": state_text(state), "epochs_done": int(epochs_done)}
        values |= {"test_accuracy": None if test_accuracy is None else float(test_accuracy)}
        values |= {"server_id": self.server_id if training else None}
        values |= {"heartbeat_at": now if training else None, "updated_at": now}
        with self._write() as connection:
            ensure_workspace(connection, workspace_id, now)
            write_run(connection, values)

    def load_runs(self, workspace_id: str) -> list[StoredRun]:
        """The workspace's runs, by run_id."""
        check_workspace_id(workspace_id)
        with self.engine.connect() as connection:
            return read_runs(connection, workspace_id)

    def delete_run(self, workspace_id: str, run_id: int) -> None:
        """Deletes a run and its blobs (those named `run-<id>.*`)."""
        check_workspace_id(workspace_id)
        with self._write() as connection:
            delete_run_row(connection, workspace_id, int(run_id))
        prefix = f"run-{int(run_id)}."
        for name in self.blob_names(workspace_id):
            if name.startswith(prefix):
                self.delete_blob(workspace_id, name)

    def interrupt_orphaned_runs(self, state: str = "interrupted") -> list[tuple[str, int]]:
        """Marks the runs whose server stopped training them, and clears their server.

        A run is orphaned when another server stamped it and that server's row says stopped,
        is missing, or its heartbeat is older than server_stale_seconds (with SQLite, also when
        its process is gone). This server's own runs are never touched.

        Args:
            state: the state to give them (JobState.INTERRUPTED's value).

        Returns:
            The (workspace_id, run_id) pairs marked.
        """
        with self._write() as connection:
            return mark_orphaned_runs(connection, self.server_id, self._server_stopped, state)

    def claim_run(self, workspace_id: str, run_id: int) -> str | None:
        """Takes a run for this server to train (Continue), so two replicas never train it.

        Returns None when taken; else the id of the live server that trains it now.
        """
        with self._write() as connection:
            return claim_run_row(
                connection,
                check_workspace_id(workspace_id),
                int(run_id),
                self.server_id,
                self._server_stopped,
            )

    # -- blobs ----------------------------------------------------------------------------

    def put_blob(self, workspace_id: str, name: str, data: bytes) -> None:
        """Stores a file of the workspace atomically, after checking both quotas.

        Raises:
            QuotaExceeded: when it would pass the workspace's or the server's quota (nothing
                is written then).
            ValueError: when the id or name is malformed.
        """
        check_workspace_id(workspace_id)
        check_blob_name(name)
        with self._blob_lock:
            if self._put_row_or_check(workspace_id, name, data):
                return
            self._files.put(workspace_id, name, data)

    def _put_row_or_check(self, workspace_id: str, name: str, data: bytes) -> bool:
        """Writes a database blob (True), or checks the quotas for a file blob (False)."""
        with self._write() as connection:
            now = time.time()
            ensure_workspace(connection, workspace_id, now)
            if self._rows is not None:
                # Locks the workspace's row: another replica's write to it waits for this one.
                table = schema.workspaces
                connection.execute(
                    sa.select(table.c.workspace_id)
                    .where(table.c.workspace_id == workspace_id)
                    .with_for_update()
                )
                old = self._rows.size_in(connection, workspace_id, name)
                used = self._rows.workspace_bytes_in(connection, workspace_id)
                total = self._rows.total_bytes_in(connection)
                check_quotas(self.settings, name, len(data), used - old, total - old)
                self._rows.put(connection, workspace_id, name, data)
                return True
            old = self._files.size(workspace_id, name)
            used = self._files.workspace_bytes(workspace_id)
            total = self._files.total_bytes()
            check_quotas(self.settings, name, len(data), used - old, total - old)
            # The workspace's row commits first (on leaving the block); the file follows.
            return False

    def get_blob(self, workspace_id: str, name: str) -> bytes | None:
        """A file of the workspace, or None when there is none by that name."""
        return self._blobs.get(workspace_id, name)

    def delete_blob(self, workspace_id: str, name: str) -> None:
        """Deletes a file of the workspace (nothing when it is not there)."""
        self._blobs.delete(workspace_id, name)

    def blob_names(self, workspace_id: str) -> list[str]:
        """The names of the workspace's files, sorted."""
        return self._blobs.names(workspace_id)

    def workspace_bytes(self, workspace_id: str) -> int:
        """The bytes of the workspace's files."""
        return self._blobs.workspace_bytes(workspace_id)

    def total_bytes(self) -> int:
        """The bytes of every workspace's files."""
        return self._blobs.total_bytes()
