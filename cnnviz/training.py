"""Training jobs: a model trained in a background thread, recorded as it learns.

Training never runs inside a Streamlit script run (a rerun would kill it): a TrainingJob owns a
thread, a stop Event and everything the RecordingCallback writes. The app, the CLI and the
benchmark all train through this one path; readers take a consistent copy with `status()`.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import keras
import numpy as np

from cnnviz import builder, limits
from cnnviz.datasets import Dataset
from cnnviz.scheduler import TrainingScheduler, default_scheduler
from cnnviz.training_settings import TrainingSettings

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "sgd": keras.optimizers.SGD,
    "rmsprop": keras.optimizers.RMSprop,
}


# Kernel snapshots are for looking at, so keep them small: at most this many filters and input
# channels per layer, in float16, and at most this many epochs (thinned evenly beyond that).
SNAPSHOT_MAX_FILTERS = 64
SNAPSHOT_MAX_CHANNELS = 32
SNAPSHOT_MAX_EPOCHS = 30
FLOAT16_MAX = float(np.finfo(np.float16).max)

# How often (seconds) the callback saves the weights, to restore them if the loss diverges.
WEIGHT_BACKUP_SECONDS = 2.0
# A session that has been gone this long (seconds) is taken as closed and its job stops; a
# shorter gap is a network blip, after which Streamlit reconnects the same session.
OWNER_GRACE_SECONDS = limits.session_grace_seconds()

_LOGGER = logging.getLogger(__name__)


def empty_history() -> dict:
    """The recorded-history layout that plots.py reads (see RecordingCallback)."""
    return {
        "batch": {"epoch": [], "loss": [], "accuracy": []},
        "epoch": {"epoch": [], "loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []},
    }


def _copy_history(history: dict) -> dict:
    # Lists of floats only, so a shallow copy of each list is a full copy (and much faster
    # than deepcopy, which matters when the app polls every second).
    return {
        part: {name: list(values) for name, values in series.items()}
        for part, series in history.items()
    }


def split_data(
    dataset: Dataset, settings: TrainingSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Pick the training subset and the validation images held out from it.

    Returns:
        x_train, y_train, x_validation, y_validation (the latter two None without validation).
    """
    rng = np.random.default_rng(settings.seed)
    count = len(dataset.x_train)
    if settings.train_limit is not None:
        count = min(count, settings.train_limit)
    order = rng.permutation(len(dataset.x_train))[:count]
    validation_count = int(round(count * settings.validation_fraction))
    train_index = np.sort(order[validation_count:])
    x_train, y_train = dataset.x_train[train_index], dataset.y_train[train_index]
    if validation_count == 0:
        return x_train, y_train, None, None
    validation_index = np.sort(order[:validation_count])
    return x_train, y_train, dataset.x_train[validation_index], dataset.y_train[validation_index]


