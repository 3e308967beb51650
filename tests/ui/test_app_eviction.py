"""Pages when the server unloads or cannot load a workspace: nothing lost, never a traceback,
and a plain "server is full" when there is no room (AppTest, a kept server with small caps)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.store import workspace_limits, workspace_records
from cnnviz.ui import saving
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception
from helpers.jobs import FakeJob
from helpers.paths import APP


@pytest.fixture
def two_workspace_server(monkeypatch, tmp_path):
    """A fresh kept server (its own state folder) that loads at most two workspaces at once."""
    saving.shutdown()
    monkeypatch.setenv("CNNVIZ_STATE_DIR", str(tmp_path))
    monkeypatch.setenv(workspace_limits.COUNT_VARIABLE, "2")
    yield saving.registry()
    saving.shutdown()


def land_on(page: str, workspace_id: str | None = None) -> AppTest:
    """A visitor whose first request is `page` itself (with their workspace id when given)."""
    app = AppTest.from_file(APP, default_timeout=60)
    if workspace_id:
        app.query_params[keys.QUERY_PARAMETER] = workspace_id
    app.switch_page(page).run()
    assert_no_exception(app)
    return app


def change_the_spec(app: AppTest) -> dict:
    """The student's own change: a layer less than the preset."""
    work = app.session_state[keys.WORKSPACE]
    spec = dict(work[keys.SPEC])
    spec["layers"] = spec["layers"][:-2] + spec["layers"][-1:]
    keys_ids = work[keys.LAYER_IDS]
    work[keys.SPEC], work[keys.LAYER_IDS] = spec, keys_ids[:-2] + keys_ids[-1:]
    saving.save_now(saving.server())
    return spec


def test_an_unloaded_student_finds_their_work_again(two_workspace_server):
    first = land_on("pages/build.py")
    first_id = first.query_params[keys.QUERY_PARAMETER]
    changed = change_the_spec(first)
    land_on("pages/build.py")
    land_on("pages/home.py")  # a third: the least recently visited, the first, is unloaded
    assert first_id not in two_workspace_server
    # The student's next click: their own work, loaded again, at the same address, no notice.
    first.run()
    assert_no_exception(first)
    assert not first.warning
    assert first.query_params[keys.QUERY_PARAMETER] == first_id
    assert first.session_state[keys.WORKSPACE][keys.SPEC] == changed
    assert first_id in two_workspace_server


def test_an_unchanged_workspace_unloaded_comes_back_fresh_without_a_word(two_workspace_server):
    idle = land_on("pages/train.py")
    idle_id = idle.query_params[keys.QUERY_PARAMETER]
    land_on("pages/build.py")
    land_on("pages/home.py")
    assert idle_id not in two_workspace_server
    idle.run()
    assert_no_exception(idle)
    assert not idle.warning  # nothing was lost: there was nothing to lose
    assert idle.title[0].value == "Train"


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
    for app in trainers:
        assert app.query_params[keys.QUERY_PARAMETER] in two_workspace_server
        app.session_state[keys.WORKSPACE][keys.JOB] = None  # so the server can close


def test_a_kept_student_with_no_room_to_load_reads_the_server_is_full(two_workspace_server):
    kept = land_on("pages/home.py")
    kept_id = kept.query_params[keys.QUERY_PARAMETER]
    change_the_spec(kept)
    trainers = [land_on("pages/train.py") for _ in range(2)]
    assert kept_id not in two_workspace_server
    for app in trainers:
        app.session_state[keys.WORKSPACE][keys.JOB] = FakeJob(params=0, active=True)
    kept.run()
    assert not kept.exception
    assert kept.error[0].value.startswith("The server is full:")
    # The address keeps the id, so a reload loads the work once there is room.
    assert kept.query_params[keys.QUERY_PARAMETER] == kept_id
    for app in trainers:
        app.session_state[keys.WORKSPACE][keys.JOB] = None
    kept.run()
    assert_no_exception(kept)
    assert not kept.error and kept.query_params[keys.QUERY_PARAMETER] == kept_id


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
