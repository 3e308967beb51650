"""cnnviz.ui.layer_editor on the Build page, through AppTest: every kind of argument widget
writes its value into the spec (whole numbers, sizes, choices, yes/no, fractions, and the
pooling strides that may follow the pool size)."""

from __future__ import annotations

import dataclasses

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.model import layer_types
from cnnviz.ui import state as keys
from helpers.paths import APP


@pytest.fixture
def build_page() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/build.py").run()
    assert not app.exception
    return app


def layer(app: AppTest, index: int) -> dict:
    return app.session_state[keys.WORKSPACE][keys.SPEC]["layers"][index]


def widget_key(app: AppTest, index: int, name: str) -> str:
    return f"layer{app.session_state[keys.WORKSPACE][keys.LAYER_IDS][index]}_{name}"


def test_every_argument_of_the_first_layers_has_its_widget(build_page):
    app = build_page
    keys_shown = {
        widget.key for kind in ("number_input", "selectbox", "checkbox") for widget in app.get(kind)
    }
    for index in (0, 1):  # Conv2D, MaxPooling2D
        arguments = layer_types.LAYER_TYPES[layer(app, index)["type"]]
        for name, argument in arguments.items():
            suffix = "_same" if argument.same_as else "_default" if argument.nullable else ""
            assert widget_key(app, index, name) + suffix in keys_shown, name


def test_conv_arguments_of_each_kind_reach_the_spec(build_page):
    app = build_page
    assert layer(app, 0)["type"] == "Conv2D"
    app.number_input(key=widget_key(app, 0, "filters")).set_value(12).run()
    app.number_input(key=widget_key(app, 0, "kernel_size")).set_value(5).run()
    app.selectbox(key=widget_key(app, 0, "padding")).set_value("same").run()
    app.selectbox(key=widget_key(app, 0, "activation")).set_value("tanh").run()
    app.checkbox(key=widget_key(app, 0, "use_bias")).uncheck().run()
    assert not app.exception
    conv = layer(app, 0)
    assert (conv["filters"], conv["kernel_size"], conv["padding"]) == (12, 5, "same")
    assert (conv["activation"], conv["use_bias"]) == ("tanh", False)
    # Keras's default is left implicit, as a hand-written spec would.
    app.selectbox(key=widget_key(app, 0, "padding")).set_value("valid").run()
    assert "padding" not in layer(app, 0)


def test_a_non_square_size_shows_height_and_width(build_page):
    app = build_page
    spec = app.session_state[keys.WORKSPACE][keys.SPEC]
    spec["layers"][0] = {**spec["layers"][0], "kernel_size": [3, 5]}
    app.run()
    assert app.number_input(key=widget_key(app, 0, "kernel_size_h")).value == 3
    app.number_input(key=widget_key(app, 0, "kernel_size_w")).set_value(3).run()
    assert layer(app, 0)["kernel_size"] == 3  # equal sides fold back into one number


def test_pooling_strides_follow_the_pool_size_until_set(build_page):
    app = build_page
    assert layer(app, 1)["type"] == "MaxPooling2D" and "strides" not in layer(app, 1)
    same = widget_key(app, 1, "strides_same")
    assert app.checkbox(key=same).value is True
    app.checkbox(key=same).uncheck().run()
    assert layer(app, 1)["strides"] == layer(app, 1)["pool_size"]
    app.number_input(key=widget_key(app, 1, "strides")).set_value(1).run()
    assert layer(app, 1)["strides"] == 1
    app.checkbox(key=same).check().run()
    assert "strides" not in layer(app, 1)
    assert not app.exception


def test_the_same_as_checkbox_follows_the_record_not_nullable(monkeypatch):
    # A nullable size that is not pooling strides (Conv2D's strides, made nullable here) gets
    # "strides: default"; only an argument whose record names `same_as` gets "= pool size".
    assert layer_types.LAYER_TYPES["MaxPooling2D"]["strides"].same_as == "pool_size"
    conv = layer_types.LAYER_TYPES["Conv2D"]
    assert conv["strides"].same_as is None
    nullable = dataclasses.replace(conv["strides"], nullable=True)
    monkeypatch.setitem(layer_types.LAYER_TYPES, "Conv2D", {**conv, "strides": nullable})
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/build.py").run()
    assert not app.exception
    labels = {box.key: box.label for box in app.checkbox}
    assert labels[widget_key(app, 0, "strides_default")] == "strides: default"
    assert labels[widget_key(app, 1, "strides_same")] == "strides = pool size"
    spec_layers = app.session_state[keys.WORKSPACE][keys.SPEC]["layers"]
    pooling = [index for index, layer in enumerate(spec_layers) if "Pooling2D" in layer["type"]]
    same_keys = [key for key, label in labels.items() if label == "strides = pool size"]
    assert same_keys == [widget_key(app, index, "strides_same") for index in pooling]


def test_a_fraction_argument_reaches_the_spec(build_page):
    app = build_page
    [box for box in app.selectbox if box.label == "Add a layer"][0].set_value("Dropout")
    [number for number in app.number_input if number.label == "at position"][0].set_value(1)
    app.run()
    [button for button in app.button if button.label == "Add"][0].click().run()
    assert layer(app, 0)["type"] == "Dropout"
    rate = app.number_input(key=widget_key(app, 0, "rate"))
    assert rate.label == "rate" and rate.step == 0.05
    rate.set_value(0.3).run()
    assert layer(app, 0)["rate"] == pytest.approx(0.3)
    assert not app.exception and not app.error
