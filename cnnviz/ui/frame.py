"""What every page does first: page settings, session defaults and the shared sidebar."""

from __future__ import annotations

import sys

import streamlit as st

from cnnviz import app_files
from cnnviz.ui import class_controls, data, jobs, patches, presenting, share, state

# Bundled rather than a ":material/...:" icon, which the browser would fetch from a font CDN
# (and fail to, offline).
PAGE_ICON = app_files.assets_dir() / "icon.png"


def page_config() -> None:
    """Title, icon and layout of every page.

    app.py calls this before st.navigation: the browser takes the first icon it is told, and
    st.navigation would otherwise tell it the default page's Material icon, fetched from a font
    CDN.
    """
    st.set_page_config(page_title="cnnviz", page_icon=str(PAGE_ICON), layout="wide")


def _calling_page() -> str:
    """The name of the page script that called page_setup ("evaluate" for pages/evaluate.py)."""
    path = str(sys._getframe(2).f_globals.get("__file__", ""))
    return path.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".py")


def page_setup(show_job_status: bool = True, page: str | None = None) -> None:
    """Prepare the session and draw the sidebar; call at the top of every page.

    Args:
        show_job_status: draw the compact job status in the sidebar (the Train page shows the
            full status itself, and two copies refreshing side by side would disagree).
        page: the page's name, for the teacher's hidden pages; by default the calling script's
            file name, so every page is checked without saying so.

    The pages do this themselves rather than leaving it to app.py, because Streamlit can run a
    page's file without app.py (see patches.leave_pages_directory_mode).
    """
    patches.disable_keras_session_clearing()
    # A legacy-mode run can only be a session's first (see the patch); rerunning it at once
    # gives the student app.py's navigation. Later runs must not rerun: that would drop a click.
    if patches.leave_pages_directory_mode() and state.is_new_session():
        st.rerun()
    page_config()
    presenting.apply_present_mode()
    state.init_session_state()
    notice = state.pop_notice()
    if notice:
        st.warning(notice, icon=":material/history:")
    storage = state.workspace().pop(state.STORAGE_NOTICE, None)
    if storage:
        # A disk quota stopped a file from being kept (the training itself went on).
        st.error(storage, icon=":material/storage:")
    share.read_share_link()
    with st.sidebar:
        data.dataset_chooser()
    jobs.record_finished_job()
    if show_job_status:
        jobs.show_status()
    # Inside the page itself, so a typed or kept address of a hidden page refuses too.
    class_controls.refuse_if_hidden(page or _calling_page())
