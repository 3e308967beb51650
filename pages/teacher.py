"""Teacher page: sign in, see the whole class live, look at one student's work, hand out a
network. Signing in belongs to this browser session, never to the workspace address.
"""

import streamlit as st

from cnnviz.ui import class_panels, class_view, frame, handout_panel, student_view, teacher_signin
from cnnviz.ui import state as keys

frame.page_setup()

st.title("Teacher")
if not teacher_signin.sign_in():
    st.stop()

own_id = keys.workspace_id()
if st.button("Sign out", icon=":material/logout:"):
    teacher_signin.sign_out()
    st.rerun()

st.subheader("The class", anchor=False)
chosen = class_view.show(own_id)
if chosen is not None:
    with st.container(border=True):
        student_view.show(chosen)

handout_panel.sender()

st.subheader("Class challenge", anchor=False)
class_panels.challenge_form()
st.page_link("pages/leaderboard.py", label="Open the leaderboard", icon=":material/leaderboard:")
st.page_link("pages/projector.py", label="Projector mode", icon=":material/co_present:")

st.subheader("Classroom controls", anchor=False)
class_panels.controls_form()
