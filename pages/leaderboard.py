"""Leaderboard page: the class challenge, ranked by the server's own test accuracy (read-only)."""

import streamlit as st

from cnnviz.ui import frame, leaderboard_view

frame.page_setup()

st.title("Leaderboard")
leaderboard_view.show()
