"""Exported Keras and PyTorch code rebuilds the same network; JSON round trips."""

from __future__ import annotations

import importlib.util

import keras
import numpy as np
import pytest

from cnnviz.export import python_code
from cnnviz.model import layer_names
from cnnviz.model import spec as spec_module
from cnnviz.model.with_keras import builder
from cnnviz.training import presets

SHAPES = {"mnist": ((28, 28, 1), 10), "cifar10": ((32, 32, 3), 10)}
CASES = [(preset, data) for preset in presets.PRESETS for data in SHAPES]
HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(
    not HAS_TORCH,
    reason="PyTorch is not installed (pip install -e '.[export]' installs it; torch==2.13.0 CPU)",
)

# Layers with padding and strides that every preset leaves out, so the PyTorch padding rules
# are tested too: odd and even kernels, 'same' with stride 2 (uneven padding), 'same' pooling.
PADDING_SPEC = {
    "name": "padding check",
    "layers": [
        {"type": "Conv2D", "filters": 4, "kernel_size": 4, "padding": "same", "activation": "relu"},
        {"type": "Conv2D", "filters": 5, "kernel_size": 3, "strides": 2, "padding": "same"},
        {"type": "MaxPooling2D", "pool_size": 3, "strides": 2, "padding": "same"},
        {"type": "AveragePooling2D", "pool_size": [2, 1]},
        {"type": "Conv2D", "filters": 6, "kernel_size": [3, 2], "use_bias": False},
        {"type": "BatchNormalization", "momentum": 0.9},
        {"type": "Activation", "activation": "tanh"},
        {"type": "GlobalMaxPooling2D"},
        {"type": "BatchNormalization"},
        {"type": "Dense", "units": 7, "activation": "sigmoid", "use_bias": False},
        {"type": "Dropout", "rate": 0.1},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ],
}

