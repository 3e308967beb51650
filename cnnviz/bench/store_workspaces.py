"""Stored workspaces for `cnnviz bench store`: made through the library, loaded as the app does.

A trained sample run (its record, checkpoint, .keras file and replay weights) is made once per
preset and copied into as many workspaces as asked; each workspace's plain part is that of a
filled workspace dict (cnnviz.ui.keeping.plain_part), so the rows are as large as the app's.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable

from cnnviz.data import datasets
from cnnviz.store.database import Store
from cnnviz.training import presets
from cnnviz.training import settings as training_settings
from cnnviz.training.job_state import JobState
from cnnviz.ui import keeping, saving, workspace_data
from cnnviz.ui import workspace_keys as keys

RUNS_PER_WORKSPACE = 3
# One workspace in this many keeps a model (a checkpoint of its last run), at least --active.
MODEL_EVERY = 4
SAMPLE_TRAIN_IMAGES = 200


@dataclasses.dataclass(frozen=True)
class SampleRun:
    """What one trained run leaves in the store, as bytes to copy into workspaces."""

    preset: str
    record: dict  # RunRecord.to_dict()
    checkpoint: bytes
    model: bytes  # the .keras file written when a segment ends
    replay: bytes  # the replay weights written when a segment ends


def load_sample(name: str = "mnist"):
    """The bundled sample of a data set (never a download)."""
    return datasets.load_dataset(name, allow_download=False)


def fitting_presets(dataset) -> list[str]:
    """The presets whose spec can be built for this data set's input."""
    from cnnviz.model import spec as spec_module

    names = []
    for name in presets.PRESETS:
        try:
            spec = presets.preset_spec(name, dataset.input_shape, dataset.num_classes)
            spec_module.validate(spec, dataset.input_shape, dataset.num_classes)
        except ValueError:  # SpecError is one
            continue
        names.append(name)
    return names


def train_sample_run(preset: str, dataset, images: int = SAMPLE_TRAIN_IMAGES) -> SampleRun:
    """Train `preset` one epoch on `images` training images and keep what the app would store."""
    from cnnviz.export import model_files
    from cnnviz.training import snapshots
    from cnnviz.training.job import TrainingJob
    from cnnviz.training.runs import RunRecord

    spec = presets.preset_spec(preset, dataset.input_shape, dataset.num_classes)
    suggested = presets.PRESETS[preset].settings_for(dataset.input_shape)
    settings = training_settings.TrainingSettings.from_dict(
        {**suggested, "epochs": 1, "train_limit": images}
    )
    job = TrainingJob(spec, dataset, settings, name="Run 1")
    try:
        job.start()
        job.wait()
        if job.state != JobState.FINISHED:
            raise RuntimeError(f"the {preset} sample run ended {job.state}: {job.message}")
        return SampleRun(
            preset,
            RunRecord.from_job(1, job).to_dict(),
            job.checkpoint().to_bytes(),
            model_files.save_keras_bytes(job.model),
            snapshots.snapshots_to_bytes(job.weight_snapshots()),
        )
    finally:
        job.dispose()


def store_workspace(store: Store, number: int, sample: SampleRun, with_model: bool) -> str:
    """Store one workspace as a student leaves it; returns its id."""
    workspace_id = uuid.uuid4().hex
    work: dict = {}
    keys.fill_defaults(work)
    work[keys.NAME] = f"Student {number}"
    work[keys.SPEC] = sample.record["spec"]
    work[keys.LESSONS] = {"done": ["layers", "training"], "answers": {"q1": "b", "q2": "a"}}
    if with_model:
        work[keys.JOB_RUN_ID] = RUNS_PER_WORKSPACE
    plain = keeping.plain_part(work)
    plain[keeping.NEXT_RUN_KEY] = RUNS_PER_WORKSPACE + 1
    store.save_workspace(workspace_id, plain, name=work[keys.NAME])
    for run_id in range(1, RUNS_PER_WORKSPACE + 1):
        record = {**sample.record, "run_id": run_id, "name": f"Run {run_id}"}
        store.save_run(
            workspace_id,
            run_id,
            record,
            state=record["state"],
            epochs_done=int(record["epochs"]),
            test_accuracy=record["test_accuracy"],
            training=False,
        )
    if with_model:
        run_id = RUNS_PER_WORKSPACE
        store.put_blob(workspace_id, keeping.checkpoint_blob(run_id), sample.checkpoint)
        store.put_blob(workspace_id, keeping.model_blob(run_id), sample.model)
        store.put_blob(workspace_id, saving.REPLAY_BLOB.format(run_id=run_id), sample.replay)
    return workspace_id


def store_workspaces(store: Store, count: int, active: int, sample: SampleRun) -> list[str]:
    """Store `count` workspaces, one in MODEL_EVERY (and at least `active`) with a model.

    Returns:
        The ids of the workspaces with a model first, then the others.
    """
    with_model, without = [], []
    for number in range(count):
        keeps_model = number % MODEL_EVERY == 0 or number < active
        workspace_id = store_workspace(store, number, sample, keeps_model)
        (with_model if keeps_model else without).append(workspace_id)
    return with_model + without


def restorer(store: Store, workspace_id: str, load_shared: Callable[[str], object]):
    """The restore_job function keeping.load_workspace takes, doing what the app's does.

    As cnnviz.ui.saving: the checkpoint read, the run's data set found (cached per server), the
    job restored on this process's executor, the replay weights added back, and the job watched
    so that its next training writes checkpoints. (The app's own function is private to
    cnnviz.ui.saving; a public one there would let this call it.)
    """

    def restore(work: dict, row, checkpoint_bytes: bytes):
        from cnnviz.cluster import executors
        from cnnviz.training import checkpoints, snapshots

        checkpoint = checkpoints.Checkpoint.from_bytes(checkpoint_bytes)
        record = row.record
        dataset = keeping.load_dataset_of_run(
            store, workspace_id, row.run_id, record["dataset"], load_shared
        )
        if dataset is None:
            return None
        job = executors.restore_job(
            record["spec"], dataset, checkpoint, name=f"Run {row.run_id}", executor="local"
        )
        replay = store.get_blob(workspace_id, saving.REPLAY_BLOB.format(run_id=row.run_id))
        if replay is not None:
            job.add_snapshots(snapshots.snapshots_from_bytes(replay))
        saving.watch_job(store, workspace_id, row.run_id, job, work)
        return job

    return restore


def load_kept(store: Store, workspace_id: str, load_shared: Callable[[str], object]) -> dict:
    """A stored workspace loaded as the app loads it on a visit (its model restored).

    Raises:
        RuntimeError: when it is not stored, or its model was not restored.
    """
    work = keeping.load_workspace(
        store,
        workspace_id,
        restorer(store, workspace_id, load_shared),
        workspace_data.WorkspaceData,
    )
    if work is None:
        raise RuntimeError(f"workspace {workspace_id} is not stored")
    return work


def time_model_load(store: Store, sample: SampleRun, load_shared) -> float:
    """Seconds to load a workspace keeping `sample`'s model, the model restored."""
    workspace_id = store_workspace(store, 0, sample, with_model=True)
    try:
        started = time.perf_counter()
        work = load_kept(store, workspace_id, load_shared)
        seconds = time.perf_counter() - started
        if work[keys.JOB] is None:
            raise RuntimeError(f"the {sample.preset} model was not restored")
        work[keys.JOB].dispose()
        return seconds
    finally:
        store.delete_workspace(workspace_id)
