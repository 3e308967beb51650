"""A training job's states and the reasons it can be stopped: values, not sentences.

Kept apart from the job (job.py) so that the pages, the run history and the CLI can name them
without importing TensorFlow.
"""

from __future__ import annotations

import enum


class JobState(enum.StrEnum):
    """Where a job is in its life. A str, so it prints and serialises as its value."""

    READY = "ready"  # built, not trained yet
    QUEUED = "queued"  # waiting for a free training slot
    STARTING = "starting"  # holds a slot; preparing the data and the model (or a worker)
    RUNNING = "running"
    FINISHED = "finished"  # trained all the epochs asked for
    STOPPED = "stopped"  # asked to stop (see StopReason); the weights so far are kept
    DIVERGED = "diverged"  # the loss became NaN or infinite; the last finite weights are kept
    FAILED = "failed"  # TensorFlow or Keras raised an error
    # The server stopped (a crash, a restart) while it trained; restored from its last
    # checkpoint, a Continue goes on from the last finished epoch.
    INTERRUPTED = "interrupted"

    @property
    def is_active(self) -> bool:
        """Whether the job still holds (or waits for) a training slot."""
        return self in (JobState.QUEUED, JobState.STARTING, JobState.RUNNING)


def interrupted_message(epochs_done: int) -> str:
    """What an interrupted job's message says: where it got to, and how to go on."""
    return f"Interrupted at epoch {epochs_done} (the server stopped). Continue goes on from there."


class StopReason(enum.StrEnum):
    """Why a job was asked to stop."""

    USER = "user"  # the Stop button
    INTERRUPTED = "interrupted"  # Ctrl-C in `cnnviz train`
    OWNER_GONE = "owner_gone"  # the browser went away for longer than the grace period
    RESET = "reset"  # the Reset button while it trained; the run is kept for comparing
    CLOSED = "closed"  # the workspace was closed and the job disposed of

    @property
    def message(self) -> str:
        """What the student reads about the stop."""
        return _STOP_MESSAGES[self]

    @property
    def measures_test_accuracy(self) -> bool:
        """Whether a job stopped for this reason still measures its test accuracy.

        Nobody is there to read it after the owner left or the workspace closed, and Reset must
        free the slot at once.
        """
        return self in (StopReason.USER, StopReason.INTERRUPTED)


_STOP_MESSAGES = {
    StopReason.USER: "Stopped by you.",
    StopReason.INTERRUPTED: "Stopped with Ctrl-C.",
    StopReason.OWNER_GONE: "Session ended: the browser tab was closed, so training stopped.",
    StopReason.RESET: "Stopped by Reset while it trained.",
    StopReason.CLOSED: "Stopped: the workspace was closed.",
}
