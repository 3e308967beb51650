"""The Ray side of a training: the actor's body, the shared data set, the queue in front.

An actor holds one ordinary TrainingJob in a Ray worker process, so the training itself
(callbacks, divergence guard, snapshots, test accuracy) is the same code as in-process. The
server side, RayTrainingJob, is in cnnviz.ray_jobs; the helpers at the end are its.
"""

from __future__ import annotations

import copy
import os
import socket
import threading

import numpy as np
import ray

from cnnviz import executors, scheduler, training
from cnnviz.job_state import StopReason
from cnnviz.training import JobStatus


class _Trainer:
    """The actor's body: one TrainingJob segment in a Ray worker process."""

    def __init__(self, spec, dataset, settings, name, start_weights):
        self.job = training.TrainingJob(
            spec, dataset, settings, scheduler=scheduler.TrainingScheduler(1), name=name
        )
        if start_weights is not None:
            self.job.model.set_weights(start_weights)

    def pid(self) -> int:
        return os.getpid()

    def start(self) -> None:
        self.job.start()

    def stop(self, reason: StopReason) -> None:
        self.job.stop(reason)

    def wait(self, timeout: float) -> bool:
        return self.job.wait(timeout)

    def poll(self) -> tuple[JobStatus, float, int]:
        return self.job.status(), self.job.train_seconds, self.job.samples_trained

    def weights(self) -> list[np.ndarray]:
        return self.job.model.get_weights()

    def weight_snapshots(self) -> list[tuple[float, list[np.ndarray]]]:
        return self.job.weight_snapshots()

    def optimizer_variables(self) -> list[np.ndarray]:
        return [np.asarray(variable) for variable in self.job.model.optimizer.variables]


# Several calls at once, so that a status poll never waits behind another call.
TrainerActor = ray.remote(max_restarts=0, max_concurrency=4)(_Trainer)

_dataset_refs: dict[str, tuple[object, ray.ObjectRef]] = {}
_dataset_lock = threading.Lock()


def dataset_ref(dataset) -> ray.ObjectRef:
    """The data set in Ray's object store, put there once per data set name and process."""
    name = dataset.info.name
    with _dataset_lock:
        kept = _dataset_refs.get(name)
        if kept is None or kept[0] is not dataset:
            kept = (dataset, ray.put(dataset))
            _dataset_refs[name] = kept
        return kept[1]


def clear_dataset_refs() -> None:
    """Forget the data sets put in the object store (after leaving the cluster)."""
    with _dataset_lock:
        _dataset_refs.clear()


_default_scheduler: scheduler.TrainingScheduler | None = None
_scheduler_lock = threading.Lock()


def default_ray_scheduler() -> scheduler.TrainingScheduler:
    """The FIFO in front of Ray: as many trainings at once as the cluster has CPUs for."""
    global _default_scheduler
    with _scheduler_lock:
        if _default_scheduler is None:
            if os.environ.get(scheduler.MAX_TRAININGS_ENV, "").strip():
                slots = scheduler.default_max_concurrent()
            else:
                cpus = ray.cluster_resources().get("CPU", 1.0)
                slots = max(1, int(cpus // executors.cpus_per_training()))
            _default_scheduler = scheduler.TrainingScheduler(slots)
        return _default_scheduler


def shift_history(history: dict, offset: float) -> dict:
    """A segment's history with its epochs counted from `offset` (the job's earlier epochs)."""
    shifted = copy.deepcopy(history)
    for part in ("batch", "epoch"):
        shifted[part]["epoch"] = [round(value + offset, 4) for value in shifted[part]["epoch"]]
    return shifted


def join_histories(first: dict, second: dict) -> dict:
    return {
        part: {name: first[part][name] + second[part][name] for name in first[part]}
        for part in first
    }


def check_cluster() -> None:
    """Fail at once, with a clear message, when the cluster has gone away."""
    if not ray.is_initialized():
        raise ConnectionError("this server is not connected to a Ray cluster")
    address = ray.get_runtime_context().gcs_address
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2.0):
            pass
    except OSError as error:
        raise ConnectionError(f"{address}: {error.strerror or error}") from None


def cluster_message(error: BaseException) -> str:
    detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return (
        f"Training could not run: the Ray cluster cannot be reached ({detail or 'no answer'}). "
        "Your earlier runs are kept; ask whoever runs the server to restart the cluster."
    )
