"""A workspace's work, kept in the store and read back: what is written, when, and how.

The workspace dict (cnnviz.ui.state) holds plain data (the spec, the settings, the page
choices), the run history, the student's own pictures and the current training job. A `Keeper`
writes each part to the store (cnnviz.store) only when it changed: the plain data as one JSON
record, each run as a row, the pictures as one archive, and the job's checkpoints as files
written by the training itself (see `watch_job`). `load_workspace` makes the dict again, the job
restored from its last checkpoint, so a student finds their model after a restart.

No Streamlit here: the saver thread (cnnviz.ui.saving) and the registry's load call these.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading

from cnnviz.data import data_folder, datasets, stored_arrays
from cnnviz.store.database import QuotaExceeded, Store
from cnnviz.training.job_state import JobState
from cnnviz.training.runs import RunHistory, RunRecord
from cnnviz.ui import kept_checks
from cnnviz.ui import workspace_keys as keys

# The workspace keys kept as plain JSON; everything JSON cannot hold inside them (an uploaded
# picture's bytes on Inspect) is left out.
PLAIN_KEYS = (
    keys.DATASET,
    keys.SPEC,
    keys.LAYER_IDS,
    keys.NEXT_LAYER_ID,
    keys.SPEC_UNDO,
    keys.TRAIN_SETTINGS,
    keys.JOB_RUN_ID,
    keys.INSPECT,
    keys.EVALUATE,
    keys.LESSONS,
    keys.NAME,
    keys.HANDOUTS_DONE,
)
# Kept beside the plain keys: the number the next run gets.
NEXT_RUN_KEY = "next_run_id"
OWN_DATA_BLOB = "own-data.npz"
INTERRUPTED_MESSAGE = (
    "Interrupted at epoch {epoch} (the server stopped). Continue goes on from there."
)

_LOGGER = logging.getLogger(__name__)
_DROP = object()


def checkpoint_blob(run_id: int) -> str:
    return f"run-{run_id}.ckpt"


def model_blob(run_id: int) -> str:
    return f"run-{run_id}.keras"


def run_data_blob(run_id: int) -> str:
    return f"run-{run_id}.data.npz"


def _jsonable(value):
    """`value` with what JSON cannot hold left out (_DROP when nothing is left of it)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        # A key keeps its place (pages read it) with None for what JSON cannot hold.
        kept = {str(key): _jsonable(item) for key, item in value.items()}
        return {key: None if item is _DROP else item for key, item in kept.items()}
    if isinstance(value, (list, tuple)):
        return [item for item in map(_jsonable, value) if item is not _DROP]
    return _DROP


def plain_part(work: dict) -> dict:
    """The workspace's plain keys as JSON-ready data."""
    plain = {key: _jsonable(work[key]) for key in PLAIN_KEYS if key in work}
    plain = {key: value for key, value in plain.items() if value is not _DROP}
    runs = work.get(keys.RUNS)
    if runs is not None:
        plain[NEXT_RUN_KEY] = runs.next_id
    return plain


def _text(plain: dict) -> str:
    return json.dumps(plain, sort_keys=True)


_FRESH_TEXT: str | None = None


def fresh_text() -> str:
    """The plain part of a workspace nobody has changed yet, as JSON."""
    global _FRESH_TEXT
    if _FRESH_TEXT is None:
        fresh: dict = {}
        keys.fill_defaults(fresh)
        _FRESH_TEXT = _text(plain_part(fresh))
    return _FRESH_TEXT


