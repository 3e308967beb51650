"""The Build page's export and share section, share links opened, .keras files loaded (AppTest)."""

from __future__ import annotations

import urllib.parse

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.export import model_files, python_code, share_links
from cnnviz.model.with_keras import builder
from cnnviz.training import presets
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception, open_app
from helpers.paths import APP


def workspace(app: AppTest) -> dict:
    return app.session_state[keys.WORKSPACE]


def shown_link(app: AppTest) -> str:
    links = [code.value for code in app.code if "spec=" in code.value]
    assert len(links) == 1
    return links[0]


def test_build_page_offers_a_link_and_code_for_the_layers():
    app = open_app("pages/build.py")
    spec = workspace(app)[keys.SPEC]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(shown_link(app)).query)
    assert list(query) == ["spec"]
    assert share_links.decode_spec(query["spec"][0]) == {**spec, "dataset": "mnist"}
    codes = [code.value.strip() for code in app.code]
    assert python_code.keras_code(spec, (28, 28, 1), 10).strip() in codes
    assert python_code.pytorch_code(spec, (28, 28, 1), 10).strip() in codes
    labels = [button.label for button in app.get("download_button")]
    assert "Keras code (.py)" in labels and "PyTorch code (.py)" in labels


def test_opening_a_share_link_loads_the_layers_and_keeps_other_parameters():
    shared = {**presets.preset_spec("lenet5", (32, 32, 3), 10), "dataset": "cifar10"}
    app = open_app("pages/build.py", spec=share_links.encode_spec(shared), source="class-7")
    assert workspace(app)[keys.SPEC] == shared
    assert workspace(app)[keys.DATASET] == "cifar10"
    assert "spec" not in app.query_params
    assert app.query_params["source"] == "class-7"
    first = AppTest.from_file(APP, default_timeout=60)
    first.query_params["spec"] = share_links.encode_spec(shared)
    first.run()
    messages = [element.value for element in first.success]
    assert any("Loaded “lenet5” from the share link: 8 layers" in text for text in messages)


def test_a_tampered_link_says_so_and_leaves_the_layers_alone():
    token = share_links.encode_spec(presets.preset_spec("tiny", (28, 28, 1), 10))
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["spec"] = tampered
    app.run()
    assert_no_exception(app)
    assert "The share link is broken" in app.error[0].value
    assert "Your layers are unchanged" in app.error[0].value
    default = presets.preset_spec(presets.DEFAULT_PRESET, (28, 28, 1), 10)
    assert workspace(app)[keys.SPEC] == default


@pytest.mark.trains
def test_a_keras_file_becomes_the_current_model_ready_to_evaluate():
    spec = presets.preset_spec("compact_bn", (28, 28, 1), 10)
    model = builder.build_model(spec, (28, 28, 1), 10)
    rng = np.random.default_rng(0)
    model.set_weights(
        [w + rng.normal(0, 0.05, w.shape).astype("float32") for w in model.get_weights()]
    )
    app = open_app("pages/build.py")
    app.file_uploader(key="keras_upload").set_value(
        ("mine.keras", model_files.save_keras_bytes(model), "application/octet-stream")
    )
    app.run()
    assert_no_exception(app)
    job = workspace(app)[keys.JOB]
    assert job.name == "mine.keras" and job.state == "finished"
    for original, loaded in zip(model.get_weights(), job.model.get_weights(), strict=True):
        np.testing.assert_array_equal(original, loaded)
    assert workspace(app)[keys.SPEC] == job.spec
    assert any("Loaded mine.keras" in element.value for element in app.success)
    labels = [button.label for button in app.get("download_button")]
    assert "Download mine.keras (.keras)" in labels

    app.switch_page("pages/evaluate.py").run()
    assert_no_exception(app)
    metric = next(m for m in app.metric if m.label == "Test accuracy")
    assert metric.value == f"{job.test_accuracy:.2%}"
    app.switch_page("pages/compare.py").run()
    assert_no_exception(app)
    app.switch_page("pages/inspect.py").run()
    assert_no_exception(app)
    assert "not trained yet" not in " ".join(caption.value for caption in app.caption)
    # Continue trains the loaded weights further, as for a run trained here.
    app.switch_page("pages/train.py").run()
    next(field for field in app.number_input if field.label == "Training images").set_value(1000)
    app.run()
    next(button for button in app.button if button.label == "Continue").click().run()
    assert job.wait(120)
    assert job.state == "finished" and job.epochs_done >= 1


def test_a_file_that_is_not_a_model_is_refused_and_nothing_changes():
    app = open_app("pages/build.py")
    before = dict(workspace(app))
    app.file_uploader(key="keras_upload").set_value(("notes.keras", b"hello", "text/plain"))
    app.run()
    assert_no_exception(app)
    assert "Could not load notes.keras: This is not a .keras file" in app.error[0].value
    assert workspace(app)[keys.JOB] is None
    assert workspace(app)[keys.SPEC] == before[keys.SPEC]


def test_a_model_for_another_data_set_names_the_one_to_choose():
    spec = presets.preset_spec("tiny", (32, 32, 3), 10)
    model = builder.build_model(spec, (32, 32, 3), 10)
    app = open_app("pages/build.py")
    app.file_uploader(key="keras_upload").set_value(
        ("colour.keras", model_files.save_keras_bytes(model), "application/octet-stream")
    )
    app.run()
    assert_no_exception(app)
    assert "Choose CIFAR-10 in the sidebar" in app.error[0].value
    assert workspace(app)[keys.JOB] is None


def test_layers_pytorch_cannot_match_are_explained_and_keras_code_still_offered():
    app = open_app("pages/build.py")
    spec = {
        "layers": [
            {"type": "Conv2D", "filters": 4, "kernel_size": 3},
            {"type": "MaxPooling2D", "pool_size": 2},
            # 13 x 13 pooled by 2 with 'same' pads one pixel on one side only.
            {"type": "AveragePooling2D", "pool_size": 2, "padding": "same"},
            {"type": "Flatten"},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ]
    }
    workspace(app)[keys.SPEC] = spec
    workspace(app)[keys.LAYER_IDS] = [1001, 1002, 1003, 1004, 1005]
    app.run()
    assert_no_exception(app)
    assert any("unevenly" in element.value for element in app.warning)
    labels = [button.label for button in app.get("download_button")]
    assert "Keras code (.py)" in labels and "PyTorch code (.py)" not in labels
