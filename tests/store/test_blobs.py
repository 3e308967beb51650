"""A workspace's files on each back end: round trips, quotas, names and crash-safe writes."""

import multiprocessing
import os

import pytest

from cnnviz.store.database import QuotaExceeded, open_store
from cnnviz.store.settings import StoreSettings


def test_blobs_round_trip_and_count_their_bytes(store):
    assert store.get_blob("w1", "run-1.keras") is None
    store.put_blob("w1", "run-1.keras", b"a" * 10)
    store.put_blob("w1", "own-data.npz", b"b" * 5)
    store.put_blob("w2", "run-1.keras", b"c" * 7)
    assert store.get_blob("w1", "run-1.keras") == b"a" * 10
    assert store.blob_names("w1") == ["own-data.npz", "run-1.keras"]
    assert store.workspace_bytes("w1") == 15
    assert store.total_bytes() == 22
    assert store.load_workspace("w1").bytes_used == 15
    store.put_blob("w1", "run-1.keras", b"d" * 3)  # replaced, not added
    assert store.get_blob("w1", "run-1.keras") == b"ddd"
    assert store.workspace_bytes("w1") == 8
    store.delete_blob("w1", "run-1.keras")
    store.delete_blob("w1", "run-1.keras")  # nothing there: no error
    assert store.blob_names("w1") == ["own-data.npz"]
    assert store.total_bytes() == 12


def test_database_blobs_leave_no_files_on_disk(store):
    store.put_blob("w1", "run-1.keras", b"model")
    folder = store.settings.state_dir / "workspaces" / "w1" / "run-1.keras"
    assert folder.exists() == store.settings.is_sqlite


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "", "x" * 201, "run 1.keras"])
def test_a_bad_name_is_refused(store, name):
    with pytest.raises(ValueError, match="file name"):
        store.put_blob("w1", name, b"x")
    assert store.blob_names("w1") == []


def test_the_workspace_quota_refuses_and_writes_nothing(backend_settings):
    store = open_store(backend_settings(workspace_quota_bytes=2 * 2**20))
    try:
        store.put_blob("w1", "run-1.keras", bytes(2**20))
        with pytest.raises(QuotaExceeded) as raised:
            store.put_blob("w1", "run-2.keras", bytes(2**20 + 1))
        message = str(raised.value)
        assert "This workspace keeps 1.0 MB of files, its limit is 2.0 MB" in message
        assert "Delete runs" in message
        assert store.blob_names("w1") == ["run-1.keras"]
        assert store.workspace_bytes("w1") == 2**20
        # Replacing a file counts its new size only: 2 MB in all fits.
        store.put_blob("w1", "run-1.keras", bytes(2 * 2**20))
        # Another workspace has its own quota.
        store.put_blob("w2", "run-1.keras", bytes(2**20))
    finally:
        store.close()


def test_the_server_quota_refuses_and_writes_nothing(backend_settings):
    store = open_store(backend_settings(server_quota_bytes=3 * 2**20))
    try:
        store.put_blob("w1", "run-1.keras", bytes(2 * 2**20))
        with pytest.raises(QuotaExceeded, match="The server keeps 2.0 MB .* limit is 3.0 MB"):
            store.put_blob("w2", "run-1.keras", bytes(2 * 2**20))
        assert store.blob_names("w2") == []
        assert store.workspace_ids() == ["w1"]  # not even w2's row was written
        assert store.total_bytes() == 2 * 2**20
    finally:
        store.close()


def _sqlite_store(tmp_path):
    return open_store(StoreSettings.for_folder(tmp_path))


def test_a_failed_rename_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    store = _sqlite_store(tmp_path)
    try:
        store.put_blob("w1", "run-1.keras", b"old")

        def failing_replace(*_args):
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", failing_replace)
        with pytest.raises(OSError, match="disk full"):
            store.put_blob("w1", "run-1.keras", b"new")
        monkeypatch.undo()
        assert store.get_blob("w1", "run-1.keras") == b"old"
        assert os.listdir(tmp_path / "workspaces" / "w1") == ["run-1.keras"]
    finally:
        store.close()


def test_a_kill_between_the_temporary_write_and_the_rename_keeps_the_old_file(tmp_path):
    store = _sqlite_store(tmp_path)
    store.put_blob("w1", "run-1.keras", b"old")
    store.close()
    context = multiprocessing.get_context("spawn")
    from helpers.store_workers import die_between_write_and_rename

    process = context.Process(
        target=die_between_write_and_rename, args=(str(tmp_path), "w1", "run-1.keras")
    )
    process.start()
    process.join(60)
    assert process.exitcode == -9  # SIGKILL, in the middle of put_blob
    folder = tmp_path / "workspaces" / "w1"
    leftovers = [name for name in os.listdir(folder) if name.endswith(".tmp")]
    assert len(leftovers) == 1  # the crash left its temporary file ...
    assert (folder / leftovers[0]).read_bytes() == b"new" * 1000
    reopened = _sqlite_store(tmp_path)
    try:
        # ... which the next open removes; the old file is whole.
        assert os.listdir(folder) == ["run-1.keras"]
        assert reopened.get_blob("w1", "run-1.keras") == b"old"
        assert reopened.blob_names("w1") == ["run-1.keras"]
        assert reopened.interrupt_orphaned_runs() == []
    finally:
        reopened.close()


def test_a_folder_without_a_workspace_row_is_removed_at_open(tmp_path):
    # A crash between delete_workspace's commit and its folder's removal.
    store = _sqlite_store(tmp_path)
    store.put_blob("w1", "run-1.keras", b"x")
    store.close()
    (tmp_path / "workspaces" / "ghost").mkdir()
    (tmp_path / "workspaces" / "ghost" / "run-1.keras").write_bytes(b"y")
    reopened = _sqlite_store(tmp_path)
    try:
        assert sorted(os.listdir(tmp_path / "workspaces")) == ["w1"]
        assert reopened.total_bytes() == 1
    finally:
        reopened.close()