# Residual blocks on 28x28 with odd sizes and strides: Keras's 'same' padding is uneven there.
RESIDUAL_SPEC = {
    "name": "residual check",
    "layers": [
        {"type": "RandomZoom", "height_factor": 0.1},
        {"type": "ResidualBlock", "filters": 4, "kernel_size": 4, "strides": 3},
        {"type": "ResidualBlock", "filters": 4, "kernel_size": [3, 5]},
        {"type": "ResidualBlock", "filters": 6, "strides": [2, 1]},
        {"type": "Flatten"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ],
}
# MobileNet's layers with a depth multiplier, strides, uneven 'same' padding and no bias.
MOBILE_SPEC = {
    "name": "mobile check",
    "layers": [
        {"type": "Conv2D", "filters": 3, "kernel_size": 3, "activation": "relu"},
        {"type": "DepthwiseConv2D", "kernel_size": 4, "depth_multiplier": 2, "padding": "same"},
        {"type": "DepthwiseConv2D", "kernel_size": 3, "strides": 2, "padding": "same"},
        {
            "type": "SeparableConv2D",
            "filters": 5,
            "kernel_size": [3, 2],
            "depth_multiplier": 3,
            "strides": 2,
            "padding": "same",
            "activation": "relu",
        },
        {"type": "SeparableConv2D", "filters": 4, "kernel_size": 3, "activation": "tanh"},
        {"type": "Flatten"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ],
}
SPECS = {"padding": PADDING_SPEC, "resnet_odd": RESIDUAL_SPEC, "mobile": MOBILE_SPEC}


def run_code(code: str) -> dict:
    namespace: dict = {"__name__": "exported"}
    exec(compile(code, "<exported>", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace


@pytest.mark.parametrize("name", SPECS)
def test_the_builder_and_the_exported_code_name_layers_by_one_rule(name):
    spec = SPECS[name]
    input_shape, classes = SHAPES["mnist"]
    model = builder.build_model(spec, input_shape, classes)
    code = python_code.keras_code(spec, input_shape, classes)
    built = [layer.name for layer in builder.spec_layers(model)]
    types = [layer["type"] for layer in spec["layers"]]
    assert built == [layer_names.layer_name(at, kind) for at, kind in enumerate(types, start=1)]
    for layer_name in built:
        assert f'name="{layer_name}"' in code


@pytest.mark.parametrize(("preset", "data"), CASES)
def test_keras_code_rebuilds_the_same_model(preset, data):
    input_shape, classes = SHAPES[data]
    spec = presets.preset_spec(preset, input_shape, classes)
    expected = builder.build_model(spec, input_shape, classes)
    model = run_code(python_code.keras_code(spec, input_shape, classes))["build_model"]()
    assert model.count_params() == expected.count_params()
    assert [layer.name for layer in model.layers] == [layer.name for layer in expected.layers]
    for layer, reference in zip(model.layers, expected.layers, strict=True):
        # The code defines its own ResidualBlock class (the same code as cnnviz's).
        assert type(layer).__name__ == type(reference).__name__
        assert layer.output.shape == reference.output.shape, layer.name
    # The rescaling is there: the same weights give the same outputs on raw pixels.
    model.set_weights(expected.get_weights())
    images = np.random.default_rng(0).integers(0, 256, size=(3, *input_shape)).astype("float32")
    # training=False: Keras's augmentation layers default to training=True when a model is
    # called directly (fit/predict set it themselves).
    np.testing.assert_allclose(
        model(images, training=False), expected(images, training=False), atol=1e-6
    )


@pytest.mark.parametrize("name", ["padding", "mobile"])
def test_keras_code_of_unusual_padding_matches_too(name):
    input_shape, classes = SHAPES["mnist"]
    expected = builder.build_model(SPECS[name], input_shape, classes)
    model = run_code(python_code.keras_code(SPECS[name], input_shape, classes))["build_model"]()
    assert [layer.output.shape for layer in model.layers] == [
        layer.output.shape for layer in expected.layers
    ]
    assert model.count_params() == expected.count_params()


def torch_counts(module) -> tuple[int, int]:
    """(all parameters as Keras counts them, trainable ones) of a torch module."""
    trainable = sum(parameter.numel() for parameter in module.parameters())
    # Keras counts batch norm's moving mean and variance as (non-trainable) weights.
    buffers = module.named_buffers()
    statistics = sum(b.numel() for name, b in buffers if name.endswith(("_mean", "_var")))
    return trainable + statistics, trainable


def torch_model(spec, input_shape, classes):
    namespace = run_code(python_code.pytorch_code(spec, input_shape, classes))
    return namespace[python_code._class_name(spec)]()


@needs_torch
@pytest.mark.parametrize(("preset", "data"), CASES)
def test_pytorch_code_has_the_same_parameters_and_output_shape(preset, data):
    import torch

    input_shape, classes = SHAPES[data]
    spec = presets.preset_spec(preset, input_shape, classes)
    infos = spec_module.validate(spec, input_shape, classes)
    keras_model = builder.build_model(spec, input_shape, classes)
    model = torch_model(spec, input_shape, classes)
    total, trainable = torch_counts(model)
    assert total == keras_model.count_params() == spec_module.total_params(infos)
    assert trainable == sum(info.trainable_params for info in infos)
    height, width, channels = input_shape
    output = model.eval()(torch.zeros(2, channels, height, width))
    assert tuple(output.shape) == (2, classes)


def keras_weight_groups(keras_model) -> list[list[np.ndarray]]:
    """Each Keras layer's weights, a ResidualBlock's split into its convolutions and norms."""
    groups = []
    for layer in builder.spec_layers(keras_model):
        weights = layer.get_weights()
        kind = type(layer).__name__
        if kind in ("DepthwiseConv2D", "SeparableConv2D"):
            # PyTorch's grouped convolution holds the depthwise kernel as one input channel
            # per output channel, in Keras's order (channel c's filters side by side).
            height, width, channels, multiplier = weights[0].shape
            depthwise = weights[0].reshape(height, width, 1, channels * multiplier)
            if kind == "DepthwiseConv2D":
                groups.append([depthwise, *weights[1:]])
            else:
                groups += [[depthwise], weights[1:]]
            continue
        if kind != "ResidualBlock":
            groups += [weights] if weights else []
            continue
        index = 0
        while index < len(weights):  # a 4-D kernel alone, or batch norm's four vectors
            size = 1 if weights[index].ndim == 4 else 4
            groups.append(weights[index : index + size])
            index += size
    return groups


def copy_keras_weights(keras_model, torch_module) -> None:
    """Keras's weights into the exported torch module, module by module, in PyTorch's layout."""
    import torch

    kinds = (torch.nn.Conv2d, torch.nn.Linear, torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)
    torch_layers = [module for module in torch_module.modules() if isinstance(module, kinds)]
    for weights, module in zip(keras_weight_groups(keras_model), torch_layers, strict=True):
        with torch.no_grad():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.copy_(torch.from_numpy(np.transpose(weights[0], (3, 2, 0, 1))))
            elif isinstance(module, torch.nn.Linear):
                module.weight.copy_(torch.from_numpy(weights[0].T))
            else:
                gamma, beta, mean, variance = weights
                module.weight.copy_(torch.from_numpy(gamma))
                module.bias.copy_(torch.from_numpy(beta))
                module.running_mean.copy_(torch.from_numpy(mean))
                module.running_var.copy_(torch.from_numpy(variance))
                continue
            if module.bias is not None:
                module.bias.copy_(torch.from_numpy(weights[1]))


@needs_torch
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("keras_example", "mnist"),
        ("vgg_small", "cifar10"),
        ("padding", "mnist"),
        ("resnet_small", "cifar10"),
        ("resnet_odd", "mnist"),
        ("mobile", "cifar10"),
        ("mobilenet_tiny", "mnist"),
    ],
)
def test_pytorch_code_computes_what_keras_computes(name, data):
    """With Keras's weights copied in, the PyTorch module gives the same probabilities."""
    import torch

    input_shape, classes = SHAPES[data]
    spec = SPECS[name] if name in SPECS else presets.preset_spec(name, input_shape, classes)
    keras_model = builder.build_model(spec, input_shape, classes)
    rng = np.random.default_rng(3)
    # Batch norm with statistics of its own (not the identity it starts as), so its
    # arithmetic is compared too.
    for layer in keras_model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            size = layer.get_weights()[0].shape
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, size),
                    rng.normal(0, 0.2, size),
                    rng.normal(0, 0.2, size),
                    rng.uniform(0.5, 1.5, size),
                ]
            )
    module = torch_model(spec, input_shape, classes).eval()
    copy_keras_weights(keras_model, module)
    images = rng.integers(0, 256, size=(4, *input_shape)).astype("float32")
    expected = np.asarray(keras_model(images, training=False))
    with torch.no_grad():
        actual = module(torch.from_numpy(np.transpose(images, (0, 3, 1, 2)))).numpy()
    np.testing.assert_allclose(actual, expected, atol=1e-4)


