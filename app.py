"""cnnviz: build, train and look inside convolutional neural networks in the browser.

This file only routes. Each page sets itself up (session defaults, the shared sidebar) with
cnnviz.ui.frame.page_setup(), because Streamlit may run a page without this file first.
"""

import streamlit as st

from cnnviz.ui import class_controls, frame

frame.page_config()
# Built on every run: a page the teacher hid is left out of the sidebar (issue 20).
page = st.navigation(
    [
        class_controls.navigation_page(script, title, icon, default=script == "pages/home.py")
        for script, title, icon in [
            ("pages/home.py", "Start", ":material/home:"),
            ("pages/learn.py", "Learn", ":material/school:"),
            ("pages/my_data.py", "My data", ":material/add_photo_alternate:"),
            ("pages/build.py", "Build", ":material/construction:"),
            ("pages/train.py", "Train", ":material/model_training:"),
            ("pages/inspect.py", "Inspect", ":material/visibility:"),
            ("pages/evaluate.py", "Evaluate", ":material/fact_check:"),
            ("pages/compare.py", "Compare", ":material/compare_arrows:"),
            ("pages/leaderboard.py", "Leaderboard", ":material/leaderboard:"),
            ("pages/teacher.py", "Teacher", ":material/school:"),
            ("pages/projector.py", "Projector", ":material/co_present:"),
        ]
    ]
)
page.run()
