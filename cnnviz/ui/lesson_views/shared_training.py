"""The gate before a lesson's shared training (lessons 7 and 9): a setting nobody has trained
on this server waits for a click, so merely opening a lesson never starts a training."""

from __future__ import annotations

import streamlit as st

NOTICE = (
    "Nobody has trained this setting on this server yet: the first training takes a few "
    "seconds, then everyone shares it."
)


def ready_or_asked(is_ready: bool, label: str, key: str) -> bool:
    """True when the setting is trained already, or the student just clicked to train it.

    The notice and the button sit in one placeholder, emptied on the click, so they do not
    stay on screen beside the figure the training then draws.
    """
    if is_ready:
        return True
    gate = st.empty()
    with gate.container():
        st.caption(NOTICE)
        clicked = st.button(label, key=key)
    if clicked:
        gate.empty()
    return clicked
