"""The Store on each back end: workspaces, runs, expiry, orphaned trainings, servers, threads."""

import multiprocessing
import threading
import time

import pytest
import sqlalchemy as sa

from cnnviz.store import schema
from cnnviz.store.database import open_store
from cnnviz.store.heartbeat import start_heartbeat_thread

DAY = 86_400


def test_a_workspace_round_trips_and_an_upsert_keeps_its_creation(store):
    assert store.load_workspace("w1") is None
    assert not store.workspace_exists("w1")
    store.save_workspace("w1", {"layers": [{"type": "Conv2D", "filters": 8}]}, name="Ada")
    first = store.load_workspace("w1")
    assert first.data == {"layers": [{"type": "Conv2D", "filters": 8}]}
    assert first.name == "Ada"
    assert first.created_at == first.changed_at == first.last_visit
    time.sleep(0.01)
    store.save_workspace("w1", {"layers": []})
    second = store.load_workspace("w1")
    assert second.data == {"layers": []}
    assert second.name == "Ada"  # None keeps the stored name
    assert second.created_at == first.created_at
    assert second.changed_at > first.changed_at
    assert store.workspace_ids() == ["w1"]
    assert store.workspace_exists("w1")


def test_touch_records_a_visit_of_a_stored_workspace_only(store):
    store.touch("never-stored")
    assert not store.workspace_exists("never-stored")
    store.save_workspace("w1", {})
    before = store.load_workspace("w1")
    time.sleep(0.01)
    store.touch("w1")
    after = store.load_workspace("w1")
    assert after.last_visit > before.last_visit
    assert after.changed_at == before.changed_at


def test_bad_ids_and_data_are_refused_with_the_reason(store):
    with pytest.raises(ValueError, match=r"workspace id.*Received: '\.\./x'"):
        store.save_workspace("../x", {})
    with pytest.raises(ValueError, match="plain JSON data only"):
        store.save_workspace("w1", {"array": object()})
    assert store.workspace_ids() == []


def test_runs_round_trip_in_order_and_training_stamps_this_server(store):
    store.save_workspace("w1", {})
    store.save_run(
        "w1",
        2,
        {"history": {"loss": [0.5]}},
        state="training",
        epochs_done=1,
        test_accuracy=None,
        training=True,
    )
    store.save_run(
        "w1",
        1,
        {"history": {}},
        state="finished",
        epochs_done=3,
        test_accuracy=0.91,
        training=False,
    )
    first, second = store.load_runs("w1")
    assert (first.run_id, first.state, first.epochs_done) == (1, "finished", 3)
    assert first.test_accuracy == pytest.approx(0.91)
    assert first.server_id is None
    assert second.record == {"history": {"loss": [0.5]}}
    assert second.server_id == store.server_id
    store.save_run(
        "w1",
        2,
        {"history": {"loss": [0.5, 0.4]}},
        state="finished",
        epochs_done=2,
        test_accuracy=0.8,
        training=False,
    )
    updated = store.load_runs("w1")[1]
    assert (updated.state, updated.epochs_done, updated.server_id) == ("finished", 2, None)
    assert updated.record["history"]["loss"] == [0.5, 0.4]


def test_a_run_of_an_unsaved_workspace_creates_its_row(store):
    store.save_run(
        "fresh", 1, {}, state="training", epochs_done=0, test_accuracy=None, training=True
    )
    assert store.load_workspace("fresh").data == {}


def test_deleting_a_run_deletes_its_files_only(store):
    store.save_workspace("w1", {})
    for run_id in (1, 10):
        store.save_run(
            "w1", run_id, {}, state="finished", epochs_done=1, test_accuracy=0.5, training=False
        )
        store.put_blob("w1", f"run-{run_id}.keras", b"model")
        store.put_blob("w1", f"run-{run_id}.checkpoint", b"weights")
    store.delete_run("w1", 1)
    assert [run.run_id for run in store.load_runs("w1")] == [10]
    assert store.blob_names("w1") == ["run-10.checkpoint", "run-10.keras"]


