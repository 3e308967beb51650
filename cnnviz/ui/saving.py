"""The server's kept work: the store, the workspace registry over it, and the saver thread.

One `KeptServer` per process, opened on first use: the store (SQLite in the state folder, or
the database CNNVIZ_DATABASE_URL names), the runs a stopped server left training marked
interrupted, the workspace registry that loads kept workspaces on a visit and unloads idle ones
when the memory caps need room, and a thread that writes every loaded workspace's changes
within a second, beats this server's heartbeat and deletes expired workspaces.

A training writes its own checkpoints as it goes (`watch_job`), so a server killed mid-epoch
loses at most the epoch it was in.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from cnnviz.store import database, workspace_limits, workspace_records, workspaces
from cnnviz.store.database import QuotaExceeded, Store
from cnnviz.store.settings import StoreSettings, legacy_warnings, store_settings_from_environment
from cnnviz.training import snapshots
from cnnviz.training.job_state import JobState
from cnnviz.ui import keeping, workspace_data
from cnnviz.ui import workspace_keys as keys
from cnnviz.ui.shared_data import load_shared_dataset

# The saver looks at every loaded workspace this often: a change is in the database within it.
SAVE_SECONDS = 0.5
# A visit is written to the database at most this often per workspace.
VISIT_SECONDS = 60.0
# Kept workspaces are checked for expiry this often.
EXPIRY_SECONDS = 3600.0
REPLAY_BLOB = "run-{run_id}.replay.npz"

_LOGGER = logging.getLogger(__name__)


@dataclass
class KeptServer:
    """This process's store, registry and saver."""

    settings: StoreSettings
    store: Store
    registry: workspaces.WorkspaceRegistry
    stop: threading.Event


_server: KeptServer | None = None
_server_lock = threading.Lock()


def server() -> KeptServer:
    """The process's kept server, opened on first use from the environment's settings.

    Raises:
        ValueError: when a setting is not valid (the message names the variable).
        cnnviz.store.database.StoreError: when the database cannot be opened or is newer.
    """
    global _server
    with _server_lock:
        if _server is None:
            _server = _open(store_settings_from_environment())
        return _server


def shutdown() -> None:
    """Write what is pending, stop the saver and close the store (tests; a server's exit)."""
    global _server
    with _server_lock:
        kept, _server = _server, None
    if kept is None:
        return
    kept.stop.set()
    save_now(kept)
    kept.store.close()


def registry() -> workspaces.WorkspaceRegistry:
    return server().registry


def store() -> Store:
    return server().store


def kept_for() -> str:
    """How long work is kept after the last visit, in words ("30 days")."""
    return f"{server().settings.retention_days:g} days"


def _open(settings: StoreSettings) -> KeptServer:
    for warning in legacy_warnings():
        _LOGGER.warning(warning)
    kept = database.open_store(settings)
    interrupted = kept.interrupt_orphaned_runs(str(JobState.INTERRUPTED))
    if interrupted:
        _LOGGER.warning(
            "%d run(s) were training when the server stopped: marked interrupted", len(interrupted)
        )
    try:
        limits = workspace_limits.registry_settings_from_environment()
    except ValueError as error:
        # Whoever started the server reads the log; the students get the defaults.
        _LOGGER.error("%s Using the default workspace limits.", error)
        limits = {}
    registry_ = workspaces.WorkspaceRegistry(
        **limits,
        is_busy=workspace_data.is_busy,
        estimate_bytes=workspace_data.estimate_bytes,
        release=lambda work: _unload(kept, work),
        new_data=workspace_data.WorkspaceData,
        load=lambda workspace_id: _load(kept, workspace_id),
    )
    stop = threading.Event()
    result = KeptServer(settings, kept, registry_, stop)
    thread = threading.Thread(target=_saver_loop, args=(result,), name="cnnviz-saver", daemon=True)
    thread.start()
    return result


# ----- the saver thread -----


