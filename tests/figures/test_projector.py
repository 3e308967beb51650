"""The projector's figures: high contrast, large type, the leaderboard's bars best first."""

from __future__ import annotations

import plotly.graph_objects as go

from cnnviz.figures import projector


def test_high_contrast_enlarges_type_without_changing_the_original():
    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], mode="lines+text", text=["a", "b"]))
    figure.update_layout(title={"text": "Loss", "font": {"size": 14}}, height=300)
    shown = projector.high_contrast(figure)
    assert shown.layout.font.size == projector.FONT_SIZE
    assert shown.layout.title.font.size == projector.FONT_SIZE
    assert shown.layout.height == 520 and shown.data[0].textfont.size == projector.FONT_SIZE - 4
    assert shown.layout.template.layout.paper_bgcolor == "#ffffff"
    assert figure.layout.title.font.size == 14 and figure.layout.height == 300


def test_the_leaderboard_bars_hold_places_names_accuracies_and_parameters():
    rows = [
        {"Rank": 1, "Student": "Ada", "Test accuracy": 95.5, "Parameters": 13_610},
        {"Rank": 2, "Student": "Student 4", "Test accuracy": 91.0, "Parameters": 9_000},
    ]
    (bars,) = projector.plot_leaderboard(rows).data
    assert list(bars.y) == ["1. Ada", "2. Student 4"]
    assert list(bars.x) == [95.5, 91.0]
    assert bars.text[1] == "91.00 %  ·  9,000 params"
    assert len(projector.plot_leaderboard(rows * 10, top=10).data[0].y) == 10
