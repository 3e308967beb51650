"""The session's training job as the app sees it: starting, recording and a compact status.

The job itself (cnnviz.training) never touches Streamlit; this module ties it to the session:
it tells the job whether the browser tab is still there, writes finished runs into the run
history, and draws the status line every page shows.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnviz.ui import state as keys

STATUS_ICONS = {
    "ready": ":material/hourglass_empty:",
    "queued": ":material/schedule:",
    "running": ":material/directions_run:",
    "finished": ":material/check_circle:",
    "stopped": ":material/stop_circle:",
    "diverged": ":material/warning:",
    "failed": ":material/error:",
}


def format_duration(seconds: float | None) -> str:
    """12.3 -> '0:12', 3725 -> '1:02:05'; None -> '--'."""
    if seconds is None:
        return "--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def describe_status(name: str, status) -> str:
    """One line on a job's state, in the words a student reads (status is a JobStatus)."""
    if status.state == "queued":
        place = status.queue_position
        where = f"number {place} in the queue" if place else "in the queue"
        return f"{name} is waiting for a free training slot ({where})."
    if status.state == "running":
        speed = f"{status.samples_per_second:,.0f} images/s" if status.samples_per_second else ""
        parts = [
            f"{name}: epoch {min(status.epoch + 1, status.target_epochs)} of "
            f"{status.target_epochs}, batch {status.batch} of {status.batches_per_epoch}",
            speed,
            f"ETA {format_duration(status.eta_seconds)}" if status.eta_seconds is not None else "",
        ]
        return " · ".join(part for part in parts if part)
    if status.state == "finished":
        return f"{name} finished: test accuracy {status.test_accuracy:.1%}."
    if status.state == "stopped" and status.test_accuracy is not None:
        return f"{name} stopped: test accuracy {status.test_accuracy:.1%}. {status.message}"
    if status.state == "ready":
        return f"{name} is built but not trained yet."
    return f"{name}: {status.message}"


def _owner_alive_check():
    """A function telling whether anyone still has this workspace open.

    Any browser session attached to the workspace counts, not only the one that pressed Train:
    a student who reloads the page, or reopens its link elsewhere, keeps the training going.
    Runs on the training thread, so the workspace id is read now, while a script runs.
    """
    if get_script_run_ctx() is None or not Runtime.exists():
        return None
    workspace_id = keys.workspace_id()
    registry = keys.registry()
    return lambda: registry.has_live_session(workspace_id, keys.is_session_alive)


def start_training(spec: dict, dataset, settings) -> None:
    """Build a fresh model from the spec and start training it as a new run."""
    from cnnviz.training import TrainingJob  # TensorFlow loads only when training starts

    state = keys.workspace()
    previous = state[keys.JOB]
    if previous is not None and previous.is_active:
        previous.stop()
    run_id = state[keys.RUNS].new_run_id()
    job = TrainingJob(
        spec, dataset, settings, owner_alive=_owner_alive_check(), name=f"Run {run_id}"
    )
    state[keys.JOB] = job
    state[keys.JOB_RUN_ID] = run_id
    job.start()


def record_finished_job() -> None:
    """Write the current job into the run history once each time a training segment ends."""
    state = keys.workspace()
    job = state.get(keys.JOB)
    if job is None or job.is_active or job.state == "ready":
        return
    marker = (state[keys.JOB_RUN_ID], job.state, job.epochs_done, round(job.train_seconds, 3))
    if state.get(keys.RECORDED) != marker:
        state[keys.RUNS].record(state[keys.JOB_RUN_ID], job)
        state[keys.RECORDED] = marker


def show_status() -> None:
    """The compact status of the session's job in the sidebar, refreshed every 2 s while it
    trains."""
    job = keys.workspace().get(keys.JOB)
    if job is None:
        return
    was_active = job.is_active

    @st.fragment(run_every=2.0 if was_active else None)
    def status_line() -> None:
        status = job.status()
        text = f"{STATUS_ICONS.get(status.state, '')} {describe_status(job.name, status)}"
        if status.state == "running" and status.target_epochs:
            st.progress(min(1.0, status.progress / status.target_epochs), text=text)
        else:
            st.caption(text)
        if was_active and not job.is_active:
            # The job ended since the page was drawn: redraw everything with the result.
            record_finished_job()
            st.rerun()

    with st.sidebar:
        status_line()
