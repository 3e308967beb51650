"""Larger type for the front of the room (issue 20): `?present=1` on any page for the teacher's
own demo, and the Projector page's view with no sidebar at all.

Only the app's own constant CSS goes through unsafe_allow_html here, never a user's text.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.figures import projector

PARAMETER = "present"
_PRESENTING = "cnnviz_presenting"  # remembered for this tab, across page switches

# Streamlit sizes its text in rem: a larger root font enlarges every page's type at once.
PRESENT_CSS = """
<style>
html { font-size: 22px; }
[data-testid="stMarkdownContainer"] p,
[data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
</style>
"""
PROJECTOR_CSS = """
<style>
html { font-size: 26px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], [data-testid="stHeader"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 1rem; max-width: 100%; }
[data-testid="stMarkdownContainer"] p { font-size: 1.2rem; color: #000000; }
h1, h2, h3 { color: #000000; }
</style>
"""


def is_presenting() -> bool:
    """Whether this tab asked for present mode (?present=1; ?present=0 ends it)."""
    value = st.query_params.get(PARAMETER)
    if value is not None:
        st.session_state[_PRESENTING] = value == "1"
    return bool(st.session_state.get(_PRESENTING))


def apply_present_mode() -> None:
    """Larger type and the sidebar collapsed, when this tab presents."""
    if is_presenting():
        st.set_page_config(initial_sidebar_state="collapsed")
        st.markdown(PRESENT_CSS, unsafe_allow_html=True)


def apply_projector_view() -> None:
    """Large type, no sidebar, no header: the Projector page's view."""
    st.set_page_config(initial_sidebar_state="collapsed")
    st.markdown(PROJECTOR_CSS, unsafe_allow_html=True)


def chart(figure, key: str | None = None) -> None:
    """A figure in the high-contrast template (Streamlit's own theme would override it)."""
    st.plotly_chart(projector.high_contrast(figure), theme=None, key=key)
