"""Shared test set-up and fixtures (plain helper functions are in tests/helpers/).

The environment is fixed at import time, before any test module imports cnnviz or TensorFlow,
so that no test ever reaches for the network or a developer's own data folder. Fixtures import
cnnviz inside their bodies, so that collecting the tests imports no TensorFlow.
"""

import os
import tempfile
import uuid

import pytest

os.environ["CNNVIZ_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.pop("CNNVIZ_DATA_DIR", None)
# Work the app keeps goes to a folder of this test run's own, never a developer's state folder
# (servers the tests start inherit it); CNNVIZ_DATABASE_URL is set by the tests that want one.
os.environ["CNNVIZ_STATE_DIR"] = tempfile.mkdtemp(prefix="cnnviz-test-state-")
os.environ.pop("CNNVIZ_DATABASE_URL", None)


@pytest.fixture(scope="session")
def mnist():
    """The bundled MNIST sample (6,000 training and 1,000 test images), loaded once.

    Its arrays are read-only, so one copy serves every test.
    """
    from cnnviz.data import datasets

    dataset = datasets.load_dataset("mnist")
    assert dataset.is_sample
    return dataset


@pytest.fixture(scope="module")
def tiny_model():
    """The Tiny preset built for 28x28x1 and 10 classes, untrained, with seeded weights."""
    import keras

    from cnnviz.model.with_keras import builder
    from cnnviz.training import presets

    keras.utils.set_random_seed(0)
    spec = presets.preset_spec("tiny", (28, 28, 1), 10)
    return builder.build_model(spec, (28, 28, 1), 10)


@pytest.fixture(scope="module")
def trained_app(request):
    """The app after one short training (see helpers.apptest), on the page the test module
    names in TRAINED_APP_PAGE (the Train page when it names none); one per module."""
    from helpers.apptest import assert_no_exception, open_app, train_one_short_epoch

    app = open_app()
    train_one_short_epoch(app)
    page = getattr(request.module, "TRAINED_APP_PAGE", None)
    if page is not None:
        app.switch_page(page).run()
        assert_no_exception(app)
    return app


# ----- the store's back ends: SQLite always, PostgreSQL when one is reachable -----
# backend_settings makes StoreSettings for a fresh, empty database of each back end; PostgreSQL
# is used when CNNVIZ_TEST_POSTGRES_URL names a database (each test its own schema, dropped
# afterwards). Without it, or unreachable, those tests skip with the reason, except in CI (`CI`
# set) with the variable set: there an unreachable server fails.

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