def test_deleting_a_workspace_removes_rows_and_files(store):
    store.save_workspace("w1", {"a": 1})
    store.save_run("w1", 1, {}, state="finished", epochs_done=1, test_accuracy=0.5, training=False)
    store.put_blob("w1", "run-1.keras", b"model")
    store.save_workspace("w2", {})
    assert store.delete_workspace("w1") is True
    assert store.delete_workspace("w1") is False
    assert store.load_workspace("w1") is None
    assert store.load_runs("w1") == []
    assert store.blob_names("w1") == []
    assert store.total_bytes() == 0
    if store.settings.is_sqlite:
        assert not (store.settings.state_dir / "workspaces" / "w1").exists()
    assert store.workspace_ids() == ["w2"]


def test_expiry_deletes_old_workspaces_but_not_kept_or_training_ones(store):
    for workspace_id in ("old", "kept", "training", "recent"):
        store.save_workspace(workspace_id, {})
        store.put_blob(workspace_id, "run-1.keras", b"12345")
    store.save_run(
        "training", 1, {}, state="training", epochs_done=1, test_accuracy=None, training=True
    )
    now = time.time()
    # Nothing is older than 30 days yet.
    assert store.expire_workspaces(now=now) == []
    later = now + 31 * DAY
    store.save_workspace("recent", {})  # visited "now" ...
    assert store.expire_workspaces(now=later, keep=frozenset({"kept"})) == ["old", "recent"]
    assert store.workspace_ids() == ["kept", "training"]
    assert store.blob_names("old") == []
    assert store.workspace_bytes("kept") == 5


def test_orphaned_runs_are_interrupted_but_a_live_servers_are_not(store, backend_settings):
    now = time.time()
    with store.engine.begin() as connection:
        for server_id, heartbeat, stopped in [
            ("stale", now - 3600, None),
            ("stopped", now, now - 5),
        ]:
            connection.execute(
                sa.insert(schema.servers).values(
                    server_id=server_id,
                    host="elsewhere",
                    pid=1,
                    started_at=now - 7200,
                    heartbeat_at=heartbeat,
                    stopped_at=stopped,
                )
            )
    live = open_store(backend_settings())
    try:
        store.save_workspace("w", {})
        for run_id in (1, 2, 3, 4, 5):
            owner = live if run_id == 3 else store
            owner.save_run(
                "w",
                run_id,
                {},
                state="training",
                epochs_done=run_id,
                test_accuracy=None,
                training=True,
            )
        runs = schema.runs
        with store.engine.begin() as connection:
            for run_id, server_id in [(1, "stale"), (2, "stopped"), (5, "gone")]:
                connection.execute(
                    sa.update(runs).where(runs.c.run_id == run_id).values(server_id=server_id)
                )
        assert store.interrupt_orphaned_runs("interrupted") == [("w", 1), ("w", 2), ("w", 5)]
        # A second call (another replica at once) finds nothing more.
        assert store.interrupt_orphaned_runs("interrupted") == []
        by_id = {run.run_id: run for run in store.load_runs("w")}
        for run_id in (1, 2, 5):
            assert (by_id[run_id].state, by_id[run_id].server_id) == ("interrupted", None)
            assert by_id[run_id].epochs_done == run_id
        assert (by_id[3].state, by_id[3].server_id) == ("training", live.server_id)
        assert (by_id[4].state, by_id[4].server_id) == ("training", store.server_id)
        # Once the live server stops, its run is interrupted too.
        live.close()
        assert store.interrupt_orphaned_runs() == [("w", 3)]
    finally:
        live.close()


def test_a_sqlite_restart_interrupts_the_killed_processs_runs_at_once(tmp_path):
    from cnnviz.store.settings import StoreSettings
    from helpers.store_workers import die_while_training

    process = multiprocessing.get_context("spawn").Process(
        target=die_while_training, args=(str(tmp_path),)
    )
    process.start()
    process.join(60)
    assert process.exitcode == -9
    # Its heartbeat is fresh and its row not stopped: only its process's lock says it is gone.
    store = open_store(StoreSettings.for_folder(tmp_path))
    try:
        (dead,) = [row for row in store.servers() if row["server_id"] != store.server_id]
        assert dead["stopped_at"] is None
        assert dead["heartbeat_at"] > time.time() - 60
        assert store.interrupt_orphaned_runs() == [("w", 1)]
        assert store.load_runs("w")[0].state == "interrupted"
    finally:
        store.close()


