"""Widgets that edit the spec on the Build page: one card per layer, and the Add row.

Every edit goes through a callback that writes the new value straight into the spec in session
state, so the spec (not the widgets) is the single source of truth and survives page switches.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.model import layer_types
from cnnviz.model import spec as spec_module
from cnnviz.model.layer_shapes import ArgumentKind
from cnnviz.ui import state as keys


def _spec() -> dict:
    return keys.workspace()[keys.SPEC]


def _layer_index(layer_id: int) -> int | None:
    ids = keys.workspace()[keys.LAYER_IDS]
    return ids.index(layer_id) if layer_id in ids else None


def _set_argument(layer_id: int, name: str, widget_keys: tuple[str, ...]) -> None:
    """Callback: copy a widget's value into the spec layer it belongs to."""
    index = _layer_index(layer_id)
    if index is None:
        return
    layer = dict(_spec()["layers"][index])
    argument = layer_types.LAYER_TYPES[layer["type"]][name]
    values = [st.session_state[key] for key in widget_keys]
    if argument.kind == ArgumentKind.SIZE:
        if values[0] is None:  # "same as pool size" ticked
            value = None
        elif len(values) == 2:
            value = values if values[0] != values[1] else values[0]
        else:
            value = values[0]
    else:
        value = values[0]
    if not argument.required and value == argument.default:
        layer.pop(name, None)  # leave Keras's default implicit, as a hand-written spec would
    else:
        layer[name] = value
    keys.workspace()[keys.SPEC] = spec_module.replace_layer(_spec(), index, layer)


def _set_same_as(layer_id: int, name: str, other: str, toggle_key: str) -> None:
    """Callback for an 'argument = other argument' checkbox (pooling strides = pool size)."""
    index = _layer_index(layer_id)
    if index is None:
        return
    layer = dict(_spec()["layers"][index])
    if st.session_state[toggle_key]:
        layer.pop(name, None)
    else:
        arguments = layer_types.LAYER_TYPES[layer["type"]]
        layer[name] = layer.get(other, arguments[other].default)
    keys.workspace()[keys.SPEC] = spec_module.replace_layer(_spec(), index, layer)


def _set_default(layer_id: int, name: str, toggle_key: str) -> None:
    """Callback for a 'use the default' checkbox of a nullable argument (RandomZoom's width)."""
    index = _layer_index(layer_id)
    if index is None:
        return
    layer = dict(_spec()["layers"][index])
    if st.session_state[toggle_key]:
        layer.pop(name, None)
    else:
        argument = layer_types.LAYER_TYPES[layer["type"]][name]
        if argument.kind == ArgumentKind.FLOAT:
            # Start from a value the argument accepts: its bound nearest to 0.1.
            layer[name] = min(max(0.1, argument.minimum or 0.0), argument.maximum)
        else:
            # A whole number or a size: its smallest allowed value.
            layer[name] = int(argument.minimum or 0)
    keys.workspace()[keys.SPEC] = spec_module.replace_layer(_spec(), index, layer)


def _float_input(layer_id: int, name: str, value, argument, column) -> None:
    """A number input for a float argument, written to the spec when it changes."""
    key = f"layer{layer_id}_{name}"
    # The widget's step is 0.01 below a bound such as 1.0, but a spec may hold 0.995.
    upper = argument.maximum if argument.below is None else max(argument.below - 0.01, float(value))
    fraction = argument.below == 1.0
    column.number_input(
        name.replace("_", " "),
        min_value=float(argument.minimum or 0.0),
        max_value=upper,
        value=float(value),
        step=0.05 if fraction else 0.0001,
        format="%.2f" if fraction else "%.4f",
        key=key,
        help=argument.help,
        on_change=_set_argument,
        args=(layer_id, name, (key,)),
    )


