"""Start page: what cnnviz is and the three steps to take."""

import streamlit as st

from cnnviz.ui import data, frame, state

frame.page_setup()

st.title("cnnviz")
st.markdown(
    "Learn how **convolutional neural networks** see images by building one yourself: "
    "stack layers, train them on real pictures and look inside at what each layer has learned."
)

dataset = data.current_dataset()
notice = dataset.sample_notice()
if notice:
    st.info(notice, icon=":material/info:")

steps = [
    (
        "1. Build",
        "Start from a preset network or stack your own layers. Every change shows the shape of "
        "each layer's output and how many parameters it learns.",
        "pages/build.py",
        "Build a network",
        ":material/construction:",
    ),
    (
        "2. Train",
        f"Train it on {dataset.info.title} and watch the loss fall and the accuracy rise. Stop, "
        "continue, and compare runs.",
        "pages/train.py",
        "Train it",
        ":material/model_training:",
    ),
    (
        "3. Inspect",
        "See the filters it learned and the feature maps a test image or your own picture makes "
        "in every layer, and what the network thinks it is.",
        "pages/inspect.py",
        "Look inside",
        ":material/visibility:",
    ),
]
# The link carries the workspace id, so the page it opens shows this workspace's work.
link_parameters = {state.QUERY_PARAMETER: state.workspace_id()}
for column, (heading, text, page, label, icon) in zip(st.columns(3), steps, strict=True):
    # One height for all three cards, so they line up however long their text.
    with column, st.container(border=True, height=260):
        st.subheader(heading)
        st.write(text)
        st.page_link(page, label=label, icon=icon, query_params=link_parameters)

hours = state.registry().max_age_hours
st.info(
    "**This page's address is your workspace.** Your layers, trainings and runs stay on the "
    f"server while you work and for up to {hours:g} hours after your last visit (sooner if "
    "the server fills up; never while a training runs): reload the page or open the address "
    "again later and they are still here, a running training included. "
    "The address is private: whoever has it can see and change your work. To share a network, "
    "hand out the Build page's share link or a downloaded spec instead: they hold only the "
    "layers.",
    icon=":material/lock:",
)

st.caption(f"Data: {dataset.info.credit}")
