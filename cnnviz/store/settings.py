"""Where and how the server keeps students' work: the store's settings, from CNNVIZ_* variables.

Every setting is an environment variable (the `cnnviz app` flags only set them), so a plain
`streamlit run app.py` reads the same ones. The defaults live here and nowhere else.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cnnviz.quantities import number_setting

STATE_DIR_VARIABLE = "CNNVIZ_STATE_DIR"
DATABASE_URL_VARIABLE = "CNNVIZ_DATABASE_URL"
WORKSPACE_DAYS_VARIABLE = "CNNVIZ_WORKSPACE_DAYS"
WORKSPACE_DISK_VARIABLE = "CNNVIZ_WORKSPACE_DISK_MB"
SERVER_DISK_VARIABLE = "CNNVIZ_SERVER_DISK_MB"
HEARTBEAT_VARIABLE = "CNNVIZ_HEARTBEAT_SECONDS"
SERVER_STALE_VARIABLE = "CNNVIZ_SERVER_STALE_SECONDS"
# Read by the in-memory registry before the database existed; now only warned about.
LEGACY_HOURS_VARIABLE = "CNNVIZ_WORKSPACE_HOURS"

MEBIBYTE = 2**20
GIBIBYTE = 2**30
DEFAULT_RETENTION_DAYS = 30.0
DEFAULT_WORKSPACE_QUOTA_BYTES = 1 * GIBIBYTE
DEFAULT_SERVER_QUOTA_BYTES = 50 * GIBIBYTE
DEFAULT_HEARTBEAT_SECONDS = 10.0
DEFAULT_SERVER_STALE_SECONDS = 60.0
SQLITE_FILE_NAME = "cnnviz.sqlite3"


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user state folder: `$XDG_STATE_HOME/cnnviz`, else `~/.local/state/cnnviz`.

    Args:
        environ: the environment to read (os.environ when None).

    Returns:
        The folder's path (not created).
    """
    environ = os.environ if environ is None else environ
    xdg = environ.get("XDG_STATE_HOME", "").strip()
    # The XDG spec ignores a relative XDG_STATE_HOME; so do we.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "cnnviz"


DEFAULT_STATE_DIR = default_state_dir()