class Keeper:
    """Writes one workspace's changes to the store; one per loaded workspace.

    Args:
        store: where the work is kept.
        workspace_id: the workspace's id.
        stored: whether the store has it already (a loaded workspace), so that it is written
            as soon as anything changes; a new one is written only once it differs from a
            fresh workspace.
    """

    def __init__(self, store: Store, workspace_id: str, stored: bool = False):
        self.store = store
        self.workspace_id = workspace_id
        self.stored = stored
        self.saved_text: str | None = None
        self.runs_revision: int | None = None
        self.saved_run_ids: set[int] = set()
        self.own_version: int | None = None
        self.job_marker: tuple | None = None
        # The registry's time of the last visit written to the store (see cnnviz.ui.saving).
        self.visit_written = float("-inf")
        self._lock = threading.Lock()

    def mark_saved(self, work: dict) -> None:
        """Take the work as it is now as written (just loaded from the store)."""
        self.stored = True
        self.saved_text = _text(plain_part(work))
        runs = work.get(keys.RUNS)
        self.runs_revision = runs.revision if runs is not None else None
        self.saved_run_ids = {record.run_id for record in runs.records()} if runs else set()
        own = work.get(keys.OWN_DATA)
        self.own_version = own.version if own is not None else None

    def worth_keeping(self, work: dict, text: str) -> bool:
        """Whether the work differs from a fresh workspace (only changed ones are kept)."""
        runs = work.get(keys.RUNS)
        return bool(
            text != fresh_text()
            or (runs is not None and len(runs))
            or work.get(keys.OWN_DATA) is not None
            or work.get(keys.JOB) is not None
        )

    def save(self, work: dict) -> bool:
        """Write what changed since the last save; True when something was written.

        Raises:
            QuotaExceeded: when the pictures would pass a disk quota (nothing of them written).
        """
        with self._lock:
            if getattr(work, "released", False) or not work:
                return False
            plain = plain_part(work)
            text = _text(plain)
            if not self.stored and not self.worth_keeping(work, text):
                return False
            wrote = False
            if text != self.saved_text:
                self.store.save_workspace(self.workspace_id, plain, name=work.get(keys.NAME))
                self.saved_text, self.stored, wrote = text, True, True
            wrote |= self._save_runs(work)
            wrote |= self._save_job_state(work)
            wrote |= self._save_own_data(work)
            return wrote

    def _save_runs(self, work: dict) -> bool:
        runs = work.get(keys.RUNS)
        if runs is None or runs.revision == self.runs_revision:
            return False
        records = runs.records()
        for record in records:
            self.store.save_run(
                self.workspace_id,
                record.run_id,
                record.to_dict(),
                state=record.state,
                epochs_done=int(record.epochs),
                test_accuracy=record.test_accuracy,
                training=False,
            )
        kept_ids = {record.run_id for record in records}
        active = work.get(keys.JOB_RUN_ID)
        for run_id in self.saved_run_ids - kept_ids - {active}:
            self.store.delete_run(self.workspace_id, run_id)  # pushed out by the cap on runs
        self.saved_run_ids = kept_ids
        self.runs_revision = runs.revision
        return True

    def _save_job_state(self, work: dict) -> bool:
        # A queued or training job is in the database at once (before its first epoch ends), so
        # that a server that stops is known to have stopped it.
        job, run_id = work.get(keys.JOB), work.get(keys.JOB_RUN_ID)
        if job is None or run_id is None or not job.is_active:
            return False
        marker = (run_id, job.state, job.epochs_done)
        if marker == self.job_marker:
            return False
        save_active_run(self.store, self.workspace_id, run_id, job)
        self.job_marker = marker
        return True

    def _save_own_data(self, work: dict) -> bool:
        own = work.get(keys.OWN_DATA)
        version = own.version if own is not None else None
        if version == self.own_version:
            return False
        if own is None:
            self.store.delete_blob(self.workspace_id, OWN_DATA_BLOB)
        else:
            self.store.put_blob(
                self.workspace_id, OWN_DATA_BLOB, stored_arrays.own_data_to_bytes(own)
            )
        self.own_version = version
        return True


def save_active_run(
    store: Store, workspace_id: str, run_id: int, job, training: bool | None = None
) -> None:
    """The row of a run as its job is now; while it trains (`training`, by default whether
    the job is active), stamped with this server."""
    record = RunRecord.from_job(run_id, job)
    store.save_run(
        workspace_id,
        run_id,
        record.to_dict(),
        state=record.state,
        epochs_done=job.epochs_done,
        test_accuracy=record.test_accuracy,
        training=job.is_active if training is None else training,
    )


