"""cnnviz: build, train and look inside convolutional neural networks in the browser.

This file only routes. Each page sets itself up (session defaults, the shared sidebar) with
cnnviz.ui.frame.page_setup(), because Streamlit may run a page without this file first.
"""

import streamlit as st

from cnnviz.ui import frame

frame.page_config()
page = st.navigation(
    [
        st.Page("pages/home.py", title="Start", icon=":material/home:", default=True),
        st.Page("pages/learn.py", title="Learn", icon=":material/school:"),
        st.Page("pages/my_data.py", title="My data", icon=":material/add_photo_alternate:"),
        st.Page("pages/build.py", title="Build", icon=":material/construction:"),
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/inspect.py", title="Inspect", icon=":material/visibility:"),
        st.Page("pages/evaluate.py", title="Evaluate", icon=":material/fact_check:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/teacher.py", title="Teacher", icon=":material/school:"),
    ]
)
page.run()