@dataclass(frozen=True)
class StoreSettings:
    """Where the store keeps its database and files, and its limits.

    Attributes:
        state_dir: the folder for the SQLite database, model files and lock files.
        database_url: a SQLAlchemy URL (SQLite in state_dir by default; PostgreSQL for replicas).
        retention_days: a workspace nobody visited for this long is deleted with its files.
        workspace_quota_bytes: the files one workspace may keep (models, checkpoints, own data).
        server_quota_bytes: the files all workspaces together may keep.
        heartbeat_seconds: how often a server refreshes its heartbeat.
        server_stale_seconds: a server whose heartbeat is older than this counts as stopped.
    """

    state_dir: Path
    database_url: str
    retention_days: float = DEFAULT_RETENTION_DAYS
    workspace_quota_bytes: int = DEFAULT_WORKSPACE_QUOTA_BYTES
    server_quota_bytes: int = DEFAULT_SERVER_QUOTA_BYTES
    heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS
    server_stale_seconds: float = DEFAULT_SERVER_STALE_SECONDS

    def __post_init__(self):
        for field_name in (
            "retention_days",
            "workspace_quota_bytes",
            "server_quota_bytes",
            "heartbeat_seconds",
            "server_stale_seconds",
        ):
            value = getattr(self, field_name)
            if not (isinstance(value, int | float) and 0 < value < math.inf):
                raise ValueError(
                    f"StoreSettings.{field_name} must be a positive number. "
                    f"Received: {field_name}={value!r}."
                )
        if self.server_stale_seconds <= self.heartbeat_seconds:
            # Otherwise a live server looks stopped between two heartbeats.
            raise ValueError(
                f"The time after which a server counts as stopped ({SERVER_STALE_VARIABLE}) must "
                f"be longer than its heartbeat ({HEARTBEAT_VARIABLE}). Received: "
                f"server_stale_seconds={self.server_stale_seconds:g}, "
                f"heartbeat_seconds={self.heartbeat_seconds:g}."
            )

    @classmethod
    def for_folder(cls, state_dir: Path | str, **overrides) -> StoreSettings:
        """Settings with SQLite in `state_dir` and the default limits (tests, benchmarks).

        Args:
            state_dir: the state folder.
            **overrides: other fields to set (database_url, retention_days, ...).
        """
        state_dir = Path(state_dir)
        overrides.setdefault("database_url", default_database_url(state_dir))
        return cls(state_dir=state_dir, **overrides)

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite (one server; blobs kept as files)."""
        return make_url(self.database_url).get_backend_name() == "sqlite"


def default_database_url(state_dir: Path) -> str:
    """The SQLite URL of the database file in `state_dir`."""
    return f"sqlite:///{Path(state_dir).absolute() / SQLITE_FILE_NAME}"


def normalize_database_url(url: str, variable: str = DATABASE_URL_VARIABLE) -> str:
    """Checks a SQLAlchemy URL and picks psycopg 3 for a bare `postgresql://` one.

    SQLAlchemy reads `postgresql://` as psycopg2; the `postgres` extra installs psycopg 3, so a
    bare URL uses it when psycopg2 is not the one installed. `postgres://` (as some hosts write
    it) means the same.

    Args:
        url: the URL as the user wrote it.
        variable: the setting's name, for the message.

    Returns:
        The URL to give SQLAlchemy.

    Raises:
        ValueError: when SQLAlchemy cannot read the URL.
    """
    text = url.strip()
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise ValueError(
            f"{variable} is not a database URL. Received: {variable}={url!r}. Write one such as "
            "'postgresql:///cnnviz?host=/var/run/postgresql', or unset it to use SQLite in the "
            "state folder."
        ) from None
    if parsed.drivername == "postgresql" and _psycopg3_preferred():
        # Only the scheme changes: the rest stays as the user wrote it (no re-encoding).
        text = "postgresql+psycopg" + text[len("postgresql") :]
    return text


def _psycopg3_preferred() -> bool:
    return (
        importlib.util.find_spec("psycopg") is not None
        and importlib.util.find_spec("psycopg2") is None
    )


def _positive(environ: Mapping[str, str], variable: str, default: float, unit: str) -> float:
    return number_setting(environ, variable, default, what=f"a positive number of {unit}")


def store_settings_from_environment(environ: Mapping[str, str] | None = None) -> StoreSettings:
    """The store's settings from the CNNVIZ_* environment variables.

    Reads CNNVIZ_STATE_DIR, CNNVIZ_DATABASE_URL (default: SQLite in the state folder),
    CNNVIZ_WORKSPACE_DAYS, CNNVIZ_WORKSPACE_DISK_MB, CNNVIZ_SERVER_DISK_MB,
    CNNVIZ_HEARTBEAT_SECONDS and CNNVIZ_SERVER_STALE_SECONDS; unset or empty means the default.

    Args:
        environ: the environment to read (os.environ when None).

    Returns:
        The settings.

    Raises:
        ValueError: naming the variable, what it held and the default, when one is wrong.
    """
    environ = os.environ if environ is None else environ
    state_text = environ.get(STATE_DIR_VARIABLE, "").strip()
    state_dir = Path(state_text).expanduser() if state_text else default_state_dir(environ)
    url_text = environ.get(DATABASE_URL_VARIABLE, "").strip()
    database_url = normalize_database_url(url_text) if url_text else None
    workspace_mb = _positive(
        environ, WORKSPACE_DISK_VARIABLE, DEFAULT_WORKSPACE_QUOTA_BYTES / MEBIBYTE, "megabytes"
    )
    server_mb = _positive(
        environ, SERVER_DISK_VARIABLE, DEFAULT_SERVER_QUOTA_BYTES / MEBIBYTE, "megabytes"
    )
    return StoreSettings(
        state_dir=state_dir,
        database_url=database_url or default_database_url(state_dir),
        retention_days=_positive(environ, WORKSPACE_DAYS_VARIABLE, DEFAULT_RETENTION_DAYS, "days"),
        workspace_quota_bytes=max(1, int(workspace_mb * MEBIBYTE)),
        server_quota_bytes=max(1, int(server_mb * MEBIBYTE)),
        heartbeat_seconds=_positive(
            environ, HEARTBEAT_VARIABLE, DEFAULT_HEARTBEAT_SECONDS, "seconds"
        ),
        server_stale_seconds=_positive(
            environ, SERVER_STALE_VARIABLE, DEFAULT_SERVER_STALE_SECONDS, "seconds"
        ),
    )


def legacy_warnings(environ: Mapping[str, str] | None = None) -> list[str]:
    """Sentences about settings this version no longer reads, for the server's start.

    Args:
        environ: the environment to read (os.environ when None).

    Returns:
        One sentence per old variable that is set (empty when none is).
    """
    environ = os.environ if environ is None else environ
    warnings = []
    if environ.get(LEGACY_HOURS_VARIABLE, "").strip():
        warnings.append(
            f"{LEGACY_HOURS_VARIABLE} is no longer read: workspaces are kept in the database, "
            f"and {WORKSPACE_DAYS_VARIABLE} (default {DEFAULT_RETENTION_DAYS:g}) says how many "
            "days after the last visit they are deleted. Received: "
            f"{LEGACY_HOURS_VARIABLE}={environ[LEGACY_HOURS_VARIABLE]!r}."
        )
    return warnings


def safe_url(url: str) -> str:
    """The database URL with any password hidden, for messages and logs."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(an unreadable database URL)"
