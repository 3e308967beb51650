"""The Ray side of a training: the actor's body, the shared data set, the queue in front.

An actor is a long-lived Ray worker process that runs one ordinary TrainingJob segment at a
time, so the training itself (callbacks, weight backup, snapshots, test accuracy) is the same
code as in-process. A pool keeps as many actors as there are training slots. The server side,
RayTrainingJob, is in cnnviz.cluster.ray_jobs; the helpers at the end are its.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import threading
from collections.abc import Callable

import keras
import numpy as np
import ray

from cnnviz.cluster import settings as cluster_settings
from cnnviz.training import scheduler
from cnnviz.training.job import TrainingJob
from cnnviz.training.job_interface import JobStatus
from cnnviz.training.job_state import StopReason


class _Trainer:
    """The actor's body: a long-lived worker that runs one TrainingJob segment at a time.

    Each segment is a new TrainingJob, built from the spec with its seed as in a fresh process,
    and let go of (with Keras's session and the gradient functions its traces registered) once
    its results are collected, so nothing of one student's training reaches the next.
    """

    def __init__(self, cpus: float):
        import tensorflow as tf

        # TensorFlow sizes its thread pools to the machine's cores; two actors on a 2-core
        # machine would then each run twice as many threads as they hold CPUs. Set before the
        # actor runs any operation (TensorFlow fixes them at its first).
        threads = max(1, int(round(cpus)))
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        self.job: TrainingJob | None = None
        # TensorFlow and Keras bring about 340,000 long-lived objects, which every full
        # collection would scan again: dispose()'s, after each training, took 0.3-0.45 s here.
        # Frozen, they are left out and it scans what the trainings made (0.03 s).
        gc.collect()
        gc.freeze()

    def pid(self) -> int:
        return os.getpid()

    def threads(self) -> tuple[int, int]:
        """TensorFlow's intra-op and inter-op thread counts in this actor."""
        import tensorflow as tf

        return (
            tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads(),
        )

    def begin(self, spec, dataset, settings, name, resume) -> None:
        """Start a segment: a new job, going on from `resume` when given.

        Args:
            resume: None for a first training, else (weights, epochs done, progress,
                optimizer state or None) of the job that this segment continues.
        """
        self.end()
        self.job = TrainingJob(
            spec, dataset, settings, scheduler=scheduler.TrainingScheduler(1), name=name
        )
        if resume is not None:
            weights, epochs_done, progress, optimizer_state = resume
            self.job.model.set_weights(weights)
            self.job.resume_from(epochs_done, progress, optimizer_state)
        self.job.start()

    def end(self) -> None:
        """Let go of the segment's job, its model and everything Keras kept for it."""
        job, self.job = self.job, None
        if job is None:
            return
        # Keras's names and graph state reset; the collection that frees them is dispose()'s.
        keras.backend.clear_session(free_memory=False)
        job.dispose()

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

    def optimizer_state(self) -> tuple[str, list[np.ndarray]] | None:
        return self.job.optimizer_state()

    def checkpoint(self):
        """The segment's last finished epoch's checkpoint: weights and optimizer state taken
        together at the epoch's end, not midway through the next one (see JobBase.checkpoint)."""
        return self.job.checkpoint()


# Several calls at once, so that a status poll never waits behind another call. No restarts:
# a dead actor's training is lost either way, and the pool starts a clean one instead.
TrainerActor = ray.remote(max_restarts=0, max_concurrency=4)(_Trainer)


class TrainerPool:
    """Long-lived trainer actors, handed to one training segment at a time.

    A new actor is a new worker process that imports TensorFlow, several seconds on a busy
    machine; a pooled one has done so already. The pool holds at most `size` actors, started as
    trainings need them; Ray decides on which machine each one lives. The visible queue in front
    normally lets no more trainings run at once than that; one beyond waits here for an actor.

    Args:
        size: how many actors to keep (the number of training slots the cluster has CPUs for).
        cpus: CPUs each actor holds on the cluster for as long as it lives.
    """

    def __init__(self, size: int, cpus: float):
        if size < 1:
            raise ValueError(f"A trainer pool needs at least one actor. Received: {size}")
        self.size = size
        self.cpus = cpus
        self._changed = threading.Condition()
        self._idle: list = []
        self._busy: list = []

    def _new_actor(self):
        return TrainerActor.options(num_cpus=self.cpus).remote(self.cpus)

    def _count(self) -> int:
        return len(self._idle) + len(self._busy)

    def warm(self) -> None:
        """Start actors until the pool has `size` of them (they start in the background)."""
        with self._changed:
            while self._count() < self.size:
                self._idle.append(self._new_actor())

    def take(self, cancelled: Callable[[], bool] | None = None):
        """An actor for one segment: the one used last if idle (its caches are warm), else new.

        Returns None when `cancelled` answers True while every actor is busy.
        """
        with self._changed:
            while not self._idle and self._count() >= self.size:
                if cancelled is not None and cancelled():
                    return None
                self._changed.wait(0.2)
            actor = self._idle.pop() if self._idle else self._new_actor()
            self._busy.append(actor)
            return actor

    def give_back(self, actor) -> None:
        """The segment ended cleanly: the actor waits for the next one."""
        with self._changed:
            if actor in self._busy:  # not when the pool was closed meanwhile
                self._busy.remove(actor)
                self._idle.append(actor)
                self._changed.notify()
                return
        _end_actor(actor)

    def replace(self, actor) -> None:
        """The actor died or cannot be trusted: end it and start a fresh one in its place."""
        with self._changed:
            if actor in self._busy:  # not when the pool was closed meanwhile
                self._busy.remove(actor)
                # Started now, so that it has imported TensorFlow when the next training comes.
                self._idle.append(self._new_actor())
                self._changed.notify()
        _end_actor(actor)

    @property
    def actor_count(self) -> int:
        with self._changed:
            return self._count()

    def idle_pids(self, timeout: float = 180.0) -> list[int]:
        """The worker process ids of the idle actors (waits for them to have started)."""
        with self._changed:
            idle = list(self._idle)
        return ray.get([actor.pid.remote() for actor in idle], timeout=timeout)

    def close(self) -> None:
        """End every actor, freeing their CPUs (busy ones' trainings fail)."""
        with self._changed:
            actors, self._idle, self._busy = self._idle + self._busy, [], []
            self._changed.notify_all()
        for actor in actors:
            _end_actor(actor)


def _end_actor(actor) -> None:
    # An actor already gone, or a cluster already left, needs no ending.
    with contextlib.suppress(Exception):
        ray.kill(actor)


_pools: dict[float, TrainerPool] = {}
_pools_lock = threading.Lock()


def default_pool(cpus: float) -> TrainerPool:
    """The process's pool of actors holding `cpus` CPUs each, one per slot of the queue.

    Started lazily, at the first training, not when the app joins the cluster: joining happens
    for `cnnviz train` too, where one training would leave the other actors idle, each holding a
    CPU while it imports TensorFlow on the machine that trains. Later trainings find them warm.
    """
    with _pools_lock:
        pool = _pools.get(cpus)
        if pool is None:
            # One actor per slot of the queue, but no more than the cluster has CPUs for: an
            # actor holds its CPUs while idle, so one more would wait for them forever.
            fits = int(ray.cluster_resources().get("CPU", 1.0) // cpus)
            pool = TrainerPool(max(1, min(default_ray_scheduler().max_concurrent, fits)), cpus)
            _pools[cpus] = pool
        return pool


def close_pools() -> None:
    """End the pooled actors (before leaving the cluster, or to free their CPUs)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


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
                slots = max(1, int(cpus // cluster_settings.cpus_per_training()))
            _default_scheduler = scheduler.TrainingScheduler(slots)
        return _default_scheduler


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
