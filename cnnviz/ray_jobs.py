"""Trainings whose body runs in a Ray actor, behind the TrainingJob interface the pages use.

A RayTrainingJob lives on the app's server. It waits its turn in a visible first-in, first-out
queue (so a queued student still sees their place), then takes a trainer actor from a pool of
long-lived ones (cnnviz.ray_actor.TrainerPool, one per slot; Ray decided where each lives). The
actor runs an ordinary TrainingJob, so the training itself (callbacks, divergence guard,
snapshots, test accuracy) is the same code as in-process. The server polls the actor for its
status a few times a second; when a run ends or stops, the weights, weight snapshots and the
optimizer's state come back and the actor goes back to the pool for the next training.

Continue gives an actor the weights, the epoch count and the optimizer's state that came back
(TrainingJob.resume_from), so it goes on exactly as an in-process Continue does, Adam's moments
included, while an idle model holds no actor. The history and snapshots of all segments are
joined here.

The data set goes into Ray's object store once per process and data set (ray.put), and every
actor reads it from there.
"""

from __future__ import annotations

import copy
import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import ray
import ray.exceptions

from cnnviz import executors, ray_actor, scheduler, snapshots, training
from cnnviz.job_state import JobState, StopReason
from cnnviz.model.with_keras import builder
from cnnviz.ray_actor import (  # noqa: F401 - part of this module's interface
    TrainerActor,
    TrainerPool,
    clear_dataset_refs,
    dataset_ref,
    default_ray_scheduler,
)
from cnnviz.training import JobStatus, empty_history

# How often (seconds) the server asks a running actor for its status.
POLL_SECONDS = 0.2
# How long an actor may take to start (a worker imports TensorFlow first) or to answer.
ACTOR_START_SECONDS = 180.0
CALL_SECONDS = 60.0
WORKER_LOST_MESSAGE = (
    "Training stopped: the machine running it left (its Ray worker ended). The history up to "
    "then is kept, and the weights from the last finished epoch. Press Train or Continue to go on."
)

_LOGGER = logging.getLogger(__name__)


