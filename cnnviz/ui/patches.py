"""Start-up fixes to Streamlit's behaviour that cnnviz depends on.

Each returns whether the Streamlit internal it relies on was found, and tests/ui/test_app.py checks
that they still are, so a Streamlit upgrade that moves them fails loudly instead of silently.
"""

from __future__ import annotations

from streamlit.runtime import pages_manager
from streamlit.runtime.scriptrunner import script_runner


def disable_keras_session_clearing() -> bool:
    """Stop Streamlit from calling keras.backend.clear_session() after every script run.

    Streamlit does it to free memory between reruns, but it costs about 175 ms per rerun and,
    worse, it resets Keras's global state under a training that runs in a background thread,
    slowing it about 40 times. cnnviz keeps each user's model in session state instead.
    """
    if not hasattr(script_runner, "_clean_problem_modules"):
        return False
    script_runner._clean_problem_modules = _keep_keras_session
    return True


def _keep_keras_session() -> None:
    """Replacement hook: leave Keras (and everything else) as it is."""


def leave_pages_directory_mode() -> bool:
    """Tell Streamlit that this app routes with st.navigation, not by its pages/ folder.

    Streamlit decides this only when app.py first calls st.navigation. Until then (the first
    script run of a fresh server, and every AppTest run) it treats pages/ as a legacy multipage
    folder and runs a requested page's file without app.py, with a navigation menu of raw file
    names. Pages call this first (through cnnviz.ui.frame.page_setup).

    Returns:
        True when this script run was in that legacy mode, so the caller should rerun to get
        app.py's navigation.
    """
    manager = pages_manager.PagesManager
    was_legacy = bool(manager.uses_pages_directory)
    manager.uses_pages_directory = False
    return was_legacy
