"""What every page does first: page settings, session defaults and the shared sidebar."""

from __future__ import annotations

import streamlit as st

from cnnviz.ui import data, jobs, patches, share, state


def page_setup(show_job_status: bool = True) -> None:
    """Prepare the session and draw the sidebar; call at the top of every page.

    Args:
        show_job_status: draw the compact job status in the sidebar (the Train page shows the
            full status itself, and two copies refreshing side by side would disagree).

    The pages do this themselves rather than leaving it to app.py, because Streamlit can run a
    page's file without app.py (see patches.leave_pages_directory_mode).
    """
    patches.disable_keras_session_clearing()
    # A legacy-mode run can only be a session's first (see the patch); rerunning it at once
    # gives the student app.py's navigation. Later runs must not rerun: that would drop a click.
    if patches.leave_pages_directory_mode() and not state.is_initialised():
        st.rerun()
    st.set_page_config(page_title="cnnviz", page_icon=":material/neurology:", layout="wide")
    state.init_session_state()
    share.read_share_link()
    with st.sidebar:
        data.dataset_chooser()
    jobs.record_finished_job()
    if show_job_status:
        jobs.show_status()
