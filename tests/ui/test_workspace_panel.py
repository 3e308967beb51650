"""The Start page's "Your work" panel: open a downloaded workspace, delete after asking."""

from __future__ import annotations

from cnnviz.store import workspace_archive
from cnnviz.ui import keeping, saving
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception, button, open_app


def changed_workspace(app) -> tuple[str, dict]:
    """The app's workspace with a layer less than the preset, written to the store now."""
    work = app.session_state[keys.WORKSPACE]
    work[keys.SPEC] = {**work[keys.SPEC], "layers": work[keys.SPEC]["layers"][:-2]}
    work[keys.LAYER_IDS] = work[keys.LAYER_IDS][:-2]
    workspace_id = app.query_params[keys.QUERY_PARAMETER]
    keeping.keeper_of(saving.store(), workspace_id, work).save(work)
    return workspace_id, work[keys.SPEC]


def test_a_downloaded_workspace_opens_at_a_new_address_and_the_old_stays():
    app = open_app()
    old_id, spec = changed_workspace(app)
    data = workspace_archive.export_workspace(saving.store(), old_id)
    app.file_uploader(key="open_workspace_upload").set_value(
        ("cnnviz-workspace.zip", data, "application/zip")
    )
    app.run()
    button(app, "Open it").click().run()
    assert_no_exception(app)
    new_id = app.query_params[keys.QUERY_PARAMETER]
    assert new_id != old_id
    assert app.session_state[keys.WORKSPACE][keys.SPEC] == spec
    assert any("Opened the downloaded workspace" in success.value for success in app.success)
    assert saving.store().load_workspace(old_id).data[keys.SPEC] == spec  # untouched


def test_a_file_that_is_not_a_workspace_is_refused_with_a_message():
    app = open_app()
    before = app.query_params[keys.QUERY_PARAMETER]
    app.file_uploader(key="open_workspace_upload").set_value(
        ("holiday.zip", b"PK not really", "application/zip")
    )
    app.run()
    button(app, "Open it").click().run()
    assert_no_exception(app)
    assert any("not a workspace downloaded from cnnviz" in error.value for error in app.error)
    assert app.query_params[keys.QUERY_PARAMETER] == before


def test_delete_asks_first_then_removes_everything():
    app = open_app()
    workspace_id, _ = changed_workspace(app)
    button(app, "Delete this workspace...").click().run()
    assert saving.store().workspace_exists(workspace_id)  # asked, not done
    assert any("Delete this workspace from the server?" in w.value for w in app.warning)
    button(app, "No, keep it").click().run()
    assert saving.store().workspace_exists(workspace_id)
    button(app, "Delete this workspace...").click().run()
    button(app, "Yes, delete it").click().run()
    assert_no_exception(app)
    assert not saving.store().workspace_exists(workspace_id)
    assert app.query_params[keys.QUERY_PARAMETER] != workspace_id
    assert any("was deleted from the server" in w.value for w in app.warning)
    # The old address now says it was deleted.
    again = open_app(**{keys.QUERY_PARAMETER: workspace_id})
    assert any("deleted at" in w.value for w in again.warning)
