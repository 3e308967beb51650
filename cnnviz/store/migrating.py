"""The store's engine and its schema: SQLite's connection set-up, and Alembic under a lock.

Several servers may start at once on one database (replicas on PostgreSQL, or a restart that
overlaps the old process on SQLite), so the migrations run under a lock every server honours:
an flock on a file in the state folder for SQLite, `pg_advisory_lock` for PostgreSQL. A database
whose schema is newer than this code's migrations is refused, with one line.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.resources
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cnnviz.store.settings import StoreSettings

# The migrations package's folder (Alembic reads its files by path; wheels install it unzipped).
MIGRATIONS_DIR = Path(str(importlib.resources.files("cnnviz.store.migrations")))
MIGRATION_LOCK_FILE = "migrations.lock"
# Any fixed 64-bit number works for pg_advisory_lock; every cnnviz server uses this one.
POSTGRES_MIGRATION_LOCK = 0x636E6E76697A  # "cnnviz" in ASCII
# A writer waits this long for another's transaction before SQLite reports "database is locked".
SQLITE_BUSY_SECONDS = 30.0
# The execution option that makes a SQLite transaction take the write lock at its start.
WRITE_OPTION = "cnnviz_write"


class StoreError(RuntimeError):
    """The store cannot be used: an unreachable database, or one newer than this code."""


def make_engine(settings: StoreSettings) -> sa.Engine:
    """The engine (with its connection pool) for the settings' database; one per process.

    SQLite gets write-ahead logging (readers never wait for a writer), foreign keys and a busy
    timeout. Its transactions are begun by hand: the driver's own BEGIN comes too late for
    DDL, and a write transaction begins IMMEDIATE so that two writers queue rather than fail.

    Args:
        settings: the store's settings.

    Returns:
        The engine (nothing connected yet).
    """
    if not settings.is_sqlite:
        # pre_ping: a pooled connection the database closed (a restart) is replaced, not used.
        return sa.create_engine(settings.database_url, pool_pre_ping=True)
    engine = sa.create_engine(settings.database_url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _set_up(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we send BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def alembic_config() -> Config:
    """Alembic's configuration, made in code: the migrations folder inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """This code's newest schema revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migrate(engine: sa.Engine, settings: StoreSettings) -> None:
    """Brings the database's schema to this code's head, under the migration lock.

    Args:
        engine: the store's engine.
        settings: the store's settings (the state folder holds SQLite's lock file).

    Raises:
        StoreError: when the database cannot be reached, or its schema is newer than this code.
    """
    try:
        with _migration_lock(engine, settings) as connection:
            config = alembic_config()
            _refuse_newer_schema(connection, config)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
    except sa.exc.OperationalError as error:
        url = engine.url.render_as_string(hide_password=True)
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise StoreError(
            f"Cannot open the database {url}: {reason}. Check CNNVIZ_DATABASE_URL (or "
            "--database-url) and that the database server runs."
        ) from None


def _refuse_newer_schema(connection: sa.Connection, config: Config) -> None:
    current = MigrationContext.configure(connection).get_current_heads()
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    unknown = sorted(set(current) - known)
    if unknown:
        raise StoreError(
            f"This server's cnnviz is older than the database's schema (revision "
            f"{', '.join(unknown)}; this code knows up to {head_revision()}): upgrade it."
        )


@contextlib.contextmanager
def _migration_lock(engine: sa.Engine, settings: StoreSettings) -> Iterator[sa.Connection]:
    """A connection holding the lock that one server at a time migrates under."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_lock(POSTGRES_MIGRATION_LOCK)))
            connection.commit()
            try:
                yield connection
            finally:
                connection.rollback()  # a failed migration leaves its transaction open
                connection.execute(sa.select(sa.func.pg_advisory_unlock(POSTGRES_MIGRATION_LOCK)))
                connection.commit()
        return
    if engine.dialect.name == "sqlite":
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        with open(settings.state_dir / MIGRATION_LOCK_FILE, "a+b") as lock_file:
            # flock, not fcntl.lockf: it also keeps two threads or stores in one process apart.
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                with engine.connect() as connection:
                    yield connection.execution_options(**{WRITE_OPTION: True})
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        return
    # Other databases: no lock known to cnnviz; one server should migrate at a time.
    with engine.connect() as connection:
        yield connection