def save_now(kept: KeptServer) -> int:
    """Write every loaded workspace's changes; returns how many wrote something."""
    written = 0
    for workspace_id, work, last_visit in kept.registry.loaded():
        try:
            keeper = keeping.keeper_of(kept.store, workspace_id, work)
            if keeper.save(work):
                written += 1
            if keeper.stored and last_visit - keeper.visit_written >= VISIT_SECONDS:
                # Visits count for how long the work is kept; written once a minute at most.
                kept.store.touch(workspace_id)
                keeper.visit_written = last_visit
        except QuotaExceeded as error:
            keeping.report_quota(work, error)
        except Exception:  # noqa: BLE001 - one workspace's failure must not stop the others
            _LOGGER.exception("saving workspace %s... failed", workspace_id[:4])
    return written


def _saver_loop(kept: KeptServer) -> None:
    last_beat = last_orphans = time.monotonic()
    last_expiry = last_beat - EXPIRY_SECONDS  # the first sweep for expired work at once
    while not kept.stop.wait(SAVE_SECONDS):
        save_now(kept)
        now = time.monotonic()
        try:
            if now - last_beat >= kept.settings.heartbeat_seconds:
                kept.store.heartbeat()
                last_beat = now
            if now - last_orphans >= kept.settings.server_stale_seconds / 2:
                reload_orphans(kept)
                last_orphans = now
            if now - last_expiry >= EXPIRY_SECONDS:
                expire(kept)
                last_expiry = now
        except Exception:  # noqa: BLE001 - the saver must keep saving
            _LOGGER.exception("the saver's heartbeat or expiry failed")


def reload_orphans(kept: KeptServer) -> list[tuple[str, int]]:
    """Mark the runs of app servers that stopped as interrupted (replicas of one class).

    A workspace loaded here that holds such a run shows it as it was when loaded; it is let go
    of without writing (its newer state is in the database), so the next visit loads it afresh
    and Continue goes on from the stopped server's last finished epoch.
    """
    marked = kept.store.interrupt_orphaned_runs(str(JobState.INTERRUPTED))
    affected = {workspace_id for workspace_id, _ in marked}
    for workspace_id, work, _ in kept.registry.loaded():
        if workspace_id in affected and not workspace_data.is_busy(work):
            work.keeper = None  # nothing of the stale copy is written
            kept.registry.unload(workspace_id)
    if marked:
        _LOGGER.warning("%d run(s) of a stopped app server marked interrupted", len(marked))
    return marked


def expire(kept: KeptServer) -> list[str]:
    """Delete kept workspaces not visited for the retention time (never a loaded one)."""
    loaded = frozenset(workspace_id for workspace_id, _, _ in kept.registry.loaded())
    expired = kept.store.expire_workspaces(keep=loaded)
    for workspace_id in expired:
        kept.registry.forget(workspace_id, workspace_records.GoneReason.EXPIRED)
    return expired


def _unload(kept: Store, work: dict) -> bool:
    """Write the workspace, then let go of it: an unloaded workspace loses nothing.

    Returns whether it is kept (False for one nobody changed, which is not written).
    """
    keeper = getattr(work, "keeper", None)
    stored = False
    if keeper is not None:
        try:
            keeper.save(work)
        except Exception:  # noqa: BLE001 - the memory must still be freed
            _LOGGER.exception("saving a workspace before unloading it failed")
        stored = keeper.stored
    workspace_data.release(work)
    return stored


def delete_workspace(workspace_id: str) -> None:
    """Delete a workspace on the student's request: from memory, the database and the disk."""
    kept = server()
    work = next((data for wid, data, _ in kept.registry.loaded() if wid == workspace_id), None)
    if work is not None:
        # Nothing may be written after the delete.
        work.keeper = None
    kept.registry.remove(workspace_id)
    kept.store.delete_workspace(workspace_id)


# ----- loading, and the trainings' own checkpoints -----


def _load(kept: Store, workspace_id: str) -> dict | None:
    def restore(work: dict, row, checkpoint: bytes):
        return _restore_job(kept, workspace_id, work, row, checkpoint)

    return keeping.load_workspace(kept, workspace_id, restore, workspace_data.WorkspaceData)


