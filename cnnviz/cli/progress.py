"""Following a training job from a terminal: a live rich progress bar, or one line per epoch.

On a terminal the bar (rich.progress, which comes with Keras) shows the epochs done and a line
of figures; anywhere else (a log file, a pipe, a test) each finished epoch is one plain line,
which is easier to read back than a bar redrawn in place.
"""

from __future__ import annotations

import math
import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Column

from cnnviz.training.job_state import JobState

POLL_SECONDS = 0.25  # how often the job's progress is read
BAR_WIDTH = 20  # characters of the bar; the figures beside it get the rest of the line


def _mean_of_last(values: list, count: int = 20) -> float:
    recent = values[-count:]
    return sum(recent) / len(recent) if recent else math.nan


def describe_state(status) -> str:
    """Where the job is: queued, starting, at an epoch, or ended."""
    if status.state == JobState.QUEUED:
        return f"waiting for a training slot (place {status.queue_position})"
    if status.state == JobState.STARTING:
        return "got a training slot; preparing the data and the model"
    target = status.target_epochs
    if status.state == JobState.RUNNING:
        return f"epoch {min(status.epoch + 1, target)}/{target}"
    return f"{status.state} after {round(status.progress, 2):g}/{target} epochs"


def format_figures(status) -> str:
    """The figures beside the bar: batch, recent loss and accuracy, speed, time left."""
    if status.state in (JobState.QUEUED, JobState.STARTING):
        return ""
    parts = []
    if status.state == JobState.RUNNING:
        parts.append(f"batch {status.batch}/{status.batches_per_epoch}")
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


def format_progress(status) -> str:
    """One line of progress, from a training.JobStatus: the state, then the figures."""
    figures = format_figures(status)
    return " | ".join(part for part in (describe_state(status), figures) if part)


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
    """Shows a training run on a stream (stderr): a live bar on a terminal, else epoch lines.

    Use it as a context manager: on a terminal the bar is drawn from entering to leaving.
    """

    def __init__(self, stream):
        self.stream = stream
        self.interactive = stream.isatty()
        self._epochs_shown = 0
        self._bar: Progress | None = None
        self._task = None

    def __enter__(self) -> ProgressReporter:
        if self.interactive:
            self._bar = Progress(
                TextColumn("{task.description}", table_column=Column(no_wrap=True)),
                BarColumn(bar_width=BAR_WIDTH),
                TaskProgressColumn(),
                TextColumn("{task.fields[figures]}", table_column=Column(no_wrap=True)),
                console=Console(file=self.stream, force_terminal=True),
            )
            self._task = self._bar.add_task("", total=None, figures="")
            self._bar.start()
        return self

    def __exit__(self, *exception) -> None:
        if self._bar is not None:
            self._bar.stop()  # leaves the last drawing on screen, ending its line

    def follow(self, job) -> None:
        """Show the job's progress until it ends."""
        wait_interruptibly(job, lambda: self.show(job.status()))
        self.show(job.status())

    def note(self, text: str) -> None:
        """A line of its own; on a terminal, printed above the bar."""
        if self._bar is not None:
            self._bar.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self.stream, flush=True)

    def show(self, status) -> None:
        if self._bar is not None:
            description = describe_state(status)
            # The state and the bar keep their width; on a narrow terminal the figures are cut
            # (rich would squeeze every column instead, the state first).
            room = self._bar.console.width - len(description) - BAR_WIDTH - len(" 100% ") - 2
            figures = format_figures(status)
            if len(figures) > room:
                figures = figures[: max(room - 1, 0)] + "…"
            self._bar.update(
                self._task,
                total=status.target_epochs or None,
                completed=status.progress,
                description=description,
                figures=figures,
            )
            return
        record = status.history["epoch"]
        for index in range(self._epochs_shown, len(record["epoch"])):
            print(_format_epoch(record, index, status.target_epochs), file=self.stream)
        self._epochs_shown = len(record["epoch"])
