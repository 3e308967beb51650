"""Tests for cnnviz.training.presets: every preset fits every data set and builds in Keras."""

import pytest

from cnnviz.data.datasets import DATASETS
from cnnviz.model import spec
from cnnviz.model.spec import SpecError
from cnnviz.training.presets import DEFAULT_PRESET, PRESETS, preset_spec
from cnnviz.training.settings import TrainingSettings


@pytest.mark.parametrize("dataset_name", DATASETS)
@pytest.mark.parametrize("preset_name", PRESETS)
def test_preset_validates_and_builds_for_every_data_set(preset_name, dataset_name):
    from cnnviz.model.with_keras import builder

    info = DATASETS[dataset_name]
    model_spec = preset_spec(preset_name, info.input_shape, info.num_classes)
    infos = spec.validate(model_spec, info.input_shape, info.num_classes, info.title)
    output_layer = model_spec["layers"][-1]
    assert output_layer["type"] == "Dense"
    assert output_layer["units"] == info.num_classes
    assert output_layer["activation"] == "softmax"
    assert infos[-1].output_shape == (info.num_classes,)

    model = builder.build_model(model_spec, info.input_shape, info.num_classes)
    assert tuple(model.input.shape[1:]) == info.input_shape
    assert tuple(model.output.shape[1:]) == (info.num_classes,)
    assert model.count_params() == spec.total_params(infos)


@pytest.mark.parametrize("num_classes", [2, 7, 100])
def test_preset_output_layer_follows_the_class_count(num_classes):
    for name in PRESETS:
        model_spec = preset_spec(name, (32, 32, 3), num_classes)
        assert model_spec["layers"][-1]["units"] == num_classes
        spec.validate(model_spec, (32, 32, 3), num_classes)


def test_unknown_preset_raises_value_error_listing_the_names():
    with pytest.raises(ValueError) as caught:
        preset_spec("resnet152", (28, 28, 1), 10)
    message = str(caught.value)
    assert isinstance(caught.value, SpecError)
    assert "resnet152" in message
    for name in PRESETS:
        assert name in message


def test_default_preset_exists():
    assert DEFAULT_PRESET in PRESETS


def test_keras_example_is_the_classic_two_block_cnn():
    model_spec = preset_spec("keras_example", (28, 28, 1), 10)
    normalised = [
        {key: value for key, value in layer.items() if value not in ("valid", None)}
        for layer in model_spec["layers"]
    ]
    assert normalised == [
        {"type": "Conv2D", "filters": 32, "kernel_size": 3, "activation": "relu"},
        {"type": "MaxPooling2D", "pool_size": 2},
        {"type": "Conv2D", "filters": 64, "kernel_size": 3, "activation": "relu"},
        {"type": "MaxPooling2D", "pool_size": 2},
        {"type": "Flatten"},
        {"type": "Dense", "units": 128, "activation": "relu"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]


def test_keras_example_parameter_count_on_mnist():
    # 3*3*1*32+32 + 3*3*32*64+64 + (5*5*64)*128+128 + 128*10+10, worked out by hand.
    infos = spec.validate(preset_spec("keras_example", (28, 28, 1), 10), (28, 28, 1), 10)
    assert spec.total_params(infos) == 225_034
    assert [info.output_shape for info in infos][:5] == [
        (26, 26, 32),
        (13, 13, 32),
        (11, 11, 64),
        (5, 5, 64),
        (1600,),
    ]


def test_preset_spec_returns_a_fresh_spec_each_call():
    first = preset_spec("tiny", (28, 28, 1), 10)
    first["layers"][0]["filters"] = 1
    first["layers"].append({"type": "Flatten"})
    second = preset_spec("tiny", (28, 28, 1), 10)
    assert second["layers"][0]["filters"] != 1
    assert second["layers"][-1]["type"] == "Dense"


def test_presets_have_titles_descriptions_and_training_settings():
    for name, preset in PRESETS.items():
        assert preset.name == name
        assert preset.title and preset.description
        assert {"epochs", "batch_size", "learning_rate"} <= set(preset.suggested)


def test_every_preset_names_its_source():
    for preset in PRESETS.values():
        assert len(preset.source) > 20, preset.name


def test_small_resnet_flips_only_colour_photos():
    digits = [layer["type"] for layer in preset_spec("resnet_small", (28, 28, 1), 10)["layers"]]
    photos = [layer["type"] for layer in preset_spec("resnet_small", (32, 32, 3), 10)["layers"]]
    assert "RandomFlip" not in digits and photos[0] == "RandomFlip"
    assert photos.count("ResidualBlock") == 2 and "RandomTranslation" in digits


def test_suggested_settings_are_valid_and_flip_test_images_only_for_photos():
    for preset in PRESETS.values():
        for shape in ((28, 28, 1), (32, 32, 3)):
            TrainingSettings.from_dict(preset.settings_for(shape))
    resnet = PRESETS["resnet_small"]
    assert resnet.settings_for((32, 32, 3))["test_time_flip"] is True
    assert "test_time_flip" not in resnet.settings_for((28, 28, 1))
    assert resnet.settings_for((28, 28, 1))["lr_schedule"] == "one_cycle"
