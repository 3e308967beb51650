"""Figures of the explaining techniques: a heatmap (Grad-CAM, saliency) or signed attributions
(Integrated Gradients) over its picture, filter pictures, and the share of zero outputs per layer.

The techniques themselves (cnnviz.explain.techniques, cnnviz.explain.inspection) return
arrays; these functions only draw them.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.explain.technique_registry import Explanation
from cnnviz.figures import colours, images


def plot_overlay(
    image: np.ndarray, heatmap: np.ndarray, opacity: float = 0.5, title: str | None = None
) -> go.Figure:
    """A heatmap (0..1, e.g. Grad-CAM) laid over the image it explains.

    Raises:
        ValueError: when the heatmap's size differs from the image's or opacity is not 0..1.
    """
    picture = images.as_rgb(image)
    heatmap = np.asarray(heatmap, dtype=np.float32)
    if heatmap.shape != picture.shape[:2]:
        raise ValueError(
            f"The heatmap must have the image's size {picture.shape[:2]}. "
            f"Received: shape={heatmap.shape}"
        )
    if not isinstance(opacity, (int, float)) or not 0 <= opacity <= 1:
        raise ValueError(f"opacity must lie between 0 and 1. Received: opacity={opacity!r}")
    figure = go.Figure(
        [
            go.Image(z=picture, hoverinfo="skip"),
            go.Heatmap(
                z=heatmap,
                colorscale=colours.HEATMAP_COLOURS,
                zmin=0,
                zmax=1,
                opacity=opacity,
                colorbar={"tickvals": [0, 1], "ticktext": ["low", "high"]},
                hovertemplate="row %{y}, column %{x}<br>%{z:.2f}<extra></extra>",
            ),
        ]
    )
    images.image_layout(figure, title or "Where the network looked")
    figure.update_layout(height=340)
    return figure


def plot_signed_overlay(
    image: np.ndarray, attributions: np.ndarray, opacity: float = 0.8, title: str | None = None
) -> go.Figure:
    """Signed attributions (height, width) over the image on a diverging scale centred on 0.

    The scale runs from minus to plus the largest size, so equal sizes get equal strength.

    Raises:
        ValueError: when the map's size differs from the image's or opacity is not 0..1.
    """
    attributions = np.asarray(attributions, dtype=np.float32)
    figure = plot_overlay(image, np.zeros_like(attributions), opacity, title)
    largest = float(np.abs(attributions).max()) or 1.0
    figure.data[1].update(
        z=attributions,
        colorscale=colours.SIGNED_COLOURS,
        zmin=-largest,
        zmax=largest,
        colorbar={"tickvals": [-largest, 0, largest], "ticktext": ["against", "0", "for"]},
        hovertemplate="row %{y}, column %{x}<br>%{z:.4f}<extra></extra>",
    )
    return figure


def plot_explanation(
    image: np.ndarray, explanation: Explanation, opacity: float = 0.5, title: str | None = None
) -> go.Figure:
    """An explanation's heatmap over the image: signed ones on the diverging scale."""
    draw = plot_signed_overlay if explanation.signed else plot_overlay
    return draw(image, explanation.heatmap, opacity, title)


def plot_filter_pictures(pictures: np.ndarray, filters) -> go.Figure:
    """Filter pictures side by side, each stretched to its own full contrast."""
    pictures = np.asarray(pictures, dtype=np.float32)
    if pictures.ndim != 4 or pictures.shape[3] not in (1, 3) or len(pictures) != len(filters):
        raise ValueError(
            f"pictures must be (count, height, width, 1 or 3), one per filter. "
            f"Received: shape={pictures.shape} for {len(filters)} filters"
        )
    stretched = (images.scale_each(pictures) * 255).astype(np.uint8)
    tiles = np.repeat(stretched, 3, axis=3) if pictures.shape[3] == 1 else stretched
    mosaic, numbers = images.mosaic(tiles, fill=255)
    labels = np.array(["", *[str(index) for index in filters]], dtype=object)[numbers]
    figure = go.Figure(
        go.Image(z=mosaic, customdata=labels, hovertemplate="filter %{customdata}<extra></extra>")
    )
    images.image_layout(figure, f"What excites filters {', '.join(map(str, filters))}")
    return figure


def plot_activation_statistics(
    statistics: list[dict], labels: list[str] | None = None
) -> go.Figure:
    """Share of zeros and dead channels per layer, as bars."""
    labels = labels or [row["name"] for row in statistics]
    zero_share = [100 * row["zero_share"] for row in statistics]
    dead = [len(row["dead_channels"]) for row in statistics]
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=zero_share,
            marker={"color": colours.BAR_COLOUR},
            text=[
                f"{d} dead of {row['channels']}" if d else ""
                for d, row in zip(dead, statistics, strict=True)
            ],
            textposition="outside",
            hovertemplate="%{x}<br>zeros: %{y:.1f} %<extra></extra>",
        )
    )
    figure.update_layout(
        title="Share of zero outputs per layer (dead channels marked)",
        yaxis={"title": "zeros (%)", "range": [0, 110]},
        height=320,
        margin={"l": 10, "r": 10, "t": 50, "b": 30},
    )
    return figure
