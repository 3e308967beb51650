"""The Inspect page's views driven through AppTest after one short training."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception
from helpers.files import encode
from helpers.paths import MNIST_SAMPLE

# Where the trained_app fixture (tests/conftest.py) leaves the app.
TRAINED_APP_PAGE = "pages/inspect.py"


def charts(app) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def chart_titled(app, start: str) -> dict:
    for spec in charts(app):
        title = spec.get("layout", {}).get("title", {})
        text = title.get("text", "") if isinstance(title, dict) else str(title)
        if text.startswith(start):
            return spec
    raise AssertionError(f"no chart titled {start!r}")


def markdown_with(app, words: str) -> str:
    for element in app.markdown:
        if words in element.value:
            return element.value
    raise AssertionError(f"no text with {words!r}")


def bold_numbers(text: str) -> list[float]:
    return [float(number) for number in re.findall(r"\*\*(-?[0-9.]+)\*\*", text)]


@pytest.mark.trains
def test_overview_and_the_arithmetic_of_one_value(trained_app):
    app = trained_app
    overview = charts(app)
    kinds = [trace["type"] for spec in overview for trace in spec["data"]]
    assert kinds.count("image") >= 1 and "heatmap" in kinds and "bar" in kinds
    # The conv arithmetic: the computed value equals the layer's own output.
    numbers = bold_numbers(markdown_with(app, "The layer's own output"))
    assert numbers[-1] == pytest.approx(numbers[-2], abs=1e-4)
    # A Dense neuron next.
    layer_box = app.selectbox(key="detail_layer")
    dense = [option for option in layer_box.options if "Dense" in option][0]
    layer_box.set_value(layer_box.options.index(dense)).run()
    assert_no_exception(app)
    numbers = bold_numbers(markdown_with(app, "The layer's own output"))
    assert numbers[-1] == pytest.approx(numbers[-2], abs=1e-4)
    chart_titled(app, "Largest contributions")


@pytest.mark.trains
def test_the_arithmetic_of_a_pooling_window_a_chosen_position_and_the_output(trained_app):
    app = trained_app
    app.segmented_control(key="inspect_view").set_value("overview").run()
    layer_box = app.selectbox(key="detail_layer")
    pooling = [option for option in layer_box.options if "Pooling" in option][0]
    layer_box.set_value(layer_box.options.index(pooling)).run()
    assert_no_exception(app)
    # The window's maximum is the layer's own output.
    numbers = bold_numbers(markdown_with(app, "of the window is"))
    assert numbers[0] == pytest.approx(numbers[1], abs=1e-4)
    chart_titled(app, "The window: its maximum")
    # A convolution value at a chosen row and column.
    layer_box = app.selectbox(key="detail_layer")
    layer_box.set_value(0).run()
    [slider for slider in app.slider if slider.label == "Row"][0].set_value(1).run()
    [slider for slider in app.slider if slider.label == "Column"][0].set_value(2).run()
    assert_no_exception(app)
    text = markdown_with(app, "The layer's own output")
    assert text.startswith("Output (1, 2) of channel")
    numbers = bold_numbers(text)
    assert numbers[-1] == pytest.approx(numbers[-2], abs=1e-4)
    # The output layer's neurons are named by their class.
    layer_box = app.selectbox(key="detail_layer")
    layer_box.set_value(len(layer_box.options) - 1).run()
    assert_no_exception(app)
    neurons = [box for box in app.selectbox if box.label == "Neuron"][0]
    assert neurons.options[:2] == ["0 · 0", "1 · 1"]  # MNIST's classes are its digits


@pytest.mark.trains
@pytest.mark.parametrize("method", ["grad_cam", "saliency", "smooth_grad"])
def test_where_it_looked(trained_app, method):
    app = trained_app
    app.segmented_control(key="inspect_view").set_value("looked").run()
    app.selectbox(key="look_method").set_value(method).run()
    assert_no_exception(app)
    spec = chart_titled(
        app, {"grad_cam": "Grad-CAM", "saliency": "Saliency", "smooth_grad": "Smooth"}[method]
    )
    heatmap = spec["data"][1]
    assert heatmap["type"] == "heatmap" and heatmap["opacity"] == 0.5
    assert (heatmap["zmin"], heatmap["zmax"]) == (0, 1)


@pytest.mark.trains
def test_where_it_looked_with_integrated_gradients(trained_app):
    from cnnviz.explain.technique_registry import TECHNIQUES

    app = trained_app
    app.segmented_control(key="inspect_view").set_value("looked").run()
    methods = app.selectbox(key="look_method")
    assert methods.options == [technique.title for technique in TECHNIQUES.values()]
    methods.set_value("integrated_gradients").run()
    app.selectbox(key="look_class").set_value(3).run()
    assert_no_exception(app)
    assert not [box for box in app.selectbox if box.label == "Layer"]  # it needs no layer
    heatmap = chart_titled(app, "Integrated Gradients for '3'")["data"][1]
    values = trace_values(heatmap)
    assert values.shape == (28, 28) and heatmap["zmin"] == -heatmap["zmax"] < 0
    assert np.abs(values).max() == pytest.approx(heatmap["zmax"], rel=1e-5)
    assert any("adds to (red) or takes from (blue)" in text.value for text in app.caption)


@pytest.mark.trains
def test_a_registered_technique_appears_on_inspect(trained_app, monkeypatch):
    from cnnviz.explain.technique_registry import TECHNIQUES, Explanation, Technique

    def explain(model, image, class_index, layer_name):
        heatmap = np.full(image.shape[:2], 0.25, np.float32)
        return Explanation("dummy", heatmap, heatmap, class_index)

    monkeypatch.setitem(
        TECHNIQUES, "dummy", Technique("dummy", "Dummy map", "Dummy: a quarter.", False, explain)
    )
    app = trained_app
    app.segmented_control(key="inspect_view").set_value("looked").run()
    assert "Dummy map" in app.selectbox(key="look_method").options
    app.selectbox(key="look_method").set_value("dummy").run()
    assert_no_exception(app)
    heatmap = chart_titled(app, "Dummy map for")["data"][1]
    assert np.allclose(trace_values(heatmap), 0.25)
    assert "Dummy: a quarter." in [text.value for text in app.caption]
    app.selectbox(key="look_method").set_value("saliency").run()  # leave the app as found


@pytest.mark.trains
def test_filters_filter_pictures_and_statistics(trained_app):
    app = trained_app
    app.segmented_control(key="inspect_view").set_value("filters").run()
    assert_no_exception(app)
    [button for button in app.button if button.label == "Make filter pictures"][0].click().run()
    assert_no_exception(app)
    pictures = chart_titled(app, "What excites filters 0, 1")
    assert pictures["data"][0]["type"] == "image"
    app.segmented_control(key="inspect_view").set_value("statistics").run()
    assert_no_exception(app)
    table = app.dataframe[0].value
    assert len(table) >= 4 and "dead channels" in table.columns
    assert any("dead channel" in caption.value for caption in app.caption)


@pytest.mark.trains
def test_replay_shows_the_random_start(trained_app):
    app = trained_app
    job = app.session_state[keys.WORKSPACE][keys.JOB]
    epochs = [epoch for epoch, _ in job.weight_snapshots()]
    assert epochs[0] == 0 and len(epochs) >= 2
    app.segmented_control(key="inspect_view").set_value("overview").run()
    app.select_slider(key="inspect_epoch").set_value(0).run()
    assert_no_exception(app)
    chart_titled(app, "The network's top guesses (after epoch 0)")
    app.select_slider(key="inspect_epoch").set_value("now").run()
    chart_titled(app, "The network's top guesses (latest weights)")


def unusual_uploads() -> dict[str, bytes]:
    digit = Image.new("L", (60, 80), 255)
    ImageDraw.Draw(digit).rectangle((25, 10, 35, 70), fill=0)
    sixteen = (np.asarray(digit, dtype=np.uint16) * 257).astype(np.uint16)
    exif = Image.Exif()
    exif[0x0112] = 6
    frames = [digit.convert("P"), Image.new("P", (60, 80), 0)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    return {
        "sixteen.png": encode(Image.fromarray(sixteen)),
        "cmyk.jpg": encode(digit.convert("CMYK"), "JPEG"),
        "palette.png": encode(digit.convert("P")),
        "rgba.png": encode(digit.convert("RGBA")),
        "rotated.jpg": encode(digit, "JPEG", exif=exif),
        "first.gif": gif.getvalue(),
        "plain.bmp": encode(digit, "BMP"),
        "plain.webp": encode(digit, "WEBP"),
        "plain.tiff": encode(digit, "TIFF"),
    }


@pytest.mark.trains
def test_every_upload_kind_shows_the_decoded_picture(trained_app):
    app = trained_app
    app.segmented_control(key="inspect_source").set_value("upload").run()
    assert_no_exception(app)
    for name, data in unusual_uploads().items():
        app.file_uploader(key="inspect_upload").set_value((name, data, "image/png")).run()
        assert_no_exception(app)
        assert not app.error, [error.value for error in app.error]
        chart_titled(app, f"Yours: {name}")
        chart_titled(app, "What the network takes")


@pytest.mark.trains
def test_examples_and_drawing_sources(trained_app):
    app = trained_app
    app.segmented_control(key="inspect_source").set_value("example").run()
    assert_no_exception(app)
    pills = app.pills(key="inspect_example")
    pills.set_value(pills.options[6]).run()  # "3 a"
    assert_no_exception(app)
    assert app.metric[0].value == "3"
    app.segmented_control(key="inspect_source").set_value("draw").run()
    assert_no_exception(app)
    assert any("as soon as you draw" in caption.value for caption in app.caption)


def heatmap_values(spec: dict) -> np.ndarray:
    """The first trace's z (see trace_values)."""
    return trace_values(spec["data"][0])


