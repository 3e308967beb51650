"""Tests for cnnviz.model.spec: validation, shape and parameter inference, JSON and list helpers."""

import copy
import json

import numpy as np
import pytest

from cnnviz.model import layer_types, spec
from cnnviz.model.spec import SpecError
from cnnviz.training.presets import PRESETS

MNIST_SHAPE = (28, 28, 1)
CIFAR_SHAPE = (32, 32, 3)
INPUT_SHAPES = [MNIST_SHAPE, CIFAR_SHAPE]
OUTPUT = {"type": "Dense", "units": 10, "activation": "softmax"}
FLATTEN = {"type": "Flatten"}


def conv(filters=8, kernel_size=3, **extra):
    return {"type": "Conv2D", "filters": filters, "kernel_size": kernel_size, **extra}


# Stacks that are valid on both 28x28x1 and 32x32x3 inputs; between them they use every layer
# type and every argument, with sizes chosen so that Keras's rounding matters.
SHAPE_STACKS = {
    "conv_valid": [conv(8, 3, activation="relu"), FLATTEN, OUTPUT],
    "conv_same_strided": [
        conv(4, 3, strides=2, padding="same"),
        conv(6, 3, strides=3, padding="same", activation="tanh"),
        FLATTEN,
        OUTPUT,
    ],
    "conv_tuple_kernels_no_bias": [
        conv(6, [3, 5], strides=[2, 1], use_bias=False),
        conv(5, (2, 4), strides=3, padding="valid", activation="sigmoid"),
        conv(3, [5, 1], padding="same", use_bias=False, activation="linear"),
        FLATTEN,
        OUTPUT,
    ],
    "pooling_variants": [
        conv(4, 3),
        {"type": "MaxPooling2D", "pool_size": 2, "strides": None},
        {"type": "AveragePooling2D", "pool_size": 3, "strides": 2},
        {"type": "MaxPooling2D", "pool_size": [2, 3], "padding": "same"},
        {"type": "AveragePooling2D", "pool_size": 2, "strides": 1, "padding": "same"},
        FLATTEN,
        OUTPUT,
    ],
    "pooling_defaults_and_odd_strides": [
        {"type": "MaxPooling2D"},
        {"type": "AveragePooling2D", "pool_size": [3, 2], "strides": [2, 3]},
        {"type": "MaxPooling2D", "pool_size": 3, "strides": 2, "padding": "same"},
        FLATTEN,
        OUTPUT,
    ],
    "global_average": [
        conv(16, 3, padding="same", activation="relu"),
        {"type": "GlobalAveragePooling2D"},
        OUTPUT,
    ],
    "global_max_dense_no_bias": [
        conv(12, 5),
        {"type": "GlobalMaxPooling2D"},
        {"type": "Dense", "units": 32, "activation": "relu", "use_bias": False},
        OUTPUT,
    ],
    "normalisation_dropout_activation": [
        conv(8, 3),
        {"type": "BatchNormalization"},
        {"type": "Activation", "activation": "relu"},
        {"type": "Dropout", "rate": 0.5},
        {"type": "MaxPooling2D", "pool_size": 2},
        FLATTEN,
        {"type": "BatchNormalization", "momentum": 0.9, "epsilon": 1e-5},
        {"type": "Dense", "units": 20, "activation": "tanh"},
        {"type": "Dropout", "rate": 0.0},
        OUTPUT,
    ],
    "augmentation_and_residual_blocks": [
        {"type": "RandomFlip", "mode": "horizontal_and_vertical"},
        {"type": "RandomRotation", "factor": 0.1},
        {"type": "RandomTranslation", "height_factor": 0.1, "width_factor": 0.05},
        {"type": "RandomZoom", "height_factor": 0.2, "width_factor": -0.1},
        {"type": "RandomContrast", "factor": 0.5},
        {"type": "ResidualBlock", "filters": 8},
        {"type": "ResidualBlock", "filters": 8, "kernel_size": [3, 2], "strides": 3},
        {"type": "ResidualBlock", "filters": 5, "kernel_size": 5, "strides": [1, 2]},
        {"type": "GlobalAveragePooling2D"},
        OUTPUT,
    ],
    "depthwise_and_separable": [
        {"type": "DepthwiseConv2D", "kernel_size": 3, "depth_multiplier": 3, "padding": "same"},
        {"type": "DepthwiseConv2D", "kernel_size": [2, 4], "strides": [2, 3]},
        {
            "type": "SeparableConv2D",
            "filters": 7,
            "kernel_size": 3,
            "depth_multiplier": 2,
            "strides": 2,
            "padding": "same",
            "activation": "relu",
        },
        FLATTEN,
        OUTPUT,
    ],
    "dense_only": [
        FLATTEN,
        {"type": "Dense", "units": 16, "activation": "sigmoid"},
        {"type": "Activation", "activation": "tanh"},
        OUTPUT,
    ],
}


