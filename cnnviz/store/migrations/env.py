"""Alembic's environment: runs the migrations on the connection cnnviz.store.migrating gives.

cnnviz passes its open connection (already holding the migration lock) in
`config.attributes["connection"]`; a developer's `alembic` command without one gets an engine
from the config's `sqlalchemy.url`.
"""

from alembic import context
from sqlalchemy import create_engine

from cnnviz.store.schema import metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Runs the migrations on the given connection, or on an engine of sqlalchemy.url."""
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
        connection.commit()
    engine.dispose()


# Alembic gives `context` its config while it runs this file; a plain import (the house tests
# import every module) finds none and does nothing.
if hasattr(context, "config"):
    run_migrations()
