"""The training recipe in the pages: a preset brings its settings, the Train page shows and uses
them, and Inspect shows the augmented copies a training sees. Driven through AppTest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnviz.explain import inspection
from cnnviz.figures.images import plot_augmented_copies
from cnnviz.training import lr_schedules, presets
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception, by_label, open_app, start_training


def load_preset(app, name: str) -> None:
    app.switch_page("pages/build.py").run()
    app.selectbox(key="build_preset").set_value(name).run()
    by_label(app.button, "Load preset").click().run()
    assert_no_exception(app)


def test_loading_a_preset_brings_the_settings_it_was_tuned_with():
    app = open_app()
    load_preset(app, "resnet_small")
    # On MNIST (gray digits) the preset's test-time flips stay off.
    suggested = presets.PRESETS["resnet_small"].settings_for((28, 28, 1))
    assert "test_time_flip" not in suggested
    saved = app.session_state[keys.WORKSPACE][keys.TRAIN_SETTINGS]
    assert {name: saved[name] for name in suggested} == suggested
    app.switch_page("pages/train.py").run()
    assert_no_exception(app)
    assert by_label(app.number_input, "Epochs").value == suggested["epochs"]
    assert by_label(app.select_slider, "Learning rate").value == suggested["learning_rate"]
    assert by_label(app.selectbox, "Learning-rate schedule").value == suggested.get(
        "lr_schedule", "constant"
    )
    assert by_label(app.checkbox, "Test-time flip").value is False


@pytest.mark.trains
def test_the_train_page_trains_with_the_chosen_recipe():
    app = open_app()
    app.switch_page("pages/train.py").run()
    by_label(app.number_input, "Training images").set_value(500)
    by_label(app.selectbox, "Learning-rate schedule").set_value("cosine")
    by_label(app.select_slider, "Label smoothing").set_value(0.1)
    by_label(app.checkbox, "Test-time flip").check()
    app.run()
    by_label(app.button, "Train").click().run()
    assert_no_exception(app)
    job = app.session_state[keys.WORKSPACE][keys.JOB]
    assert job.wait(120)
    assert job.settings.lr_schedule == "cosine"
    assert job.settings.label_smoothing == 0.1
    assert job.settings.test_time_flip is True
    assert job.model.loss.smoothing == pytest.approx(0.1)
    # 450 training images (a tenth of 500 held out) in batches of 128: 4 steps down the cosine.
    last = lr_schedules.learning_rate_at("cosine", 0.001, 3, 4)
    assert float(job.model.optimizer.learning_rate) == pytest.approx(last, rel=1e-5)


@pytest.mark.trains
def test_inspect_shows_augmented_copies_for_a_network_with_augmentation():
    app = open_app()
    app.session_state[keys.WORKSPACE][keys.DATASET] = "cifar10"
    app.run()
    load_preset(app, "resnet_small")
    job = start_training(app, images=200, epochs=1)
    assert job.wait(300)
    app.switch_page("pages/inspect.py").run()
    assert_no_exception(app)
    expander = [e for e in app.expander if e.label.startswith("What training sees")]
    assert expander and "RandomFlip" in expander[0].label
    figures = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    titles = [f["layout"]["title"]["text"] for f in figures if "title" in f["layout"]]
    assert "8 copies after RandomFlip, RandomTranslation" in titles
    first = [f for f in figures if f["layout"].get("title", {}).get("text", "").startswith("8 ")]
    by_label(app.button, "New copies").click().run()
    assert_no_exception(app)
    second = [
        json.loads(chart.proto.spec)
        for chart in app.get("plotly_chart")
        if json.loads(chart.proto.spec)["layout"].get("title", {}).get("text", "").startswith("8 ")
    ]
    assert first[0]["data"] != second[0]["data"]


def test_leading_augmentation_stops_at_the_first_other_layer():
    spec = presets.preset_spec("resnet_small", (32, 32, 3), 10)
    assert [layer["type"] for layer in inspection.leading_augmentation(spec)] == [
        "RandomFlip",
        "RandomTranslation",
    ]
    assert (
        inspection.leading_augmentation(presets.preset_spec("keras_example", (28, 28, 1), 10)) == []
    )


def test_augmented_copies_figure_has_one_tile_per_copy():
    copies = np.zeros((3, 4, 5, 1), dtype=np.uint8)
    copies[1] = 255
    figure = plot_augmented_copies(copies, ["RandomFlip"])
    mosaic = np.asarray(figure.data[0].z)
    assert mosaic.shape == (4, 3 * 5 + 2, 3)
    assert (mosaic[:, 6:11] == 255).all() and (mosaic[:, :5] == 0).all()
    with pytest.raises(ValueError, match="copies must be"):
        plot_augmented_copies(np.zeros((2, 4, 4)), ["RandomFlip"])