def test_shape_stacks_use_every_layer_type():
    used = {layer["type"] for layers in SHAPE_STACKS.values() for layer in layers}
    assert used == set(layer_types.LAYER_TYPES)


@pytest.mark.parametrize("input_shape", INPUT_SHAPES, ids=["28x28x1", "32x32x3"])
@pytest.mark.parametrize("stack_name", SHAPE_STACKS)
def test_inferred_shapes_and_params_match_keras(stack_name, input_shape):
    from cnnviz.model.with_keras import builder

    model_spec = {"layers": SHAPE_STACKS[stack_name]}
    infos = spec.validate(model_spec, input_shape, 10)
    model = builder.build_model(model_spec, input_shape, 10)
    keras_layers = builder.spec_layers(model)

    assert len(infos) == len(keras_layers) == len(model_spec["layers"])
    for info, keras_layer in zip(infos, keras_layers, strict=True):
        trainable = sum(int(np.prod(weight.shape)) for weight in keras_layer.trainable_weights)
        keras_view = (
            type(keras_layer).__name__,
            tuple(keras_layer.output.shape[1:]),
            keras_layer.count_params(),
            trainable,
        )
        ours = (info.type, info.output_shape, info.params, info.trainable_params)
        assert ours == keras_view, f"layer {info.position} of {stack_name}"
    assert [info.position for info in infos] == list(range(1, len(infos) + 1))
    assert spec.total_params(infos) == model.count_params()


def test_batch_normalization_counts_moving_statistics_as_untrainable():
    infos = spec.validate(
        {"layers": [conv(8, 3), {"type": "BatchNormalization"}, FLATTEN, OUTPUT]}, MNIST_SHAPE, 10
    )
    # gamma, beta, moving mean and moving variance for each of the 8 channels.
    assert (infos[1].params, infos[1].trainable_params) == (32, 16)


# --- validation errors ----------------------------------------------------------------------


def assert_spec_error(model_spec, position, *fragments, input_shape=MNIST_SHAPE, title="MNIST"):
    with pytest.raises(SpecError) as caught:
        spec.validate(model_spec, input_shape, 10, title)
    assert isinstance(caught.value, ValueError)
    assert caught.value.position == position
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


