"""The store's settings: defaults, CNNVIZ_* variables, bad values and database URLs."""

from pathlib import Path

import pytest

from cnnviz.store import settings as store_settings
from cnnviz.store.settings import StoreSettings, store_settings_from_environment


def test_defaults_keep_sqlite_in_the_per_user_state_folder(tmp_path):
    environ = {"XDG_STATE_HOME": str(tmp_path)}
    settings = store_settings_from_environment(environ)
    assert settings.state_dir == tmp_path / "cnnviz"
    assert settings.database_url == f"sqlite:///{tmp_path / 'cnnviz' / 'cnnviz.sqlite3'}"
    assert settings.is_sqlite
    assert settings.retention_days == 30.0
    assert settings.workspace_quota_bytes == 2**30
    assert settings.server_quota_bytes == 50 * 2**30
    assert (settings.heartbeat_seconds, settings.server_stale_seconds) == (10.0, 60.0)


def test_without_xdg_the_state_folder_is_under_the_home_folder():
    assert store_settings.default_state_dir({}) == Path.home() / ".local" / "state" / "cnnviz"
    # The XDG spec ignores a relative XDG_STATE_HOME.
    relative = store_settings.default_state_dir({"XDG_STATE_HOME": "relative"})
    assert relative == Path.home() / ".local" / "state" / "cnnviz"


def test_every_variable_is_read(tmp_path):
    environ = {
        "CNNVIZ_STATE_DIR": str(tmp_path / "state"),
        "CNNVIZ_DATABASE_URL": "sqlite:////elsewhere/db.sqlite3",
        "CNNVIZ_WORKSPACE_DAYS": "7.5",
        "CNNVIZ_WORKSPACE_DISK_MB": "2",
        "CNNVIZ_SERVER_DISK_MB": "10",
        "CNNVIZ_HEARTBEAT_SECONDS": "2",
        "CNNVIZ_SERVER_STALE_SECONDS": "9",
    }
    settings = store_settings_from_environment(environ)
    assert settings == StoreSettings(
        state_dir=tmp_path / "state",
        database_url="sqlite:////elsewhere/db.sqlite3",
        retention_days=7.5,
        workspace_quota_bytes=2 * 2**20,
        server_quota_bytes=10 * 2**20,
        heartbeat_seconds=2.0,
        server_stale_seconds=9.0,
    )


def test_the_default_database_follows_the_state_folder(tmp_path):
    settings = store_settings_from_environment({"CNNVIZ_STATE_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/cnnviz.sqlite3"


@pytest.mark.parametrize(
    ("variable", "text", "default"),
    [
        ("CNNVIZ_WORKSPACE_DAYS", "a month", "30"),
        ("CNNVIZ_WORKSPACE_DAYS", "0", "30"),
        ("CNNVIZ_WORKSPACE_DISK_MB", "-5", "1024"),
        ("CNNVIZ_SERVER_DISK_MB", "inf", "51200"),
        ("CNNVIZ_HEARTBEAT_SECONDS", "nan", "10"),
        ("CNNVIZ_SERVER_STALE_SECONDS", "1e", "60"),
    ],
)
def test_a_bad_value_names_the_variable_what_it_got_and_the_default(variable, text, default):
    with pytest.raises(ValueError) as raised:
        store_settings_from_environment({"XDG_STATE_HOME": "/tmp", variable: text})
    message = str(raised.value)
    assert variable in message
    assert repr(text) in message
    assert f"the default, {default}." in message


def test_a_stale_time_shorter_than_the_heartbeat_is_refused():
    environ = {"CNNVIZ_HEARTBEAT_SECONDS": "30", "CNNVIZ_SERVER_STALE_SECONDS": "20"}
    with pytest.raises(ValueError, match="CNNVIZ_SERVER_STALE_SECONDS.*CNNVIZ_HEARTBEAT_SECONDS"):
        store_settings_from_environment(environ)


def test_a_url_sqlalchemy_cannot_read_is_refused():
    with pytest.raises(ValueError, match="CNNVIZ_DATABASE_URL is not a database URL"):
        store_settings_from_environment({"CNNVIZ_DATABASE_URL": "not a url"})


@pytest.mark.parametrize(
    "written",
    [
        "postgresql:///cnnviz?host=/var/run/postgresql",
        "postgres:///cnnviz?host=/var/run/postgresql",
    ],
)
def test_a_bare_postgresql_url_uses_psycopg_3(written, monkeypatch):
    monkeypatch.setattr(store_settings, "_psycopg3_preferred", lambda: True)
    settings = store_settings_from_environment({"CNNVIZ_DATABASE_URL": written})
    assert settings.database_url == "postgresql+psycopg:///cnnviz?host=/var/run/postgresql"
    assert not settings.is_sqlite


def test_a_url_naming_its_driver_is_kept(monkeypatch):
    monkeypatch.setattr(store_settings, "_psycopg3_preferred", lambda: True)
    url = "postgresql+psycopg2://user:secret@db.school/cnnviz"
    assert store_settings.normalize_database_url(url) == url


def test_the_old_hours_variable_is_warned_about_not_read():
    environ = {"CNNVIZ_WORKSPACE_HOURS": "2"}
    assert store_settings_from_environment(environ).retention_days == 30.0
    (warning,) = store_settings.legacy_warnings(environ)
    assert "CNNVIZ_WORKSPACE_HOURS is no longer read" in warning
    assert "CNNVIZ_WORKSPACE_DAYS" in warning
    assert store_settings.legacy_warnings({}) == []


def test_settings_made_in_code_are_checked_too(tmp_path):
    with pytest.raises(ValueError, match="workspace_quota_bytes"):
        StoreSettings.for_folder(tmp_path, workspace_quota_bytes=0)
