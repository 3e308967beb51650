"""Two app servers on one database: a run is trained by one server at a time (both back ends)."""

from __future__ import annotations

from cnnviz.store.database import open_store


def test_a_run_another_live_server_trains_cannot_be_claimed_until_it_stops(backend_settings):
    first = open_store(backend_settings())
    second = open_store(backend_settings())
    try:
        first.save_run(
            "w", 2, {}, state="running", epochs_done=3, test_accuracy=None, training=True
        )
        assert second.claim_run("w", 2) == first.server_id
        (run,) = second.load_runs("w")
        assert run.server_id == first.server_id  # untouched by the refused claim
        assert first.claim_run("w", 2) is None  # its own run: still its own
        first.close()  # the first server stops
        assert second.claim_run("w", 2) is None
        (run,) = second.load_runs("w")
        assert run.server_id == second.server_id
    finally:
        second.close()


def test_a_run_nobody_trains_is_claimed_at_once(store):
    store.save_run(
        "w", 1, {}, state="interrupted", epochs_done=2, test_accuracy=None, training=False
    )
    assert store.claim_run("w", 1) is None
    assert store.load_runs("w")[0].server_id == store.server_id


def test_a_killed_server_on_this_machine_is_known_at_once(backend_settings):
    import multiprocessing

    from helpers.store_workers import die_while_training_on

    settings = backend_settings()
    process = multiprocessing.get_context("spawn").Process(
        target=die_while_training_on,
        args=(str(settings.state_dir / "killed"), settings.database_url),
    )
    process.start()
    process.join(60)
    assert process.exitcode == -9
    # Its heartbeat is fresh (well within the stale time): its missing process tells.
    store = open_store(settings)
    try:
        assert store.interrupt_orphaned_runs() == [("w", 1)]
        assert store.claim_run("w", 1) is None
    finally:
        store.close()
