"""The challenge's leaderboard in the app (issue 20): one store query per refresh, the ranked
table, the runs not counted with why, and the projector's bar chart.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.classroom import leaderboard
from cnnviz.classroom import settings as class_settings
from cnnviz.classroom.challenge import Challenge
from cnnviz.figures import projector
from cnnviz.store import class_settings as settings_store
from cnnviz.ui import class_controls, saving

REFRESH_SECONDS = class_settings.LEADERBOARD_SECONDS
NO_CHALLENGE = (
    "No challenge is set yet. A teacher sets one on the **Teacher** page (sign in, then "
    "*Class challenge*): a data set, limits such as the number of parameters, and a deadline. "
    "Your runs that meet them then appear here, ranked by the test accuracy the server measured."
)


def board(challenge: Challenge) -> leaderboard.Leaderboard:
    """The leaderboard now: the runs since the challenge began, in one SELECT."""
    runs = settings_store.challenge_runs(saving.store().engine, challenge.started_at)
    return leaderboard.rank(challenge, runs)


def _table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def show_tables(result: leaderboard.Leaderboard) -> None:
    """The ranked table and the runs not counted (names shown as text, never addresses)."""
    rows = leaderboard.table_rows(result)
    if rows:
        st.dataframe(
            _table(rows),
            hide_index=True,
            width="stretch",
            key="leaderboard_table",
            column_config={
                "Test accuracy": st.column_config.NumberColumn(format="%.2f %%"),
                "Parameters": st.column_config.NumberColumn(format="localized"),
            },
        )
    else:
        st.info("No run counts yet: train a network that meets the limits above.")
    others = leaderboard.not_counted_rows(result)
    if others:
        st.markdown("**Not counted**")
        st.dataframe(
            _table(others),
            hide_index=True,
            width="stretch",
            key="leaderboard_not_counted",
            column_config={"Test accuracy": st.column_config.NumberColumn(format="%.2f %%")},
        )


def _draw() -> None:
    challenge = class_controls.challenge()
    if challenge is None:
        st.info(NO_CHALLENGE, icon=":material/emoji_events:")
        return
    st.subheader(challenge.title, anchor=False)
    st.caption(
        f"Rules: {challenge.limits_text()}. Scored on the test images by the server; ties go "
        "to fewer parameters, then to the earlier finish."
    )
    show_tables(board(challenge))


def show() -> None:
    """The read-only leaderboard, refreshed every REFRESH_SECONDS."""
    st.fragment(run_every=REFRESH_SECONDS)(_draw)()


def show_projected() -> None:
    """The leaderboard for the front of the room: title, rules and the top places as bars."""
    challenge = class_controls.challenge()
    if challenge is None:
        st.info(NO_CHALLENGE, icon=":material/emoji_events:")
        return
    st.title(challenge.title, anchor=False)
    st.markdown(challenge.limits_text())
    rows = leaderboard.table_rows(board(challenge))
    if not rows:
        st.markdown("No run counts yet.")
        return
    st.plotly_chart(projector.plot_leaderboard(rows), theme=None, key="projector_leaderboard")
