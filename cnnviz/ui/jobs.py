"""The session's training job as the app sees it: starting, recording and a compact status.

The job itself (cnnviz.training.job, or cnnviz.cluster.ray_jobs) never touches Streamlit; this
module ties it to the session: it tells the job whether the browser tab is still there, writes
finished runs into the run history, and draws the status line every page shows. Pages start,
stop, continue and reset jobs and read their queue only through the functions here.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnviz import app_files
from cnnviz.training import model_data
from cnnviz.training.job_state import JobState, StopReason
from cnnviz.ui import saving
from cnnviz.ui import state as keys

# How long Reset waits for a training to leave its current batch (it skips the test set).
RESET_WAIT_SECONDS = 30.0

STATUS_ICONS = {
    JobState.READY: ":material/hourglass_empty:",
    JobState.QUEUED: ":material/schedule:",
    JobState.STARTING: ":material/hourglass_top:",
    JobState.RUNNING: ":material/directions_run:",
    JobState.FINISHED: ":material/check_circle:",
    JobState.STOPPED: ":material/stop_circle:",
    JobState.DIVERGED: ":material/warning:",
    JobState.FAILED: ":material/error:",
    JobState.INTERRUPTED: ":material/power_off:",
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
    if status.state == JobState.QUEUED:
        place = status.queue_position
        where = f"number {place} in the queue" if place else "in the queue"
        return f"{name} is waiting for a free training slot ({where})."
    if status.state == JobState.STARTING:
        return f"{name} has a training slot and is getting ready to train."
    if status.state == JobState.RUNNING:
        speed = f"{status.samples_per_second:,.0f} images/s" if status.samples_per_second else ""
        parts = [
            f"{name}: epoch {min(status.epoch + 1, status.target_epochs)} of "
            f"{status.target_epochs}, batch {status.batch} of {status.batches_per_epoch}",
            speed,
            f"ETA {format_duration(status.eta_seconds)}" if status.eta_seconds is not None else "",
        ]
        return " · ".join(part for part in parts if part)
    if status.state == JobState.FINISHED:
        text = f"{name} finished: test accuracy {status.test_accuracy:.1%}."
        # A run that ended at chance says why, not only its number.
        return f"{text} {status.warning}" if status.warning else text
    if status.state == JobState.STOPPED and status.test_accuracy is not None:
        return f"{name} stopped: test accuracy {status.test_accuracy:.1%}. {status.message}"
    if status.state == JobState.READY:
        return f"{name} is built but not trained yet."
    if status.state == JobState.INTERRUPTED:
        return (
            f"{name} was interrupted at epoch {status.epoch} (the server stopped). Continue "
            "goes on from there."
        )
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
    """Build a fresh model from the spec and start training it as a new run.

    The job trains in this process, or on the Ray cluster named by CNNVIZ_RAY_ADDRESS.
    """
    from cnnviz.cluster import executors  # TensorFlow loads only when training starts

    state = keys.workspace()
    _retire_job(state)
    saving.forget_model(keys.workspace_id(), state.get(keys.JOB_RUN_ID))
    run_id = state[keys.RUNS].new_run_id()
    job = executors.new_job(
        spec, dataset, settings, owner_alive=_owner_alive_check(), name=f"Run {run_id}"
    )
    state[keys.JOB] = job
    state[keys.JOB_RUN_ID] = run_id
    workspace_id = keys.workspace_id()
    saving.keep_run_data(workspace_id, run_id, dataset, state)
    saving.watch_job(saving.store(), workspace_id, run_id, job, state)
    job.start()


def record_finished_job() -> None:
    """Write the current job into the run history once each time a training segment ends."""
    state = keys.workspace()
    job = state.get(keys.JOB)
    if job is None or job.is_active or job.state == JobState.READY:
        return
    marker = (state[keys.JOB_RUN_ID], job.state, job.epochs_done, round(job.train_seconds, 3))
    if state.get(keys.RECORDED) != marker:
        state[keys.RUNS].record(state[keys.JOB_RUN_ID], job)
        state[keys.RECORDED] = marker


def stop_training() -> None:
    """Ask the workspace's job to stop after its current batch."""
    job = keys.workspace().get(keys.JOB)
    if job is not None and job.is_active:
        job.stop(StopReason.USER)


def continue_training(epochs: int, settings) -> None:
    """Train the workspace's model for `epochs` more epochs with `settings`, keeping its weights.

    Raises:
        ValueError: when there is no trained model to continue, or another app server of this
            class trains its run right now.
    """
    state = keys.workspace()
    job = state.get(keys.JOB)
    if job is None or job.state == JobState.READY:
        raise ValueError("There is no trained model to continue; press Train first.")
    run_id = state.get(keys.JOB_RUN_ID)
    if run_id is not None and saving.store().claim_run(keys.workspace_id(), run_id) is not None:
        raise ValueError(
            f"{job.name} is training on another app server of this class right now, so it "
            "cannot go on here as well. Reload this page in a while to see how far it got."
        )
    job.start(epochs=epochs, settings=settings)


def reset_job() -> None:
    """Forget the workspace's model; its run (even one stopped mid-training) stays in Compare."""
    state = keys.workspace()
    _retire_job(state)
    saving.forget_model(keys.workspace_id(), state.get(keys.JOB_RUN_ID))
    state[keys.JOB] = None
    state[keys.JOB_RUN_ID] = None


def _retire_job(state: dict) -> None:
    # A job being replaced stops (skipping its test set), is recorded if it trained at all, and
    # lets go of its model, whose memory would otherwise stay with the workspace.
    job = state.get(keys.JOB)
    if job is None:
        return
    if job.is_active:
        job.stop(StopReason.RESET)
        job.wait(RESET_WAIT_SECONDS)
    if job.history()["batch"]["loss"] or job.state != JobState.STOPPED:
        record_finished_job()
    job.dispose(timeout=0)


def queue_summary(status) -> str:
    """What a queued student reads about the server's training slots (status is a JobStatus).

    The counts come with the status, read in the same instant as its state: counts read
    apart from it could show a free slot, or nobody waiting, beside "waiting for a slot".
    """
    slots = status.slots
    if slots is None:
        return "Yours starts by itself; you can look around meanwhile."
    return (
        f"This server trains at most {slots.slots} network(s) at once so that each runs at full "
        f"speed: {slots.running} training now, {slots.waiting} waiting. Yours starts by "
        "itself; you can look around meanwhile."
    )


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
        if status.state == JobState.RUNNING and status.target_epochs:
            st.progress(min(1.0, status.progress / status.target_epochs), text=text)
        else:
            st.caption(text)
        if was_active and not job.is_active:
            # The job ended since the page was drawn: redraw everything with the result.
            record_finished_job()
            st.rerun()

    with st.sidebar:
        status_line()


def current_model_job(chosen, purpose: str):
    """The workspace's job and the data set to look at it with; without a model, say so and stop.

    The data set is the sidebar's when the model was trained on it, else the model's own (which
    the job keeps, see cnnviz.training.model_data); then a note says which one the page uses.

    Args:
        chosen: the data set chosen in the sidebar.
        purpose: what the page shows once there is a model, e.g. "shows what it learned".

    Returns:
        (job, dataset).
    """
    job = keys.workspace()[keys.JOB]
    if job is None:
        st.info(f"There is no model yet. Train one first; this page then {purpose}.")
        st.page_link(
            app_files.page_script("train"), label="Go to Train", icon=":material/model_training:"
        )
        st.stop()
    used = model_data.data_for_model(job.name, job.dataset, chosen)
    if used.is_models_own:
        st.info(used.note, icon=":material/dataset:")
    return job, used.dataset