def _size_inputs(layer_id: int, name: str, value, argument, column) -> None:
    """One number for a square size, or height and width side by side for a non-square one."""
    prefix = f"layer{layer_id}_{name}"
    label = name.replace("_", " ")
    if isinstance(value, (list, tuple)) and value[0] != value[1]:
        widget_keys = (f"{prefix}_h", f"{prefix}_w")
        fields = zip(column.columns(2), widget_keys, value, ("height", "width"), strict=True)
    else:
        number = value[0] if isinstance(value, (list, tuple)) else value
        widget_keys = (prefix,)
        fields = [(column, prefix, number, "")]
    for place, key, number, caption in fields:
        place.number_input(
            f"{label} {caption}".strip(),
            min_value=1,
            max_value=int(argument.maximum),
            value=int(number),
            step=1,
            key=key,
            help=argument.help,
            on_change=_set_argument,
            args=(layer_id, name, widget_keys),
        )


def _optional_input(layer_id: int, name: str, value, argument, column) -> None:
    """A nullable argument: a checkbox for None, and the value's widget when it is unticked.

    None means "the same as another argument" where the record says so (argument.same_as),
    else Keras's own default.
    """
    key = f"layer{layer_id}_{name}"
    if argument.same_as is not None:
        toggle_key = f"{key}_same"
        label = f"{name} = {argument.same_as.replace('_', ' ')}"
        on_change, args = _set_same_as, (layer_id, name, argument.same_as, toggle_key)
    else:
        toggle_key = f"{key}_default"
        label = f"{name.replace('_', ' ')}: default"
        on_change, args = _set_default, (layer_id, name, toggle_key)
    column.checkbox(
        label,
        value=value is None,
        key=toggle_key,
        help=argument.help,
        on_change=on_change,
        args=args,
    )
    if value is None:
        return
    if argument.kind == ArgumentKind.FLOAT:
        _float_input(layer_id, name, value, argument, column)
    elif argument.kind == ArgumentKind.SIZE:
        _size_inputs(layer_id, name, value, argument, column)
    else:
        _plain_input(layer_id, name, value, argument, column)


def _plain_input(layer_id: int, name: str, value, argument, column) -> None:
    """A whole number, a choice or a yes/no, written to the spec when it changes."""
    key = f"layer{layer_id}_{name}"
    common = {
        "key": key,
        "help": argument.help,
        "on_change": _set_argument,
        "args": (layer_id, name, (key,)),
    }
    label = name.replace("_", " ")
    if argument.kind == ArgumentKind.INT:
        column.number_input(
            label,
            min_value=int(argument.minimum or 0),
            max_value=int(argument.maximum),
            value=int(value),
            step=1,
            **common,
        )
    elif argument.kind == ArgumentKind.CHOICE:
        options = list(argument.choices)
        index = options.index(value) if value in options else 0
        column.selectbox(label, options, index=index, **common)
    elif argument.kind == ArgumentKind.BOOL:
        column.checkbox(label, value=bool(value), **common)


def argument_widgets(layer_id: int, layer: dict) -> None:
    """One widget per argument of the layer, laid out in three columns."""
    arguments = layer_types.LAYER_TYPES.get(layer.get("type"), {})
    if not arguments:
        st.caption("This layer has no arguments to set.")
        return
    columns = st.columns(3)
    for slot, (name, argument) in enumerate(arguments.items()):
        column = columns[slot % 3]
        value = layer.get(name, argument.default)
        if argument.nullable:
            _optional_input(layer_id, name, value, argument, column)
        elif argument.kind == ArgumentKind.SIZE:
            _size_inputs(layer_id, name, value, argument, column)
        elif argument.kind == ArgumentKind.FLOAT:
            _float_input(layer_id, name, value, argument, column)
        else:
            _plain_input(layer_id, name, value, argument, column)