class RayTrainingJob:
    """A training job run by a Ray actor, with TrainingJob's public interface.

    Args:
        spec, dataset, settings, owner_alive, owner_grace_seconds, name: as for TrainingJob.
        scheduler: the visible queue in front of Ray.
        cpus: CPUs Ray reserves for each trainer actor.
        pool: the trainer actors to run on; the process's pool for `cpus` by default.
    """

    executor = executors.Executor.RAY

    def __init__(
        self,
        spec: dict,
        dataset,
        settings,
        *,
        scheduler: scheduler.TrainingScheduler,
        cpus: float = executors.DEFAULT_CPUS_PER_TRAINING,
        owner_alive: Callable[[], bool] | None = None,
        owner_grace_seconds: float = training.OWNER_GRACE_SECONDS,
        name: str = "Run",
        unreachable: str | None = None,
        pool: ray_actor.TrainerPool | None = None,
    ):
        settings.check()
        self.unreachable = unreachable  # why the cluster could not be joined, if it could not
        self.spec = copy.deepcopy(spec)
        self.dataset = dataset
        self.settings = settings
        self.name = name
        self.scheduler = scheduler
        self.cpus = cpus
        self._pool = pool
        self.owner_alive = owner_alive
        self.owner_grace_seconds = owner_grace_seconds
        # The server's copy of the model: same seed, so the same start as the actor's; the
        # trained weights are copied into it when a run ends.
        self.model = training.build_seeded_model(
            spec, dataset.input_shape, dataset.num_classes, settings.seed
        )
        self.params = int(self.model.count_params())
        positions = {id(variable): index for index, variable in enumerate(self.model.weights)}
        self._kernel_positions = {
            layer.name: positions[id(layer.kernel)]
            for layer in builder.spec_layers(self.model)
            if hasattr(layer, "kernel") and len(layer.kernel.shape) == 4
        }
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._segment_done = threading.Event()
        self._segment_done.set()
        self._owner_missing_since: float | None = None
        self._snapshots = snapshots.WeightSnapshots()
        # The optimizer the server's model is compiled with, holding the state that came back.
        self._compiled_optimizer: str | None = None
        self.state = JobState.READY
        self.message = "Not trained yet."
        self.stop_reason: StopReason | None = None
        self.test_accuracy: float | None = None
        self.test_loss: float | None = None
        self.worker_pid: int | None = None  # the actor's process, while it trains
        # Where the ended segments got to, and the running segment's last status (its epochs
        # and history counted over the job's life, its time and samples its own).
        self._base_epoch = 0
        self._base_progress = 0.0
        self._base_history = empty_history()
        self._base_seconds = 0.0
        self._base_samples = 0
        self._target_epochs = 0
        self._remote: tuple[JobStatus, float, int] | None = None
        self._last_segment: JobStatus | None = None  # the last ended segment's final status

    # ----- control -----

    def start(self, epochs: int | None = None, settings=None) -> None:
        """Train `epochs` more epochs on the cluster (queued until a slot is free).

        Raises:
            RuntimeError: when the job is already queued or running, or was disposed of.
        """
        if self.is_active:
            raise RuntimeError("This model is already training; stop it first.")
        if self.model is None:
            raise RuntimeError("This job was closed; build a new model to train.")
        if settings is not None:
            settings.check()
            self.settings = settings
        if epochs is not None:
            self.settings = replace(self.settings, epochs=epochs)
            self.settings.check()
        self._stop_event.clear()
        self._segment_done.clear()
        self.stop_reason = None

        def queued() -> None:
            # Under the scheduler's lock: the state says queued exactly while the queue has it.
            with self._lock:
                self.state = JobState.QUEUED
                self.message = "Waiting for a free training slot."
                self._target_epochs = self._base_epoch + self.settings.epochs

        self.scheduler.enqueue(self, on_queued=queued, on_granted=self._slot_granted)
        thread = threading.Thread(target=self._run, name=f"cnnviz-ray-{self.name}", daemon=True)
        thread.start()

    def _slot_granted(self) -> None:
        # Under the scheduler's lock, as the slot is handed over: no longer waiting for one.
        with self._lock:
            self.state = JobState.STARTING
            self.message = "Getting a worker on the cluster ready."

    def stop(self, reason: StopReason = StopReason.USER) -> None:
        """Ask the job to stop after the current batch; the weights learned so far are kept."""
        reason = StopReason(reason)
        if self.stop_reason is None:
            self.stop_reason = reason
        self._stop_event.set()
        self.scheduler.wake()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current training segment to end; return True when it has."""
        return self._segment_done.wait(timeout)

    def dispose(self, timeout: float = training.DISPOSE_WAIT_SECONDS) -> bool:
        """Stop, wait, and let go of the model and its snapshots."""
        if self.is_active:
            self.stop(StopReason.CLOSED)
        ended = self.wait(timeout)
        self.model = None
        self._snapshots.clear()
        gc.collect()
        return ended

    # ----- reading -----

    @property
    def is_active(self) -> bool:
        return self.state.is_active

    @property
    def epochs_done(self) -> int:
        with self._lock:
            return self._remote[0].epoch if self._remote else self._base_epoch

    @property
    def train_seconds(self) -> float:
        with self._lock:
            return self._base_seconds + (self._remote[1] if self._remote else 0.0)

    @property
    def samples_trained(self) -> int:
        with self._lock:
            return self._base_samples + (self._remote[2] if self._remote else 0)

    def status(self) -> JobStatus:
        """A consistent copy of the progress and history, for drawing."""
        # The job's lock inside the scheduler's (the one order both are taken in): the state
        # and the queue's counts are read in the same instant.
        with self.scheduler.view(self) as slots, self._lock:
            remote = self._remote[0] if self._remote else None
            history = self._history_locked()
            common = dict(
                state=self.state,
                message=self.message,
                queue_position=slots.position if self.state == JobState.QUEUED else None,
                target_epochs=self._target_epochs,
                slots=slots,
                test_accuracy=self.test_accuracy,
                test_loss=self.test_loss,
                history=history,
            )
            if remote is None or self.state == JobState.QUEUED:
                # Between segments: the last one's speed, time and warning, as TrainingJob keeps.
                last = self._last_segment if self.state != JobState.QUEUED else None
                return JobStatus(
                    epoch=self._base_epoch,
                    progress=self._base_progress,
                    batch=0,
                    batches_per_epoch=last.batches_per_epoch if last else 1,
                    samples_per_second=last.samples_per_second if last else None,
                    elapsed_seconds=last.elapsed_seconds if last else 0.0,
                    eta_seconds=None,
                    warning=last.warning if last else None,
                    **common,
                )
            return JobStatus(
                epoch=remote.epoch,
                progress=remote.progress,
                batch=remote.batch,
                batches_per_epoch=remote.batches_per_epoch,
                samples_per_second=remote.samples_per_second,
                elapsed_seconds=remote.elapsed_seconds,
                eta_seconds=remote.eta_seconds if self.state == JobState.RUNNING else None,
                warning=remote.warning,
                **common,
            )

    def history(self) -> dict:
        """A copy of the recorded history."""
        with self._lock:
            return self._history_locked()

    def weight_snapshots(self) -> list[tuple[float, list[np.ndarray]]]:
        """(epoch, float16 weights) pairs, oldest first, as for TrainingJob."""
        return self._snapshots.items()

    def kernel_snapshots(self) -> list[tuple[float, dict[str, np.ndarray]]]:
        """(epoch, {conv layer name: kernels (filters, height, width, channels)}) pairs."""
        return [
            (
                epoch,
                {
                    name: np.transpose(
                        weights[position][
                            :, :, : training.SNAPSHOT_MAX_CHANNELS, : training.SNAPSHOT_MAX_FILTERS
                        ],
                        (3, 0, 1, 2),
                    )
                    for name, position in self._kernel_positions.items()
                },
            )
            for epoch, weights in self._snapshots.items()
        ]

    def check_owner(self) -> None:
        """Stop the job once its owner has been gone for longer than the grace period."""
        if self.owner_alive is None or self.owner_alive():
            self._owner_missing_since = None
            return
        now = time.monotonic()
        if self._owner_missing_since is None:
            self._owner_missing_since = now
        if now - self._owner_missing_since >= self.owner_grace_seconds:
            self.stop(StopReason.OWNER_GONE)

    # ----- the server's thread -----

    def _history_locked(self) -> dict:
        if self._remote is None:
            return copy.deepcopy(self._base_history)
        return ray_actor.join_histories(self._base_history, self._remote[0].history)

    def _cancelled(self) -> bool:
        self.check_owner()
        return self._stop_event.is_set()

    def _run(self) -> None:
        try:
            if not self.scheduler.acquire(self, self._cancelled):
                with self._lock:
                    self.state = JobState.STOPPED
                    self.message = (self.stop_reason or StopReason.USER).message
                return
            try:
                self._train_segment()
            finally:
                self.scheduler.release(self)
        finally:
            self._segment_done.set()

    def _train_segment(self) -> None:
        pool = actor = None
        healthy = False
        try:
            if self.unreachable:
                raise ConnectionError(self.unreachable)
            ray_actor.check_cluster()
            pool = self._pool or ray_actor.default_pool(self.cpus)
            actor = pool.take(self._cancelled)
            if actor is None:  # stopped while waiting for an actor
                self._end_segment(JobState.STOPPED, (self.stop_reason or StopReason.USER).message)
                return
            self.worker_pid = ray.get(actor.pid.remote(), timeout=ACTOR_START_SECONDS)
            begin = actor.begin.remote(
                self.spec, dataset_ref(self.dataset), self.settings, self.name, self._resume()
            )
            ray.get(begin, timeout=CALL_SECONDS)
            self._follow(actor)
            self._collect(actor)
            ray.get(actor.end.remote(), timeout=CALL_SECONDS)
            healthy = True
        except ray.exceptions.RayActorError:
            _LOGGER.warning("%s: its Ray worker ended during training.", self.name)
            self._end_segment(JobState.FAILED, WORKER_LOST_MESSAGE)
        except (ray.exceptions.RayError, ConnectionError, TimeoutError) as error:
            _LOGGER.warning("%s: the Ray cluster failed: %s", self.name, error)
            self._end_segment(JobState.FAILED, ray_actor.cluster_message(error))
        except Exception as error:  # noqa: BLE001 - the thread must report, not die silently
            _LOGGER.exception("%s failed", self.name)
            self._end_segment(JobState.FAILED, training.describe_failure(error))
        finally:
            self.worker_pid = None
            if actor is not None:
                # A failed segment may have left the actor dead or midway: a fresh one replaces it.
                (pool.give_back if healthy else pool.replace)(actor)

    def _resume(self):
        """What a Continue hands the actor: weights, epochs, progress, optimizer state."""
        if not self._base_epoch:
            return None
        optimizer_state = None
        if self._compiled_optimizer == self.settings.optimizer:
            # The same optimizer goes on, as in-process; another one starts afresh there too.
            optimizer = self.model.optimizer
            optimizer_state = (
                self._compiled_optimizer,
                [np.array(variable) for variable in optimizer.variables],
            )
        return self.model.get_weights(), self._base_epoch, self._base_progress, optimizer_state

    def _follow(self, actor) -> None:
        """Poll the actor until its segment ends, passing on stops and keeping snapshots."""
        stop_sent = False
        snapshot_epoch = -1
        while True:
            self.check_owner()
            if self._stop_event.is_set() and not stop_sent:
                actor.stop.remote(self.stop_reason or StopReason.USER)
                stop_sent = True
            remote = ray.get(actor.poll.remote(), timeout=CALL_SECONDS)
            with self._lock:
                self._remote = remote
                status = remote[0]
                # Running until the weights are back, whatever the actor says (its one-slot
                # queue is passed at once; an ended segment ends here in _collect).
                self.state = JobState.RUNNING
                self.message = status.message if status.state.is_active else "Training."
                if stop_sent and status.state == JobState.RUNNING:
                    self.message = "Stopping after this batch."
            if status.epoch != snapshot_epoch:
                snapshot_epoch = status.epoch
                self._take_snapshots(ray.get(actor.weight_snapshots.remote(), timeout=CALL_SECONDS))
            if not status.state.is_active:
                return
            # Waits at most POLL_SECONDS, and returns as soon as the segment ends (rather than
            # sleeping), so that the next training in the queue starts without delay.
            ray.get(actor.wait.remote(POLL_SECONDS), timeout=CALL_SECONDS)

    def _take_snapshots(self, remote_snapshots) -> None:
        # The actor counts epochs over the job's life; a continued segment's start is the
        # previous segment's end, already kept.
        for epoch, weights in remote_snapshots:
            when = round(epoch, 4)
            if not any(kept == when for kept, _ in self._snapshots.items()):
                self._snapshots.add(when, weights)

    def _collect(self, actor) -> None:
        """The segment ended: bring the weights back and fold the segment into the totals."""
        # A diverged job says so while fit still runs; its weights are restored only after.
        if not ray.get(actor.wait.remote(CALL_SECONDS), timeout=2 * CALL_SECONDS):
            raise TimeoutError("the training did not end within a minute of saying so")
        remote = ray.get(actor.poll.remote(), timeout=CALL_SECONDS)
        with self._lock:
            self._remote = remote
        weights = ray.get(actor.weights.remote(), timeout=CALL_SECONDS)
        self._take_snapshots(ray.get(actor.weight_snapshots.remote(), timeout=CALL_SECONDS))
        if self.model is not None:
            self.model.set_weights(weights)
            self._take_optimizer(ray.get(actor.optimizer_state.remote(), timeout=CALL_SECONDS))
        status = self._remote[0]
        self.test_accuracy, self.test_loss = status.test_accuracy, status.test_loss
        self._end_segment(status.state, status.message)

    def _take_optimizer(self, optimizer_state) -> None:
        """Compile the server's model like the actor's, with the optimizer's state it reached.

        Evaluate calls evaluate(), which needs a compiled model; a saved .keras file holds the
        optimizer, so one with the actor's values loads back like a local run's; and the next
        Continue hands the state back to an actor.
        """
        if optimizer_state is None:
            return
        optimizer, values = optimizer_state
        training.set_optimizer_state(self.model, optimizer, values, self.settings)
        self._compiled_optimizer = optimizer

    def _end_segment(self, state: JobState, message: str) -> None:
        with self._lock:
            trained = self._remote is not None
            if trained:
                status, seconds, samples = self._remote
                self._base_history = self._history_locked()
                self._base_epoch = status.epoch
                self._base_progress = status.progress
                self._base_seconds += seconds
                self._base_samples += samples
                self._last_segment = status
                self._remote = None
            if state == JobState.FAILED and trained and self.model is not None:
                kept = self._snapshots.items()
                if kept:
                    self.model.set_weights([array.astype(np.float32) for array in kept[-1][1]])
                # The optimizer's state of that segment was lost with it: a Continue from the
                # last snapshot starts the optimizer afresh rather than from an older state.
                self._compiled_optimizer = None
            self.state = state
            self.message = message
