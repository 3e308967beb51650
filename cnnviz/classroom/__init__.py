"""The teacher's room (issue 19): sign-in rules, the class at a glance, hand-outs.

No Streamlit here: cnnviz.ui draws what these modules decide.
"""
