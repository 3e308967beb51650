"""Training jobs: a model trained in a background thread, recorded as it learns.

Training never runs inside a Streamlit script run (a rerun would kill it): a TrainingJob owns a
thread, a stop Event and everything its callbacks (cnnviz.callbacks) report through its public
methods. The app, the CLI and the benchmarks all train through this one path; readers take a
consistent copy with `status()`.

The same spec, settings and seed give the same weights however many jobs train at once: the
model is built under a lock with the seed set (Keras draws initial weights and dropout seeds
from process-wide generators), and each epoch's order of images comes from a NumPy generator of
the job's own rather than from TensorFlow's global shuffling.
"""

from __future__ import annotations

import copy
import gc
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import keras
import numpy as np
import tensorflow as tf

from cnnviz import callbacks, gradient_registry, limits, losses, precision, snapshots
from cnnviz.data.datasets import Dataset
from cnnviz.explain import evaluation
from cnnviz.job_state import JobState, StopReason
from cnnviz.model.with_keras import builder
from cnnviz.scheduler import SlotView, TrainingScheduler, default_scheduler
from cnnviz.training_settings import OPTIMIZER_TITLES, TrainingSettings

__all__ = ["JobState", "JobStatus", "StopReason", "TrainingJob"]

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "sgd": keras.optimizers.SGD,
    "rmsprop": keras.optimizers.RMSprop,
}

# Kernel snapshots are for looking at, so keep them small: at most this many filters and input
# channels per layer (they are cut from the float16 weight snapshots).
SNAPSHOT_MAX_FILTERS = 64
SNAPSHOT_MAX_CHANNELS = 32

# A session that has been gone this long (seconds) is taken as closed and its job stops; a
# shorter gap is a network blip, after which Streamlit reconnects the same session.
OWNER_GRACE_SECONDS = limits.session_grace_seconds()
# How long dispose() waits for a running job to leave model.fit before dropping the model.
DISPOSE_WAIT_SECONDS = 30.0

_LOGGER = logging.getLogger(__name__)
# Held while a model is built with its seed set: Keras draws initial weights and dropout seeds
# from process-wide random generators, which concurrent builds would otherwise share.
_BUILD_LOCK = threading.Lock()


def build_seeded_model(spec: dict, input_shape, num_classes: int, seed: int) -> keras.Model:
    """Build the spec's model with initial weights that depend only on the spec and the seed."""
    with _BUILD_LOCK:
        keras.utils.set_random_seed(seed)
        return builder.build_model(spec, input_shape, num_classes)


def empty_history() -> dict:
    """The recorded-history layout that plots.py reads."""
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


def epoch_order(seed: int, epoch: int, count: int) -> np.ndarray:
    """The order in which epoch `epoch` (0-based) visits the images; seed and epoch decide it."""
    return np.random.default_rng([seed, epoch]).permutation(count)


def compile_model(
    model: keras.Model,
    optimizer: str | keras.optimizers.Optimizer,
    learning_rate: float,
    label_smoothing: float = 0.0,
) -> None:
    """Compile for integer labels and softmax outputs, reporting accuracy.

    Args:
        model: the model.
        optimizer: an optimizer's name for a fresh one, or the model's own optimizer object to
            keep its state (Adam's moments) while the loss changes.
        learning_rate: the fresh optimizer's learning rate.
        label_smoothing: see cnnviz.losses.
    """
    if isinstance(optimizer, str):
        optimizer = OPTIMIZERS[optimizer](learning_rate=learning_rate)
    model.compile(
        optimizer=optimizer,
        loss=losses.training_loss(label_smoothing),
        metrics=["accuracy"],
    )


