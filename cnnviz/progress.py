"""Following a training job from a terminal: a live progress line, or one line per epoch."""

from __future__ import annotations

import math
import time

from cnnviz.training.job_state import JobState

POLL_SECONDS = 0.25  # how often the job's progress is read
BAR_WIDTH = 20  # characters between the brackets of the progress bar


def _mean_of_last(values: list, count: int = 20) -> float:
    recent = values[-count:]
    return sum(recent) / len(recent) if recent else math.nan


def progress_bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A text bar such as '[#######-------------]  35%' for a fraction between 0 and 1."""
    fraction = min(max(fraction, 0.0), 1.0)
    filled = int(fraction * width)
    return f"[{'#' * filled}{'-' * (width - filled)}] {fraction:4.0%}"


def format_progress(status) -> str:
    """One line of progress for a terminal, from a JobStatus (cnnviz.training.job_interface)."""
    if status.state == JobState.QUEUED:
        return f"waiting for a training slot (place {status.queue_position})"
    if status.state == JobState.STARTING:
        return "got a training slot; preparing the data and the model"
    target = status.target_epochs
    if status.state == JobState.RUNNING:
        parts = [progress_bar(status.progress / target if target else 0.0)]
        parts.append(f"epoch {min(status.epoch + 1, target)}/{target}")
        parts.append(f"batch {status.batch}/{status.batches_per_epoch}")
    else:
        parts = [f"{status.state} after {round(status.progress, 2):g}/{target} epochs"]
    batches = status.history["batch"]
    if not batches["loss"]:
        return " | ".join([*parts, "starting"])
    # The mean of recent batches: one batch's value jumps about too much to read.
    parts.append(f"loss {_mean_of_last(batches['loss']):.4f}")
    parts.append(f"accuracy {_mean_of_last(batches['accuracy']):.2%}")
    if status.samples_per_second:
        parts.append(f"{status.samples_per_second:,.0f} images/s")
    if status.eta_seconds is not None:
        parts.append("ETA {}:{:02d}".format(*divmod(round(status.eta_seconds), 60)))
    return " | ".join(parts)


def _format_epoch(record: dict, index: int, target_epochs: int) -> str:
    values = [
        f"{name} {record[name][index]:{'.2%' if name.endswith('accuracy') else '.4f'}}"
        for name in ("loss", "accuracy", "val_loss", "val_accuracy")
        if record[name][index] is not None
    ]
    return f"epoch {round(record['epoch'][index], 2):g}/{target_epochs}: {', '.join(values)}"


def wait_interruptibly(job, on_poll=None) -> None:
    """Wait for a job's thread to end, calling on_poll every POLL_SECONDS meanwhile.

    Sleeps rather than joining the thread with a timeout: on Python 3.11, a Ctrl-C that
    interrupts Thread.join() leaves the thread marked as ended while it still runs.
    """
    while job.is_active:
        time.sleep(POLL_SECONDS)
        if on_poll is not None:
            on_poll()
    job.wait()  # the thread is ending: it only releases its training slot now


class ProgressReporter:
    """Shows a training run on stderr: a live line on a terminal, one line per epoch otherwise."""

    def __init__(self, stream):
        self.stream = stream
        self.interactive = stream.isatty()
        self._line_width = 0
        self._epochs_shown = 0

    def follow(self, job) -> None:
        """Show the job's progress until it ends."""
        wait_interruptibly(job, lambda: self.show(job.status()))
        self.show(job.status())
        self.end_line()

    def show(self, status) -> None:
        if self.interactive:
            line = format_progress(status)
            # Pad with spaces to wipe out the rest of a longer previous line.
            self.stream.write("\r" + line.ljust(self._line_width))
            self.stream.flush()
            self._line_width = len(line)
            return
        record = status.history["epoch"]
        for index in range(self._epochs_shown, len(record["epoch"])):
            print(_format_epoch(record, index, status.target_epochs), file=self.stream)
        self._epochs_shown = len(record["epoch"])

    def end_line(self) -> None:
        if self._line_width:
            self.stream.write("\n")
            self._line_width = 0
