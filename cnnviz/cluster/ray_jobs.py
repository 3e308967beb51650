"""Trainings whose body runs in a Ray actor, behind the same job interface as in-process.

A RayTrainingJob lives on the app's server. It waits its turn in a visible first-in, first-out
queue (so a queued student still sees their place), then takes a trainer actor from a pool of
long-lived ones (cnnviz.cluster.ray_actor.TrainerPool, one per slot; Ray decided where each
lives). The actor runs an ordinary TrainingJob, so the training itself (callbacks, weight
backup, snapshots, test accuracy) is the same code as in-process; what the two jobs share on the
server (queueing, stopping, the owner check, disposing) is cnnviz.training.job_base. The server
polls the actor for its status a few times a second; when a run ends or stops, the weights,
weight snapshots and the optimizer's state come back and the actor goes back to the pool for
the next training.

Continue gives an actor the weights, the epoch count and the optimizer's state that came back
(TrainingJob.resume_from), so it goes on exactly as an in-process Continue does, Adam's moments
included, while an idle model holds no actor. The history and snapshots of all segments are
joined here.

The data set goes into Ray's object store once per process and data set (ray.put), and every
actor reads it from there.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable

import numpy as np
import ray
import ray.exceptions

from cnnviz.cluster import ray_actor
from cnnviz.cluster import settings as cluster_settings
from cnnviz.cluster.ray_actor import (  # noqa: F401 - part of this module's interface
    TrainerActor,
    TrainerPool,
    clear_dataset_refs,
    dataset_ref,
    default_ray_scheduler,
)
from cnnviz.training import fitting, scheduler
from cnnviz.training.job_base import OWNER_GRACE_SECONDS, JobBase
from cnnviz.training.job_interface import JobStatus, empty_history, join_histories
from cnnviz.training.job_state import JobState, StopReason

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


class RayTrainingJob(JobBase):
    """A training job run by a Ray actor, with the same interface as TrainingJob.

    Args:
        spec, dataset, settings, owner_alive, owner_grace_seconds, name: as for TrainingJob.
        scheduler: the visible queue in front of Ray.
        cpus: CPUs Ray reserves for each trainer actor.
        unreachable: why the cluster could not be joined, if it could not (the job then fails
            with that reason when it starts, so that the page shows it).
        pool: the trainer actors to run on; the process's pool for `cpus` by default.
    """

    executor = cluster_settings.Executor.RAY
    starting_message = "Getting a worker on the cluster ready."
    thread_prefix = "cnnviz-ray"

    def __init__(
        self,
        spec: dict,
        dataset,
        settings,
        *,
        scheduler: scheduler.TrainingScheduler,
        cpus: float = cluster_settings.DEFAULT_CPUS_PER_TRAINING,
        owner_alive: Callable[[], bool] | None = None,
        owner_grace_seconds: float = OWNER_GRACE_SECONDS,
        name: str = "Run",
        unreachable: str | None = None,
        pool: ray_actor.TrainerPool | None = None,
    ):
        settings.check()
        # The server's copy of the model: same seed, so the same start as the actor's; the
        # trained weights are copied into it when a run ends.
        model = fitting.build_seeded_model(
            spec, dataset.input_shape, dataset.num_classes, settings.seed
        )
        super().__init__(
            spec,
            dataset,
            settings,
            model,
            scheduler=scheduler,
            owner_alive=owner_alive,
            owner_grace_seconds=owner_grace_seconds,
            name=name,
        )
        self.unreachable = unreachable
        self.cpus = cpus
        self._pool = pool
        self.worker_pid: int | None = None  # the actor's process, while it trains
        # Where the ended segments got to, and the running segment's last status (its epochs
        # and history counted over the job's life, its time and samples its own).
        self._base_epoch = 0
        self._base_progress = 0.0
        self._base_history = empty_history()
        self._base_seconds = 0.0
        self._base_samples = 0
        self._remote: tuple[JobStatus, float, int] | None = None
        self._last_segment: JobStatus | None = None  # the last ended segment's final status

    # ----- reading -----

    def _epochs_done_locked(self) -> int:
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
            common = dict(
                state=self.state,
                message=self.message,
                queue_position=slots.position if self.state == JobState.QUEUED else None,
                target_epochs=self._target_epochs,
                slots=slots,
                test_accuracy=self.test_accuracy,
                test_loss=self.test_loss,
                history=self._history_locked(),
            )
            if remote is None or self.state == JobState.QUEUED:
                return JobStatus(**self._between_segments_locked(), **common)
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

    def _between_segments_locked(self) -> dict:
        # The last segment's speed, time and warning, as TrainingJob keeps them.
        last = self._last_segment if self.state != JobState.QUEUED else None
        return dict(
            epoch=self._base_epoch,
            progress=self._base_progress,
            batch=0,
            batches_per_epoch=last.batches_per_epoch if last else 1,
            samples_per_second=last.samples_per_second if last else None,
            elapsed_seconds=last.elapsed_seconds if last else 0.0,
            eta_seconds=None,
            warning=last.warning if last else None,
        )

    def history(self) -> dict:
        """A copy of the recorded history."""
        with self._lock:
            return self._history_locked()

    # ----- the server's thread -----

    def _history_locked(self) -> dict:
        if self._remote is None:
            return copy.deepcopy(self._base_history)
        return join_histories(self._base_history, self._remote[0].history)

    def _train_in_slot(self) -> None:
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
                self.spec,
                ray_actor.dataset_ref(self.dataset),
                self.settings,
                self.name,
                self._resume(),
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
            self._end_segment(JobState.FAILED, fitting.describe_failure(error))
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
                if status.epoch > self._base_epoch and status.state != JobState.DIVERGED:
                    self._take_epoch_checkpoint(actor)
            if not status.state.is_active:
                return
            # Waits at most POLL_SECONDS, and returns as soon as the segment ends (rather than
            # sleeping), so that the next training in the queue starts without delay.
            ray.get(actor.wait.remote(POLL_SECONDS), timeout=CALL_SECONDS)

    def _take_epoch_checkpoint(self, actor) -> None:
        """Fetch the actor's last epoch's checkpoint, count it over the job's life, pass it on."""
        remote = ray.get(actor.checkpoint.remote(), timeout=CALL_SECONDS)
        if remote is None:
            return
        with self._lock:
            checkpoint = dataclasses.replace(
                self._new_checkpoint_locked(
                    epochs_done=remote.epochs_done,
                    progress=remote.progress,
                    weights=remote.weights,
                    optimizer_state=remote.optimizer_state,
                    history=join_histories(self._base_history, remote.history),
                    train_seconds=self._base_seconds + remote.train_seconds,
                    samples_trained=self._base_samples + remote.samples_trained,
                ),
                state=str(JobState.RUNNING),
            )
            self._epoch_checkpoint = checkpoint
        self._tell_checkpoint_listener(checkpoint)

    def _checkpoint_of_model(self):
        model = self.model
        if model is None:
            return None
        weights = model.get_weights()
        optimizer_state = None
        if self._compiled_optimizer is not None and model.optimizer.built:
            values = [np.array(variable) for variable in model.optimizer.variables]
            optimizer_state = (self._compiled_optimizer, values)
        with self._lock:
            return self._new_checkpoint_locked(
                epochs_done=self._base_epoch,
                progress=self._base_progress,
                weights=weights,
                optimizer_state=optimizer_state,
                history=copy.deepcopy(self._base_history),
                train_seconds=self._base_seconds,
                samples_trained=self._base_samples,
            )

    def restore_from(self, checkpoint) -> None:
        """Become the job the checkpoint was taken of (see TrainingJob.restore_from).

        The server's model takes the weights and the optimizer's state, which the next Continue
        hands to an actor as it would after a segment trained here.

        Raises:
            RuntimeError: when this job has trained already, is training, or was disposed of.
            ValueError: when the weights or the optimizer's state do not fit the model.
        """
        self._check_restorable()
        self.model.set_weights(checkpoint.weights)
        if checkpoint.optimizer_state is None:
            # Compiled so that Evaluate can run; a Continue starts this optimizer afresh.
            fitting.compile_afresh(self.model, self.settings)
        else:
            self._take_optimizer(checkpoint.optimizer_state)
        self._snapshots.add(round(checkpoint.progress, 4), checkpoint.weights)
        with self._lock:
            self._base_epoch = int(checkpoint.epochs_done)
            self._base_progress = float(checkpoint.progress)
            self._base_history = join_histories(empty_history(), checkpoint.history)
            self._base_seconds = float(checkpoint.train_seconds)
            self._base_samples = int(checkpoint.samples_trained)
            self._set_restored_state_locked(checkpoint)

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
        fitting.set_optimizer_state(self.model, optimizer, values, self.settings)
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