def set_optimizer_state(
    model: keras.Model, optimizer: str, values: list[np.ndarray], settings: TrainingSettings
) -> None:
    """Compile `model` with a new `optimizer` whose variables take `values`.

    `values` are another copy of the same model's optimizer variables, in their order (for Adam:
    the iteration count, the learning rate, the moments): the optimizer goes on from where that
    copy stopped.

    Raises:
        ValueError: when the values do not fit this model's optimizer.
    """
    compile_model(model, optimizer, settings.learning_rate, settings.label_smoothing)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    variables = model.optimizer.variables
    shapes = [tuple(variable.shape) for variable in variables]
    given = [tuple(np.shape(value)) for value in values]
    if shapes != given:
        raise ValueError(
            f"The optimizer state does not fit this model's {optimizer} optimizer: it has "
            f"{len(given)} variables of shapes {given}, the optimizer needs {shapes}."
        )
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def describe_failure(error: BaseException) -> str:
    """What went wrong, in words a student can act on."""
    if isinstance(error, (MemoryError, tf.errors.ResourceExhaustedError)):
        return (
            "Training stopped: the server ran out of memory for this model. Try a smaller batch "
            "size, fewer filters or units, or fewer layers. Your earlier runs are kept."
        )
    detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return (
        f"Training stopped because TensorFlow reported an error ({type(error).__name__}"
        f"{': ' + detail if detail else ''}). Try other layers or settings; your earlier runs "
        "are kept."
    )