def trace_values(trace: dict) -> np.ndarray:
    """A trace's z, whether plotly wrote it as lists or as typed-array bytes."""
    z = trace["z"]
    if isinstance(z, dict):
        import base64

        values = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"]))
        return values.reshape(
            z["shape"]
            if isinstance(z["shape"], list)
            else [int(side) for side in str(z["shape"]).split(",")]
        )
    return np.asarray(z)


@pytest.mark.trains
def test_an_mnist_test_digit_goes_in_unchanged_and_the_preparation_can_be_chosen(trained_app):

    with np.load(MNIST_SAMPLE) as arrays:
        digit = arrays["x_test"][3][..., 0]
    app = trained_app
    app.segmented_control(key="inspect_source").set_value("upload").run()
    app.file_uploader(key="inspect_upload").set_value(
        ("digit.png", encode(Image.fromarray(digit)), "image/png")
    ).run()
    assert_no_exception(app)
    assert app.segmented_control(key="inspect_prepare").value == "auto"
    taken = heatmap_values(chart_titled(app, "What the network takes"))
    assert int(np.abs(taken.astype(int) - digit.astype(int)).max()) == 0
    assert any(caption.value.startswith("Unchanged") for caption in app.caption)
    app.segmented_control(key="inspect_prepare").set_value("digit").run()
    assert_no_exception(app)
    moved = heatmap_values(chart_titled(app, "What the network takes"))
    assert int(np.abs(moved.astype(int) - digit.astype(int)).max()) > 100
    assert any(caption.value.startswith("Digit preparation") for caption in app.caption)
    assert app.session_state[keys.WORKSPACE][keys.INSPECT]["prepare"] == "digit"
    app.segmented_control(key="inspect_prepare").set_value("none").run()
    again = heatmap_values(chart_titled(app, "What the network takes"))
    np.testing.assert_array_equal(again, digit)
