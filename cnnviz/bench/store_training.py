"""The saving's cost while training, for `cnnviz bench store`.

Two jobs of the Keras example train one epoch per round, one writing what the app's listener
writes (cnnviz.ui.saving.watch_job, done again in store_workspaces.watch: a checkpoint blob and
the run's row per epoch; the .keras file and the replay weights when a segment ends) and one
without, alternating which goes first. Each
round is one segment, so every round pays the segment end's writes too: the case of a student
who trains one epoch at a time, the dearest for the saving.

The machine's speed swings from minute to minute, so the rounds are compared side by side
(the ratio of the two sides' times in the same round), and the listener's own calls are timed
directly (a share of the same segment's time, the steadier figure).

Both jobs build their epoch checkpoint (weights and optimizer state) whether or not a listener
is set: that part of the cost is in both sides and is not in the listener's time.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable

from cnnviz.bench import store_workspaces
from cnnviz.store.database import Store
from cnnviz.training import presets
from cnnviz.training import settings as training_settings
from cnnviz.training.job_state import JobState

PRESET = "keras_example"


class _TimedListener:
    """Wraps a checkpoint listener, adding up the seconds its calls take.

    Apart: the calls after an epoch (a checkpoint and the run's row, every epoch) and those as
    a segment ends (also the .keras file and the replay weights, once per Train press).
    """

    def __init__(self, listener: Callable):
        self.listener = listener
        self.epoch_seconds = 0.0
        self.end_seconds = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    @property
    def seconds(self) -> float:
        return self.epoch_seconds + self.end_seconds

    def __call__(self, checkpoint) -> None:
        started = time.perf_counter()
        try:
            self.listener(checkpoint)
        finally:
            with self._lock:
                spent = time.perf_counter() - started
                if JobState(checkpoint.state).is_active:
                    self.epoch_seconds += spent
                else:
                    self.end_seconds += spent
                self.calls += 1


def _train_one_epoch(job) -> float:
    """Train one more epoch (one segment); its wall time in seconds, evaluation included."""
    started = time.perf_counter()
    job.start(epochs=1)
    job.wait()
    seconds = time.perf_counter() - started
    if job.state != JobState.FINISHED:
        raise RuntimeError(f"a timed epoch ended {job.state}: {job.message}")
    return seconds


def _paired_round(plain, kept, first, second, timed: _TimedListener) -> dict[str, float]:
    """One epoch each, in the order given; the seconds of each side and of the writes."""
    listener_before, epoch_before = timed.seconds, timed.epoch_seconds
    seconds = {id(job): _train_one_epoch(job) for job in (first, second)}
    return {
        "without_seconds": seconds[id(plain)],
        "with_seconds": seconds[id(kept)],
        "listener_seconds": timed.seconds - listener_before,
        "epoch_write_seconds": timed.epoch_seconds - epoch_before,
    }


def measure_saving(
    store: Store, dataset, rounds: int, report: Callable[[str], None] = print
) -> dict:
    """Time `rounds` paired epochs with and without the app's checkpoint writing."""
    from cnnviz.training.job import TrainingJob

    spec = presets.preset_spec(PRESET, dataset.input_shape, dataset.num_classes)
    suggested = presets.PRESETS[PRESET].settings_for(dataset.input_shape)
    settings = training_settings.TrainingSettings.from_dict({**suggested, "epochs": 1})
    plain = TrainingJob(spec, dataset, settings, name="Run 1")
    kept = TrainingJob(spec, dataset, settings, name="Run 1")
    workspace_id = uuid.uuid4().hex
    store_workspaces.watch(store, workspace_id, 1, kept)
    timed = _TimedListener(kept.checkpoint_listener)
    kept.checkpoint_listener = timed
    ratios, shares, epoch_shares, rows = [], [], [], []
    kept_bytes = 0
    try:
        for number in range(1, rounds + 1):
            # Alternate which side trains first, so that neither always gets the warmer start.
            first, second = (plain, kept) if number % 2 else (kept, plain)
            row = _paired_round(plain, kept, first, second, timed)
            rows.append({name: round(value, 4) for name, value in row.items()})
            without, with_saving = row["without_seconds"], row["with_seconds"]
            listener, epoch_writes = row["listener_seconds"], row["epoch_write_seconds"]
            ratios.append(with_saving / without)
            shares.append(listener / (with_saving - listener))
            epoch_shares.append(epoch_writes / (with_saving - listener))
            report(
                f"  round {number}: {without:.2f} s without saving, {with_saving:.2f} s with "
                f"(ratio {ratios[-1]:.3f}); the listener's writes {listener:.3f} s = "
                f"{100 * shares[-1]:.2f} % of that epoch ({epoch_writes:.3f} s after the epoch, "
                f"{listener - epoch_writes:.3f} s as the segment ended)"
            )
        kept_bytes = store.workspace_bytes(workspace_id)
    finally:
        plain.dispose()
        kept.dispose()
        store.delete_workspace(workspace_id)
    return {
        "preset": PRESET,
        "training_images": int(len(dataset.x_train)),
        "dataset_source": dataset.source,
        "rounds": rows,
        "median_ratio": round(statistics.median(ratios), 4),
        "median_listener_share": round(statistics.median(shares), 5),
        # The part a training of many epochs pays per epoch: the segment's end comes once.
        "median_epoch_write_share": round(statistics.median(epoch_shares), 5),
        "listener_calls": timed.calls,
        "kept_bytes": kept_bytes,
    }