@dataclass
class JobStatus:
    """A consistent copy of a job's progress, safe to read while it trains."""

    state: JobState
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
    warning: str | None = None  # why the loss looks wrong while it still trains, and the fix
    # The scheduler's counts, read in the same instant as the state (None where no scheduler).
    slots: SlotView | None = None

    @property
    def is_active(self) -> bool:
        return self.state.is_active


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
        self.spec = copy.deepcopy(spec)
        self.dataset = dataset
        self.settings = settings
        self.name = name
        self.scheduler = scheduler or default_scheduler()
        self.owner_alive = owner_alive
        self.owner_grace_seconds = owner_grace_seconds
        if model is None:
            model = build_seeded_model(
                spec, dataset.input_shape, dataset.num_classes, settings.seed
            )
        self.model: keras.Model | None = model
        self.params = int(model.count_params())
        # Where each conv layer's kernel sits in model.get_weights(), to cut kernel snapshots.
        positions = {id(variable): index for index, variable in enumerate(model.weights)}
        self._kernel_positions = {
            layer.name: positions[id(layer.kernel)]
            for layer in builder.spec_layers(model)
            if isinstance(layer, keras.layers.Conv2D)
        }

        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._segment_done = threading.Event()
        self._segment_done.set()  # nothing is running yet
        self._thread: threading.Thread | None = None
        self._history = empty_history()
        self._snapshots = snapshots.WeightSnapshots()
        # The gradient functions this job's traces registered, removed once it is disposed of
        # (see gradient_registry).
        gradient_registry.install()
        self._gradient_names: list[str] = []
        self._disposed = False
        self._weights_backup: list[np.ndarray] | None = None
        self._compiled_optimizer: str | None = None
        self._compiled_smoothing = 0.0
        self._owner_missing_since: float | None = None
        self.state = JobState.READY
        self.message = "Not trained yet."
        self.stop_reason: StopReason | None = None
        self.warning: str | None = None
        self._epoch = 0  # Keras's epoch counter: epochs begun and ended, including stopped ones
        self._progress = 0.0  # epochs of training done, a stopped epoch counting as a fraction
        self._target_epochs = 0
        self._train_count = 0
        self._batch = 0  # batches reported in the current epoch
        self._batches_per_epoch = 1
        # The current epoch's running means as Keras reports them, by batch index: the batches
        # become per-batch values only when read, so recording a batch costs next to nothing.
        self._epoch_running: list[tuple[float, float] | None] = []
        self._samples_before_epoch = 0  # of this segment
        self._batches_before_epoch = 0  # of this segment
        self._segment_started: float | None = None
        self._segment_ended = 0.0
        self._first_batch_end: tuple[float, int] | None = None
        self.train_seconds = 0.0  # wall time in model.fit, over all segments
        # The whole process's CPU time (every thread) over the same spans: the work a training
        # costs when it is the only one running, which the benchmarks compare with plain fit.
        self.train_cpu_seconds = 0.0
        self.samples_trained = 0
        self.test_accuracy: float | None = None
        self.test_loss: float | None = None

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
                self.warning = None
                self._target_epochs = self._epoch + self.settings.epochs

        self.scheduler.enqueue(self, on_queued=queued, on_granted=self._slot_granted)
        self._thread = threading.Thread(target=self._run, name=f"cnnviz-{self.name}", daemon=True)
        self._thread.start()

    def _slot_granted(self) -> None:
        # Under the scheduler's lock, as the slot is handed over: no longer waiting for one.
        with self._lock:
            self.state = JobState.STARTING
            self.message = "Preparing the data and the model."

    def stop(self, reason: StopReason = StopReason.USER) -> None:
        """Ask the job to stop after the current batch; the weights learned so far are kept."""
        reason = StopReason(reason)
        if self.stop_reason is None:
            self.stop_reason = reason
        self._stop_event.set()
        with self._lock:
            if self.state == JobState.RUNNING:
                self.message = (
                    "Stopping after this batch, then measuring test accuracy."
                    if reason.measures_test_accuracy
                    else "Stopping after this batch."
                )
        self.scheduler.wake()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current training segment to end; return True when it has.

        Waits on an Event rather than joining the thread: on Python 3.11 a Ctrl-C during
        Thread.join(timeout) can leave the thread marked as ended while it still runs.
        """
        return self._segment_done.wait(timeout)

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
        self._weights_backup = None
        self._snapshots.clear()
        if ended:
            self._forget_gradients()
        # Otherwise the training thread forgets them as it ends.
        # The model and its optimizer sit in reference cycles: collect them now, not whenever
        # the collector next runs.
        gc.collect()
        return ended

    def optimizer_state(self) -> tuple[str, list[np.ndarray]] | None:
        """The optimizer's name and a copy of its variables, as the last segment left them.

        For Adam these are the iteration count, the learning rate and the moments. None before
        the first segment has compiled the model, or once disposed of.
        """
        model = self.model
        if model is None or self._compiled_optimizer is None or not model.optimizer.built:
            return None
        values = [np.array(variable) for variable in model.optimizer.variables]
        return self._compiled_optimizer, values

    def resume_from(
        self,
        epochs_done: int,
        progress: float,
        optimizer_state: tuple[str, list[np.ndarray]] | None = None,
    ) -> None:
        """Go on from where another copy of this job stopped (its weights already set).

        The next segment counts its epochs, history and snapshots from there and shuffles as
        that epoch would; with `optimizer_state` (from optimizer_state()) its optimizer goes on
        too, as a Continue does in the job that trained. A segment with another optimizer still
        starts that one afresh.

        Raises:
            RuntimeError: when this job has trained already, is training, or was disposed of.
            ValueError: when the counts are out of range, the optimizer is unknown or its state
                does not fit the model.
        """
        if self.state != JobState.READY:
            raise RuntimeError("Only a job that has not trained can go on from another's state.")
        if self.model is None:
            raise RuntimeError("This job was closed; build a new model to train.")
        if epochs_done < 0 or not 0 <= progress <= epochs_done:
            raise ValueError(
                f"epochs_done must be >= 0 and progress between 0 and it. Received: "
                f"{epochs_done}, {progress}"
            )
        if optimizer_state is not None:
            optimizer, values = optimizer_state
            if optimizer not in OPTIMIZERS:
                raise ValueError(
                    f"Unknown optimizer {optimizer!r}; expected one of {', '.join(OPTIMIZERS)}."
                )
            set_optimizer_state(self.model, optimizer, values, self.settings)
            self._compiled_optimizer = optimizer
            self._compiled_smoothing = self.settings.label_smoothing
        with self._lock:
            self._epoch = int(epochs_done)
            self._progress = float(progress)

    @property
    def is_active(self) -> bool:
        return self.state.is_active

    @property
    def epochs_done(self) -> int:
        return self._epoch

    def status(self) -> JobStatus:
        """A consistent copy of the progress and history, for drawing."""
        # The job's lock inside the scheduler's, the one order both are ever taken in: the
        # state and the queue's counts are read in the same instant, so they tell one story.
        with self.scheduler.view(self) as slots, self._lock:
            running = self.state == JobState.RUNNING
            elapsed = 0.0
            if self._segment_started is not None:
                end = time.perf_counter() if running else self._segment_ended
                elapsed = end - self._segment_started
            speed = self._samples_per_second_locked()
            eta = None
            if running and speed:
                total = (self._target_epochs - self._epoch) * self._train_count
                remaining = total - self._batch * self.settings.batch_size
                eta = max(0.0, remaining / speed)
            return JobStatus(
                state=self.state,
                message=self.message,
                queue_position=slots.position if self.state == JobState.QUEUED else None,
                epoch=self._epoch,
                progress=self._progress
                + (self._batch / self._batches_per_epoch if running else 0.0),
                target_epochs=self._target_epochs,
                batch=self._batch,
                batches_per_epoch=self._batches_per_epoch,
                samples_per_second=speed,
                elapsed_seconds=elapsed,
                eta_seconds=eta,
                test_accuracy=self.test_accuracy,
                test_loss=self.test_loss,
                history=self._history_copy_locked(),
                warning=self.warning,
                slots=slots,
            )

    def history(self) -> dict:
        """A copy of the recorded history."""
        with self._lock:
            return self._history_copy_locked()

    def weight_snapshots(self) -> list[tuple[float, list[np.ndarray]]]:
        """(epoch, float16 weights in model.get_weights() order) pairs, oldest first.

        Epoch 0 is the random start; then one per epoch (a stopped epoch counts as a fraction),
        thinned evenly beyond the caps of cnnviz.snapshots. The arrays are shared: read only.
        """
        return self._snapshots.items()

    def kernel_snapshots(self) -> list[tuple[float, dict[str, np.ndarray]]]:
        """(epoch, {conv layer name: kernels (filters, height, width, channels)}) pairs.

        Cut from weight_snapshots(): at most SNAPSHOT_MAX_FILTERS filters and
        SNAPSHOT_MAX_CHANNELS input channels per layer, in float16.
        """
        return [
            (
                epoch,
                {
                    name: np.transpose(
                        weights[position][:, :, :SNAPSHOT_MAX_CHANNELS, :SNAPSHOT_MAX_FILTERS],
                        (3, 0, 1, 2),
                    )
                    for name, position in self._kernel_positions.items()
                },
            )
            for epoch, weights in self._snapshots.items()
        ]

    # ----- reported by the callbacks (cnnviz.callbacks), on Keras's threads -----

    def begin_epoch(self) -> None:
        """An epoch starts: its batches are counted from 0."""
        with self._lock:
            self._batch = 0
            self._epoch_running = [None] * self._batches_per_epoch

    def record_batch(self, batch: int, running_loss: float, running_accuracy: float) -> None:
        """Keep batch `batch`'s metrics (Keras's running means over the epoch so far)."""
        now = time.perf_counter()
        with self._lock:
            if batch < len(self._epoch_running):
                self._epoch_running[batch] = (running_loss, running_accuracy)
            self._batch = max(self._batch, batch + 1)
            if self._first_batch_end is None:
                self._first_batch_end = (now, self._samples_done_locked())

    def end_epoch(self, epoch: int, logs: dict) -> None:
        """An epoch (0-based `epoch`) has ended, perhaps early: record it and snapshot weights."""
        with self._lock:
            self._append_batches_locked(self._history)
            self._epoch_running = []
            # A stopped epoch ends early: it counts as the fraction of it that was trained.
            self._samples_before_epoch += min(
                self._batch * self.settings.batch_size, self._train_count
            )
            self._batches_before_epoch += self._batch
            self._progress += self._batch / self._batches_per_epoch
            self._batch = 0
            if self.state == JobState.DIVERGED:
                return
            self._epoch = epoch + 1
            record = self._history["epoch"]
            record["epoch"].append(round(self._progress, 4))
            for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
                value = logs.get(name)
                record[name].append(None if value is None else float(value))
            progress = round(self._progress, 4)
        model = self.model
        if model is not None:  # None once disposed of
            self._snapshots.add(progress, model.get_weights())

    def batches_trained(self) -> int:
        """Batches trained in this segment so far."""
        with self._lock:
            return self._batches_before_epoch + self._batch

    def backup_weights(self) -> None:
        """Keep the current weights if they are all finite, to restore after a divergence."""
        model = self.model
        if model is None:  # disposed of while it trained
            return
        weights = model.get_weights()
        if all(np.isfinite(array).all() for array in weights):
            self._weights_backup = weights

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

    def stop_requested(self) -> bool:
        """Whether the job has been asked to stop (or has diverged)."""
        return self._stop_event.is_set()

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

    # ----- inside, under the lock -----

    def _samples_done_locked(self) -> int:
        partial = min(self._batch * self.settings.batch_size, self._train_count)
        return self._samples_before_epoch + partial

    def _samples_per_second_locked(self) -> float | None:
        # Measured from the end of the first batch, which carries the one-off compile time.
        if self._first_batch_end is None:
            return None
        start_time, start_samples = self._first_batch_end
        running = self.state == JobState.RUNNING
        end_time = time.perf_counter() if running else self._segment_ended
        samples = self._samples_done_locked()
        if end_time - start_time <= 0 or samples <= start_samples:
            return None
        return (samples - start_samples) / (end_time - start_time)

    def _append_batches_locked(self, history: dict) -> None:
        # Keras reports each metric as the running mean over the epoch so far (weighted by batch
        # size); a student expects a per-batch curve to show each batch's own value. The batches
        # reported without a gap so far are turned back into those.
        batch_size, count = self.settings.batch_size, self._train_count
        series = history["batch"]
        before_loss = before_accuracy = 0.0
        for batch, running in enumerate(self._epoch_running):
            if running is None:
                break
            seen = min((batch + 1) * batch_size, count)
            this_batch = max(seen - min(batch * batch_size, count), 1)
            loss_total, accuracy_total = running[0] * seen, running[1] * seen
            loss = (loss_total - before_loss) / this_batch
            accuracy = (accuracy_total - before_accuracy) / this_batch
            before_loss, before_accuracy = loss_total, accuracy_total
            series["epoch"].append(self._progress + (batch + 1) / self._batches_per_epoch)
            # Float32 rounding in Keras's running means can push a value a hair out of range.
            series["loss"].append(max(loss, 0.0) if math.isfinite(loss) else loss)
            series["accuracy"].append(min(max(accuracy, 0.0), 1.0))

    def _history_copy_locked(self) -> dict:
        history = _copy_history(self._history)
        self._append_batches_locked(history)
        return history

    # ----- the background thread -----

    def _run(self) -> None:
        def cancelled() -> bool:
            self.check_owner()
            return self._stop_event.is_set()

        try:
            if not self.scheduler.acquire(self, cancelled):
                with self._lock:
                    self.state = JobState.STOPPED
                    reason = self.stop_reason or StopReason.USER
                    self.message = reason.message
                return
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
                    self.message = describe_failure(error)
                    self._segment_ended = time.perf_counter()
            finally:
                self.scheduler.release(self)
        finally:
            self._segment_done.set()
            if self._disposed:
                self._forget_gradients()

    def _forget_gradients(self) -> None:
        with self._lock:
            names, self._gradient_names = self._gradient_names, []
        gradient_registry.forget(names)

    def _train_segment(self) -> None:
        settings = self.settings
        model = self.model
        x_train, y_train, x_validation, y_validation = split_data(self.dataset, settings)
        self._train_count = len(x_train)
        if self._compiled_optimizer != settings.optimizer:
            # A first segment, or Continue with another optimizer: the weights stay, the new
            # optimizer starts with fresh state.
            compile_model(
                model, settings.optimizer, settings.learning_rate, settings.label_smoothing
            )
            self._compiled_optimizer = settings.optimizer
            self._compiled_smoothing = settings.label_smoothing
        else:
            # Continue keeps the optimizer's state (e.g. Adam's moments); only the learning
            # rate and the loss's smoothing may change.
            if self._compiled_smoothing != settings.label_smoothing:
                compile_model(
                    model, model.optimizer, settings.learning_rate, settings.label_smoothing
                )
                self._compiled_smoothing = settings.label_smoothing
            model.optimizer.learning_rate.assign(settings.learning_rate)
        if not len(self._snapshots):
            # The start: the random weights, or where the job resumed from (resume_from).
            self._snapshots.add(round(self._progress, 4), model.get_weights())
        with self._lock:
            self.state = JobState.RUNNING
            self.message = "Training."
            self._batches_per_epoch = max(1, math.ceil(self._train_count / settings.batch_size))
            self._batch = 0
            self._samples_before_epoch = 0
            self._batches_before_epoch = 0
            self._first_batch_end = None
            self._segment_started = time.perf_counter()
            self._segment_ended = self._segment_started
        cpu_started = time.process_time()
        validation = None if x_validation is None else (x_validation, y_validation)
        job_callbacks = [
            callbacks.HistoryRecorder(self),
            callbacks.DivergenceGuard(
                self,
                self.dataset.num_classes,
                OPTIMIZER_TITLES[settings.optimizer],
                settings.learning_rate,
            ),
            callbacks.StopCheck(self),
        ]
        if settings.lr_schedule != "constant":
            job_callbacks.append(
                callbacks.LearningRateSchedule(
                    settings.lr_schedule,
                    settings.learning_rate,
                    (self._target_epochs - self._epoch) * self._batches_per_epoch,
                )
            )
        # One fit per epoch, each in its own order from the job's generator (see the module's
        # docstring); fit's own shuffling would use TensorFlow's process-wide seeds.
        precision.set_mixed_precision(model, settings.mixed_precision)
        try:
            for epoch in range(self._epoch, self._target_epochs):
                if self._stop_event.is_set():
                    break
                order = epoch_order(settings.seed, epoch, self._train_count)
                model.fit(
                    x_train[order],
                    y_train[order],
                    batch_size=settings.batch_size,
                    epochs=epoch + 1,
                    initial_epoch=epoch,
                    validation_data=validation,
                    callbacks=job_callbacks,
                    shuffle=False,
                    verbose=0,
                )
        finally:
            # Everything after training (the test accuracy, Inspect, Evaluate, saving) sees
            # float32 arithmetic.
            precision.set_mixed_precision(model, False)
        ended, cpu_ended = time.perf_counter(), time.process_time()
        with self._lock:
            self._segment_ended = ended
            self.train_seconds += ended - self._segment_started
            self.train_cpu_seconds += cpu_ended - cpu_started
            self.samples_trained += self._samples_done_locked()
            diverged = self.state == JobState.DIVERGED
        if diverged:
            if self._weights_backup is not None:
                model.set_weights(self._weights_backup)
            return
        reason = self.stop_reason
        if reason is None or reason.measures_test_accuracy:
            probabilities = evaluation.predict_probabilities(
                model, self.dataset.x_test, flip=settings.test_time_flip
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
                self.message = f"Finished {self._epoch} epochs."
