"""The code the in-process and the Ray training jobs share; they differ only in their segment.

A job lives on the app's server. `start` queues it in the scheduler's visible first-in,
first-out queue and runs a thread that waits for a slot, trains one segment (Train, or a
Continue) and gives the slot back; `stop`, `wait`, `dispose` and the owner check are the same for
both. A subclass says how a segment trains (`_train_in_slot`): in this process
(cnnviz.training.job) or in a Ray actor (cnnviz.cluster.ray_jobs).

No TensorFlow here: the model comes built, from the subclass.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from cnnviz.training import limits as training_limits
from cnnviz.training import snapshots
from cnnviz.training.checkpoints import Checkpoint
from cnnviz.training.job_state import JobState, StopReason, interrupted_message
from cnnviz.training.scheduler import TrainingScheduler
from cnnviz.training.settings import TrainingSettings

# A session that has been gone this long (seconds) is taken as closed and its job stops; a
# shorter gap is a network blip, after which Streamlit reconnects the same session.
OWNER_GRACE_SECONDS = training_limits.session_grace_seconds()
# How long dispose() waits for a running job to leave its segment before dropping the model.
DISPOSE_WAIT_SECONDS = 30.0

_LOGGER = logging.getLogger(__name__)


class JobBase:
    """A training job's life: queued, granted a slot, trained, stopped, disposed of.

    Args:
        spec: the layer spec the model was built from (kept for the run history).
        dataset: the loaded data set to train and test on.
        settings: how to train the first segment.
        model: the built model (the subclass builds it).
        scheduler: where to queue for a slot.
        owner_alive: polled about once a second; when it has answered False for
            `owner_grace_seconds`, the job stops (the browser tab was closed).
        name: a label such as "Run 3".
    """

    # What the status says once the job holds a slot, until its segment trains.
    starting_message = "Preparing the data and the model."
    # The name of the job's threads, before the job's own name.
    thread_prefix = "cnnviz"

    def __init__(
        self,
        spec: dict,
        dataset: Any,
        settings: TrainingSettings,
        model: Any,
        *,
        scheduler: TrainingScheduler,
        owner_alive: Callable[[], bool] | None,
        owner_grace_seconds: float,
        name: str,
    ):
        self.spec = copy.deepcopy(spec)
        self.dataset = dataset
        self.settings = settings
        self.name = name
        self.scheduler = scheduler
        self.owner_alive = owner_alive
        self.owner_grace_seconds = owner_grace_seconds
        self.model = model
        self.params = int(model.count_params())
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._segment_done = threading.Event()
        self._segment_done.set()  # nothing is running yet
        self._owner_missing_since: float | None = None
        self._snapshots = snapshots.WeightSnapshots()
        self._disposed = False
        # The optimizer the model is compiled with, once a segment (or its state) compiled it.
        self._compiled_optimizer: str | None = None
        self._target_epochs = 0
        self.state = JobState.READY
        self.message = "Not trained yet."
        self.stop_reason: StopReason | None = None
        self.test_accuracy: float | None = None
        self.test_loss: float | None = None
        # Told each finished epoch's checkpoint and each segment's last (set by the app, which
        # stores them); called on the training thread, so it must not take long.
        self.checkpoint_listener: Callable[[Checkpoint], None] | None = None
        # The checkpoint of the running segment's last finished epoch: what checkpoint() gives
        # while the model's weights are midway through the next epoch.
        self._epoch_checkpoint: Checkpoint | None = None

    # ----- what a subclass says -----

    def _epochs_done_locked(self) -> int:
        """Epochs trained over the job's life; called under the job's lock."""
        raise NotImplementedError

    def _train_in_slot(self) -> None:
        """Train one segment, holding a slot; report every failure in the job's state."""
        raise NotImplementedError

    def _on_queued_locked(self) -> None:
        """Called under the job's lock as the job joins the queue."""

    def _on_stop_locked(self, reason: StopReason) -> None:
        """Called under the job's lock when asked to stop."""

    def _on_segment_ended(self) -> None:
        """Called on the job's thread once the segment has ended (done is already set)."""

    def _on_dispose(self, ended: bool) -> None:
        """Let go of what the subclass holds; `ended` says whether the segment has ended."""

    def _checkpoint_of_model(self) -> Checkpoint | None:
        """A checkpoint built from the model now (between segments, where it is consistent)."""
        raise NotImplementedError

    # ----- control, called from the app or the CLI -----

    def start(self, epochs: int | None = None, settings: TrainingSettings | None = None) -> None:
        """Train for `epochs` more epochs in the background (queued until a slot is free).

        A first call trains afresh; later calls continue from the weights learned so far.

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
            self.settings = dataclasses.replace(self.settings, epochs=epochs)
            self.settings.check()
        self._stop_event.clear()
        self._segment_done.clear()
        self.stop_reason = None

        def queued() -> None:
            # Under the scheduler's lock: the state says queued exactly while the queue has it.
            with self._lock:
                self.state = JobState.QUEUED
                self.message = "Waiting for a free training slot."
                self._target_epochs = self._epochs_done_locked() + self.settings.epochs
                self._on_queued_locked()

        self.scheduler.enqueue(self, on_queued=queued, on_granted=self._slot_granted)
        thread = threading.Thread(
            target=self._run, name=f"{self.thread_prefix}-{self.name}", daemon=True
        )
        thread.start()

    def _slot_granted(self) -> None:
        # Under the scheduler's lock, as the slot is handed over: no longer waiting for one.
        with self._lock:
            self.state = JobState.STARTING
            self.message = self.starting_message

    def stop(self, reason: StopReason = StopReason.USER) -> None:
        """Ask the job to stop after the current batch; the weights learned so far are kept."""
        reason = StopReason(reason)
        if self.stop_reason is None:
            self.stop_reason = reason
        self._stop_event.set()
        with self._lock:
            self._on_stop_locked(reason)
        self.scheduler.wake()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current training segment to end; return True when it has.

        Waits on an Event rather than joining the thread: on Python 3.11 a Ctrl-C during
        Thread.join(timeout) can leave the thread marked as ended while it still runs.
        """
        return self._segment_done.wait(timeout)

    def dispose(self, timeout: float = DISPOSE_WAIT_SECONDS) -> bool:
        """Stop, wait, and let go of the model and its snapshots (for a closed workspace).

        The recorded history and results stay readable. Returns whether the job had ended
        within `timeout`; the model is dropped either way.
        """
        if self.is_active:
            self.stop(StopReason.CLOSED)
        self._disposed = True
        ended = self.wait(timeout)
        self.model = None
        self._snapshots.clear()
        self._on_dispose(ended)
        # The model and its optimizer sit in reference cycles: collect them now, not whenever
        # the collector next runs.
        gc.collect()
        return ended

    def check_owner(self) -> None:
        """Stop the job once its owner has been gone for longer than the grace period."""
        if self.owner_alive is None or self.owner_alive():
            self._owner_missing_since = None
            return
        now = time.monotonic()
        if self._owner_missing_since is None:
            self._owner_missing_since = now
        if now - self._owner_missing_since >= self.owner_grace_seconds:
            if self.stop_reason is None:
                # Logged so that whoever runs the server can see why a run ended unseen.
                _LOGGER.warning("%s stopped: its browser session ended.", self.name)
            self.stop(StopReason.OWNER_GONE)

    # ----- reading -----

    @property
    def is_active(self) -> bool:
        return self.state.is_active

    @property
    def epochs_done(self) -> int:
        """Epochs trained over the job's life (Continue adds to them)."""
        with self._lock:
            return self._epochs_done_locked()

    def stop_requested(self) -> bool:
        """Whether the job has been asked to stop (or has diverged)."""
        return self._stop_event.is_set()

    def weight_snapshots(self) -> list[tuple[float, list[np.ndarray]]]:
        """(epoch, float16 weights in model.get_weights() order) pairs, oldest first.

        Epoch 0 is the random start; then one per epoch (a stopped epoch counts as a fraction),
        thinned evenly beyond the caps of cnnviz.training.snapshots. The arrays are shared: read
        only.
        """
        return self._snapshots.items()

    def checkpoint(self) -> Checkpoint | None:
        """The job's latest checkpoint: what restoring it needs (cnnviz.training.restoring).

        While a segment trains, the one of its last finished epoch (or, before its first epoch
        ends, the model as it is); between segments, built from the model now. None before the
        job has trained, or once disposed of.
        """
        with self._lock:
            if self.state == JobState.READY:
                return None
            kept = self._epoch_checkpoint if self.state.is_active else None
        if kept is not None:
            return kept
        if self.model is None:
            return None
        return self._checkpoint_of_model()

    def add_snapshots(self, items: list[tuple[float, list[np.ndarray]]]) -> None:
        """Put (epoch, weights) replay snapshots beside the kept ones, in order of epoch.

        For a restored job: the app hands back the snapshots it stored, so replay covers the
        whole run again. An epoch already kept keeps its own weights.
        """
        kept = {round(epoch, 4): weights for epoch, weights in self._snapshots.items()}
        for epoch, weights in items:
            kept.setdefault(round(float(epoch), 4), weights)
        self._snapshots.clear()
        for epoch in sorted(kept):
            self._snapshots.add(epoch, kept[epoch])

    # ----- checkpoints and restoring, for the subclasses -----

    def _new_checkpoint_locked(self, **parts) -> Checkpoint:
        """A checkpoint of `parts` (weights, counts, history, ...) and the job's standing now."""
        return Checkpoint(
            settings=dataclasses.asdict(self.settings),
            state=str(self.state),
            message=self.message,
            test_accuracy=self.test_accuracy,
            test_loss=self.test_loss,
            **parts,
        )

    def _tell_checkpoint_listener(self, checkpoint: Checkpoint | None = None) -> None:
        """Hand the listener `checkpoint` (the latest when None); its failure never stops us."""
        listener = self.checkpoint_listener
        if listener is None:
            return
        try:
            checkpoint = checkpoint if checkpoint is not None else self.checkpoint()
            if checkpoint is not None:
                listener(checkpoint)
        except Exception:  # noqa: BLE001 - a failed save must not end the student's training
            _LOGGER.exception("%s: its checkpoint listener failed", self.name)

    def _check_restorable(self) -> None:
        if self.state != JobState.READY:
            raise RuntimeError("Only a job that has not trained can be restored.")
        if self.model is None:
            raise RuntimeError("This job was closed; build a new model to restore into.")

    def _set_restored_state_locked(self, checkpoint: Checkpoint) -> None:
        """Stand as the checkpoint's job stood; one that was training is now interrupted.

        A checkpoint taken while its job trained (state running, queued or starting) comes from
        a server that stopped mid-training: nobody trains it any more, so it is interrupted,
        and a Continue goes on from its last finished epoch.
        """
        state = JobState(checkpoint.state)
        message = checkpoint.message
        if state.is_active:
            state = JobState.INTERRUPTED
            message = interrupted_message(checkpoint.epochs_done)
        self.state = state
        self.message = message
        self.test_accuracy = checkpoint.test_accuracy
        self.test_loss = checkpoint.test_loss
        self._target_epochs = checkpoint.epochs_done

    # ----- the job's thread -----

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
                self._train_in_slot()
            finally:
                self.scheduler.release(self)
        finally:
            with self._lock:
                self._epoch_checkpoint = None
            # Before the segment counts as done, so that whoever waits for it finds it saved.
            self._tell_checkpoint_listener()
            self._segment_done.set()
            self._on_segment_ended()
