"""The Start page's "Your work" panel: download everything, open a download, delete.

A student owns their work: the whole workspace as one zip (layers, settings, runs, models and
own pictures), the same zip opened again as a new workspace, and deleting the workspace from
the server (after asking). The zip's format and checks are cnnviz.store.workspace_archive.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.data import file_reading
from cnnviz.store import workspace_archive, workspaces
from cnnviz.store.database import QuotaExceeded
from cnnviz.ui import keeping, saving
from cnnviz.ui import state as keys

CONFIRM_DELETE = "cnnviz_confirm_delete"  # session state: the Delete button was pressed once
OPENED = "cnnviz_opened_workspace"  # session state: a message after opening a download


def _zip_of(workspace_id: str, work: dict):
    # Called by the download button when clicked (without a script run): the latest changes
    # are written first, so the zip holds what the student sees.
    def build() -> bytes:
        kept = saving.store()
        keeping.keeper_of(kept, workspace_id, work).save(work)
        return workspace_archive.export_workspace(kept, workspace_id)

    return build


def _open_download(upload) -> None:
    """Keep an uploaded workspace zip as a new workspace and switch this tab to it."""
    data = upload.getvalue()
    new_id = workspaces.new_workspace_id()
    try:
        file_reading.check_upload(
            upload.name,
            len(data),
            workspace_archive.MAX_ZIP_BYTES,
            "Download a smaller workspace (delete runs first).",
        )
        workspace_archive.import_workspace(saving.store(), data, new_id)
    except QuotaExceeded as error:
        st.error(str(error), icon=":material/storage:")
        return
    except ValueError as error:
        st.error(str(error), icon=":material/error:")
        return
    st.session_state[OPENED] = (
        "Opened the downloaded workspace at this new address; the one you had is still at its "
        "own address."
    )
    keys.switch_workspace(new_id)


def _delete(workspace_id: str) -> None:
    saving.delete_workspace(workspace_id)
    st.session_state.pop(CONFIRM_DELETE, None)
    keys.start_fresh_workspace(
        "Your workspace was deleted from the server: its layers, settings, runs, models and "
        "pictures are gone. This is a fresh one."
    )


def show() -> None:
    """Draw the panel (on the Start page)."""
    workspace_id = keys.workspace_id()
    work = keys.workspace()
    opened = st.session_state.pop(OPENED, None)
    if opened:
        st.success(opened, icon=":material/folder_open:")
    with st.expander("Your work: download, open or delete", icon=":material/folder_managed:"):
        st.download_button(
            "Download everything",
            data=_zip_of(workspace_id, work),
            file_name="cnnviz-workspace.zip",
            mime="application/zip",
            icon=":material/download:",
            on_click="ignore",
            help="One .zip with your layers, settings, runs, models and own pictures.",
        )
        upload = st.file_uploader(
            "Open a downloaded workspace (.zip)",
            type=["zip"],
            key="open_workspace_upload",
            help="It opens at a new address; the workspace you have now stays as it is.",
        )
        if upload is not None and st.button("Open it", icon=":material/folder_open:"):
            _open_download(upload)
        st.divider()
        if not st.session_state.get(CONFIRM_DELETE):
            if st.button("Delete this workspace...", icon=":material/delete:"):
                st.session_state[CONFIRM_DELETE] = True
                st.rerun()
        else:
            st.warning(
                "Delete this workspace from the server? Its layers, settings, runs, models and "
                "pictures go for good (download them first if you want to keep them).",
                icon=":material/warning:",
            )
            confirm, cancel = st.columns(2)
            if confirm.button("Yes, delete it", type="primary", icon=":material/delete_forever:"):
                _delete(workspace_id)
            if cancel.button("No, keep it"):
                st.session_state.pop(CONFIRM_DELETE, None)
                st.rerun()
