"""My data page: make a data set from your own pictures, then train on it like the others."""

import streamlit as st

from cnnviz.data import own_data
from cnnviz.ui import frame, own_data_input
from cnnviz.ui import own_data as own_widgets

frame.page_setup()

st.title("My data")
st.write(
    f"Teach a network your own classes: make {own_data.MIN_CLASSES} to "
    f"{own_data.MAX_CLASSES} classes, fill each with pictures (upload them, take photos, draw "
    f"them, or bring a zip of class folders), then train on them. Your pictures stay in this "
    f"browser session; download the data set to keep it."
)
own_widgets.show_messages()
own_widgets.format_settings()

st.subheader("Classes")
own_widgets.class_adder()
own_data_input.picture_adder()
with st.expander("Bring many pictures at once: a zip of class folders or a data set file"):
    own_data_input.file_importers()
own_widgets.class_cards()

st.subheader("Use it")
own_widgets.checks_and_use()
