"""Stored workspaces for `cnnviz bench store`: made through the store, loaded as the app does.

A trained sample run (its record, checkpoint, .keras file and replay weights) is made once per
preset and copied into as many workspaces as asked, with the plain part a student's workspace
has (the spec, the settings, the page choices, the lessons), so the rows are as large as the
app's.

The house's import order keeps the benchmarks below cnnviz/ui/, so the app's writes (the
listener of cnnviz.ui.saving.watch_job) and its load (cnnviz.ui.keeping.load_workspace with
the server's restore) are done here again through the store's public API, step for step;
tests/bench/test_bench_store.py checks that the names and the plain keys are the app's and
that the app's own load reads what this module stores.
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

# The app's names (cnnviz.ui.keeping, cnnviz.ui.saving, cnnviz.ui.workspace_keys).
CHECKPOINT_BLOB = "run-{run_id}.ckpt"
MODEL_BLOB = "run-{run_id}.keras"
REPLAY_BLOB = "run-{run_id}.replay.npz"
NEXT_RUN_KEY = "next_run_id"
JOB_RUN_KEY = "cnnviz_job_run_id"
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


def new_sample_job(preset: str, dataset, images: int = SAMPLE_TRAIN_IMAGES):
    """A job training `preset` one epoch on `images` training images, with its settings."""
    from cnnviz.training.job import TrainingJob

    spec = presets.preset_spec(preset, dataset.input_shape, dataset.num_classes)
    suggested = presets.PRESETS[preset].settings_for(dataset.input_shape)
    settings = training_settings.TrainingSettings.from_dict(
        {**suggested, "epochs": 1, "train_limit": images}
    )
    return TrainingJob(spec, dataset, settings, name="Run 1")


def train_sample_run(preset: str, dataset, images: int = SAMPLE_TRAIN_IMAGES) -> SampleRun:
    """Train `preset` one epoch on `images` training images and keep what the app would store."""
    from cnnviz.export import model_files
    from cnnviz.training import snapshots
    from cnnviz.training.runs import RunRecord

    job = new_sample_job(preset, dataset, images)
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


def plain_data(spec: dict, number: int, job_run_id: int | None) -> dict:
    """The plain part of a student's workspace, as the app's saver writes it."""
    return {
        "cnnviz_dataset": "mnist",
        "cnnviz_spec": spec,
        "cnnviz_layer_ids": list(range(1, len(spec["layers"]) + 1)),
        "cnnviz_next_layer_id": len(spec["layers"]) + 1,
        "cnnviz_spec_undo": None,
        # Every training setting: a little more than the Train page keeps.
        "cnnviz_train_settings": dataclasses.asdict(training_settings.TrainingSettings()),
        JOB_RUN_KEY: job_run_id,
        "cnnviz_inspect": {"source": "test", "index": 3, "layer": 1},
        "cnnviz_evaluate": {"cell": [4, 9]},
        "cnnviz_lessons": {"done": ["layers", "training"], "answers": {"q1": "b", "q2": "a"}},
        "cnnviz_name": f"Student {number}",
        "cnnviz_handouts_done": [1],
        NEXT_RUN_KEY: RUNS_PER_WORKSPACE + 1,
    }


def store_workspace(store: Store, number: int, sample: SampleRun, with_model: bool) -> str:
    """Store one workspace as a student leaves it; returns its id."""
    workspace_id = uuid.uuid4().hex
    job_run_id = RUNS_PER_WORKSPACE if with_model else None
    plain = plain_data(sample.record["spec"], number, job_run_id)
    store.save_workspace(workspace_id, plain, name=plain["cnnviz_name"])
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
        names = blob_names(RUNS_PER_WORKSPACE)
        store.put_blob(workspace_id, names["checkpoint"], sample.checkpoint)
        store.put_blob(workspace_id, names["model"], sample.model)
        store.put_blob(workspace_id, names["replay"], sample.replay)
    return workspace_id


def blob_names(run_id: int) -> dict[str, str]:
    """The names the app gives a run's files."""
    return {
        "checkpoint": CHECKPOINT_BLOB.format(run_id=run_id),
        "model": MODEL_BLOB.format(run_id=run_id),
        "replay": REPLAY_BLOB.format(run_id=run_id),
    }


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