def test_uneven_same_average_pooling_is_refused_for_pytorch():
    spec = {
        "layers": [
            {"type": "AveragePooling2D", "pool_size": 2, "padding": "same"},
            {"type": "Flatten"},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ]
    }
    # 28 / 2 pads nothing; 27 would pad one pixel on one side only.
    assert "AvgPool2d(2, stride=2)" in python_code.pytorch_code(spec, (28, 28, 1), 10)
    with pytest.raises(spec_module.SpecError, match="unevenly"):
        python_code.pytorch_code(spec, (27, 27, 1), 10)


def test_an_invalid_spec_is_refused_with_the_builds_message():
    spec = {"layers": [{"type": "Dense", "units": 10, "activation": "softmax"}]}
    for to in python_code.FORMATS:
        with pytest.raises(spec_module.SpecError, match="Layer 1 \\(Dense\\).*Flatten"):
            python_code.export_text(spec, (28, 28, 1), 10, to)
    with pytest.raises(ValueError, match="Choose one of: keras, pytorch, json"):
        python_code.export_text(
            presets.preset_spec("tiny", (28, 28, 1), 10), (28, 28, 1), 10, "onnx"
        )


def test_json_export_round_trips():
    spec = presets.preset_spec("lenet5", (28, 28, 1), 10)
    text = python_code.export_text(spec, (28, 28, 1), 10, "json")
    assert spec_module.from_json(text) == spec


@pytest.mark.parametrize("to", ["keras", "pytorch"])
def test_written_code_is_readable_width_and_compiles(to):
    for preset in presets.PRESETS:
        spec = presets.preset_spec(preset, (32, 32, 3), 10)
        for candidate in (spec, PADDING_SPEC):
            code = python_code.export_text(
                candidate, (28, 28, 1) if candidate is PADDING_SPEC else (32, 32, 3), 10, to
            )
            assert max(len(line) for line in code.splitlines()) <= 100
            compile(code, f"<{preset}>", "exec")


def test_pytorch_code_names_the_transform_of_each_augmentation_layer():
    code = python_code.pytorch_code(RESIDUAL_SPEC, (28, 28, 1), 10)
    assert "torchvision.transforms.RandomAffine(scale=...)" in code
    flips = {
        "layers": [
            {"type": "RandomFlip", "mode": "vertical"},
            {"type": "RandomFlip"},
            {"type": "Flatten"},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ]
    }
    code = python_code.pytorch_code(flips, (28, 28, 1), 10)
    assert "transforms.RandomVerticalFlip()" in code
    assert "transforms.RandomHorizontalFlip and RandomVerticalFlip" in code
    assert code.count("nn.Identity(),") == 2