# Each case: layers, position at fault, and pieces the message must hold (where, what, fix).
LAYER_ERROR_CASES = {
    "kernel_larger_than_input": (
        [conv(8, 5), conv(8, 30), FLATTEN, OUTPUT],
        2,
        ["Layer 2 (Conv2D)", "kernel_size 30x30", "larger than its input 24x24", "smaller"],
    ),
    "kernel_larger_than_input_in_one_direction": (
        [conv(8, [3, 29]), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "kernel_size 3x29", "28x28", "padding='same'"],
    ),
    "pool_larger_than_input": (
        [conv(8, 3, strides=10), {"type": "MaxPooling2D", "pool_size": 4}, FLATTEN, OUTPUT],
        2,
        ["Layer 2 (MaxPooling2D)", "pool_size 4x4", "larger than its input 3x3", "smaller"],
    ),
    "spatial_size_reaches_zero_after_repeated_pooling": (
        [{"type": "AveragePooling2D"}] * 5 + [FLATTEN, OUTPUT],
        5,
        ["Layer 5 (AveragePooling2D)", "1x1", "size 0", "fewer pooling layers"],
    ),
    "dense_on_feature_maps_without_flatten": (
        [conv(8, 3), OUTPUT],
        2,
        ["Layer 2 (Dense)", "26 x 26 x 8", "flat vector", "Add a Flatten"],
    ),
    "conv_after_flatten": (
        [FLATTEN, conv(8, 3), FLATTEN, OUTPUT],
        2,
        ["Layer 2 (Conv2D)", "image-shaped input", "784", "before the Flatten"],
    ),
    "pooling_after_flatten": (
        [conv(4, 3), FLATTEN, {"type": "MaxPooling2D"}, OUTPUT],
        3,
        ["Layer 3 (MaxPooling2D)", "image-shaped input", "2704", "before the Flatten"],
    ),
    "global_pooling_after_global_pooling": (
        [{"type": "GlobalAveragePooling2D"}, {"type": "GlobalMaxPooling2D"}, OUTPUT],
        2,
        ["Layer 2 (GlobalMaxPooling2D)", "image-shaped input"],
    ),
    "last_layer_not_dense": (
        [conv(8, 3), FLATTEN],
        2,
        ["Layer 2 (Flatten)", "last layer", "units=10", "softmax", "Add it at the end"],
    ),
    "output_units_mismatch": (
        [FLATTEN, {"type": "Dense", "units": 5, "activation": "softmax"}],
        2,
        ["Layer 2 (Dense)", "units=10", "one per class of MNIST", "Received: units=5"],
    ),
    "output_activation_relu": (
        [FLATTEN, {"type": "Dense", "units": 10, "activation": "relu"}],
        2,
        ["Layer 2 (Dense)", "activation='softmax'", "probabilities", "activation='relu'"],
    ),
    "output_activation_left_out": (
        [FLATTEN, {"type": "Dense", "units": 10}],
        2,
        ["Layer 2 (Dense)", "activation='softmax'", "Received: activation='linear'"],
    ),
    "zero_filters": (
        [conv(0, 3), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "filters must be at least 1", "Received: filters=0"],
    ),
    "negative_filters": (
        [conv(-4, 3), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "filters must be at least 1", "Received: filters=-4"],
    ),
    "zero_units": (
        [FLATTEN, {"type": "Dense", "units": 0}, OUTPUT],
        2,
        ["Layer 2 (Dense)", "units must be at least 1", "Received: units=0"],
    ),
    "negative_units": (
        [FLATTEN, {"type": "Dense", "units": -1}, OUTPUT],
        2,
        ["Layer 2 (Dense)", "units must be at least 1", "Received: units=-1"],
    ),
    "zero_kernel_size": (
        [conv(8, 0), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "kernel_size must be at least 1", "Received: kernel_size=0"],
    ),
    "negative_kernel_size_in_pair": (
        [conv(8, [3, -1]), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "kernel_size must be at least 1", "Received: kernel_size=[3, -1]"],
    ),
    "zero_pool_size": (
        [{"type": "MaxPooling2D", "pool_size": 0}, FLATTEN, OUTPUT],
        1,
        ["Layer 1 (MaxPooling2D)", "pool_size must be at least 1", "Received: pool_size=0"],
    ),
    "negative_pool_size": (
        [{"type": "AveragePooling2D", "pool_size": [-2, 2]}, FLATTEN, OUTPUT],
        1,
        ["Layer 1 (AveragePooling2D)", "pool_size must be at least 1"],
    ),
    "zero_conv_strides": (
        [conv(8, 3, strides=0), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "strides must be at least 1", "Received: strides=0"],
    ),
    "negative_conv_strides_in_pair": (
        [conv(8, 3, strides=[1, -2]), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "strides must be at least 1"],
    ),
    "zero_pool_strides": (
        [{"type": "MaxPooling2D", "strides": 0}, FLATTEN, OUTPUT],
        1,
        ["Layer 1 (MaxPooling2D)", "strides must be at least 1", "Received: strides=0"],
    ),
    "dropout_rate_one": (
        [FLATTEN, {"type": "Dropout", "rate": 1.0}, OUTPUT],
        2,
        ["Layer 2 (Dropout)", "rate must be below 1", "Received: rate=1.0"],
    ),
    "dropout_rate_negative": (
        [FLATTEN, {"type": "Dropout", "rate": -0.1}, OUTPUT],
        2,
        ["Layer 2 (Dropout)", "rate must be at least 0", "Received: rate=-0.1"],
    ),
    "batch_norm_momentum_one": (
        [{"type": "BatchNormalization", "momentum": 1}, FLATTEN, OUTPUT],
        1,
        ["Layer 1 (BatchNormalization)", "momentum must be below 1"],
    ),
    "batch_norm_negative_epsilon": (
        [{"type": "BatchNormalization", "epsilon": -0.001}, FLATTEN, OUTPUT],
        1,
        ["Layer 1 (BatchNormalization)", "epsilon must be at least 0"],
    ),
    "unknown_type_with_suggestion": (
        [FLATTEN, {"type": "Conv2d", "filters": 8}, OUTPUT],
        2,
        ["Layer 2", "unknown layer type 'Conv2d'", "Did you mean 'Conv2D'?", "Supported types"],
    ),
    "unknown_argument_with_suggestion": (
        [{"type": "Conv2D", "filter": 8, "kernel_size": 3}, FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "unknown argument 'filter'", "Did you mean 'filters'?", "takes:"],
    ),
    "argument_on_layer_without_arguments": (
        [{"type": "Flatten", "units": 10}, OUTPUT],
        1,
        ["Layer 1 (Flatten)", "unknown argument 'units'", "no arguments"],
    ),
    "missing_filters": (
        [{"type": "Conv2D", "kernel_size": 3}, FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "'filters' is missing"],
    ),
    "missing_kernel_size": (
        [{"type": "Conv2D", "filters": 8}, FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "'kernel_size' is missing"],
    ),
    "missing_units": (
        [FLATTEN, {"type": "Dense", "activation": "softmax"}],
        2,
        ["Layer 2 (Dense)", "'units' is missing"],
    ),
    "missing_dropout_rate": (
        [FLATTEN, {"type": "Dropout"}, OUTPUT],
        2,
        ["Layer 2 (Dropout)", "'rate' is missing"],
    ),
    "missing_activation_function": (
        [FLATTEN, {"type": "Activation"}, OUTPUT],
        2,
        ["Layer 2 (Activation)", "'activation' is missing"],
    ),
    "string_for_int": (
        [conv("32", 3), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "filters must be a whole number", "Received: filters='32'"],
    ),
    "float_for_int": (
        [FLATTEN, {"type": "Dense", "units": 10.0, "activation": "softmax"}],
        2,
        ["Layer 2 (Dense)", "units must be a whole number", "Received: units=10.0"],
    ),
    "bool_for_int": (
        [conv(True, 3), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "filters must be a whole number", "Received: filters=True"],
    ),
    "null_for_required_int": (
        [conv(None, 3), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "filters needs a value"],
    ),
    "list_of_three_for_size": (
        [conv(8, [3, 3, 3]), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "kernel_size must be a whole number such as 3, or a pair"],
    ),
    "string_for_size": (
        [{"type": "MaxPooling2D", "pool_size": "2"}, FLATTEN, OUTPUT],
        1,
        ["Layer 1 (MaxPooling2D)", "pool_size must be a whole number", "Received: pool_size='2'"],
    ),
    "float_inside_size_pair": (
        [conv(8, [3, 2.5]), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "kernel_size must be a whole number such as 3, or a pair"],
    ),
    "bool_for_size": (
        [conv(8, 3, strides=True), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "strides must be a whole number"],
    ),
    "null_conv_strides": (
        [conv(8, 3, strides=None), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "strides needs a value"],
    ),
    "string_for_float": (
        [FLATTEN, {"type": "Dropout", "rate": "0.5"}, OUTPUT],
        2,
        ["Layer 2 (Dropout)", "rate must be a number", "Received: rate='0.5'"],
    ),
    "nan_for_float": (
        [FLATTEN, {"type": "Dropout", "rate": float("nan")}, OUTPUT],
        2,
        ["Layer 2 (Dropout)", "rate must be a number"],
    ),
    "bad_padding": (
        [conv(8, 3, padding="full"), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "padding must be one of 'valid', 'same'", "Received: padding='full'"],
    ),
    "bad_activation": (
        [conv(8, 3, activation="gelu"), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "activation must be one of", "'relu'", "activation='gelu'"],
    ),
    "capitalised_activation": (
        [FLATTEN, {"type": "Activation", "activation": "ReLU"}, OUTPUT],
        2,
        ["Layer 2 (Activation)", "activation must be one of", "Received: activation='ReLU'"],
    ),
    "string_for_bool": (
        [conv(8, 3, use_bias="yes"), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "use_bias must be true or false", "Received: use_bias='yes'"],
    ),
    "layer_not_an_object": (
        [FLATTEN, "Dense", OUTPUT],
        2,
        ["Layer 2", "must be an object", "Received: 'Dense'"],
    ),
    "layer_without_type": (
        [FLATTEN, {"units": 10, "activation": "softmax"}],
        2,
        ["Layer 2", "no 'type'", "Conv2D"],
    ),
    # Each catalogue number has a maximum, so absurd values never reach a widget or a tensor.
    "a_billion_filters": (
        [conv(1_000_000_000), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "filters must be at most 4,096", "Received: filters=1000000000"],
    ),
    "units_10_to_the_30": (
        [FLATTEN, {"type": "Dense", "units": 10**30}, OUTPUT],
        2,
        ["Layer 2 (Dense)", "units must be at most 1,000,000", "Received: units=1000000"],
    ),
    "units_with_more_digits_than_repr_allows": (
        [FLATTEN, {"type": "Dense", "units": 10**5000}, OUTPUT],
        2,
        ["units must be at most", "(a int too large to show)"],
    ),
    "kernel_far_larger_than_input_with_same": (
        [conv(8, 300, padding="same"), FLATTEN, OUTPUT],
        1,
        ["Layer 1 (Conv2D)", "300x300", "28x28", "only ever see padding", "at most 55"],
    ),
    "kernel_one_past_what_same_allows": (
        [conv(8, [3, 56], padding="same"), FLATTEN, OUTPUT],
        1,
        ["at most 55", "Received: kernel_size=3x56"],
    ),
    "pool_larger_than_a_1x1_input": (
        [{"type": "MaxPooling2D", "pool_size": 28}, {"type": "MaxPooling2D", "padding": "same"}]
        + [FLATTEN, OUTPUT],
        2,
        ["Layer 2 (MaxPooling2D)", "pool_size 2x2", "1x1", "at most 1"],
    ),
    "stride_over_the_maximum": (
        [conv(8, 3, strides=2000), FLATTEN, OUTPUT],
        1,
        ["strides must be at most 1,024"],
    ),
    "epsilon_over_the_maximum": (
        [{"type": "BatchNormalization", "epsilon": 1e300}, FLATTEN, OUTPUT],
        1,
        ["epsilon must be at most 1"],
    ),
    "dense_weights_past_32_bits": (
        [conv(4096, 3, padding="same"), FLATTEN, {"type": "Dense", "units": 1_000_000}, OUTPUT],
        3,
        ["Layer 3 (Dense)", "3,211,264,000,000 numbers", "more than TensorFlow can hold"],
    ),
    "a_huge_layer_value_is_quoted_short": (
        [FLATTEN, {"type": "Dense", "units": "9" * 1_000_000}, OUTPUT],
        2,
        ["units must be a whole number", "..."],
    ),
}


