"""The store's back ends for its tests: SQLite always, PostgreSQL when one is reachable.

`backend_settings` makes StoreSettings for a fresh, empty database of each back end. PostgreSQL
is used when CNNVIZ_TEST_POSTGRES_URL names a database (for example
`postgresql:///cnnviz_test?host=/var/run/postgresql`); each test gets its own schema there,
dropped afterwards. Without the variable, or without a reachable server, those tests skip with
the reason, except in CI (`CI` set) with the variable set: there an unreachable server fails.
"""

import os
import uuid

import pytest

POSTGRES_URL_VARIABLE = "CNNVIZ_TEST_POSTGRES_URL"


def _postgres_url_or_skip() -> str:
    import sqlalchemy as sa

    from cnnviz.store.settings import normalize_database_url

    text = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not text:
        pytest.skip(
            f"PostgreSQL: {POSTGRES_URL_VARIABLE} is not set (for example "
            "postgresql:///cnnviz_test?host=/var/run/postgresql)"
        )
    url = normalize_database_url(text, POSTGRES_URL_VARIABLE)
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except Exception as error:
        reason = f"PostgreSQL at {POSTGRES_URL_VARIABLE}={text!r} is unreachable: {error}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_url():
    """A PostgreSQL URL whose search path is a fresh schema, dropped after the test."""
    import sqlalchemy as sa

    url = _postgres_url_or_skip()
    schema_name = f"cnnviz_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.schema.CreateSchema(schema_name))
    parsed = sa.engine.make_url(url)
    scoped = parsed.update_query_dict({"options": f"-csearch_path={schema_name}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with engine.begin() as connection:
            connection.execute(sa.schema.DropSchema(schema_name, cascade=True))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_settings(request, tmp_path):
    """A function making StoreSettings (keyword overrides) for a fresh database of one back end.

    Every call gives the same database and state folder, so a test can reopen the store.
    """
    from cnnviz.store.settings import StoreSettings

    overrides = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")

    def make(**more):
        return StoreSettings.for_folder(tmp_path / "state", **(overrides | more))

    return make


@pytest.fixture
def store(backend_settings):
    """An open store on a fresh database of each back end, closed after the test."""
    from cnnviz.store.database import open_store

    opened = open_store(backend_settings())
    yield opened
    opened.close()
