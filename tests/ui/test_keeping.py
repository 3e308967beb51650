"""What of a workspace is kept, and reading it back: plain data, runs, own pictures; only
changed workspaces; the saver's second; the whole workspace as a zip (both back ends)."""

from __future__ import annotations

import copy
import io
import time
import zipfile

import numpy as np
import pytest

from cnnviz.data import own_data
from cnnviz.store import workspace_archive, workspaces
from cnnviz.store.database import QuotaExceeded
from cnnviz.training.runs import RunHistory, RunRecord
from cnnviz.ui import keeping, saving
from cnnviz.ui import workspace_keys as keys


def filled_workspace() -> dict:
    """A workspace a student changed: a layer less, a setting, two runs, own pictures."""
    work: dict = {}
    keys.fill_defaults(work)
    work[keys.SPEC]["layers"].pop(0)
    work[keys.LAYER_IDS].pop(0)
    work[keys.TRAIN_SETTINGS]["epochs"] = 7
    work[keys.NAME] = "Ada <b>"
    work[keys.INSPECT]["upload"] = b"\x89PNG bytes JSON cannot hold"
    history: RunHistory = work[keys.RUNS]
    for run_id in (history.new_run_id(), history.new_run_id()):
        record = RunRecord(
            run_id=run_id,
            name=f"Run {run_id}",
            dataset="mnist",
            spec=copy.deepcopy(work[keys.SPEC]),
            settings={"optimizer": "adam", "learning_rate": 0.001, "batch_size": 64},
            state="finished",
            message="Finished 1 epochs.",
            epochs=1.0,
            params=1234,
            test_accuracy=0.5 + run_id / 10,
            test_loss=1.0,
            train_seconds=2.5,
            samples_per_second=100.0,
            history={"epoch": {"epoch": [1], "loss": [1.0]}},
        )
        history._records.append(record)  # noqa: SLF001 - a finished job's record, made by hand
        history.revision += 1
    own = own_data.OwnData(input_shape=(28, 28, 1))
    for name in ("cat", "dog"):
        index = own.add_class(name)
        own.add_images(index, [np.full((28, 28, 1), index * 50 + k, np.uint8) for k in range(3)])
    work[keys.OWN_DATA] = own
    return work


def no_job(*_):
    raise AssertionError("no job to restore")


def test_a_changed_workspace_comes_back_whole(store):
    work = filled_workspace()
    keeper = keeping.Keeper(store, "ws1")
    assert keeper.save(work) is True
    assert keeper.save(work) is False  # nothing changed since: nothing written
    back = keeping.load_workspace(store, "ws1", no_job)
    assert back[keys.SPEC] == work[keys.SPEC] and back[keys.LAYER_IDS] == work[keys.LAYER_IDS]
    assert back[keys.TRAIN_SETTINGS]["epochs"] == 7
    assert back[keys.NAME] == "Ada <b>"
    assert back[keys.INSPECT]["upload"] is None  # bytes are not kept; the key is
    assert [record.to_dict() for record in back[keys.RUNS].records()] == [
        record.to_dict() for record in work[keys.RUNS].records()
    ]
    assert back[keys.RUNS].new_run_id() == 3  # numbering goes on
    own = back[keys.OWN_DATA]
    assert own.class_names == ["cat", "dog"] and own.counts() == [3, 3]
    np.testing.assert_array_equal(own.class_images[1][2], work[keys.OWN_DATA].class_images[1][2])
    assert store.load_workspace("ws1").name == "Ada <b>"


def test_only_a_changed_workspace_is_stored(store):
    fresh: dict = {}
    keys.fill_defaults(fresh)
    keeper = keeping.Keeper(store, "fresh")
    assert keeper.save(fresh) is False
    assert not store.workspace_exists("fresh")
    fresh[keys.TRAIN_SETTINGS]["batch_size"] = 32
    assert keeper.save(fresh) is True
    assert store.workspace_exists("fresh")


def test_runs_pushed_out_by_the_cap_are_deleted(store):
    work = filled_workspace()
    keeper = keeping.Keeper(store, "ws")
    keeper.save(work)
    work[keys.RUNS].remove(1)
    keeper.save(work)
    assert [run.run_id for run in store.load_runs("ws")] == [2]


def test_a_full_quota_writes_no_pictures_and_says_which(backend_settings):
    from cnnviz.store.database import open_store

    small = open_store(backend_settings(workspace_quota_bytes=1000))
    try:
        with pytest.raises(QuotaExceeded, match="MB"):
            keeping.Keeper(small, "ws").save(filled_workspace())
        assert keeping.OWN_DATA_BLOB not in small.blob_names("ws")
    finally:
        small.close()


def test_the_saver_writes_a_change_within_a_second(monkeypatch, tmp_path):
    saving.shutdown()
    monkeypatch.setenv("CNNVIZ_STATE_DIR", str(tmp_path))
    try:
        kept = saving.server()
        workspace = kept.registry.create()
        workspace.data.update(filled_workspace())
        started = time.monotonic()
        while not kept.store.workspace_exists(workspace.id):
            assert time.monotonic() - started < 1.0, "not in the database within 1 s"
            time.sleep(0.05)
        workspace.data[keys.TRAIN_SETTINGS]["epochs"] = 9
        started = time.monotonic()
        while kept.store.load_workspace(workspace.id).data[keys.TRAIN_SETTINGS]["epochs"] != 9:
            assert time.monotonic() - started < 1.0, "the change took over 1 s"
            time.sleep(0.05)
    finally:
        saving.shutdown()


