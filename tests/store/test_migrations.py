"""The store's schema: Alembic migrations idempotent, under a lock, and a newer schema refused."""

import multiprocessing

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cnnviz.store import migrating, schema
from cnnviz.store.database import StoreError, open_store
from cnnviz.store.settings import StoreSettings

# Alembic's own table, as it makes it.
ALEMBIC_VERSION = sa.Table("alembic_version", sa.MetaData(), sa.Column("version_num", sa.String))


def _versions(store) -> list[str]:
    with store.engine.connect() as connection:
        return list(connection.execute(sa.select(ALEMBIC_VERSION.c.version_num)).scalars())


def test_the_migrations_build_exactly_the_schema_the_code_uses(store):
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    assert differences == []
    assert _versions(store) == [migrating.head_revision()]


def test_migrating_again_changes_nothing(store, backend_settings):
    store.save_workspace("w1", {"kept": True})
    for _ in range(2):
        again = open_store(backend_settings())
        again.close()
    assert _versions(store) == [migrating.head_revision()]
    assert store.load_workspace("w1").data == {"kept": True}


def test_two_processes_migrating_at_once_both_succeed(backend_settings):
    settings = backend_settings()
    context = multiprocessing.get_context("spawn")
    from helpers.store_workers import open_and_close

    barrier, results = context.Barrier(2), context.Queue()
    processes = [
        context.Process(
            target=open_and_close,
            args=(str(settings.state_dir), settings.database_url, barrier, results),
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    outcomes = sorted(results.get(timeout=60) for _ in processes)
    for process in processes:
        process.join(30)
    assert outcomes == ["ok", "ok"]
    store = open_store(settings)
    try:
        assert _versions(store) == [migrating.head_revision()]
        assert len(store.servers()) == 3
    finally:
        store.close()


def test_a_database_newer_than_this_code_is_refused_with_one_line(store, backend_settings):
    with store.engine.begin() as connection:
        connection.execute(sa.update(ALEMBIC_VERSION).values(version_num="9999"))
    with pytest.raises(StoreError) as raised:
        open_store(backend_settings())
    message = str(raised.value)
    assert "\n" not in message
    assert "older than the database's schema (revision 9999" in message
    assert message.endswith("upgrade it.")


def test_an_unreachable_database_is_one_line(tmp_path):
    settings = StoreSettings(
        state_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/missing/folder/db.sqlite3"
    )
    with pytest.raises(StoreError) as raised:
        open_store(settings)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"Cannot open the database sqlite:///{tmp_path}/missing")
    assert "CNNVIZ_DATABASE_URL" in message


def test_the_wheel_carries_the_migrations():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    # setuptools finds packages by __init__.py; the migrations are .py files of two packages.
    assert (migrating.MIGRATIONS_DIR / "__init__.py").is_file()
    assert (migrating.MIGRATIONS_DIR / "versions" / "__init__.py").is_file()
    assert (
        "script.py.mako" in config["tool"]["setuptools"]["package-data"]["cnnviz.store.migrations"]
    )