def test_heartbeat_close_and_the_server_rows(store):
    (row,) = store.servers()
    assert row["server_id"] == store.server_id
    assert row["stopped_at"] is None
    store.save_run("w", 1, {}, state="training", epochs_done=0, test_accuracy=None, training=True)
    time.sleep(0.01)
    store.heartbeat()
    (after,) = store.servers()
    assert after["heartbeat_at"] > row["heartbeat_at"]
    with store.engine.connect() as connection:
        run_beat = connection.execute(sa.select(schema.runs.c.heartbeat_at)).scalar_one()
    assert run_beat == pytest.approx(after["heartbeat_at"])
    settings = store.settings
    store.close()
    store.close()  # a second close does nothing
    reopened = open_store(settings)
    try:
        rows = {r["server_id"]: r for r in reopened.servers()}
        assert rows[store.server_id]["stopped_at"] is not None
        assert rows[reopened.server_id]["stopped_at"] is None
    finally:
        reopened.close()


def test_the_heartbeat_thread_beats_until_stopped(backend_settings):
    opened = open_store(backend_settings(heartbeat_seconds=0.05, server_stale_seconds=1.0))
    try:
        started = opened.servers()[0]["heartbeat_at"]
        stop = start_heartbeat_thread(opened)
        deadline = time.time() + 5
        while opened.servers()[0]["heartbeat_at"] == started and time.time() < deadline:
            time.sleep(0.02)
        stop.set()
        assert opened.servers()[0]["heartbeat_at"] > started
    finally:
        opened.close()


def test_two_threads_writing_at_once_lose_nothing(store):
    errors = []

    def write(workspace_id):
        try:
            for index in range(25):
                store.save_workspace(workspace_id, {"step": index})
                store.save_run(
                    workspace_id,
                    index,
                    {"i": index},
                    state="finished",
                    epochs_done=index,
                    test_accuracy=0.5,
                    training=False,
                )
                store.put_blob(workspace_id, f"run-{index}.keras", bytes(100))
        except Exception as error:  # the assertion below shows it
            errors.append(error)

    threads = [threading.Thread(target=write, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for workspace_id in ("w0", "w1"):
        assert store.load_workspace(workspace_id).data == {"step": 24}
        assert [run.run_id for run in store.load_runs(workspace_id)] == list(range(25))
        assert len(store.blob_names(workspace_id)) == 25
    assert store.total_bytes() == 2 * 25 * 100


def test_rows_of_servers_gone_a_week_ago_are_forgotten_unless_a_run_names_them(
    store, backend_settings
):
    long_ago = time.time() - 8 * DAY
    with store.engine.begin() as connection:
        for server_id in ("old-stopped", "old-named"):
            connection.execute(
                sa.insert(schema.servers).values(
                    server_id=server_id,
                    host="elsewhere",
                    pid=1,
                    started_at=long_ago,
                    heartbeat_at=long_ago,
                    stopped_at=long_ago,
                )
            )
    store.save_run("w", 1, {}, state="training", epochs_done=1, test_accuracy=None, training=True)
    with store.engine.begin() as connection:
        connection.execute(sa.update(schema.runs).values(server_id="old-named"))
    reopened = open_store(backend_settings())
    try:
        ids = {row["server_id"] for row in reopened.servers()}
        assert ids == {"old-named", store.server_id, reopened.server_id}
    finally:
        reopened.close()


def test_a_str_enum_state_is_kept_as_its_value(store):
    import enum

    class State(str, enum.Enum):  # noqa: UP042 (a plain (str, Enum) prints as "State.DONE")
        DONE = "finished"

    store.save_run("w", 1, {}, state=State.DONE, epochs_done=1, test_accuracy=0.5, training=False)
    assert store.load_runs("w")[0].state == "finished"