@pytest.mark.parametrize("case", LAYER_ERROR_CASES)
def test_invalid_layer_raises_spec_error_naming_it(case):
    layers, position, fragments = LAYER_ERROR_CASES[case]
    assert_spec_error({"layers": layers}, position, *fragments)


def test_unknown_type_far_from_any_gives_no_suggestion_but_lists_types():
    message = assert_spec_error(
        {"layers": [{"type": "Transformer"}, OUTPUT]}, 1, "'Transformer'", "Conv2D", "Dense"
    )
    assert "Did you mean" not in message


@pytest.mark.parametrize("bad_type", [["Conv2D"], {"name": "Conv2D"}])
def test_unhashable_layer_type_raises_spec_error(bad_type):
    assert_spec_error({"layers": [{"type": bad_type}, OUTPUT]}, 1, "Layer 1", "unknown")


def test_error_names_the_data_set_title_for_a_wrong_output_size():
    model_spec = {"layers": [FLATTEN, {"type": "Dense", "units": 2, "activation": "softmax"}]}
    assert_spec_error(model_spec, 2, "CIFAR-10", input_shape=CIFAR_SHAPE, title="CIFAR-10")


def test_messages_stay_short_for_huge_or_deeply_nested_values():
    nested = []
    for _ in range(10_000):
        nested = [nested]
    for value in (nested, "x" * 1_000_000, {"a" * 100_000: 1}):
        with pytest.raises(SpecError) as caught:
            spec.validate({"layers": [{"type": "Dropout", "rate": value}, OUTPUT]}, (10,), 10)
        assert len(str(caught.value)) < 300


