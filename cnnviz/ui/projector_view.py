"""The Projector page's content (issue 20): the leaderboard, or one student's network chosen by
the teacher, its name hidden unless the teacher shows it. Large type, high-contrast figures.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom import names
from cnnviz.data.datasets import DATASETS
from cnnviz.figures import architecture, training_curves
from cnnviz.model import diagram
from cnnviz.ui import class_view, leaderboard_view, presenting

LEADERBOARD = "The leaderboard"
NETWORK = "A student's network"
_SHOW = "projector_show"
_STUDENT = "projector_student"
_NAMED = "projector_named"


def _dataset_info(row):
    name = (row.latest_run.record.get("dataset") if row.latest_run else None) or ""
    if name in DATASETS:
        return DATASETS[name]
    return next((info for info in DATASETS.values() if info.title == row.dataset), None)


def _network(row, named: bool) -> None:
    who = names.display_name(row.name, row.number) if named else "A student"
    st.title(f"{names.markdown_text(who)}'s network", anchor=False)
    info = _dataset_info(row)
    if info is None:
        st.markdown(names.markdown_text(row.layers))
    else:
        network = diagram.build_diagram(row.spec, info.input_shape, info.num_classes)
        presenting.chart(architecture.plot_architecture(network), key="projector_diagram")
    run = row.latest_run
    if run is not None and (run.record.get("history") or {}).get("epoch"):
        accuracy = run.test_accuracy
        if accuracy is not None:
            st.markdown(f"## Test accuracy {accuracy:.2%}")
        presenting.chart(
            training_curves.plot_history(run.record.get("history") or {}), key="projector_curves"
        )


def show(own_id: str) -> None:
    """The chosen view, then (at the bottom, out of the way) what to show."""
    rows = class_view.class_rows(own_id)
    by_id = {row.workspace_id: row for row in rows}
    showing = st.session_state.get(_SHOW, LEADERBOARD)
    chosen = by_id.get(st.session_state.get(_STUDENT))
    if showing == NETWORK and chosen is not None:
        _network(chosen, bool(st.session_state.get(_NAMED)))
    elif showing == NETWORK:
        st.title("Choose a student's network below", anchor=False)
    else:
        leaderboard_view.show_projected()
    # Open while a student is still to be chosen; otherwise out of the way of the view.
    with st.expander("What to show", expanded=showing == NETWORK and chosen is None):
        st.radio("Show", [LEADERBOARD, NETWORK], key=_SHOW, horizontal=True)
        ids = [row.workspace_id for row in rows]
        st.selectbox(
            "Student",
            ids,
            index=None,
            key=_STUDENT,
            format_func=lambda workspace_id: names.display_name(
                by_id[workspace_id].name, by_id[workspace_id].number
            ),
            placeholder="Choose a student",
        )
        st.checkbox("Show the student's name", key=_NAMED)
