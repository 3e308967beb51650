"""The in-process training job: a model trained in a background thread, recorded as it learns.

Training never runs inside a Streamlit script run (a rerun would kill it): a TrainingJob owns a
thread, a stop Event and everything its callbacks (cnnviz.training.callbacks) report through the
CallbackTarget interface (cnnviz.training.job_interface). The app, the CLI, the benchmarks and
each Ray actor all train through this one path; readers take a consistent copy with `status()`.
What it shares with the Ray job (queueing, stopping, the owner check, disposing) is
cnnviz.training.job_base; going on from elsewhere (resume_from, checkpoints, restore_from) is
cnnviz.training.job_restore.

The same spec, settings and seed give the same weights however many jobs train at once: the
model is built under a lock with the seed set (Keras draws initial weights and dropout seeds
from process-wide generators), and each epoch's order of images comes from a NumPy generator of
the job's own rather than from TensorFlow's global shuffling.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import keras

from cnnviz.data.datasets import Dataset
from cnnviz.explain import evaluation, inspection
from cnnviz.training import callbacks, fitting, gradient_registry, lr_schedules, precision
from cnnviz.training.job_base import OWNER_GRACE_SECONDS, JobBase
from cnnviz.training.job_interface import JobStatus
from cnnviz.training.job_restore import RestorableJob
from cnnviz.training.job_state import JobState, StopReason
from cnnviz.training.recording import TrainingRecord
from cnnviz.training.scheduler import TrainingScheduler, default_scheduler
from cnnviz.training.settings import OPTIMIZER_TITLES, TrainingSettings

_LOGGER = logging.getLogger(__name__)


class TrainingJob(RestorableJob, JobBase):
    """One model, trained in this process in segments (Train, then any number of Continue).

    Args:
        spec: the layer spec the model was built from (kept for the run history).
        dataset: the loaded data set to train and test on.
        settings: how to train the first segment.
        scheduler: where to queue for a CPU slot; the process-wide one by default.
        owner_alive: polled about once a second; when it has answered False for
            `owner_grace_seconds`, the job stops (the browser tab was closed).
        name: a label such as "Run 3".
        model: an already built model to train instead of building one from the spec.
    """

    def __init__(
        self,
        spec: dict,
        dataset: Dataset,
        settings: TrainingSettings,
        *,
        scheduler: TrainingScheduler | None = None,
        owner_alive: Callable[[], bool] | None = None,
        owner_grace_seconds: float = OWNER_GRACE_SECONDS,
        name: str = "Run",
        model: keras.Model | None = None,
    ):
        settings.check()
        if model is None:
            model = fitting.build_seeded_model(
                spec, dataset.input_shape, dataset.num_classes, settings.seed
            )
        super().__init__(
            spec,
            dataset,
            settings,
            model,
            scheduler=scheduler or default_scheduler(),
            owner_alive=owner_alive,
            owner_grace_seconds=owner_grace_seconds,
            name=name,
        )
        self._record = TrainingRecord(settings.batch_size)
        # The gradient functions this job's traces registered, removed once it is disposed of
        # (see gradient_registry).
        gradient_registry.install()
        self._gradient_names: list[str] = []
        self._compiled_smoothing = 0.0
        self.warning: str | None = None
        self.train_seconds = 0.0  # wall time in model.fit, over all segments
        # The whole process's CPU time (every thread) over the same spans: the work a training
        # costs when it is the only one running, which the benchmarks compare with plain fit.
        self.train_cpu_seconds = 0.0
        self.samples_trained = 0

    # ----- what differs from the Ray job -----

    def _epochs_done_locked(self) -> int:
        return self._record.epoch

    def _on_queued_locked(self) -> None:
        self.warning = None

    def _on_stop_locked(self, reason: StopReason) -> None:
        if self.state == JobState.RUNNING:
            self.message = (
                "Stopping after this batch, then measuring test accuracy."
                if reason.measures_test_accuracy
                else "Stopping after this batch."
            )

    def _on_dispose(self, ended: bool) -> None:
        if ended:
            self._forget_gradients()
        # Otherwise the training thread forgets them as it ends.

    def _on_segment_ended(self) -> None:
        if self._disposed:
            self._forget_gradients()

    def mark_trained_elsewhere(self, message: str, test_accuracy: float | None) -> None:
        """Record that the model came trained (a loaded .keras file): finished, not trained here.

        Raises:
            RuntimeError: when the job has already trained or is training.
        """
        with self._lock:
            if self.state != JobState.READY:
                raise RuntimeError("Only a job that has not trained can take a trained model.")
            self.state = JobState.FINISHED
            self.message = message
            self.test_accuracy = test_accuracy

    # ----- reading -----

    def status(self) -> JobStatus:
        """A consistent copy of the progress and history, for drawing."""
        # The job's lock inside the scheduler's, the one order both are ever taken in: the
        # state and the queue's counts are read in the same instant, so they tell one story.
        with self.scheduler.view(self) as slots, self._lock:
            running = self.state == JobState.RUNNING
            return JobStatus(
                state=self.state,
                message=self.message,
                queue_position=slots.position if self.state == JobState.QUEUED else None,
                target_epochs=self._target_epochs,
                test_accuracy=self.test_accuracy,
                test_loss=self.test_loss,
                warning=self.warning,
                slots=slots,
                **self._record.progress_now(running, self._target_epochs),
            )

    def history(self) -> dict:
        """A copy of the recorded history."""
        with self._lock:
            return self._record.history_copy()

    # ----- reported by the callbacks (CallbackTarget), on the training thread -----

    def begin_epoch(self) -> None:
        """An epoch starts: its batches are counted from 0."""
        with self._lock:
            self._record.begin_epoch()

    def record_batch(self, batch: int, running_loss: float, running_accuracy: float) -> None:
        """Keep batch `batch`'s metrics (Keras's running means over the epoch so far)."""
        with self._lock:
            self._record.record_batch(batch, running_loss, running_accuracy)

    def end_epoch(self, epoch: int, logs: dict) -> None:
        """An epoch (0-based `epoch`) has ended, perhaps early: record it and snapshot weights."""
        with self._lock:
            progress = self._record.end_epoch(epoch, logs, keep=self.state != JobState.DIVERGED)
        model = self.model
        if progress is not None and model is not None:  # None once disposed of
            weights = model.get_weights()
            self._snapshots.add(progress, weights)
            # The epoch's checkpoint, from the same copy of the weights: the optimizer's
            # variables are the only other thing read (see the README for the cost).
            checkpoint = self._checkpoint_with(weights, running=True)
            with self._lock:
                self._epoch_checkpoint = checkpoint
            self._tell_checkpoint_listener(checkpoint)

    def batches_trained(self) -> int:
        """Batches trained in this segment so far."""
        with self._lock:
            return self._record.batches_trained()

    def mark_diverged(self, loss: float) -> None:
        """The loss became `loss` (NaN or infinite): stop, and restore the backup afterwards."""
        self._stop_event.set()
        with self._lock:
            self.state = JobState.DIVERGED
            self.message = (
                f"Training stopped: the loss became {loss} (it diverged). The weights from before "
                f"it happened are kept. Try a lower learning rate, e.g. "
                f"{self.settings.learning_rate / 10:g}."
            )

    def set_warning(self, warning: str | None) -> None:
        """Say (or stop saying) why the loss looks as if the network is not learning."""
        with self._lock:
            self.warning = warning

    # ----- the background thread -----

    def _train_in_slot(self) -> None:
        try:
            with gradient_registry.noting_registrations() as names:
                try:
                    self._train_segment()
                finally:
                    with self._lock:
                        self._gradient_names.extend(names)
        except Exception as error:  # noqa: BLE001 - the thread must report, not die silently
            _LOGGER.exception("%s failed", self.name)
            with self._lock:
                self.state = JobState.FAILED
                self.message = fitting.describe_failure(error)
                self._record.segment_ended = time.perf_counter()

    def _forget_gradients(self) -> None:
        with self._lock:
            names, self._gradient_names = self._gradient_names, []
        gradient_registry.forget(names)

    def _compile_for_segment(self) -> None:
        settings, model = self.settings, self.model
        if self._compiled_optimizer != settings.optimizer:
            # A first segment, or Continue with another optimizer: the weights stay, the new
            # optimizer starts with fresh state.
            fitting.compile_model(
                model, settings.optimizer, settings.learning_rate, settings.label_smoothing
            )
            self._compiled_optimizer = settings.optimizer
            self._compiled_smoothing = settings.label_smoothing
            return
        # Continue keeps the optimizer's state (e.g. Adam's moments); only the learning rate
        # and the loss's smoothing may change.
        if self._compiled_smoothing != settings.label_smoothing:
            fitting.compile_model(
                model, model.optimizer, settings.learning_rate, settings.label_smoothing
            )
            self._compiled_smoothing = settings.label_smoothing
        model.optimizer.learning_rate.assign(settings.learning_rate)

    def _segment_callbacks(self) -> tuple[list[keras.callbacks.Callback], callbacks.WeightBackup]:
        """The callbacks of one segment, and the weight backup among them."""
        settings = self.settings
        backup = callbacks.WeightBackup()
        segment_callbacks = [
            callbacks.HistoryRecorder(self),
            backup,
            callbacks.StopOnNonFiniteLoss(self),
            callbacks.LossWarning(
                self,
                self.dataset.num_classes,
                OPTIMIZER_TITLES[settings.optimizer],
                settings.learning_rate,
            ),
            callbacks.StopCheck(self),
        ]
        if settings.lr_schedule != lr_schedules.Schedule.CONSTANT:
            with self._lock:
                steps = (self._target_epochs - self._record.epoch) * self._record.batches_per_epoch
            segment_callbacks.append(
                callbacks.LearningRateSchedule(settings.lr_schedule, settings.learning_rate, steps)
            )
        return segment_callbacks, backup

    def _fit_epochs(self, x_train, y_train, validation, segment_callbacks) -> None:
        # One fit per epoch, each in its own order from the job's generator (see the module's
        # docstring); fit's own shuffling would use TensorFlow's process-wide seeds.
        settings, model = self.settings, self.model
        precision.set_mixed_precision(model, settings.mixed_precision)
        try:
            for epoch in range(self._record.epoch, self._target_epochs):
                if self._stop_event.is_set():
                    break
                order = fitting.epoch_order(settings.seed, epoch, len(x_train))
                fitting.set_epoch_randomness(model, epoch)
                model.fit(
                    x_train[order],
                    y_train[order],
                    batch_size=settings.batch_size,
                    epochs=epoch + 1,
                    initial_epoch=epoch,
                    validation_data=validation,
                    callbacks=segment_callbacks,
                    shuffle=False,
                    verbose=0,
                )
        finally:
            # Everything after training (the test accuracy, Inspect, Evaluate, saving) sees
            # float32 arithmetic.
            precision.set_mixed_precision(model, False)

    def _train_segment(self) -> None:
        settings, model = self.settings, self.model
        x_train, y_train, x_validation, y_validation = fitting.split_data(self.dataset, settings)
        self._compile_for_segment()
        if not len(self._snapshots):
            # The start: the random weights, or where the job resumed from (resume_from).
            self._snapshots.add(round(self._record.progress, 4), model.get_weights())
        with self._lock:
            self.state = JobState.RUNNING
            self.message = "Training."
            self._record.begin_segment(len(x_train), settings.batch_size)
        cpu_started = time.process_time()
        segment_callbacks, backup = self._segment_callbacks()
        validation = None if x_validation is None else (x_validation, y_validation)
        self._fit_epochs(x_train, y_train, validation, segment_callbacks)
        cpu_ended = time.process_time()
        with self._lock:
            seconds, samples = self._record.end_segment()
            self.train_seconds += seconds
            self.train_cpu_seconds += cpu_ended - cpu_started
            self.samples_trained += samples
            diverged = self.state == JobState.DIVERGED
        if diverged:
            backup.restore(model)
            return
        self._finish_segment()

    def _finish_segment(self) -> None:
        """Measure the test set (unless the stop's reason skips it) and say how it ended."""
        reason = self.stop_reason
        if reason is None or reason.measures_test_accuracy:
            probabilities = inspection.predict_probabilities(
                self.model, self.dataset.x_test, flip=self.settings.test_time_flip
            )
            self.test_loss, self.test_accuracy = evaluation.loss_and_accuracy(
                probabilities, self.dataset.y_test
            )
        with self._lock:
            if self._stop_event.is_set():
                self.state = JobState.STOPPED
                self.message = (reason or StopReason.USER).message
            else:
                self.state = JobState.FINISHED
                self.message = f"Finished {self._record.epoch} epochs."
