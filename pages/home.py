"""Start page: what cnnviz is and the three steps to take."""

import streamlit as st

from cnnviz.ui import data, frame

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

steps = st.columns(3)
with steps[0], st.container(border=True, height=260):
    st.subheader("1. Build")
    st.write(
        "Start from a preset network or stack your own layers. Every change shows the shape "
        "of each layer's output and how many parameters it learns."
    )
    st.page_link("pages/build.py", label="Build a network", icon=":material/construction:")
with steps[1], st.container(border=True, height=260):
    st.subheader("2. Train")
    st.write(
        f"Train it on {dataset.info.title} and watch the loss fall and the accuracy rise. "
        "Stop, continue, and compare runs."
    )
    st.page_link("pages/train.py", label="Train it", icon=":material/model_training:")
with steps[2], st.container(border=True, height=260):
    st.subheader("3. Inspect")
    st.write(
        "See the filters it learned and the feature maps a test image or your own picture "
        "makes in every layer, and what the network thinks it is."
    )
    st.page_link("pages/inspect.py", label="Look inside", icon=":material/visibility:")

st.caption(f"Data: {dataset.info.credit}")