def test_show_value_shortens_text_and_survives_giant_integers():
    assert spec.show_value("abc") == "'abc'"
    assert len(spec.show_value("x" * 10_000)) < 80
    assert spec.show_value(10**5000) == "(a int too large to show)"


def test_a_spec_of_more_layers_than_cnnviz_builds_is_refused():
    layers = [FLATTEN] * spec.MAX_LAYERS + [OUTPUT]
    assert_spec_error({"layers": layers}, None, "501 layers", "at most 500")
    spec.validate({"layers": layers[1:]}, MNIST_SHAPE, 10)


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("<script>alert(1)</script>", "may hold letters, digits"),
        ("rocket \U0001f680", "may hold letters, digits"),
        ({"an": "object"}, "must be text"),
        (17, "must be text"),
        ("x" * 1_000_000, "at most 60 characters"),
        ("line\nbreak", "may hold letters"),
    ],
)
def test_a_spec_name_that_is_not_short_plain_text_is_refused(name, fragment):
    message = assert_spec_error({"name": name, "layers": [FLATTEN, OUTPUT]}, None, fragment)
    assert len(message) < 300


def test_description_may_be_longer_text_but_not_control_characters():
    ok = {"description": "Two convolutions.\nThen a classifier.", "layers": [FLATTEN, OUTPUT]}
    spec.validate(ok, MNIST_SHAPE, 10)
    assert_spec_error({**ok, "description": "bell \x07"}, None, "plain printable text")
    assert_spec_error({**ok, "description": "x" * 2001}, None, "at most 2000 characters")


