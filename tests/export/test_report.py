"""Tests for cnnviz.export.report and `cnnviz inspect`: three files, on cnnviz and plain models."""

from __future__ import annotations

import json
import re

import keras
import numpy as np
import pytest

from cnnviz.cli import main as cli
from cnnviz.explain import inspection
from cnnviz.export import report
from cnnviz.model.with_keras import builder
from cnnviz.training import presets
from helpers.files import png
from helpers.paths import MNIST_SAMPLE

MNIST_SHAPE = (28, 28, 1)
DIGITS = [str(index) for index in range(10)]


@pytest.fixture(scope="module")
def digit_file(tmp_path_factory):
    pixels = np.full((80, 60), 255, np.uint8)
    pixels[10:70, 25:35] = 0  # a dark "1" on white paper
    path = tmp_path_factory.mktemp("image") / "one.png"
    path.write_bytes(png(pixels))
    return path


@pytest.fixture(scope="module")
def cnnviz_model_file(tmp_path_factory):
    keras.utils.set_random_seed(0)
    spec = presets.preset_spec("keras_example", MNIST_SHAPE, 10)
    model = builder.build_model(spec, MNIST_SHAPE, 10)
    path = tmp_path_factory.mktemp("cnnviz") / "model.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def plain_model_file(tmp_path_factory):
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input(MNIST_SHAPE),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
            keras.layers.MaxPooling2D(name="pool"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    path = tmp_path_factory.mktemp("plain") / "plain.keras"
    model.save(path)
    return path


def run_inspect(*arguments) -> int:
    return cli.main(["inspect", *map(str, arguments)])


def test_inspect_a_cnnviz_model_writes_three_files(cnnviz_model_file, digit_file, tmp_path):
    assert run_inspect("--model", cnnviz_model_file, "--image", digit_file, "--out", tmp_path) == 0
    model = keras.saving.load_model(cnnviz_model_file, safe_mode=True)
    prediction = json.loads((tmp_path / "prediction.json").read_text())
    assert prediction["classes"] == DIGITS
    assert sum(prediction["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    assert "rescales" in prediction["pixels"]
    from cnnviz.data import images

    prepared = images.prepare_upload(digit_file.read_bytes(), MNIST_SHAPE, digit_style=True)
    expected = inspection.predict_probabilities(model, prepared[None])[0]
    np.testing.assert_allclose(prediction["probabilities"], expected, atol=1e-5)
    with np.load(tmp_path / "feature_maps.npz") as maps:
        names = inspection.feature_map_layer_names(model)
        assert sorted(maps.files) == sorted(names)
        reference = keras.Model(model.inputs[0], [model.get_layer(n).output for n in names])
        outputs = reference.predict(prepared[None].astype("float32"), verbose=0)
        for name, output in zip(names, outputs, strict=True):
            assert maps[name].shape == output.shape[1:]
            np.testing.assert_allclose(maps[name], output[0], rtol=1e-5, atol=1e-6)
    page = (tmp_path / "report.html").read_text()
    assert page.count("<script") >= 2 and "Grad-CAM on conv2d_3" in page
    # Self-contained: plotly.js is inside the page, no script is fetched from elsewhere.
    assert "Plotly.newPlot" in page
    assert re.search(r"<script[^>]*\ssrc=", page) is None


def test_inspect_a_plain_keras_model_scales_pixels(plain_model_file, digit_file, tmp_path):
    assert run_inspect("--model", plain_model_file, "--image", digit_file, "--out", tmp_path) == 0
    prediction = json.loads((tmp_path / "prediction.json").read_text())
    assert prediction["pixels"] == "scaled to 0..1"
    model = keras.saving.load_model(plain_model_file, safe_mode=True)
    from cnnviz.data import images

    prepared = images.prepare_upload(digit_file.read_bytes(), MNIST_SHAPE, digit_style=True)
    expected = model.predict(prepared[None].astype("float32") / 255.0, verbose=0)[0]
    np.testing.assert_allclose(prediction["probabilities"], expected, atol=1e-5)
    with np.load(tmp_path / "feature_maps.npz") as maps:
        assert sorted(maps.files) == ["conv", "pool"]
        assert maps["conv"].shape == (26, 26, 4)
    assert "Grad-CAM on conv" in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("bad image", "not an image cnnviz can read"),
        ("missing image", "nope.png does not exist"),
        ("bad model", "not a .keras file"),
        ("missing model", "does not exist"),
        ("wrong dataset", "takes 28x28x1 images but CIFAR-10"),
    ],
)
def test_unusable_inputs_end_with_one_line_and_status_2(
    which, message, plain_model_file, digit_file, tmp_path, capsys
):
    text_file = tmp_path / "notes.png"
    text_file.write_text("not a picture")
    model, image, extra = plain_model_file, digit_file, []
    if which == "bad image":
        image = text_file
    elif which == "missing image":
        image = tmp_path / "nope.png"
    elif which == "bad model":
        model = text_file
    elif which == "missing model":
        model = tmp_path / "nope.keras"
    else:
        extra = ["--dataset", "cifar10"]
    status = run_inspect("--model", model, "--image", image, "--out", tmp_path / "o", *extra)
    error = capsys.readouterr().err.strip()
    assert status == 2
    assert len(error.splitlines()) == 1 and message in error and "Traceback" not in error
    assert error.startswith("cnnviz inspect: error:")


def test_help_states_the_pixel_rule(capsys):
    with pytest.raises(SystemExit):
        cli.main(["inspect", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "0..1" in text and "rescaling" in text and "safe_mode=True" in text


def test_report_refuses_mismatched_class_names():
    content = report.ReportContent(
        title="t",
        original=np.zeros((4, 4, 1), np.uint8),
        prepared=np.zeros((4, 4, 1), np.uint8),
        overview=[{"name": "out", "kind": "vector", "values": np.full(3, 1 / 3, np.float32)}],
        class_names=["a", "b"],
        probabilities=np.full(3, 1 / 3),
    )
    with pytest.raises(ValueError, match="3 probabilities but 2 class names"):
        report.build_report(content)
    content.class_names = ["a", "b", "<c>"]
    page = report.build_report(content)
    assert "&lt;c&gt;" in page or "\\u003cc\\u003e" in page
    assert "Grad-CAM" not in page  # no conv layer, no Grad-CAM section


def test_inspect_takes_an_mnist_test_digit_exactly_unless_told(cnnviz_model_file, tmp_path):
    with np.load(MNIST_SAMPLE) as arrays:
        digit = arrays["x_test"][3]
    image = tmp_path / "digit.png"
    image.write_bytes(png(digit[..., 0]))
    model = keras.saving.load_model(cnnviz_model_file, safe_mode=True)
    first_conv = inspection.conv_layer_names(model)[0]
    reference = keras.Model(model.inputs[0], model.get_layer(first_conv).output)
    for prepare, expected_input in (("auto", digit), ("none", digit), ("digit", None)):
        out = tmp_path / prepare
        assert (
            run_inspect(
                "--model", cnnviz_model_file, "--image", image, "--prepare", prepare, "--out", out
            )
            == 0
        )
        prediction = json.loads((out / "prediction.json").read_text())
        assert prediction["preparation"] == ("digit" if prepare == "digit" else "none")
        assert prediction["unchanged"] == (expected_input is not None)
        with np.load(out / "feature_maps.npz") as maps:
            if expected_input is not None:
                # The feature maps are those of the test image itself.
                wanted = reference.predict(expected_input[None].astype("float32"), verbose=0)
                np.testing.assert_allclose(maps[first_conv], wanted[0], rtol=1e-5, atol=1e-6)


# ----- explanation techniques: --technique, explanation.npz, the report, a registered one -----


def test_inspect_writes_integrated_gradients_to_explanation_npz(
    cnnviz_model_file, digit_file, tmp_path
):
    status = run_inspect(
        "--model", cnnviz_model_file, "--image", digit_file, "--out", tmp_path,
        "--technique", "integrated_gradients",
    )  # fmt: skip
    assert status == 0
    model = keras.saving.load_model(cnnviz_model_file, safe_mode=True)
    from cnnviz.data import images

    prepared = images.prepare_upload(digit_file.read_bytes(), MNIST_SHAPE, digit_style=True)
    with np.load(tmp_path / "explanation.npz") as arrays:
        assert sorted(arrays.files) == ["attributions", "baseline", "class_index", "input"]
        np.testing.assert_array_equal(arrays["input"], prepared)  # the model rescales itself
        np.testing.assert_array_equal(arrays["baseline"], np.zeros(MNIST_SHAPE))
        predicted = int(np.argmax(model.predict(prepared[None], verbose=0)[0]))
        assert arrays["class_index"].shape == () and int(arrays["class_index"]) == predicted
        assert arrays["attributions"].shape == MNIST_SHAPE
        ends = model.predict(np.stack([arrays["baseline"], prepared]), verbose=0)[:, predicted]
        change = float(ends[1] - ends[0])
        assert abs(arrays["attributions"].sum() - change) <= 0.05 * abs(change) + 0.001
    page = (tmp_path / "report.html").read_text()
    from cnnviz.explain.technique_registry import TECHNIQUES

    for technique in TECHNIQUES.values():  # the report shows every registered technique
        assert f"Where it looked ({technique.title})" in page


def test_inspect_grad_cam_on_a_chosen_layer(plain_model_file, digit_file, tmp_path):
    maps = {}
    for layer in ("conv", "pool"):
        status = run_inspect(
            "--model", plain_model_file, "--image", digit_file, "--out", tmp_path / layer,
            "--technique", "grad_cam", "--layer", layer,
        )  # fmt: skip
        assert status == 0
        with np.load(tmp_path / layer / "explanation.npz") as arrays:
            assert sorted(arrays.files) == ["attributions", "class_index", "input"]
            maps[layer] = arrays["attributions"]
        assert f"Grad-CAM on {layer}" in (tmp_path / layer / "report.html").read_text()
    assert maps["conv"].shape == maps["pool"].shape == MNIST_SHAPE[:2]
    assert maps["conv"].max() == pytest.approx(1.0)  # scaled to 0..1
    assert not np.allclose(maps["conv"], maps["pool"])  # the layer asked for was used


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--technique", "lime"], "unknown --technique 'lime'; choose one of: grad_cam"),
        (["--technique", "grad_cam", "--layer", "out"], "--layer 'out' has no feature maps"),
        (["--technique", "saliency", "--layer", "conv"], "leave out --layer"),
    ],
)
def test_a_bad_technique_or_layer_ends_with_one_line_and_status_2(
    extra, message, plain_model_file, digit_file, tmp_path, capsys
):
    status = run_inspect(
        "--model", plain_model_file, "--image", digit_file, "--out", tmp_path, *extra
    )
    error = capsys.readouterr().err.strip()
    assert status == 2 and len(error.splitlines()) == 1 and message in error
    assert not (tmp_path / "explanation.npz").exists()


def test_a_registered_technique_reaches_the_cli_and_the_report(
    plain_model_file, digit_file, tmp_path, monkeypatch
):
    from cnnviz.explain.technique_registry import TECHNIQUES, Explanation, Technique

    def explain(model, image, class_index, layer_name):
        attributions = np.full(image.shape, 0.125, np.float32)
        return Explanation("dummy", attributions, attributions[..., 0], class_index)

    monkeypatch.setitem(
        TECHNIQUES, "dummy", Technique("dummy", "Dummy map", "Dummy: an eighth.", False, explain)
    )
    status = run_inspect(
        "--model", plain_model_file, "--image", digit_file, "--out", tmp_path,
        "--technique", "dummy",
    )  # fmt: skip
    assert status == 0
    with np.load(tmp_path / "explanation.npz") as arrays:
        np.testing.assert_array_equal(arrays["attributions"], np.full(MNIST_SHAPE, 0.125))
    page = (tmp_path / "report.html").read_text()
    assert "Where it looked (Dummy map)" in page and "Dummy: an eighth." in page


def test_grad_cam_on_a_network_without_feature_maps_ends_with_one_line(
    digit_file, tmp_path, capsys
):
    keras.utils.set_random_seed(2)
    model = keras.Sequential(
        [keras.Input(MNIST_SHAPE), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")]
    )
    model.save(tmp_path / "flat.keras")
    arguments = ["--model", tmp_path / "flat.keras", "--image", digit_file, "--out", tmp_path]
    assert run_inspect(*arguments, "--technique", "grad_cam") == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "needs feature maps; this network has none" in error
    # The input-looking techniques still work, and the report leaves Grad-CAM out.
    assert run_inspect(*arguments, "--technique", "saliency") == 0
    page = (tmp_path / "report.html").read_text()
    assert "(Saliency (gradient))" in page and "Grad-CAM" not in page


def test_help_lists_the_registered_techniques(capsys):
    with pytest.raises(SystemExit):
        cli.main(["inspect", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "grad_cam, saliency, smooth_grad, integrated_gradients" in text
