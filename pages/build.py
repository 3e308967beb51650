"""Build page: stack layers, or start from a preset, and see shapes and parameters live."""

import streamlit as st

from cnnviz import quantities
from cnnviz.figures import architecture
from cnnviz.model import diagram, spec_limits
from cnnviz.model import spec as spec_module
from cnnviz.training import limits as training_limits
from cnnviz.training import presets
from cnnviz.training import settings as training_settings
from cnnviz.ui import class_controls, data, export_panel, frame, handout_panel, layer_editor
from cnnviz.ui import state as keys

frame.page_setup()

st.title("Build your network")
handout_panel.notice()
dataset = data.current_dataset()
info = dataset.info

# ----- presets, undo -----
preset_column, load_column, undo_column = st.columns([3, 1, 1], vertical_alignment="bottom")
preset_name = preset_column.selectbox(
    "Start from a preset",
    list(presets.PRESETS),
    format_func=lambda name: presets.PRESETS[name].title,
    key="build_preset",
)
if load_column.button("Load preset", icon=":material/download:", width="stretch"):
    keys.set_spec(
        presets.preset_spec(preset_name, info.input_shape, info.num_classes), remember_undo=True
    )
    # A preset comes with the training settings it was tuned and measured with.
    keys.workspace()[keys.TRAIN_SETTINGS] = keys.preset_train_settings(
        preset_name, info.input_shape
    )
    st.toast(
        f"Loaded {presets.PRESETS[preset_name].title} and the Train settings it was tuned with. "
        "Undo brings your layers back."
    )
if undo_column.button(
    "Undo",
    icon=":material/undo:",
    disabled=keys.workspace()[keys.SPEC_UNDO] is None,
    help="Bring back the layers you had before the last preset load or import.",
    width="stretch",
):
    keys.set_spec(keys.workspace()[keys.SPEC_UNDO], remember_undo=True)
st.caption(presets.PRESETS[preset_name].description)


spec = keys.workspace()[keys.SPEC]
server_limits = spec_limits.from_environment()
settings = keys.workspace()[keys.TRAIN_SETTINGS]
infos, error = spec_module.analyse(spec, info.input_shape, info.num_classes, info.title)
estimate = training_limits.estimate_training_memory(
    infos, info.input_shape, settings["optimizer"], settings["batch_size"]
)
# A spec that builds but is over a server limit is shown at the layer the message names.
size_error = None
if error is None:
    # The server's limits, then the class's caps (issue 20).
    size_error = class_controls.training_problem(spec, info, settings)
infos_by_position = {layer_info.position: layer_info for layer_info in infos}

editor_column, summary_column = st.columns([3, 2], gap="large")

# ----- the layer stack -----
with editor_column:
    st.subheader("Layers")
    st.markdown(
        f"**Input**: {info.title} images, {spec_module.format_shape(info.input_shape)} "
        f"(pixel values scaled to 0-1)"
    )
    for index, (layer, layer_id) in enumerate(
        zip(spec["layers"], keys.workspace()[keys.LAYER_IDS], strict=True)
    ):
        layer_editor.layer_card(
            index, layer_id, layer, infos_by_position.get(index + 1), error or size_error
        )
    if error is not None and error.position is None:
        st.error(str(error), icon=":material/error:")
    layer_editor.add_layer_row(server_limits.max_layers)

# ----- summary, import and export -----
with summary_column:
    st.subheader("Summary")
    rows = [
        {
            "#": "",
            "layer": "Input",
            "output shape": spec_module.format_shape(info.input_shape),
            "parameters": "0",
        }
    ]
    for index, layer in enumerate(spec["layers"]):
        layer_info = infos_by_position.get(index + 1)
        rows.append(
            {
                "#": str(index + 1),
                "layer": spec_module.describe_layer(layer),
                "output shape": spec_module.format_shape(layer_info.output_shape)
                if layer_info
                else "?",
                "parameters": f"{layer_info.params:,}" if layer_info else "?",
            }
        )
    # A static table: it sizes its columns to the text, so nothing is cut off.
    st.table(rows, hide_index=True, border="horizontal")
    total = spec_module.total_params(infos)
    trainable = sum(layer_info.trainable_params for layer_info in infos)
    first, second = st.columns(2)
    first.metric(
        "Parameters",
        quantities.format_count(total) if error is None else "?",
        help=None
        if server_limits.max_params is None
        else f"This server trains models of at most {server_limits.max_params:,} parameters.",
    )
    second.metric("Trainable", quantities.format_count(trainable) if error is None else "?")
    optimizer_title = training_settings.OPTIMIZER_TITLES[settings["optimizer"]]
    memory_limit = (
        ""
        if server_limits.max_memory_mb is None
        else f" This server allows {quantities.format_bytes(server_limits.max_memory_mb * 2**20)}."
    )
    st.metric(
        "Memory (estimate)",
        quantities.format_bytes(estimate.total) if error is None else "?",
        help=f"One training step at batch size {settings['batch_size']} with "
        f"{optimizer_title} (set on the Train page): weights "
        f"{quantities.format_bytes(estimate.weights)}, gradients "
        f"{quantities.format_bytes(estimate.gradients)}, optimizer state "
        f"{quantities.format_bytes(estimate.optimizer_state)}, activations of one batch "
        f"{quantities.format_bytes(estimate.activations)}.{memory_limit}",
    )
    if error is None and size_error is None:
        st.success("This network is ready to train.", icon=":material/check:")
        st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    elif error is None:
        where = "class" if isinstance(size_error, class_controls.ClassCapError) else "server"
        st.error(f"Too big for this {where}: {size_error}", icon=":material/block:")
    else:
        where = f"layer {error.position}" if error.position else "the layer list"
        st.warning(f"Fix {where} before training (see the message there).")

    st.subheader("Save or load the layers")
    st.download_button(
        "Download spec (JSON)",
        spec_module.to_json(spec),
        file_name="cnnviz-spec.json",
        mime="application/json",
        icon=":material/file_download:",
    )
    uploaded = st.file_uploader(
        "Load a spec file",
        type=["json"],
        key="spec_upload",
        help=f'A JSON {{"layers": [...]}} of at most {server_limits.max_spec_kb:,} KB.',
    )
    if uploaded is not None and st.session_state.get("spec_upload_done") != uploaded.file_id:
        st.session_state["spec_upload_done"] = uploaded.file_id
        try:
            # The checks a share link and `cnnviz train --spec` get too (size first).
            imported = spec_limits.read_spec(uploaded.getvalue(), server_limits, "The file")
        except ValueError as problem:
            st.error(f"Could not load {uploaded.name}: {problem} Your layers are unchanged.")
        else:
            keys.set_spec(imported, remember_undo=True)
            st.rerun()
    with st.expander("Show the spec as JSON"):
        st.code(spec_module.to_json(spec), language="json")

# ----- the architecture diagram -----
st.subheader("Architecture")
network_diagram = diagram.build_diagram(spec, info.input_shape, info.num_classes)
st.plotly_chart(architecture.plot_architecture(network_diagram), key="architecture_diagram")
st.caption(
    f"Each box is a layer's output: its height follows the image size, its width the number "
    f"of channels (hover for figures). Per image: "
    f"{quantities.format_count(network_diagram.total_multiply_adds)} multiply-adds, weights "
    f"{quantities.format_bytes(network_diagram.weight_bytes)}, activations "
    f"{quantities.format_bytes(network_diagram.activation_bytes)}."
    + ("" if network_diagram.error is None else " The diagram stops before the layer to fix.")
)

# ----- export and share -----
export_panel.export_panel(spec, dataset, error)