@pytest.mark.parametrize(
    "name, keras_name",
    [
        ("keras_example", "keras_example"),
        ("My net (v2)", "My_net__v2_"),
        ("ünïcode", "model__n_code"),
        ("ü", "cnnviz_model"),
        ("1 digit first", "model_1_digit_first"),
        ("", "cnnviz_model"),
        (None, "cnnviz_model"),
        ("a" * 500, "a" * 60),
    ],
)
def test_keras_model_name_is_always_a_valid_keras_name(name, keras_name):
    model_spec = {"layers": []} if name is None else {"name": name, "layers": []}
    assert spec.keras_model_name(model_spec) == keras_name


def test_from_json_turns_deep_nesting_and_giant_numbers_into_spec_errors():
    with pytest.raises(SpecError, match="nested too deeply"):
        spec.from_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SpecError, match="not valid JSON"):
        spec.from_json('{"layers": [], "name": ' + "1" * 5000 + "}")
    with pytest.raises(SpecError, match="not valid JSON"):
        spec.from_json(b"\xff\xfe{}")


def test_kernel_that_fits_only_with_same_padding_is_accepted():
    model_spec = {"layers": [conv(8, 30, padding="same"), FLATTEN, OUTPUT]}
    infos = spec.validate(model_spec, MNIST_SHAPE, 10)
    assert infos[0].output_shape == (28, 28, 8)


def test_empty_layer_list_asks_for_an_output_layer():
    assert_spec_error({"layers": []}, None, "no layers", "units=10", "softmax", "preset")


SPEC_STRUCTURE_CASES = {
    "spec_is_a_list": ([OUTPUT], ["JSON object", "Received: list"]),
    "spec_is_a_string": ('{"layers": []}', ["JSON object", "Received: str"]),
    "spec_is_none": (None, ["JSON object", "Received: NoneType"]),
    "spec_without_layers": ({"name": "net"}, ['"layers" list']),
    "layers_not_a_list": ({"layers": OUTPUT}, ['"layers" must be a list']),
    "layers_is_null": ({"layers": None}, ['"layers" must be a list']),
    "unknown_top_level_key": (
        {"layers": [FLATTEN, OUTPUT], "optimizer": "adam"},
        ["Unknown key 'optimizer'", "layers", "description"],
    ),
}


@pytest.mark.parametrize("case", SPEC_STRUCTURE_CASES)
def test_malformed_spec_raises_spec_error_without_position(case):
    model_spec, fragments = SPEC_STRUCTURE_CASES[case]
    assert_spec_error(model_spec, None, *fragments)