def _restore_job(kept: Store, workspace_id: str, work: dict, row, checkpoint_bytes: bytes):
    # TensorFlow loads here, only for a workspace that has a model.
    from cnnviz.cluster import executors
    from cnnviz.training import checkpoints

    checkpoint = checkpoints.Checkpoint.from_bytes(checkpoint_bytes)
    if row.state == JobState.INTERRUPTED:
        checkpoint.state = str(JobState.INTERRUPTED)
        checkpoint.message = keeping.INTERRUPTED_MESSAGE.format(epoch=checkpoint.epochs_done)
    elif row.server_id is not None and row.server_id != kept.server_id:
        # Another app server of the class trains it now: shown as it stood at its last
        # finished epoch, and Continue waits for that server (see jobs.continue_training).
        checkpoint.state = str(JobState.INTERRUPTED)
        checkpoint.message = (
            f"Training on another app server of this class (epoch {checkpoint.epochs_done} "
            "finished so far); reload this page later to see how far it got."
        )
    record = row.record
    dataset = keeping.load_dataset_of_run(
        kept,
        workspace_id,
        row.run_id,
        record["dataset"],
        lambda name: load_shared_dataset(name, None),
    )
    if dataset is None:
        return None
    job = executors.restore_job(
        record["spec"],
        dataset,
        checkpoint,
        name=f"Run {row.run_id}",
        owner_alive=workspace_data.owner_check(registry(), workspace_id),
    )
    replay = kept.get_blob(workspace_id, REPLAY_BLOB.format(run_id=row.run_id))
    if replay is not None:
        try:
            job.add_snapshots(snapshots.snapshots_from_bytes(replay))
        except ValueError as error:
            _LOGGER.warning("replay weights left out: %s", error)
    # Written as restored: the run history already holds this run.
    work[keys.RECORDED] = (row.run_id, job.state, job.epochs_done, round(job.train_seconds, 3))
    watch_job(kept, workspace_id, row.run_id, job, work)
    return job


def watch_job(kept: Store, workspace_id: str, run_id: int, job, work: dict) -> None:
    """Have the job write a checkpoint after every epoch and its model when a segment ends.

    Runs on the training thread (or the Ray job's polling thread); a failure to write is
    logged, or shown to the student for a full quota, and never stops the training.
    """

    def on_checkpoint(checkpoint) -> None:
        try:
            kept.put_blob(workspace_id, keeping.checkpoint_blob(run_id), checkpoint.to_bytes())
            ended = not JobState(checkpoint.state).is_active
            if ended and job.model is not None:
                from cnnviz.export import model_files  # the job has TensorFlow loaded already

                kept.put_blob(
                    workspace_id,
                    keeping.model_blob(run_id),
                    model_files.save_keras_bytes(job.model),
                )
                kept.put_blob(
                    workspace_id,
                    REPLAY_BLOB.format(run_id=run_id),
                    snapshots.snapshots_to_bytes(job.weight_snapshots()),
                )
            keeping.save_active_run(kept, workspace_id, run_id, job, training=not ended)
        except QuotaExceeded as error:
            keeping.report_quota(work, error)
        except Exception:  # noqa: BLE001 - keeping must never stop a training
            _LOGGER.exception("writing run %s's checkpoint failed", run_id)

    job.checkpoint_listener = on_checkpoint


def keep_run_data(workspace_id: str, run_id: int, dataset, work: dict) -> None:
    """Keep a copy of a data set that only this workspace has (own pictures), for its run."""
    from cnnviz.data import data_folder, datasets, stored_arrays

    name = dataset.info.name
    if name in datasets.DATASETS or name.startswith(data_folder.LOCAL_PREFIX):
        return
    try:
        store().put_blob(
            workspace_id, keeping.run_data_blob(run_id), stored_arrays.dataset_to_bytes(dataset)
        )
    except QuotaExceeded as error:
        keeping.report_quota(work, error)


def forget_model(workspace_id: str, run_id: int | None) -> None:
    """Delete the files of a run's model (its record stays for Compare)."""
    if run_id is None:
        return
    kept = store()
    for name in (
        keeping.checkpoint_blob(run_id),
        keeping.model_blob(run_id),
        keeping.run_data_blob(run_id),
        REPLAY_BLOB.format(run_id=run_id),
    ):
        kept.delete_blob(workspace_id, name)
