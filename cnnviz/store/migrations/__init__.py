"""The store's Alembic migrations (run in code by cnnviz.store.migrating; no alembic.ini)."""
