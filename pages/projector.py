"""Projector page: the front of the room's view (large type, no sidebar, high-contrast figures):
the leaderboard, or one student's network chosen by the teacher. The teacher signs in.
"""

import streamlit as st

from cnnviz.ui import frame, presenting, projector_view, teacher_signin
from cnnviz.ui import state as keys

frame.page_setup()
presenting.apply_projector_view()

if not teacher_signin.sign_in():
    st.stop()
projector_view.show(keys.workspace_id())