def watch(store: Store, workspace_id: str, run_id: int, job) -> None:
    """Have the job write what the app's listener writes (cnnviz.ui.saving.watch_job).

    After every epoch its checkpoint and the run's row; when a segment ends, also the .keras
    file and the replay weights. On the training thread, as in the app.
    """
    from cnnviz.export import model_files
    from cnnviz.training import snapshots
    from cnnviz.training.runs import RunRecord

    names = blob_names(run_id)

    def on_checkpoint(checkpoint) -> None:
        store.put_blob(workspace_id, names["checkpoint"], checkpoint.to_bytes())
        ended = not JobState(checkpoint.state).is_active
        if ended and job.model is not None:
            store.put_blob(workspace_id, names["model"], model_files.save_keras_bytes(job.model))
            replay = snapshots.snapshots_to_bytes(job.weight_snapshots())
            store.put_blob(workspace_id, names["replay"], replay)
        record = RunRecord.from_job(run_id, job)
        store.save_run(
            workspace_id,
            run_id,
            record.to_dict(),
            state=record.state,
            epochs_done=job.epochs_done,
            test_accuracy=record.test_accuracy,
            training=not ended,
        )

    job.checkpoint_listener = on_checkpoint


def load_kept(store: Store, workspace_id: str, load_shared: Callable[[str], object]) -> dict:
    """A stored workspace loaded as the app loads it on a visit, its model restored.

    As cnnviz.ui.keeping.load_workspace with cnnviz.ui.saving's restore: the plain data and
    the runs read, the run history made, the current run's checkpoint read, its data set found
    (cached per server), the job restored on this process's executor, the replay weights added
    back and the job watched. Returns {"data", "runs", "job"}.

    Raises:
        RuntimeError: when it is not stored.
    """
    from cnnviz.cluster import executors
    from cnnviz.training import checkpoints, snapshots
    from cnnviz.training.runs import RunHistory, RunRecord

    stored = store.load_workspace(workspace_id)
    if stored is None:
        raise RuntimeError(f"workspace {workspace_id} is not stored")
    data = dict(stored.data)
    stored_runs = store.load_runs(workspace_id)
    history = RunHistory()
    history.restore([RunRecord.from_dict(run.record) for run in stored_runs], data[NEXT_RUN_KEY])
    run_id = data.get(JOB_RUN_KEY)
    row = next((run for run in stored_runs if run.run_id == run_id), None)
    names = blob_names(run_id or 0)
    checkpoint_bytes = store.get_blob(workspace_id, names["checkpoint"]) if row else None
    job = None
    if checkpoint_bytes is not None:
        checkpoint = checkpoints.Checkpoint.from_bytes(checkpoint_bytes)
        dataset = load_shared(row.record["dataset"])
        job = executors.restore_job(
            row.record["spec"], dataset, checkpoint, name=f"Run {run_id}", executor="local"
        )
        replay = store.get_blob(workspace_id, names["replay"])
        if replay is not None:
            job.add_snapshots(snapshots.snapshots_from_bytes(replay))
        watch(store, workspace_id, run_id, job)
    return {"data": data, "runs": history, "job": job}


def time_model_load(store: Store, sample: SampleRun, load_shared) -> float:
    """Seconds to load a workspace keeping `sample`'s model, the model restored."""
    workspace_id = store_workspace(store, 0, sample, with_model=True)
    try:
        started = time.perf_counter()
        work = load_kept(store, workspace_id, load_shared)
        seconds = time.perf_counter() - started
        if work["job"] is None:
            raise RuntimeError(f"the {sample.preset} model was not restored")
        work["job"].dispose()
        return seconds
    finally:
        store.delete_workspace(workspace_id)
