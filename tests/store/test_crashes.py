"""A server killed with SIGKILL inside a database transaction: the write is not half there,
and the database opens again with what was committed before (both back ends)."""

from __future__ import annotations

import multiprocessing

from cnnviz.store.database import open_store


def test_a_kill_inside_a_transaction_keeps_the_last_committed_state(backend_settings):
    from helpers.store_workers import die_inside_a_transaction

    settings = backend_settings()
    process = multiprocessing.get_context("spawn").Process(
        target=die_inside_a_transaction, args=(str(settings.state_dir), settings.database_url)
    )
    process.start()
    process.join(60)
    assert process.exitcode == -9
    store = open_store(settings)
    try:
        assert store.load_workspace("w").data == {"version": 1}
        assert [run.record for run in store.load_runs("w")] == [{"kept": True}]
        store.save_workspace("w", {"version": 3})  # and it takes writes again
        assert store.load_workspace("w").data == {"version": 3}
    finally:
        store.close()
