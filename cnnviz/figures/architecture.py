"""The architecture diagram as a plotly figure (from cnnviz.model.diagram's plain facts).

Each layer is a box along the x axis: its height follows the image side, its width the number
of channels, so pooling visibly shrinks the picture and convolutions thicken it. Flat vectors
are thin bars. A ResidualBlock's box shows its inside as slices, with the shortcut as an arc
above it. Hovering a box gives its type, output shape, parameters and multiply-adds.
"""

from __future__ import annotations

import plotly.graph_objects as go

from cnnviz import quantities
from cnnviz.model import diagram as diagram_module
from cnnviz.model import layer_types
from cnnviz.model.layer_types import LayerFamily, format_shape

GAP = 0.35  # space between boxes
# Colours by family of layer, so a student sees where the image is transformed and where
# reduced. Every family has one (a test checks), so a new layer type is coloured by its record.
INPUT_COLOUR = "#7f7f7f"
FAMILY_COLOURS = {
    LayerFamily.CONVOLUTION: "#1f77b4",
    LayerFamily.BLOCK: "#9467bd",
    LayerFamily.POOLING: "#ff7f0e",
    LayerFamily.DENSE: "#2ca02c",
    LayerFamily.NORMALIZATION: "#8c564b",
    LayerFamily.AUGMENTATION: "#e377c2",
    LayerFamily.RESHAPE: "#bcbd22",
    LayerFamily.REGULARIZATION: "#bcbd22",
    LayerFamily.ACTIVATION: "#bcbd22",
}
PART_COLOURS = {"conv": "#1f77b4", "batch norm": "#8c564b", "relu": "#bcbd22"}
SHORTCUT_COLOUR = "#d62728"


def block_colour(layer_type: str) -> str:
    """The fill colour of a layer type's box (or of the input, "Input"), by its family."""
    if layer_type == "Input":
        return INPUT_COLOUR
    return FAMILY_COLOURS[layer_types.CATALOGUE[layer_type].family]


def _hover(block: diagram_module.Block) -> str:
    lines = [
        f"<b>{block.position}. {block.label}</b>" if block.position else "<b>Input</b>",
        f"output {format_shape(block.output_shape)}",
        f"parameters {block.params:,}",
        f"multiply-adds {block.multiply_adds:,}",
    ]
    for part in block.parts:
        lines.append(
            f"&nbsp;&nbsp;{part.name}: {format_shape(part.output_shape)}, "
            f"{part.params:,} params, {part.multiply_adds:,} mult-adds"
        )
    return "<br>".join(lines)


def _box(x0: float, width: float, height: float, colour: str, name: str, hover: str, **extra):
    return go.Scatter(
        x=[x0, x0 + width, x0 + width, x0, x0],
        y=[-height / 2, -height / 2, height / 2, height / 2, -height / 2],
        fill="toself",
        fillcolor=colour,
        line={"color": "#333333", "width": 1},
        mode="lines",
        name=name,
        hoveron="fills",
        text=hover,
        hoverinfo="text",
        showlegend=False,
        **extra,
    )


def _part_colour(name: str) -> str:
    for key, colour in PART_COLOURS.items():
        if key in name:
            return colour
    return SHORTCUT_COLOUR


def _inside(block: diagram_module.Block, x: float, hover: str) -> list[go.Scatter]:
    """A ResidualBlock's parts as slices of its box, and the shortcut as an arc above it."""
    slice_width = block.width / len(block.parts)
    traces = [
        _box(
            x + index * slice_width,
            slice_width,
            block.height * 0.8,
            _part_colour(part.name),
            f"{block.position} {part.name}",
            hover,
            opacity=0.8,
        )
        for index, part in enumerate(block.parts)
    ]
    # The shortcut: from the block's input side, over the top, to the add.
    top = block.height / 2
    traces.append(
        go.Scatter(
            x=[x, x, x + block.width, x + block.width],
            y=[top, top + 0.12, top + 0.12, top],
            mode="lines",
            line={"color": SHORTCUT_COLOUR, "width": 2},
            name=f"{block.position} shortcut",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    return traces


def _labels(centres: list[float], texts: list[str]) -> go.Scatter:
    """The type and output shape under each box, on two alternating rows so they do not touch."""
    return go.Scatter(
        x=centres,
        y=[-0.62 - 0.18 * (index % 2) for index in range(len(centres))],
        text=texts,
        mode="text",
        textfont={"size": 10},
        name="labels",
        hoverinfo="skip",
        showlegend=False,
    )


def _totals(diagram: diagram_module.Diagram) -> str:
    return (
        f"{quantities.format_count(diagram.total_params)} parameters, "
        f"{quantities.format_count(diagram.total_multiply_adds)} multiply-adds per image"
    )


def plot_architecture(diagram: diagram_module.Diagram) -> go.Figure:
    """The diagram's blocks as boxes, left to right, with the totals in the title.

    Returns:
        A figure with one filled trace per block (named by position and type, hover text with
        its figures), one trace per inner part of a ResidualBlock, and a shortcut arc per block.
    """
    figure = go.Figure()
    x = 0.0
    label_x, label_text = [], []
    for block in diagram.blocks:
        hover = _hover(block)
        name = f"{block.position} {block.type}"
        figure.add_trace(_box(x, block.width, block.height, block_colour(block.type), name, hover))
        if block.parts:
            figure.add_traces(_inside(block, x, hover))
        label_x.append(x + block.width / 2)
        short = block.type if block.position else "Input"
        label_text.append(f"{short}<br>{format_shape(block.output_shape)}")
        x += block.width + GAP
    figure.add_trace(_labels(label_x, label_text))
    figure.update_layout(
        title={"text": _totals(diagram), "font": {"size": 14}},
        xaxis={"visible": False},
        yaxis={"visible": False, "range": [-1.0, 0.8]},
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
    )
    return figure