def keeper_of(store: Store, workspace_id: str, work: dict) -> Keeper:
    """The workspace's Keeper, made on first use and kept with its dict."""
    keeper = getattr(work, "keeper", None)
    if keeper is None:
        keeper = Keeper(store, workspace_id)
        with contextlib.suppress(AttributeError):  # a plain dict (tests): no place for it
            work.keeper = keeper
    return keeper


def _run_records(stored_runs) -> list[RunRecord]:
    records = []
    for run in stored_runs:
        try:
            record = RunRecord.from_dict(run.record)
        except ValueError as error:
            _LOGGER.warning("run %s left out: %s", run.run_id, error)
            continue
        record.state = run.state
        if run.state == JobState.INTERRUPTED:
            record.message = INTERRUPTED_MESSAGE.format(epoch=run.epochs_done)
        records.append(record)
    return records


def load_dataset_of_run(store: Store, workspace_id: str, run_id: int, name: str, load_shared):
    """The data set a run trained on: a built-in or shared one by name, else its kept copy.

    Args:
        load_shared: loads a built-in or data-folder data set by name (cached per server).

    Returns:
        The Dataset, or None when it cannot be had any more.
    """
    if name in datasets.DATASETS or name.startswith(data_folder.LOCAL_PREFIX):
        try:
            return load_shared(name)
        except (ValueError, OSError) as error:
            _LOGGER.warning("the data set %s of a kept run cannot be loaded: %s", name, error)
            return None
    kept = store.get_blob(workspace_id, run_data_blob(run_id))
    if kept is None:
        return None
    try:
        return stored_arrays.dataset_from_bytes(kept)
    except ValueError as error:
        _LOGGER.warning("the kept data set of run %s cannot be read: %s", run_id, error)
        return None


def load_workspace(store: Store, workspace_id: str, restore_job, new_data=dict) -> dict | None:
    """The kept workspace with this id as a workspace dict, or None when none is kept.

    Args:
        restore_job: makes the current job from the workspace dict being built, its run row
            and its checkpoint bytes (see cnnviz.ui.saving); returns the job or None.
        new_data: makes the empty dict to fill (the app's WorkspaceData).
    """
    stored = store.load_workspace(workspace_id)
    if stored is None:
        return None
    work = new_data()
    plain = dict(stored.data)
    next_run_id = plain.pop(NEXT_RUN_KEY, 1)
    work.update(kept_checks.checked_plain(plain))
    keys.fill_defaults(work)
    stored_runs = store.load_runs(workspace_id)
    history = RunHistory()
    history.restore(_run_records(stored_runs), next_run_id)
    work[keys.RUNS] = history
    own_bytes = store.get_blob(workspace_id, OWN_DATA_BLOB)
    if own_bytes is not None:
        try:
            work[keys.OWN_DATA] = stored_arrays.own_data_from_bytes(own_bytes)
        except ValueError as error:
            _LOGGER.warning(
                "the own data of workspace %s... cannot be read: %s", workspace_id[:4], error
            )
    work[keys.JOB] = None
    run_id = work.get(keys.JOB_RUN_ID)
    row = next((run for run in stored_runs if run.run_id == run_id), None)
    checkpoint = store.get_blob(workspace_id, checkpoint_blob(run_id)) if row else None
    if row is not None and checkpoint is not None:
        try:
            work[keys.JOB] = restore_job(work, row, checkpoint)
        except (ValueError, OSError) as error:
            _LOGGER.warning(
                "the model of workspace %s... cannot be restored: %s", workspace_id[:4], error
            )
    if work[keys.JOB] is None:
        work[keys.JOB_RUN_ID] = None
    keeper = Keeper(store, workspace_id, stored=True)
    keeper.mark_saved(work)
    with contextlib.suppress(AttributeError):  # a plain dict (tests): no place for it
        work.keeper = keeper
    return work


def report_quota(work: dict, error: QuotaExceeded) -> None:
    """Put a quota's message where the student's next page shows it."""
    work[keys.STORAGE_NOTICE] = str(error)
