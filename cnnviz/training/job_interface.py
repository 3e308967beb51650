"""What may be asked of a training job: one interface for the in-process and the Ray job.

Two Protocols, so that no reader depends on a job's class:

- `TrainingJobInterface` is what the pages, the CLI, the run history and the workspaces use.
  cnnviz.training.job.TrainingJob trains in a thread of this process; cnnviz.cluster.ray_jobs'
  RayTrainingJob has a Ray actor train; their shared code is cnnviz.training.job_base.JobBase.
- `CallbackTarget` is what the Keras callbacks (cnnviz.training.callbacks) report to and ask of
  the job that trains them.

No TensorFlow here: the pages that only show a job's state import this module freely.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from cnnviz.training.job_state import JobState, StopReason
from cnnviz.training.scheduler import SlotView

if TYPE_CHECKING:
    import numpy as np

    from cnnviz.training.settings import TrainingSettings


def empty_history() -> dict:
    """The recorded-history layout that the training-curve figures read."""
    return {
        "batch": {"epoch": [], "loss": [], "accuracy": []},
        "epoch": {"epoch": [], "loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []},
    }


def copy_history(history: dict) -> dict:
    """A copy of a history; lists of floats only, so one copy of each list is a full copy.

    Much faster than deepcopy, which matters when the app polls every second.
    """
    return {
        part: {name: list(values) for name, values in series.items()}
        for part, series in history.items()
    }


def join_histories(first: dict, second: dict) -> dict:
    """One history of two segments: `second`'s records after `first`'s."""
    return {
        part: {name: first[part][name] + second[part][name] for name in first[part]}
        for part in first
    }


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


@runtime_checkable
class TrainingJobInterface(Protocol):
    """A model trained in the background in segments (Train, then any number of Continue).

    Attributes are read without a lock (each is one value); `status()` gives a consistent copy
    of everything that changes while the job trains.
    """

    spec: dict
    dataset: Any  # cnnviz.data.datasets.Dataset
    settings: TrainingSettings
    name: str
    params: int
    model: Any  # the keras.Model, None once disposed of
    state: JobState
    message: str
    stop_reason: StopReason | None
    test_accuracy: float | None
    test_loss: float | None
    owner_alive: Callable[[], bool] | None

    @property
    def is_active(self) -> bool: ...

    @property
    def epochs_done(self) -> int: ...

    @property
    def train_seconds(self) -> float: ...

    @property
    def samples_trained(self) -> int: ...

    def start(self, epochs: int | None = None, settings: TrainingSettings | None = None) -> None:
        """Train `epochs` more epochs in the background, queued until a slot is free."""

    def stop(self, reason: StopReason = StopReason.USER) -> None:
        """Stop after the current batch, keeping the weights learned so far."""

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current segment to end; True when it has."""

    def dispose(self, timeout: float = ...) -> bool:
        """Stop, wait, and let go of the model and its snapshots."""

    def status(self) -> JobStatus:
        """A consistent copy of the progress and history."""

    def history(self) -> dict:
        """A copy of the recorded history."""

    def weight_snapshots(self) -> list[tuple[float, list[np.ndarray]]]:
        """(epoch, float16 weights in model.get_weights() order) pairs, oldest first."""

    def check_owner(self) -> None:
        """Stop once the owner has been gone for longer than the grace period."""


class CallbackTarget(Protocol):
    """What the training callbacks report to, and ask of, the job they train for.

    Called on the training thread, between two steps: each call must be cheap.
    """

    def begin_epoch(self) -> None:
        """An epoch starts."""

    def record_batch(self, batch: int, running_loss: float, running_accuracy: float) -> None:
        """Batch `batch` ended with these running means over the epoch so far."""

    def end_epoch(self, epoch: int, logs: dict) -> None:
        """Epoch `epoch` (0-based) ended, perhaps early, with Keras's logs."""

    def batches_trained(self) -> int:
        """Batches trained in this segment so far."""

    def mark_diverged(self, loss: float) -> None:
        """The loss became `loss` (NaN or infinite): the job stops and keeps finite weights."""

    def set_warning(self, warning: str | None) -> None:
        """Say (or stop saying) why the loss looks as if the network is not learning."""

    def stop_requested(self) -> bool:
        """Whether the job has been asked to stop (or has diverged)."""

    def check_owner(self) -> None:
        """Stop once the owner has been gone for longer than the grace period."""
