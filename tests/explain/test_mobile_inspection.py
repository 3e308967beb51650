"""Inspect shows the kernels and the arithmetic of one value of MobileNet's layers."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explain import arithmetic, inspection
from cnnviz.model.with_keras import builder

SPEC = {
    "layers": [
        {"type": "Conv2D", "filters": 3, "kernel_size": 3, "activation": "relu"},
        {
            "type": "DepthwiseConv2D",
            "kernel_size": 3,
            "depth_multiplier": 2,
            "strides": 2,
            "padding": "same",
            "activation": "relu",
        },
        {
            "type": "SeparableConv2D",
            "filters": 4,
            "kernel_size": [3, 2],
            "depth_multiplier": 2,
            "padding": "same",
            "activation": "tanh",
        },
        {"type": "GlobalAveragePooling2D"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
}


@pytest.fixture(scope="module")
def model():
    model = builder.build_model(SPEC, (12, 12, 1), 10)
    rng = np.random.default_rng(0)
    # Biases that are not zero, so the arithmetic's bias is checked too.
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    return model


def test_the_mobile_layers_have_kernels_to_show(model):
    assert inspection.conv_layer_names(model) == [
        "conv2d_1",
        "depthwise_conv2d_2",
        "separable_conv2d_3",
    ]
    depthwise = inspection.get_kernels(model, "depthwise_conv2d_2")
    # One 3x3 filter per output channel, each reading one input channel.
    assert depthwise.shape == (6, 3, 3, 1)
    keras_kernel = model.get_layer("depthwise_conv2d_2").get_weights()[0]  # (3, 3, 3, 2)
    np.testing.assert_array_equal(depthwise[3, :, :, 0], keras_kernel[:, :, 1, 1])
    # A separable convolution's filters: depthwise filters weighted by the pointwise weights.
    separable = inspection.get_kernels(model, "separable_conv2d_3")
    assert separable.shape == (4, 3, 2, 6)


@pytest.mark.parametrize("name", ["depthwise_conv2d_2", "separable_conv2d_3"])
@pytest.mark.parametrize("where", [(0, 0, 0), (2, 3, 1), (4, 4, 3)])
def test_the_arithmetic_of_one_value_ends_at_the_layers_own_value(model, name, where):
    image = np.random.default_rng(1).integers(0, 256, (12, 12, 1)).astype("float32")
    detail = arithmetic.conv_detail(model, name, image, *where)
    assert detail["value"] == pytest.approx(detail["layer_value"], abs=1e-4)
    assert detail["bias"] != 0.0
    if name.startswith("depthwise"):
        # Output channel c is filter c % 2 of input channel c // 2: the others add nothing.
        own = where[2] // 2
        assert np.count_nonzero(detail["channel_sums"][np.arange(3) != own]) == 0