def _move(layer_id: int, offset: int) -> None:
    index = _layer_index(layer_id)
    if index is None:
        return
    ids = list(keys.workspace()[keys.LAYER_IDS])
    target = index + offset
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        keys.workspace()[keys.LAYER_IDS] = ids
        keys.workspace()[keys.SPEC] = spec_module.move_layer(_spec(), index, offset)


def _remove(layer_id: int) -> None:
    index = _layer_index(layer_id)
    if index is None:
        return
    ids = list(keys.workspace()[keys.LAYER_IDS])
    del ids[index]
    keys.workspace()[keys.LAYER_IDS] = ids
    keys.workspace()[keys.SPEC] = spec_module.remove_layer(_spec(), index)


def layer_card(index: int, layer_id: int, layer: dict, info, error) -> None:
    """A bordered card: position, label, output shape, parameters, move/remove, arguments."""
    position = index + 1
    count = len(_spec()["layers"])
    with st.container(border=True):
        columns = st.columns([0.35, 3.4, 1.9, 0.45, 0.45, 0.45], vertical_alignment="center")
        columns[0].markdown(f"**{position}**")
        columns[1].markdown(
            f"**{spec_module.describe_layer(layer)}**",
            help=layer_types.LAYER_DESCRIPTIONS.get(layer.get("type"), ""),
        )
        if info:
            columns[2].markdown(
                f"{spec_module.format_shape(info.output_shape)}  \n:gray[{info.params:,} params]"
            )
        else:
            columns[2].markdown(":gray[shape unknown]")
        columns[3].button(
            "",
            icon=":material/arrow_upward:",
            key=f"up{layer_id}",
            help="Move up",
            disabled=index == 0,
            on_click=_move,
            args=(layer_id, -1),
        )
        columns[4].button(
            "",
            icon=":material/arrow_downward:",
            key=f"down{layer_id}",
            help="Move down",
            disabled=index == count - 1,
            on_click=_move,
            args=(layer_id, 1),
        )
        columns[5].button(
            "",
            icon=":material/delete:",
            key=f"remove{layer_id}",
            help="Remove this layer",
            on_click=_remove,
            args=(layer_id,),
        )
        has_error = error is not None and error.position == position
        with st.expander("Arguments", expanded=has_error):
            argument_widgets(layer_id, layer)
        if has_error:
            st.error(str(error), icon=":material/error:")


def _add_layer(type_key: str, position_key: str) -> None:
    layer_type = st.session_state[type_key]
    index = int(st.session_state[position_key]) - 1
    ids = list(keys.workspace()[keys.LAYER_IDS])
    ids.insert(index, keys.new_layer_id())
    keys.workspace()[keys.SPEC] = spec_module.insert_layer(
        _spec(), index, spec_module.new_layer(layer_type)
    )
    keys.workspace()[keys.LAYER_IDS] = ids


def add_layer_row(max_layers: int | None = None) -> None:
    """Choose a layer type and where it goes, then add it (up to max_layers layers)."""
    count = len(_spec()["layers"])
    full = max_layers is not None and count >= max_layers
    with st.container(border=True):
        columns = st.columns([3, 1.5, 1.2], vertical_alignment="bottom")
        layer_type = columns[0].selectbox(
            "Add a layer",
            list(layer_types.LAYER_TYPES),
            key="add_layer_type",
            help="New layers start with sensible arguments you can change.",
        )
        columns[1].number_input(
            "at position",
            min_value=1,
            max_value=count + 1,
            # Before the output layer: that is where new layers almost always belong.
            value=max(1, count),
            step=1,
            key="add_layer_position",
        )
        columns[2].button(
            "Add",
            icon=":material/add:",
            key="add_layer_button",
            on_click=_add_layer,
            args=("add_layer_type", "add_layer_position"),
            disabled=full,
            width="stretch",
        )
        if full:
            st.caption(
                f"This server allows at most {max_layers} layers: remove one to add another."
            )
        else:
            st.caption(layer_types.LAYER_DESCRIPTIONS[layer_type])
