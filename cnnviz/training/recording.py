"""What an in-process job records as it trains: counts, timings and the history of metrics.

A TrainingRecord keeps plain numbers and lists; it takes no lock of its own, because the job
(cnnviz.training.job) holds its lock around every call, so that a status read while Keras
reports a batch sees one consistent moment.
"""

from __future__ import annotations

import math
import time

from cnnviz.training.job_interface import copy_history, empty_history


class TrainingRecord:
    """Epochs, batches and samples trained, when, and the metrics Keras reported.

    Args:
        batch_size: the batch size, to count samples and recover per-batch values (it may
            change between segments: see begin_segment).
    """

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.epoch = 0  # Keras's epoch counter: epochs begun and ended, including stopped ones
        self.progress = 0.0  # epochs of training done, a stopped epoch counting as a fraction
        self.train_count = 0
        self.batch = 0  # batches reported in the current epoch
        self.batches_per_epoch = 1
        # The current epoch's running means as Keras reports them, by batch index: the batches
        # become per-batch values only when read, so recording a batch costs next to nothing.
        self.epoch_running: list[tuple[float, float] | None] = []
        self.samples_before_epoch = 0  # of this segment
        self.batches_before_epoch = 0  # of this segment
        self.segment_started: float | None = None
        self.segment_ended = 0.0
        self.first_batch_end: tuple[float, int] | None = None
        self.history = empty_history()

    def begin_segment(self, train_count: int, batch_size: int) -> None:
        """A segment starts on `train_count` images in batches of `batch_size`."""
        self.train_count = train_count
        self.batch_size = batch_size
        self.batches_per_epoch = max(1, math.ceil(train_count / batch_size))
        self.batch = 0
        self.samples_before_epoch = 0
        self.batches_before_epoch = 0
        self.first_batch_end = None
        self.segment_started = time.perf_counter()
        self.segment_ended = self.segment_started

    def begin_epoch(self) -> None:
        """An epoch starts: its batches are counted from 0."""
        self.batch = 0
        self.epoch_running = [None] * self.batches_per_epoch

    def record_batch(self, batch: int, running_loss: float, running_accuracy: float) -> None:
        """Keep batch `batch`'s metrics (Keras's running means over the epoch so far)."""
        now = time.perf_counter()
        if batch < len(self.epoch_running):
            self.epoch_running[batch] = (running_loss, running_accuracy)
        self.batch = max(self.batch, batch + 1)
        if self.first_batch_end is None:
            self.first_batch_end = (now, self.samples_done())

    def end_epoch(self, epoch: int, logs: dict, keep: bool) -> float | None:
        """Epoch `epoch` (0-based) ended, perhaps early; `keep` False for a diverged one.

        Returns:
            The epochs of training done, rounded as the history holds them, or None when the
            epoch is not kept.
        """
        self._append_batches(self.history)
        self.epoch_running = []
        # A stopped epoch ends early: it counts as the fraction of it that was trained.
        self.samples_before_epoch += min(self.batch * self.batch_size, self.train_count)
        self.batches_before_epoch += self.batch
        self.progress += self.batch / self.batches_per_epoch
        self.batch = 0
        if not keep:
            return None
        self.epoch = epoch + 1
        record = self.history["epoch"]
        record["epoch"].append(round(self.progress, 4))
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            value = logs.get(name)
            record[name].append(None if value is None else float(value))
        return round(self.progress, 4)

    def restore_history(self, history: dict) -> None:
        """Take the history a restored job had recorded (its epoch and progress are set apart)."""
        restored = empty_history()
        for part, series in restored.items():
            for name in series:
                series[name] = list(history.get(part, {}).get(name, []))
        self.history = restored

    def end_segment(self) -> tuple[float, int]:
        """The segment ended: its wall time and the samples it trained."""
        self.segment_ended = time.perf_counter()
        return self.segment_ended - self.segment_started, self.samples_done()

    def batches_trained(self) -> int:
        """Batches trained in this segment so far."""
        return self.batches_before_epoch + self.batch

    def samples_done(self) -> int:
        """Samples trained in this segment so far."""
        partial = min(self.batch * self.batch_size, self.train_count)
        return self.samples_before_epoch + partial

    def samples_per_second(self, running: bool) -> float | None:
        """The segment's speed, measured from the end of its first batch.

        The first batch carries the one-off compile time, so it is left out.
        """
        if self.first_batch_end is None:
            return None
        start_time, start_samples = self.first_batch_end
        end_time = time.perf_counter() if running else self.segment_ended
        samples = self.samples_done()
        if end_time - start_time <= 0 or samples <= start_samples:
            return None
        return (samples - start_samples) / (end_time - start_time)

    def progress_now(self, running: bool, target_epochs: int) -> dict:
        """The JobStatus fields about progress, speed and time, as of now."""
        elapsed = 0.0
        if self.segment_started is not None:
            end = time.perf_counter() if running else self.segment_ended
            elapsed = end - self.segment_started
        speed = self.samples_per_second(running)
        eta = None
        if running and speed:
            total = (target_epochs - self.epoch) * self.train_count
            remaining = total - self.batch * self.batch_size
            eta = max(0.0, remaining / speed)
        return dict(
            epoch=self.epoch,
            progress=self.progress + (self.batch / self.batches_per_epoch if running else 0.0),
            batch=self.batch,
            batches_per_epoch=self.batches_per_epoch,
            samples_per_second=speed,
            elapsed_seconds=elapsed,
            eta_seconds=eta,
            history=self.history_copy(),
        )

    def history_copy(self) -> dict:
        """A copy of the history, the current epoch's batches included."""
        history = copy_history(self.history)
        self._append_batches(history)
        return history

    def _append_batches(self, history: dict) -> None:
        # Keras reports each metric as the running mean over the epoch so far (weighted by batch
        # size); a student expects a per-batch curve to show each batch's own value. The batches
        # reported without a gap so far are turned back into those.
        batch_size, count = self.batch_size, self.train_count
        series = history["batch"]
        before_loss = before_accuracy = 0.0
        for batch, running in enumerate(self.epoch_running):
            if running is None:
                break
            seen = min((batch + 1) * batch_size, count)
            this_batch = max(seen - min(batch * batch_size, count), 1)
            loss_total, accuracy_total = running[0] * seen, running[1] * seen
            loss = (loss_total - before_loss) / this_batch
            accuracy = (accuracy_total - before_accuracy) / this_batch
            before_loss, before_accuracy = loss_total, accuracy_total
            series["epoch"].append(self.progress + (batch + 1) / self.batches_per_epoch)
            # Float32 rounding in Keras's running means can push a value a hair out of range.
            series["loss"].append(max(loss, 0.0) if math.isfinite(loss) else loss)
            series["accuracy"].append(min(max(accuracy, 0.0), 1.0))