def compile_model(model: keras.Model, optimizer: str, learning_rate: float) -> None:
    """Compile for integer labels and softmax outputs, reporting accuracy."""
    model.compile(
        optimizer=OPTIMIZERS[optimizer](learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def kernel_snapshot(model: keras.Model) -> dict[str, np.ndarray]:
    """Each conv layer's kernels as (filters, height, width, channels) float16, size-bounded."""
    snapshot = {}
    for layer in builder.spec_layers(model):
        if isinstance(layer, keras.layers.Conv2D):
            kernel = keras.ops.convert_to_numpy(layer.kernel)
            kernel = kernel[:, :, :SNAPSHOT_MAX_CHANNELS, :SNAPSHOT_MAX_FILTERS]
            # Clipped to float16's range: a diverging run's huge weights must not become inf.
            kernel = np.clip(kernel, -FLOAT16_MAX, FLOAT16_MAX)
            snapshot[layer.name] = np.transpose(kernel, (3, 0, 1, 2)).astype(np.float16)
    return snapshot


@dataclass
class JobStatus:
    """A consistent copy of a job's progress, safe to read while it trains."""

    state: str
    message: str
    queue_position: int | None
    epoch: int  # epochs finished, counted over the job's whole life (Continue adds to it)
    progress: float  # epochs of training done, fractional while an epoch runs
    target_epochs: int
    batch: int  # batches finished in the current epoch
    batches_per_epoch: int
    samples_per_second: float | None
    elapsed_seconds: float
    eta_seconds: float | None
    test_accuracy: float | None
    test_loss: float | None
    history: dict = field(default_factory=empty_history)

    @property
    def is_active(self) -> bool:
        return self.state in ("queued", "running")


class RecordingCallback(keras.callbacks.Callback):
    """Records per-batch and per-epoch metrics as plain floats, and obeys the stop Event.

    Keras reports each metric at batch end as the running mean over the epoch so far. The
    callback turns those back into each single batch's value (weighted by batch size), which is
    what a student expects a per-batch curve to show.
    """

    def __init__(self, job: TrainingJob, train_count: int):
        super().__init__()
        self.job = job
        self.train_count = train_count
        self._epoch_start_totals = {"loss": 0.0, "accuracy": 0.0}
        self._last_backup = 0.0
        self._last_owner_check = 0.0

    def on_train_begin(self, logs=None):
        job = self.job
        job._backup_weights()
        if not job._kernel_snapshots:
            job._add_kernel_snapshot(0)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start_totals = {"loss": 0.0, "accuracy": 0.0}
        with self.job._lock:
            self.job._batch = 0

    def on_train_batch_end(self, batch, logs=None):
        job = self.job
        logs = logs or {}
        batch_size = job.settings.batch_size
        seen = min((batch + 1) * batch_size, self.train_count)
        this_batch = seen - min(batch * batch_size, self.train_count)
        values = {}
        for name in ("loss", "accuracy"):
            running_mean = float(logs.get(name, math.nan))
            total = running_mean * seen
            values[name] = (total - self._epoch_start_totals[name]) / max(this_batch, 1)
            self._epoch_start_totals[name] = total
        # Float32 rounding in Keras's running means can push a value a hair out of range.
        values["loss"] = max(values["loss"], 0.0)
        values["accuracy"] = min(max(values["accuracy"], 0.0), 1.0)
        now = time.perf_counter()
        batches = job._batches_per_epoch
        with job._lock:
            job._batch = batch + 1
            job._samples_done += this_batch
            if job._first_batch_end is None:
                job._first_batch_end = (now, job._samples_done)
            history = job._history["batch"]
            history["epoch"].append(job._progress + (batch + 1) / batches)
            history["loss"].append(values["loss"])
            history["accuracy"].append(values["accuracy"])
        if not math.isfinite(running_mean_loss := float(logs.get("loss", math.nan))):
            job._diverged(running_mean_loss)
            self.model.stop_training = True
            return
        if now - self._last_backup >= WEIGHT_BACKUP_SECONDS:
            self._last_backup = now
            job._backup_weights()
        if now - self._last_owner_check >= 1.0:
            self._last_owner_check = now
            job._check_owner()
        if job._stop_event.is_set():
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        job = self.job
        logs = logs or {}
        with job._lock:
            if job.state == "diverged":
                return
            # A stopped epoch ends early: it counts as the fraction of it that was trained.
            job._progress += job._batch / job._batches_per_epoch
            job._batch = 0
            job._epoch = epoch + 1
            record = job._history["epoch"]
            record["epoch"].append(round(job._progress, 4))
            for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
                value = logs.get(name)
                record[name].append(None if value is None else float(value))
        job._backup_weights()
        job._add_kernel_snapshot(round(job._progress, 4))


class TrainingJob:
    """One model, trained in the background in segments (Train, then any number of Continue).

    Args:
        spec: the layer spec the model was built from (kept for the run history).
        dataset: the loaded data set to train and test on.
        settings: how to train the first segment.
        scheduler: where to queue for a CPU slot; the process-wide one by default.
        owner_alive: polled about once a second; when it has answered False for
            `owner_grace_seconds`, the job stops (the browser tab was closed).
        name: a label such as "Run 3".
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
        self.spec = copy.deepcopy(spec)
        self.dataset = dataset
        self.settings = settings
        self.name = name
        self.scheduler = scheduler or default_scheduler()
        self.owner_alive = owner_alive
        self.owner_grace_seconds = owner_grace_seconds
        if model is None:
            keras.utils.set_random_seed(settings.seed)
            model = builder.build_model(spec, dataset.input_shape, dataset.num_classes)
        self.model = model
        self.params = int(model.count_params())

        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._segment_done = threading.Event()
        self._segment_done.set()  # nothing is running yet
        self._thread: threading.Thread | None = None
        self._history = empty_history()
        self._kernel_snapshots: list[tuple[float, dict[str, np.ndarray]]] = []
        self._weights_backup: list[np.ndarray] | None = None
        self._compiled_optimizer: str | None = None
        self._owner_missing_since: float | None = None
        self.state = "ready"
        self.message = "Not trained yet."
        self.stop_reason: str | None = None
        self._epoch = 0  # Keras's epoch counter: epochs begun and ended, including stopped ones
        self._progress = 0.0  # epochs of training done, a stopped epoch counting as a fraction
        self._target_epochs = 0
        self._train_count = 0
        self._segment_ended = 0.0
        self._batch = 0
        self._batches_per_epoch = 1
        self._samples_done = 0
        self._segment_started: float | None = None
        self._first_batch_end: tuple[float, int] | None = None
        self.train_seconds = 0.0  # wall time in model.fit, over all segments
        self.samples_trained = 0
        self.test_accuracy: float | None = None
        self.test_loss: float | None = None

    # ----- control, called from the app or the CLI -----

    def start(self, epochs: int | None = None, settings: TrainingSettings | None = None) -> None:
        """Train for `epochs` more epochs in the background (queued until a slot is free).

        A first call trains afresh; later calls continue from the weights learned so far.

        Raises:
            RuntimeError: when the job is already queued or running.
        """
        if self.is_active:
            raise RuntimeError("This model is already training; stop it first.")
        if settings is not None:
            settings.check()
            self.settings = settings
        if epochs is not None:
            self.settings = replace(self.settings, epochs=epochs)
            self.settings.check()
        self._stop_event.clear()
        self._segment_done.clear()
        self.stop_reason = None
        with self._lock:
            self.state = "queued"
            self.message = "Waiting for a free training slot."
            self._target_epochs = self._epoch + self.settings.epochs
        self._thread = threading.Thread(target=self._run, name=f"cnnviz-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, reason: str = "Stopped by you.") -> None:
        """Ask the job to stop after the current batch; the weights learned so far are kept."""
        if self.stop_reason is None:
            self.stop_reason = reason
        self._stop_event.set()
        with self._lock:
            if self.state == "running":
                self.message = "Stopping after this batch, then measuring test accuracy."

        self.scheduler.wake()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current training segment to end; return True when it has.

        Waits on an Event rather than joining the thread: on Python 3.11 a Ctrl-C during
        Thread.join(timeout) can leave the thread marked as ended while it still runs.
        """
        return self._segment_done.wait(timeout)

    @property
    def is_active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def epochs_done(self) -> int:
        return self._epoch

    def status(self) -> JobStatus:
        """A consistent copy of the progress and history, for drawing."""
        # Asked before taking the job's lock: a queued job's thread holds the scheduler's lock
        # and may take the job's (stopping it), so the two must never be taken in this order.
        queue_position = self.scheduler.position(self)
        with self._lock:
            elapsed = 0.0
            if self._segment_started is not None:
                end = time.perf_counter() if self.state == "running" else self._segment_ended
                elapsed = end - self._segment_started
            speed = self._samples_per_second_locked()
            eta = None
            if self.state == "running" and speed:
                total = (self._target_epochs - self._epoch) * self._train_count
                remaining = total - self._batch * self.settings.batch_size
                eta = max(0.0, remaining / speed)
            return JobStatus(
                state=self.state,
                message=self.message,
                queue_position=queue_position if self.state == "queued" else None,
                epoch=self._epoch,
                progress=self._progress
                + (self._batch / self._batches_per_epoch if self.state == "running" else 0.0),
                target_epochs=self._target_epochs,
                batch=self._batch,
                batches_per_epoch=self._batches_per_epoch,
                samples_per_second=speed,
                elapsed_seconds=elapsed,
                eta_seconds=eta,
                test_accuracy=self.test_accuracy,
                test_loss=self.test_loss,
                history=_copy_history(self._history),
            )

    def history(self) -> dict:
        """A copy of the recorded history."""
        with self._lock:
            return _copy_history(self._history)

    def kernel_snapshots(self) -> list[tuple[float, dict[str, np.ndarray]]]:
        """(epoch, {conv layer name: kernels}) pairs, epoch 0 being the untrained weights."""
        with self._lock:
            return list(self._kernel_snapshots)

    # ----- the background thread -----

    def _samples_per_second_locked(self) -> float | None:
        # Measured from the end of the first batch, which carries the one-off compile time.
        if self._first_batch_end is None:
            return None
        start_time, start_samples = self._first_batch_end
        end_time = time.perf_counter() if self.state == "running" else self._segment_ended
        if end_time - start_time <= 0 or self._samples_done <= start_samples:
            return None
        return (self._samples_done - start_samples) / (end_time - start_time)

    def _run(self) -> None:
        def cancelled() -> bool:
            self._check_owner()
            return self._stop_event.is_set()

        try:
            if not self.scheduler.acquire(self, cancelled):
                with self._lock:
                    self.state = "stopped"
                    self.message = self.stop_reason or "Stopped while waiting."
                return
            try:
                self._train_segment()
            except Exception as error:  # noqa: BLE001 - the thread must report, not die silently
                with self._lock:
                    self.state = "failed"
                    self.message = f"Training failed: {type(error).__name__}: {error}"
            finally:
                self.scheduler.release(self)
        finally:
            self._segment_done.set()

    def _train_segment(self) -> None:
        settings = self.settings
        x_train, y_train, x_validation, y_validation = split_data(self.dataset, settings)
        self._train_count = len(x_train)
        if self._compiled_optimizer != settings.optimizer:
            # A first segment, or Continue with another optimizer: the weights stay, the new
            # optimizer starts with fresh state.
            compile_model(self.model, settings.optimizer, settings.learning_rate)
            self._compiled_optimizer = settings.optimizer
        else:
            # Continue keeps the optimizer's state (e.g. Adam's moments); only the learning
            # rate may change.
            self.model.optimizer.learning_rate.assign(settings.learning_rate)
        with self._lock:
            self.state = "running"
            self.message = "Training."
            self._batches_per_epoch = max(1, math.ceil(self._train_count / settings.batch_size))
            self._batch = 0
            self._samples_done = 0
            self._first_batch_end = None
            self._segment_started = time.perf_counter()
            self._segment_ended = self._segment_started
        validation = None if x_validation is None else (x_validation, y_validation)
        self.model.fit(
            x_train,
            y_train,
            batch_size=settings.batch_size,
            epochs=self._target_epochs,
            initial_epoch=self._epoch,
            validation_data=validation,
            callbacks=[RecordingCallback(self, self._train_count)],
            verbose=0,
        )
        ended = time.perf_counter()
        with self._lock:
            self._segment_ended = ended
            self.train_seconds += ended - self._segment_started
            self.samples_trained += self._samples_done
            diverged = self.state == "diverged"
        if diverged:
            self._restore_weights()
            return
        owner_gone = self.stop_reason is not None and self.stop_reason.startswith("Session")
        if not owner_gone:
            self.test_loss, self.test_accuracy = (
                float(value)
                for value in self.model.evaluate(
                    self.dataset.x_test, self.dataset.y_test, batch_size=512, verbose=0
                )
            )
        with self._lock:
            if self._stop_event.is_set():
                self.state = "stopped"
                self.message = self.stop_reason or "Stopped."
            else:
                self.state = "finished"
                self.message = f"Finished {self._epoch} epochs."

    def _diverged(self, loss: float) -> None:
        self._stop_event.set()
        with self._lock:
            self.state = "diverged"
            self.message = (
                f"Training stopped: the loss became {loss} (it diverged). The weights from before "
                f"it happened are kept. Try a lower learning rate, e.g. "
                f"{self.settings.learning_rate / 10:g}."
            )

    def _backup_weights(self) -> None:
        weights = self.model.get_weights()
        if all(np.isfinite(array).all() for array in weights):
            self._weights_backup = weights

    def _restore_weights(self) -> None:
        if self._weights_backup is not None:
            self.model.set_weights(self._weights_backup)

    def _add_kernel_snapshot(self, epoch: float) -> None:
        snapshot = kernel_snapshot(self.model)
        with self._lock:
            self._kernel_snapshots.append((epoch, snapshot))
            if len(self._kernel_snapshots) > SNAPSHOT_MAX_EPOCHS:
                # Drop every second snapshot but keep the first and the newest.
                kept = self._kernel_snapshots[:-1:2] + [self._kernel_snapshots[-1]]
                self._kernel_snapshots = kept

    def _check_owner(self) -> None:
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
            self.stop("Session ended: the browser tab was closed, so training stopped.")
