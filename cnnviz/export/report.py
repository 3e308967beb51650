"""A self-contained HTML page about one image and one model, for slides and handouts.

The page holds the input (as given and as the network takes it), the network overview, every
layer's feature maps, what every registered explanation technique (Grad-CAM, Integrated
Gradients, ...) found, and the predictions, each as an interactive plotly figure.
plotly.js is embedded once, so the file opens offline in any browser.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnviz.explain import technique_registry
from cnnviz.explain.technique_registry import Explanation
from cnnviz.figures import images, layer_grids, overview, predictions, techniques


@dataclass
class ReportContent:
    """Everything the report shows, as plain arrays (see cnnviz.explain.inspection)."""

    title: str
    original: np.ndarray  # the picture as decoded, uint8 (h, w, 1 or 3)
    prepared: np.ndarray  # what the network takes, uint8 (h, w, 1 or 3)
    overview: list[dict]  # inspection.network_overview's entries
    class_names: list[str]
    probabilities: np.ndarray
    # One per registered technique the model allows (layer-looking ones need feature maps).
    explanations: list[Explanation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _figure_html(figure, first: bool) -> str:
    return figure.to_html(
        full_html=False, include_plotlyjs=bool(first), config={"displaylogo": False}
    )


def _section(heading: str, body: str, note: str = "") -> str:
    paragraph = f"<p>{html.escape(note)}</p>" if note else ""
    return f"<section><h2>{html.escape(heading)}</h2>{paragraph}{body}</section>"


def _report_figures(content: ReportContent, ranked: list[tuple[str, float]]) -> list:
    """The report's figures in order, each as (heading, figure, note); "" for none."""
    figures = [
        (
            "The input",
            images.plot_image(content.original, title="The picture as given"),
            "",
        ),
        (
            "",
            images.plot_image(content.prepared, title="What the network takes"),
            "",
        ),
        (
            "Prediction",
            predictions.plot_predictions(ranked[:5], title="The five most likely classes"),
            "",
        ),
        (
            "The path through the network",
            overview.plot_overview(content.prepared, content.overview, content.class_names),
            "Left to right: the input, up to 8 feature maps per layer (each scaled to its "
            "own range), the Dense layers' neurons and the output probabilities.",
        ),
    ]
    figures.extend(
        _explanation_figure(content, explanation) for explanation in content.explanations
    )
    for entry in content.overview:
        if entry["kind"] == "spatial":
            figures.append(
                (
                    f"Feature maps of {entry['name']}",
                    layer_grids.plot_feature_maps(entry["values"], title=entry["name"]),
                    "",
                )
            )
    return figures


def _explanation_figure(content: ReportContent, explanation: Explanation) -> tuple:
    """(heading, figure, note) of one explanation, named and described by its registry entry."""
    technique = technique_registry.technique_named(explanation.name)
    layer = f" on {explanation.layer_name}" if explanation.layer_name else ""
    class_name = content.class_names[explanation.class_index]
    empty = "" if explanation.heatmap.any() else " Here the map is all zeros."
    return (
        f"Where it looked ({technique.title})",
        techniques.plot_explanation(
            content.prepared,
            explanation,
            0.5,
            title=f"{technique.title}{layer} for '{class_name}'",
        ),
        technique.help + empty,
    )


def build_report(content: ReportContent) -> str:
    """The report as one HTML document.

    Raises:
        ValueError: when the class names do not match the probabilities.
    """
    if len(content.class_names) != len(content.probabilities):
        raise ValueError(
            f"{len(content.probabilities)} probabilities but {len(content.class_names)} class "
            f"names: pass the class names of the data set the model was trained on."
        )
    order = np.argsort(-np.asarray(content.probabilities), kind="stable")
    ranked = [(content.class_names[i], float(content.probabilities[i])) for i in order]
    figures = _report_figures(content, ranked)
    parts = []
    for index, (heading, figure, note) in enumerate(figures):
        body = _figure_html(figure, first=index == 0)
        parts.append(_section(heading, body, note) if heading else body)
    notes = "".join(f"<p class='note'>{html.escape(note)}</p>" for note in content.notes)
    title = html.escape(content.title)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:1200px;"
        "margin:auto;padding:1em}} section{{margin-top:2em}} .note{{color:#555}}</style>"
        f"</head><body><h1>{title}</h1>{notes}{''.join(parts)}</body></html>"
    )


def write_report(path: Path, content: ReportContent) -> Path:
    """Write build_report(content) to path (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(build_report(content), encoding="utf-8")
    return path