def test_descriptive_top_level_keys_are_allowed():
    model_spec = {
        "name": "mine",
        "description": "a first try",
        "dataset": "mnist",
        "layers": [FLATTEN, OUTPUT],
    }
    assert [info.output_shape for info in spec.validate(model_spec, MNIST_SHAPE, 10)] == [
        (784,),
        (10,),
    ]


def test_validate_does_not_change_the_spec():
    model_spec = {"layers": copy.deepcopy(SHAPE_STACKS["pooling_variants"])}
    before = copy.deepcopy(model_spec)
    spec.validate(model_spec, CIFAR_SHAPE, 10)
    assert model_spec == before


# --- JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize("input_shape", INPUT_SHAPES, ids=["28x28x1", "32x32x3"])
@pytest.mark.parametrize("preset_name", PRESETS)
def test_json_round_trip_of_every_preset(preset_name, input_shape):
    model_spec = PRESETS[preset_name].spec(input_shape, 10)
    text = spec.to_json(model_spec)
    assert json.loads(text) == model_spec
    assert spec.from_json(text) == model_spec
    assert spec.from_json(text.encode("utf-8")) == model_spec


def test_json_round_trip_turns_size_tuples_into_lists_that_still_validate():
    model_spec = {"layers": [conv(4, (3, 5), strides=(1, 2)), FLATTEN, OUTPUT]}
    restored = spec.from_json(spec.to_json(model_spec))
    assert restored["layers"][0]["kernel_size"] == [3, 5]
    assert spec.validate(restored, MNIST_SHAPE, 10) == spec.validate(model_spec, MNIST_SHAPE, 10)


@pytest.mark.parametrize(
    "text",
    ['{"layers": [', "{layers: []}", "", "not json at all", b"\xff\xfe\x00garbage"],
    ids=["truncated", "unquoted_key", "empty", "prose", "bad_bytes"],
)
def test_from_json_rejects_invalid_json(text):
    with pytest.raises(SpecError, match="not valid JSON"):
        spec.from_json(text)


@pytest.mark.parametrize(
    "text, fragment",
    [("[1, 2]", "JSON object"), ('{"lay": []}', '"layers" list'), ('{"layers": 3}', "list")],
)
def test_from_json_rejects_json_that_is_not_a_spec(text, fragment):
    with pytest.raises(SpecError, match=fragment):
        spec.from_json(text)


def test_from_json_checks_only_the_outer_shape():
    # Layer problems are for validate(), which knows the data set; loading keeps the draft.
    loaded = spec.from_json('{"layers": [{"type": "Dense", "units": 0}]}')
    assert loaded == {"layers": [{"type": "Dense", "units": 0}]}


# --- list helpers ---------------------------------------------------------------------------


@pytest.fixture
def three_layer_spec():
    return {"name": "demo", "layers": [conv(8, 3), FLATTEN, copy.deepcopy(OUTPUT)]}


def test_insert_layer_returns_new_spec_and_keeps_original(three_layer_spec):
    before = copy.deepcopy(three_layer_spec)
    pool = {"type": "MaxPooling2D", "pool_size": 2}
    result = spec.insert_layer(three_layer_spec, 1, pool)
    assert [layer["type"] for layer in result["layers"]] == [
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dense",
    ]
    assert result["name"] == "demo"
    assert three_layer_spec == before
    pool["pool_size"] = 3
    assert result["layers"][1]["pool_size"] == 2


def test_insert_layer_at_the_end(three_layer_spec):
    result = spec.insert_layer(three_layer_spec, 3, {"type": "Dropout", "rate": 0.1})
    assert result["layers"][-1] == {"type": "Dropout", "rate": 0.1}
    assert len(three_layer_spec["layers"]) == 3


def test_remove_layer_returns_new_spec_and_keeps_original(three_layer_spec):
    before = copy.deepcopy(three_layer_spec)
    result = spec.remove_layer(three_layer_spec, 0)
    assert result["layers"] == [FLATTEN, OUTPUT]
    assert three_layer_spec == before


def test_move_layer_swaps_with_its_neighbour(three_layer_spec):
    before = copy.deepcopy(three_layer_spec)
    down = spec.move_layer(three_layer_spec, 0, 1)
    up = spec.move_layer(three_layer_spec, 2, -1)
    assert [layer["type"] for layer in down["layers"]] == ["Flatten", "Conv2D", "Dense"]
    assert [layer["type"] for layer in up["layers"]] == ["Conv2D", "Dense", "Flatten"]
    assert three_layer_spec == before


