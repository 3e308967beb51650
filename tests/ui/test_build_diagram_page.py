"""The Build page's architecture diagram, driven through Streamlit's AppTest."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from cnnviz.ui import state as keys
from helpers.paths import APP


def diagram_figure(app: AppTest) -> dict:
    charts = [chart for chart in app.get("plotly_chart") if "multiply-adds" in chart.proto.spec]
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def test_build_page_draws_the_diagram_and_follows_the_layers():
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/build.py").run()
    assert not app.exception
    figure = diagram_figure(app)
    assert "2.63 M multiply-adds" in figure["layout"]["title"]["text"]
    boxes = [trace["name"] for trace in figure["data"] if trace.get("fill") == "toself"]
    assert boxes[:3] == ["0 Input", "1 Conv2D", "2 MaxPooling2D"]
    captions = " ".join(caption.value for caption in app.caption)
    assert "weights 879 KB" in captions  # 225,034 parameters x 4 bytes
    # The memory estimate beside the parameters writes sizes the same way (it said "879.0 KB").
    memory = [metric for metric in app.metric if metric.label == "Memory (estimate)"][0]
    assert "weights 879 KB," in memory.proto.help

    # Add a residual block after the first pooling: the diagram shows it with its inside.
    selects = [box for box in app.selectbox if box.label == "Add a layer"]
    selects[0].set_value("ResidualBlock")
    positions = [number for number in app.number_input if number.label == "at position"]
    positions[0].set_value(3)
    app.run()
    [button for button in app.button if button.label == "Add"][0].click().run()
    assert not app.exception
    assert app.session_state[keys.WORKSPACE][keys.SPEC]["layers"][2]["type"] == "ResidualBlock"
    names = [trace["name"] for trace in diagram_figure(app)["data"]]
    assert "3 ResidualBlock" in names and "3 shortcut" in names


def test_an_augmentation_layers_optional_number_can_be_set_and_left_to_keras():
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/build.py").run()
    [box for box in app.selectbox if box.label == "Add a layer"][0].set_value("RandomZoom")
    [number for number in app.number_input if number.label == "at position"][0].set_value(1)
    app.run()
    [button for button in app.button if button.label == "Add"][0].click().run()
    workspace = app.session_state[keys.WORKSPACE]
    assert workspace[keys.SPEC]["layers"][0] == {"type": "RandomZoom", "height_factor": 0.1}
    layer_id = workspace[keys.LAYER_IDS][0]
    app.checkbox(key=f"layer{layer_id}_width_factor_default").uncheck().run()
    assert app.session_state[keys.WORKSPACE][keys.SPEC]["layers"][0]["width_factor"] == 0.1
    app.number_input(key=f"layer{layer_id}_width_factor").set_value(-0.3).run()
    assert app.session_state[keys.WORKSPACE][keys.SPEC]["layers"][0]["width_factor"] == -0.3
    app.checkbox(key=f"layer{layer_id}_width_factor_default").check().run()
    assert "width_factor" not in app.session_state[keys.WORKSPACE][keys.SPEC]["layers"][0]
    assert not app.exception and not app.error
