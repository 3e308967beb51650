"""Pages when the workspace went away: the true reason, never a traceback, and a plain
"server is full" when there is no room for a new one (AppTest, with a tiny registry)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.store import workspace_records, workspaces
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception
from helpers.jobs import FakeJob
from helpers.paths import APP


@pytest.fixture
def two_workspace_server(monkeypatch) -> workspaces.WorkspaceRegistry:
    """The server's registry, replaced by one that keeps at most two workspaces."""
    registry = workspaces.WorkspaceRegistry(
        max_workspaces=2,
        is_busy=keys.is_busy,
        estimate_bytes=keys.estimate_bytes,
        release=keys.release,
        new_data=keys.WorkspaceData,
    )
    monkeypatch.setattr(keys, "_registry", registry)
    return registry


def land_on(page: str, workspace_id: str | None = None) -> AppTest:
    """A visitor whose first request is `page` itself (with their workspace id when given)."""
    app = AppTest.from_file(APP, default_timeout=60)
    if workspace_id:
        app.query_params[keys.QUERY_PARAMETER] = workspace_id
    app.switch_page(page).run()
    assert_no_exception(app)
    return app


def test_a_dropped_student_reads_that_it_was_dropped_to_make_room(two_workspace_server):
    idle = land_on("pages/train.py")
    idle_id = idle.query_params[keys.QUERY_PARAMETER]
    land_on("pages/build.py")
    land_on("pages/home.py")  # a third: the least recently visited, the first, makes room
    assert idle_id not in two_workspace_server
    # The dropped student's next click: the Train page again, no KeyError, the true reason.
    idle.run()
    assert_no_exception(idle)
    warnings = [warning.value for warning in idle.warning]
    assert len(warnings) == 1 and "dropped to make room at " in warnings[0]
    assert "expired" not in warnings[0] and "restarted" not in warnings[0]
    assert idle.query_params[keys.QUERY_PARAMETER] != idle_id
    assert idle.title[0].value == "Train"  # the page is drawn on the fresh workspace


def test_a_newcomer_hears_the_server_is_full_when_everyone_trains(two_workspace_server):
    trainers = [land_on("pages/train.py") for _ in range(2)]
    for app in trainers:
        app.session_state[keys.WORKSPACE][keys.JOB] = FakeJob(params=0, active=True)
    newcomer = land_on("pages/build.py")
    assert not newcomer.exception
    assert [error.value for error in newcomer.error] == [workspace_records.SERVER_FULL_MESSAGE]
    assert not newcomer.title  # the page stops there
    assert keys.QUERY_PARAMETER not in newcomer.query_params
    assert len(two_workspace_server) == 2
    # A trainer's workspace was not touched.
    for app in trainers:
        assert app.query_params[keys.QUERY_PARAMETER] in two_workspace_server


def test_a_dropped_student_with_no_room_left_reads_both_reasons(two_workspace_server):
    dropped = land_on("pages/home.py")
    dropped_id = dropped.query_params[keys.QUERY_PARAMETER]
    trainers = [land_on("pages/train.py") for _ in range(2)]
    assert dropped_id not in two_workspace_server
    for app in trainers:
        app.session_state[keys.WORKSPACE][keys.JOB] = FakeJob(params=0, active=True)
    dropped.run()
    assert not dropped.exception
    assert "dropped to make room at " in dropped.warning[0].value
    assert dropped.error[0].value.startswith("The server is full:")
    # The address keeps the old id, so a reload says the same until there is room.
    assert dropped.query_params[keys.QUERY_PARAMETER] == dropped_id


def test_reading_a_released_workspace_starts_the_page_over():
    def script():
        import streamlit as st

        from cnnviz.ui import state as keys

        work = keys.WorkspaceData()
        work.released = True
        runs = st.session_state.setdefault("runs", [])
        runs.append(len(runs))
        if len(runs) == 1:
            work[keys.JOB]  # cleared under the page: starts over instead of a KeyError
        st.write(f"ran {len(runs)} times")

    app = AppTest.from_function(script, default_timeout=30)
    app.run()
    assert not app.exception
    assert app.markdown[0].value == "ran 2 times"
