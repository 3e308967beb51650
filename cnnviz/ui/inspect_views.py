"""The Inspect page's views of one model and one image: the path through the network with the
arithmetic of one value, where the network looked, the filters and the activation statistics.

Each show_* function draws one view; the page picks which. The library computes (inspection,
arithmetic, explanation), cnnviz.figures draws, and these functions only hold widgets.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz.explain import arithmetic, inspection, statistics, technique_registry, techniques
from cnnviz.figures import layer_grids, overview, value_arithmetic
from cnnviz.figures import techniques as technique_figures
from cnnviz.model import layer_names
from cnnviz.model import spec as spec_module
from cnnviz.model.layer_types import LayerFamily

VIEWS = {
    "overview": "Path through the network",
    "looked": "Where it looked",
    "filters": "Filters",
    "statistics": "Activation statistics",
}
STATISTICS_IMAGES = 256


def layer_label(spec: dict, name: str) -> str:
    """'3 · Conv2D 64 filters 3x3, relu' for a model layer built from the spec."""
    try:
        position = layer_names.spec_position(name)
        return f"{position} · {spec_module.describe_layer(spec['layers'][position - 1])}"
    except (ValueError, IndexError, KeyError):
        return name


# The families whose one value Inspect can explain (see cnnviz.explain.arithmetic).
DETAILED_FAMILIES = (LayerFamily.CONVOLUTION, LayerFamily.POOLING, LayerFamily.DENSE)


def _has_detail(layer) -> bool:
    return inspection.layer_family(layer) in DETAILED_FAMILIES


def show_overview(model, spec: dict, image: np.ndarray, class_names) -> None:
    """The whole network for one image, then the arithmetic of one chosen value."""
    entries = inspection.network_overview(model, image)
    labels = [layer_label(spec, entry["name"]) for entry in entries]
    every = st.toggle("Show every channel", key="overview_all", help="By default 8 per layer.")
    st.plotly_chart(
        overview.plot_overview(
            image,
            entries,
            class_names,
            labels=[_wrapped(label) for label in labels],
            max_channels=None if every else overview.OVERVIEW_CHANNELS,
        ),
        width="stretch",
    )
    st.caption(
        "Left to right: the input, each layer's feature maps (every tile scaled to its own "
        "range: bright = strong response), the Dense layers' neurons as bars, and the output."
    )
    detailed = [
        (entry, label)
        for entry, label in zip(entries, labels, strict=True)
        if _has_detail(model.get_layer(entry["name"]))
    ]
    if detailed:
        _show_detail(model, image, detailed, class_names)


def _wrapped(label: str, width: int = 12) -> str:
    """A column title broken into short lines, so neighbouring titles do not overlap."""
    lines, line = [], ""
    for word in label.replace(" · ", " ").replace(",", "").split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def _show_detail(model, image, detailed, class_names) -> None:
    """Pick a layer and one of its values, then show the arithmetic that gave that value."""
    st.subheader("Check the arithmetic")
    columns = st.columns(2)
    chosen = columns[0].selectbox(
        "Layer",
        list(range(len(detailed))),
        format_func=lambda index: detailed[index][1],
        key="detail_layer",
    )
    entry = detailed[chosen][0]
    layer = model.get_layer(entry["name"])
    is_output = layer is model.layers[-1]
    channel = _choose_unit(columns[1], entry, class_names if is_output else None)
    family = inspection.layer_family(layer)
    if family == LayerFamily.DENSE:
        _show_dense_detail(model, image, entry["name"], channel)
        return
    row, column = _choose_position(entry, channel)
    if family == LayerFamily.CONVOLUTION:
        _show_conv_detail(model, image, entry["name"], (row, column, channel))
    else:
        _show_pool_detail(model, image, entry["name"], (row, column, channel))


def _choose_unit(column, entry: dict, class_names) -> int:
    """The neuron (flat layers) or channel to explain, named by its class when class_names
    is given (the output layer)."""
    values = entry["values"]
    return column.selectbox(
        "Neuron" if values.ndim == 1 else "Channel",
        list(range(values.shape[-1])),
        format_func=(
            (lambda index: f"{index} · {class_names[index]}") if class_names is not None else str
        ),
        key=f"detail_channel_{entry['name']}",
    )


def _choose_position(entry: dict, channel: int) -> tuple[int, int]:
    """The row and column of the value to explain, from sliders (global pooling has one)."""
    values = entry["values"]
    if values.ndim == 1:  # global pooling: one value per channel
        return 0, 0
    # Start at the strongest response of the channel: the most interesting value.
    strongest = np.unravel_index(np.argmax(values[..., channel]), values.shape[:2])
    # Keyed by layer and channel, so choosing another starts at its strongest response.
    where = f"{entry['name']}_{channel}"
    row = st.slider("Row", 0, values.shape[0] - 1, int(strongest[0]), key=f"row_{where}")
    column = st.slider("Column", 0, values.shape[1] - 1, int(strongest[1]), key=f"column_{where}")
    return row, column


def _show_dense_detail(model, image, layer_name: str, neuron: int) -> None:
    detail = arithmetic.dense_detail(model, layer_name, image, neuron)
    st.plotly_chart(value_arithmetic.plot_dense_contributions(detail), width="stretch")
    st.markdown(
        f"All {len(detail['inputs'])} inputs times their weights add up to "
        f"**{detail['pre_activation'] - detail['bias']:.4f}**; plus the bias "
        f"{detail['bias']:.4f} gives **{detail['pre_activation']:.4f}**; "
        f"{_activation_text(detail)} **{detail['value']:.4f}**. "
        f"The layer's own output: **{detail['layer_value']:.4f}**."
    )


def _show_conv_detail(model, image, layer_name: str, where: tuple[int, int, int]) -> None:
    row, column, channel = where
    detail = arithmetic.conv_detail(model, layer_name, image, row, column, channel)
    inputs = len(detail["channel_sums"])
    every = inputs <= 4 or st.toggle(f"Show all {inputs} input channels", key="detail_all_inputs")
    shown = inputs if every else 4
    st.plotly_chart(value_arithmetic.plot_conv_detail(detail, max_channels=shown), width="stretch")
    st.markdown(
        f"Output ({row}, {column}) of channel {channel}: for each of the {inputs} input "
        f"channels, the patch under the filter times the filter's weights, summed "
        f"({'the strongest ' + str(shown) + ' shown' if shown < inputs else 'all shown'}), "
        f"add up to **{detail['weighted_sum']:.4f}**; plus the bias {detail['bias']:.4f} "
        f"gives **{detail['pre_activation']:.4f}**; {_activation_text(detail)} "
        f"**{detail['value']:.4f}**. The layer's own output: "
        f"**{detail['layer_value']:.4f}**."
    )


def _show_pool_detail(model, image, layer_name: str, where: tuple[int, int, int]) -> None:
    detail = arithmetic.pool_detail(model, layer_name, image, *where)
    st.plotly_chart(value_arithmetic.plot_pool_window(detail), width="stretch")
    st.markdown(
        f"The {detail['kind']} of the window is **{detail['value']:.4f}**; the layer's own "
        f"output: **{detail['layer_value']:.4f}**."
    )


def _activation_text(detail: dict) -> str:
    name = detail["activation"]
    if name == "linear":
        return "with no activation function that is the output:"
    if name == "softmax":
        return "softmax over all the neurons' sums makes this neuron's probability"
    return f"{name} of that is"


def show_where_it_looked(model, image: np.ndarray, class_names, predicted: int) -> None:
    """Any registered technique (Grad-CAM, saliency, ...) for a chosen class, over the input."""
    columns = st.columns(4)
    registered = technique_registry.TECHNIQUES
    name = columns[0].selectbox(
        "Method",
        list(registered),
        format_func=lambda key: registered[key].title,
        key="look_method",
    )
    technique = registered[name]
    class_index = columns[1].selectbox(
        "Class",
        list(range(len(class_names))),
        index=predicted,
        format_func=lambda index: (
            f"{class_names[index]}" + (" (predicted)" if index == predicted else "")
        ),
        key="look_class",
    )
    opacity = columns[3].slider("Opacity", 0.0, 1.0, 0.5, 0.05, key="look_opacity")
    layer_name = None
    if technique.needs_layer:
        spatial = inspection.feature_map_layer_names(model)
        if not spatial:
            st.info(
                f"This network has no layer with feature maps, so {technique.title} has none "
                f"to use."
            )
            return
        default = technique_registry.default_layer(model)
        layer_name = columns[2].selectbox(
            "Layer", spatial, index=spatial.index(default), key="look_layer"
        )
    explanation = technique_registry.explain(technique, model, image, class_index, layer_name)
    if not explanation.heatmap.any():
        st.info(
            f"{technique.title} finds nothing for '{class_names[class_index]}' here"
            f"{' on ' + layer_name if layer_name else ''} (a map of zeros). Try another "
            f"{'layer, ' if layer_name else ''}class or method.",
            icon=":material/info:",
        )
    title = f"{technique.title} for '{class_names[class_index]}'"
    st.plotly_chart(
        technique_figures.plot_explanation(image, explanation, opacity, title=title),
        width="stretch",
    )
    st.caption(technique.help)


def show_filters(model, epoch_text: str, choices: dict) -> None:
    """The learned kernels of a conv layer and, on request, its filter pictures."""
    conv_layers = inspection.conv_layer_names(model)
    if not conv_layers:
        st.info("This network has no convolution layer, so there are no filters to show.")
        return
    columns = st.columns(2)
    layer_name = columns[0].selectbox("Convolution layer", conv_layers, key="filters_layer")
    kernels = inspection.get_kernels(model, layer_name)
    channel_count = kernels.shape[-1]
    channel = columns[1].selectbox(
        "Input channel",
        [None, *range(channel_count)],
        format_func=lambda value: (
            ("colour (RGB)" if channel_count == 3 else "average of all")
            if value is None
            else f"channel {value}"
        ),
        key=f"filters_channel_{layer_name}",
        help="Each filter has one small grid of weights per input channel.",
    )
    st.plotly_chart(layer_grids.plot_kernels(kernels, channel=channel), width="stretch")
    st.caption(
        f"Each tile is one filter's weights ({epoch_text}). The first layer's filters often "
        "look like edge and blob detectors."
    )
    st.subheader("Filter pictures")
    st.caption(
        "The input that excites each filter most: gradient ascent from grey noise, with small "
        "random shifts and a blur so that patterns, not pixel noise, emerge."
    )
    count = st.segmented_control(
        "Filters", [8, 16], default=8, key="filter_picture_count", format_func=str
    )
    filters = list(range(min(count or 8, len(kernels))))
    key = (layer_name, epoch_text, len(filters))
    stored = choices.get("filter_pictures")
    if st.button("Make filter pictures", icon=":material/auto_awesome:"):
        st.button("Cancel", icon=":material/cancel:", help="Stops the ascent.")
        progress = st.progress(0.0, text="Climbing the gradient...")

        def report(done: int, total: int) -> None:
            # Any click reruns the page, which ends this run at the next progress update.
            progress.progress(done / total, text=f"Step {done} of {total}")

        pictures = techniques.filter_pictures(model, layer_name, filters, on_step=report)
        progress.empty()
        stored = choices["filter_pictures"] = (key, pictures)
    if stored is not None and stored[0] == key:
        st.plotly_chart(technique_figures.plot_filter_pictures(stored[1], filters), width="stretch")


def show_statistics(model, spec: dict, dataset) -> None:
    """Mean, max, share of zeros and dead channels per layer over a batch of test images."""
    batch = dataset.x_test[:STATISTICS_IMAGES]
    rows = statistics.activation_statistics(model, batch)
    if not rows:
        st.info("This network has no layers to measure.")
        return
    labels = [layer_label(spec, row["name"]) for row in rows]
    st.plotly_chart(technique_figures.plot_activation_statistics(rows, labels), width="stretch")
    st.dataframe(
        [
            {
                "layer": label,
                "mean": round(row["mean"], 4),
                "max": round(row["max"], 4),
                "zeros (%)": round(100 * row["zero_share"], 1),
                "dead channels": f"{len(row['dead_channels'])} of {row['channels']}"
                + (
                    f": {', '.join(map(str, row['dead_channels'][:12]))}"
                    if row["dead_channels"]
                    else ""
                ),
            }
            for label, row in zip(labels, rows, strict=True)
        ],
        hide_index=True,
    )
    st.caption(f"Over the first {len(batch)} test images. {statistics.DEAD_CHANNELS_NOTE}")
