"""A job's state and the scheduler's counts tell one story: a job that holds a slot is never
shown as waiting for one beside "1 training now, 0 waiting" (the race on pressing Train)."""

from __future__ import annotations

import re
import threading

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.training import fitting
from cnnviz.training.job_state import JobState
from cnnviz.training.scheduler import TrainingScheduler
from cnnviz.ui import jobs
from cnnviz.ui import state as keys
from helpers.jobs import WAIT_SECONDS, make_job
from helpers.paths import APP

# A small job, named as the Train page names a first run.
RUN_1 = {"name": "Run 1", "train_limit": 200}


@pytest.mark.trains
def test_a_job_holding_a_slot_while_it_prepares_is_not_shown_as_waiting(mnist, monkeypatch):
    # Hold the job between getting its slot and its first batch (splitting the data and
    # compiling take a moment on a real server: the window the page was drawn in).
    preparing, go_on = threading.Event(), threading.Event()
    split_data = fitting.split_data

    def slow_split(*args, **kwargs):
        preparing.set()
        assert go_on.wait(WAIT_SECONDS)
        return split_data(*args, **kwargs)

    monkeypatch.setattr(fitting, "split_data", slow_split)
    pool = TrainingScheduler(2)
    job = make_job(mnist, scheduler=pool, **RUN_1)
    try:
        job.start()
        assert preparing.wait(WAIT_SECONDS)
        status = job.status()
        assert status.state == JobState.STARTING and status.is_active
        assert status.slots.running == 1 and status.slots.waiting == 0
        text = jobs.describe_status(job.name, status)
        assert "waiting" not in text and "getting ready" in text
    finally:
        go_on.set()
    assert job.wait(WAIT_SECONDS)
    assert job.status().state == JobState.FINISHED


@pytest.mark.trains
def test_a_queued_job_is_counted_as_waiting_from_the_moment_train_is_pressed(mnist):
    pool = TrainingScheduler(1)
    holder = object()
    assert pool.acquire(holder, lambda: False)
    job = make_job(mnist, scheduler=pool, **RUN_1)
    try:
        job.start()
        # At once, with no wait for its thread: the page is drawn right after the click.
        status = job.status()
        assert status.state == JobState.QUEUED and status.queue_position == 1
        assert (status.slots.slots, status.slots.running, status.slots.waiting) == (1, 1, 1)
        assert "1 training now, 1 waiting" in jobs.queue_summary(status)
        assert "number 1 in the queue" in jobs.describe_status(job.name, status)
    finally:
        pool.release(holder)
    assert job.wait(WAIT_SECONDS)
    status = job.status()
    assert status.state == JobState.FINISHED
    assert (status.slots.running, status.slots.waiting, status.slots.position) == (0, 0, None)


@pytest.mark.trains
def test_every_status_read_while_jobs_come_and_go_is_consistent(mnist):
    """Many reads while three jobs share two slots: queued always means a full pool and the
    job in the queue; starting or running always means no free slot is left unused."""
    pool = TrainingScheduler(2)
    job_list = [make_job(mnist, scheduler=pool, **RUN_1) for _ in range(3)]
    for job in job_list:
        job.start()
    seen = set()
    while any(job.is_active for job in job_list):
        for job in job_list:
            status = job.status()
            seen.add(status.state)
            slots = status.slots
            if slots.waiting:
                assert slots.running == slots.slots, slots
            if status.state == JobState.QUEUED:
                assert slots.position is not None and slots.running == slots.slots, slots
            elif status.state in (JobState.STARTING, JobState.RUNNING):
                assert slots.position is None and slots.running >= 1, slots
    for job in job_list:
        assert job.wait(WAIT_SECONDS)
        assert job.status().state == JobState.FINISHED
    assert JobState.QUEUED in seen


@pytest.mark.trains
def test_the_train_page_right_after_train_tells_one_story():
    """The page drawn just after the click: "waiting for a free training slot" only beside a
    full pool with somebody waiting; otherwise the job is getting ready or training."""
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("pages/train.py").run()
    [images] = [box for box in app.number_input if box.label == "Training images"]
    images.set_value(1000).run()
    [train] = [button for button in app.button if button.label == "Train"]
    train.click().run()
    assert not app.exception
    job = app.session_state[keys.WORKSPACE][keys.JOB]
    try:
        texts = [element.value for element in app.markdown] + [c.value for c in app.caption]
        page = " ".join(texts)
        counts = re.search(r"at most (\d+) network\(s\).*?(\d+) training now, (\d+) waiting", page)
        if "waiting for a free training slot" in page:
            assert counts, page
            slots, running, waiting = map(int, counts.groups())
            assert running == slots and waiting >= 1, page
        else:
            assert "getting ready" in page or re.search(r"epoch \d+ of \d+", page), page
    finally:
        job.stop()
        assert job.wait(WAIT_SECONDS)