@pytest.mark.parametrize("index, offset", [(0, -1), (2, 1), (1, 5), (1, -2)])
def test_move_layer_past_the_ends_is_a_no_op(three_layer_spec, index, offset):
    before = copy.deepcopy(three_layer_spec)
    result = spec.move_layer(three_layer_spec, index, offset)
    assert result == before
    assert result is not three_layer_spec
    assert result["layers"] is not three_layer_spec["layers"]


def test_replace_layer_returns_new_spec_and_keeps_original(three_layer_spec):
    before = copy.deepcopy(three_layer_spec)
    result = spec.replace_layer(three_layer_spec, 0, conv(16, 5))
    assert result["layers"][0]["filters"] == 16
    assert three_layer_spec == before


def test_helper_results_do_not_share_layer_dicts_with_the_original(three_layer_spec):
    results = [
        spec.insert_layer(three_layer_spec, 0, FLATTEN),
        spec.remove_layer(three_layer_spec, 1),
        spec.move_layer(three_layer_spec, 1, 1),
        spec.replace_layer(three_layer_spec, 1, FLATTEN),
    ]
    for result in results:
        for layer in result["layers"]:
            layer["edited"] = True
    assert all("edited" not in layer for layer in three_layer_spec["layers"])


# --- new_layer and describe_layer -----------------------------------------------------------


def sensible_stack(layer):
    """Put a new layer where its type makes sense, in front of a valid classifier."""
    if layer["type"] == "Flatten":
        return [layer, OUTPUT]
    if layer["type"] == "Dense":
        return [FLATTEN, layer, OUTPUT]
    if layer["type"].startswith("Global"):
        return [layer, OUTPUT]
    return [layer, FLATTEN, OUTPUT]


@pytest.mark.parametrize("input_shape", INPUT_SHAPES, ids=["28x28x1", "32x32x3"])
@pytest.mark.parametrize("layer_type", layer_types.LAYER_TYPES)
def test_new_layer_of_every_type_validates_in_a_sensible_stack(layer_type, input_shape):
    layer = spec.new_layer(layer_type)
    assert layer["type"] == layer_type
    infos = spec.validate({"layers": sensible_stack(layer)}, input_shape, 10)
    assert infos[-1].output_shape == (10,)


def test_the_catalogue_is_one_record_per_type_and_the_views_follow_it():
    assert list(layer_types.LAYER_TYPES) == list(layer_types.CATALOGUE)
    for name, record in layer_types.CATALOGUE.items():
        assert record.name == name
        assert layer_types.LAYER_TYPES[name] is record.arguments
        assert layer_types.LAYER_DESCRIPTIONS[name] == record.description
        assert record.description.endswith(".")
        assert set(record.starting_arguments) <= set(record.arguments)
        assert (name in layer_types.NEEDS_IMAGE_INPUT) == record.needs_image_input


def test_new_layer_returns_a_fresh_dict_each_time():
    first = spec.new_layer("Conv2D")
    first["filters"] = 1
    assert spec.new_layer("Conv2D")["filters"] != 1


def test_new_layer_of_unknown_type_suggests_a_close_one():
    with pytest.raises(SpecError, match="Did you mean 'Dense'"):
        spec.new_layer("Dens")


@pytest.mark.parametrize(
    "layer, text",
    [
        (conv(32, 3, activation="relu"), "Conv2D 32 filters 3x3, relu"),
        (conv(16, [5, 3]), "Conv2D 16 filters 5x3"),
        ({"type": "MaxPooling2D"}, "MaxPooling2D 2x2"),
        ({"type": "AveragePooling2D", "pool_size": [3, 1]}, "AveragePooling2D 3x1"),
        ({"type": "Dense", "units": 10, "activation": "softmax"}, "Dense 10, softmax"),
        ({"type": "Dense", "units": 64, "activation": "linear"}, "Dense 64"),
        ({"type": "Dropout", "rate": 0.25}, "Dropout 0.25"),
        ({"type": "Activation", "activation": "tanh"}, "Activation tanh"),
        ({"type": "Flatten"}, "Flatten"),
    ],
)
def test_describe_layer(layer, text):
    assert spec.describe_layer(layer) == text
