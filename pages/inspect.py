"""Inspect page: the learned filters, and what each layer makes of one image."""

import numpy as np
import streamlit as st

from cnnviz import builder, images, inspection, plots
from cnnviz import spec as spec_module
from cnnviz.job_state import JobState
from cnnviz.ui import data, frame, jobs
from cnnviz.ui import state as keys

frame.page_setup()

st.title("Look inside")
dataset = data.current_dataset()
info = dataset.info
job = keys.workspace()[keys.JOB]
if job is None:
    st.info("There is no model yet. Train one first; this page then shows what it learned.")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()
if job.dataset.info.name != info.name:
    st.warning(
        f"{job.name} was trained on {job.dataset.info.title}, not {info.title}. Switch the data "
        f"set back in the sidebar, or train a model on {info.title}."
    )
    st.stop()
model = job.model
if job.is_active:
    st.caption(f"{job.name} is still training: you see its weights as they are right now.")
elif job.state == JobState.READY:
    st.caption(f"{job.name} is not trained yet: its filters are still random.")
choices = keys.workspace()[keys.INSPECT]

# ----- filters -----
st.header("Filters")
conv_layers = inspection.conv_layer_names(model)
if not conv_layers:
    st.info("This network has no Conv2D layer, so there are no filters to show.")
else:
    columns = st.columns(3)
    layer_name = columns[0].selectbox("Convolution layer", conv_layers, key="filters_layer")
    epochs = jobs.kernel_epochs(job, layer_name)
    # Oldest on the left, so sliding right replays training.
    epoch_options = [*epochs, "now"]
    when = columns[2].select_slider(
        "After epoch",
        epoch_options,
        value="now",
        format_func=lambda value: "latest" if value == "now" else f"{value:g}",
        help="Replay how the filters changed while training (epoch 0 = random start).",
        disabled=len(epoch_options) < 2,
    )
    if when == "now":
        kernels = inspection.get_kernels(model, layer_name)
    else:
        kernels = jobs.kernels_at(job, layer_name, when)
    channel_count = kernels.shape[-1]
    channel_options = [None, *range(channel_count)]
    channel = columns[1].selectbox(
        "Input channel",
        channel_options,
        format_func=lambda value: (
            ("colour (RGB)" if channel_count == 3 else "average of all")
            if value is None
            else f"channel {value}"
        ),
        key=f"filters_channel_{layer_name}",
        help="Each filter has one small grid of weights per input channel.",
    )
    st.plotly_chart(plots.plot_kernels(kernels, channel=channel))
    st.caption(
        "Each tile is one filter's weights. Bright and dark patterns show what the filter "
        "responds to; the first layer's filters often look like edge and blob detectors."
    )

# ----- the image to look at -----
st.header("Feature maps")
source = st.segmented_control(
    "Image",
    ["test", "upload"],
    default=choices["source"],
    format_func={"test": "A test image", "upload": "Upload your own"}.get,
    key="inspect_source",
)
choices["source"] = source or choices["source"]
image = None
original = None  # the uploaded file's bytes, shown beside what the network sees
true_label = None
if choices["source"] == "test":
    opened = choices.pop("index", None)
    if opened is not None:
        # Another page (Evaluate) asked for this test image: show it among all classes.
        st.session_state["inspect_class"] = "any"
        choices["position"] = int(opened)
    columns = st.columns([2, 3, 1], vertical_alignment="bottom")
    class_options = ["any", *range(info.num_classes)]
    wanted = columns[0].selectbox(
        "Class",
        class_options,
        format_func=lambda value: "any class" if value == "any" else info.class_names[value],
        key="inspect_class",
    )
    candidates = (
        np.arange(len(dataset.y_test))
        if wanted == "any"
        else np.flatnonzero(dataset.y_test == wanted)
    )
    position = min(choices.get("position", 0), len(candidates) - 1)
    if columns[2].button("Random", icon=":material/casino:", width="stretch"):
        position = int(np.random.default_rng().integers(len(candidates)))
    position = columns[1].slider("Which one", 0, len(candidates) - 1, position)
    choices["position"] = position
    index = int(candidates[position])
    image = dataset.x_test[index]
    true_label = info.class_names[int(dataset.y_test[index])]
else:
    uploaded = st.file_uploader(
        "A PNG or JPEG picture",
        type=["png", "jpg", "jpeg"],
        key="inspect_upload",
        help="Any size; it is converted to what the network takes: "
        + ("a grayscale 28x28 image" if info.input_shape[-1] == 1 else "an RGB 32x32 image")
        + ".",
    )
    if uploaded is not None:
        try:
            image = images.prepare_upload(
                uploaded.getvalue(), info.input_shape, digit_style=info.name == "mnist"
            )
        except ValueError as problem:
            st.error(f"Could not use {uploaded.name}: {problem}", icon=":material/error:")
        else:
            original = uploaded.getvalue()
    else:
        st.caption(
            "Tip: a dark digit on white paper works for MNIST; cnnviz inverts and centres it."
        )

if image is not None:
    picture_column, seen_column, guesses_column = st.columns([1, 1, 2])
    if original is not None:
        with picture_column, st.container(border=True):
            st.image(original, caption="Your picture", width="stretch")
    elif true_label is not None:
        picture_column.metric("True class", true_label)
    with seen_column:
        st.plotly_chart(plots.plot_image(image, title="What the network sees"), width="stretch")
    with guesses_column:
        predictions = inspection.top_predictions(model, image, info.class_names, k=3)
        st.plotly_chart(
            plots.plot_predictions(predictions, title="The network's top guesses"),
            width="stretch",
        )
    layer_names = inspection.feature_map_layer_names(model)
    if not layer_names:
        st.info("This network has no convolution or pooling layers to show feature maps for.")
    else:
        maps = inspection.feature_maps(model, image, layer_names)
        # Tabs named as the Build page names the layers: "3 · Conv2D 64 filters 3x3, relu".
        labels = [
            f"{position} · {spec_module.describe_layer(job.spec['layers'][position - 1])}"
            for position in (builder.spec_position(name) for name in layer_names)
        ]
        tabs = st.tabs(labels)
        for tab, name, label in zip(tabs, layer_names, labels, strict=True):
            with tab:
                layer_maps = maps[name]
                st.caption(
                    f"{layer_maps.shape[-1]} feature maps of {layer_maps.shape[0]} x "
                    f"{layer_maps.shape[1]}: one per filter. Bright = strong response."
                )
                st.plotly_chart(plots.plot_feature_maps(layer_maps, title=label), width="stretch")
