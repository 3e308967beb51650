"""Start page: what cnnviz is and the three steps to take."""

import streamlit as st

from cnnviz import app_files
from cnnviz.ui import data, frame, saving, state, student_name, workspace_panel

frame.page_setup()

st.title("cnnviz")
st.markdown(
    "Learn how **convolutional neural networks** see images by building one yourself: "
    "stack layers, train them on real pictures and look inside at what each layer has learned."
)
st.page_link(
    app_files.page_script("learn"),
    label="New to CNNs? Start with the lessons: what a convolution, a pooling layer and a loss do",
    icon=":material/school:",
    query_params={state.QUERY_PARAMETER: state.workspace_id()},
)

student_name.name_field()

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

st.info(
    "**This page's address is your workspace: bookmark it.** Your layers, settings, runs, "
    "models and pictures are saved on the server as you work, and kept for "
    f"{saving.kept_for()} after your last visit, also when the server restarts: open the "
    "address again (next week too) and they are still here. The address is the only key to "
    "your work, and it is private: whoever has it can see and change your work. To share a "
    "network, hand out the Build page's share link or a downloaded spec instead: they hold "
    "only the layers.",
    icon=":material/bookmark:",
)
workspace_panel.show()

st.caption(f"Data: {dataset.info.credit}")
