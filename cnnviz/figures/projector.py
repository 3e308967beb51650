"""Figures for the front of the room (issue 20): a high-contrast plotly template with large type
that reads from the back, and the leaderboard as a bar chart.
"""

from __future__ import annotations

import copy

import plotly.graph_objects as go

# Black on white, thick lines, type about twice the usual: a projector washes out pale colours
# and thin strokes. The colour order is Okabe-Ito's (distinct for colour-blind readers too).
HIGH_CONTRAST_COLOURS = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
]
FONT_SIZE = 26

HIGH_CONTRAST = go.layout.Template(
    layout=go.Layout(
        font={"size": FONT_SIZE, "color": "#000000", "family": "Arial, Helvetica, sans-serif"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        colorway=HIGH_CONTRAST_COLOURS,
        xaxis={
            "linecolor": "#000000",
            "linewidth": 3,
            "gridcolor": "#bbbbbb",
            "tickfont": {"size": 22},
        },
        yaxis={
            "linecolor": "#000000",
            "linewidth": 3,
            "gridcolor": "#bbbbbb",
            "tickfont": {"size": 22},
        },
        hoverlabel={"font": {"size": 22}},
        legend={"font": {"size": 22}},
    ),
    data={"scatter": [go.Scatter(line={"width": 5}, marker={"size": 12})]},
)


def high_contrast(figure: go.Figure) -> go.Figure:
    """A copy of `figure` in the high-contrast template, its own text enlarged to match."""
    shown = copy.deepcopy(figure)
    shown.update_layout(template=HIGH_CONTRAST, font={"size": FONT_SIZE, "color": "#000000"})
    for annotation in shown.layout.annotations or ():
        annotation.font.size = max(annotation.font.size or 0, FONT_SIZE - 6)
    shown.update_traces(textfont={"size": FONT_SIZE - 4}, selector={"type": "scatter"})
    if shown.layout.title.text:
        shown.update_layout(title_font={"size": FONT_SIZE, "color": "#000000"})
    # Room for the larger type.
    shown.update_layout(
        height=max(shown.layout.height or 0, 520),
        margin_t=80,
        margin_l=max(shown.layout.margin.l or 0, 90),
    )
    return shown


def plot_leaderboard(rows: list[dict], top: int = 10) -> go.Figure:
    """The leaderboard's first `top` places as horizontal bars, best on top, read from afar.

    Args:
        rows: cnnviz.classroom.leaderboard.table_rows (Student, Test accuracy in %, Parameters).
    """
    shown = rows[:top]
    labels = [f"{row['Rank']}. {row['Student']}" for row in shown]
    figure = go.Figure(
        go.Bar(
            x=[row["Test accuracy"] for row in shown],
            y=labels,
            orientation="h",
            text=[
                f"{row['Test accuracy']:.2f} %  ·  {row['Parameters']:,} params" for row in shown
            ],
            textposition="inside",
            insidetextanchor="start",
            marker={"color": HIGH_CONTRAST_COLOURS[0]},
            textfont={"size": FONT_SIZE, "color": "#ffffff"},
        )
    )
    figure.update_layout(
        template=HIGH_CONTRAST,
        # Room on the left for the names, however long (automargin grows it further).
        yaxis={"autorange": "reversed", "tickfont": {"size": FONT_SIZE}, "automargin": True},
        xaxis={"title": "test accuracy (%)", "range": [0, 100]},
        height=max(300, 90 * len(shown) + 120),
        margin={"l": 240, "r": 20, "t": 20, "b": 60},
    )
    return figure