def test_a_downloaded_workspace_opens_as_a_new_one(store):
    keeping.Keeper(store, "mine").save(filled_workspace())
    store.put_blob("mine", "run-2.ckpt", b"checkpoint bytes")
    store.put_blob("mine", "run-2.replay.npz", b"replay bytes")
    data = workspace_archive.export_workspace(store, "mine")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
    assert workspace_archive.MANIFEST in names and "files/run-2.ckpt" in names
    assert "files/run-2.replay.npz" not in names  # replay stays on the server
    new_id = workspaces.new_workspace_id()
    workspace_archive.import_workspace(store, data, new_id)
    assert store.load_workspace(new_id).data == store.load_workspace("mine").data
    assert [run.record for run in store.load_runs(new_id)] == [
        run.record for run in store.load_runs("mine")
    ]
    assert store.get_blob(new_id, "run-2.ckpt") == b"checkpoint bytes"


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


GOOD_MANIFEST = b'{"format": "cnnviz-workspace", "version": 1, "data": {}, "runs": []}'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip at all", "not a readable .zip"),
        (zip_of({"other.txt": b"x"}), "holds 'other.txt'"),
        (zip_of({workspace_archive.MANIFEST: GOOD_MANIFEST, "files/../x": b"x"}), "holds"),
        (zip_of({"files/run-1.ckpt": b"x"}), "is missing"),
        (zip_of({workspace_archive.MANIFEST: b"{not json"}), "not JSON"),
        (zip_of({workspace_archive.MANIFEST: b'{"format": "else"}'}), "not a cnnviz"),
        (
            zip_of({workspace_archive.MANIFEST: GOOD_MANIFEST.replace(b"1,", b"99,")}),
            "another version",
        ),
        (
            zip_of(
                {
                    workspace_archive.MANIFEST: GOOD_MANIFEST.replace(
                        b'"runs": []', b'"runs": [{"run_id": "one", "record": {}}]'
                    )
                }
            ),
            "number is damaged",
        ),
    ],
)
def test_a_file_that_is_not_a_workspace_is_refused_and_nothing_written(store, data, message):
    with pytest.raises(ValueError, match=message):
        workspace_archive.import_workspace(store, data, "new")
    assert not store.workspace_exists("new")


def test_a_zip_over_the_quota_leaves_nothing_behind(backend_settings):
    from cnnviz.store.database import open_store

    small = open_store(backend_settings(workspace_quota_bytes=100))
    try:
        data = zip_of({workspace_archive.MANIFEST: GOOD_MANIFEST, "files/own-data.npz": b"x" * 500})
        with pytest.raises(QuotaExceeded):
            workspace_archive.import_workspace(small, data, "new")
        assert not small.workspace_exists("new")
    finally:
        small.close()


def test_kept_values_that_do_not_pass_their_checks_open_as_first_values(store):
    work = filled_workspace()
    keeping.Keeper(store, "odd").save(work)
    plain = store.load_workspace("odd").data
    good_settings = plain[keys.TRAIN_SETTINGS]
    plain[keys.SPEC] = {"layers": "not a list"}
    plain[keys.DATASET] = "../../etc/passwd"
    plain[keys.NAME] = "x" * 500
    plain[keys.LESSONS] = {"done": ["one"], "right": {}}
    store.save_workspace("odd", plain)
    back = keeping.load_workspace(store, "odd", no_job)
    fresh: dict = {}
    keys.fill_defaults(fresh)
    assert back[keys.SPEC] == fresh[keys.SPEC]  # the first spec, with ids of its own
    assert len(back[keys.LAYER_IDS]) == len(back[keys.SPEC]["layers"])
    assert back[keys.DATASET] == keys.DEFAULT_DATASET
    assert keys.NAME not in back or back[keys.NAME] is None
    assert back[keys.LESSONS] == fresh[keys.LESSONS]
    assert back[keys.TRAIN_SETTINGS] == good_settings  # what passed is kept
    assert len(back[keys.RUNS]) == 2


def test_kept_layer_ids_that_do_not_fit_the_spec_are_made_again(store):
    work = filled_workspace()
    work[keys.LAYER_IDS] = [5, 5]  # repeated and too few
    keeping.Keeper(store, "ids").save(work)
    back = keeping.load_workspace(store, "ids", no_job)
    ids = back[keys.LAYER_IDS]
    assert len(ids) == len(back[keys.SPEC]["layers"]) == len(set(ids))
    assert back[keys.NEXT_LAYER_ID] > max(ids) and min(ids) > 5


def test_a_runs_data_set_comes_back_by_name_or_from_its_kept_copy(store):
    from cnnviz.data import stored_arrays

    own = filled_workspace()[keys.OWN_DATA]
    dataset = own.dataset()
    store.put_blob("ws", keeping.run_data_blob(3), stored_arrays.dataset_to_bytes(dataset))
    back = keeping.load_dataset_of_run(store, "ws", 3, dataset.info.name, no_job)
    assert back.class_names == dataset.class_names
    np.testing.assert_array_equal(back.x_test, dataset.x_test)
    np.testing.assert_array_equal(back.y_train, dataset.y_train)
    # A built-in data set is loaded by name (shared by the server), not kept per run.
    assert keeping.load_dataset_of_run(store, "ws", 3, "mnist", lambda name: name) == "mnist"
    # A run whose own data set was not kept cannot be restored: None, not an error.
    assert keeping.load_dataset_of_run(store, "ws", 4, "own-9", no_job) is None
