"""Every layer type's record carries every fact its consumers ask for; a new type is one record."""

from __future__ import annotations

import dataclasses

import keras
import pytest

from cnnviz.export import python_code
from cnnviz.figures import architecture
from cnnviz.model import diagram, layer_types
from cnnviz.model import spec as spec_module
from cnnviz.model.layer_types import CATALOGUE, LayerFamily, LayerType


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_record_has_every_fact(name):
    record = CATALOGUE[name]
    assert isinstance(record.family, LayerFamily)
    assert record.family in architecture.FAMILY_COLOURS
    assert callable(record.multiply_adds) and callable(record.torch)
    assert issubclass(record.keras_class(), keras.layers.Layer)
    if record.family == LayerFamily.CONVOLUTION:
        assert callable(record.kernels) and callable(record.as_convolution)


def test_every_family_has_a_colour():
    assert set(architecture.FAMILY_COLOURS) == set(LayerFamily)


def test_a_record_without_multiply_adds_or_torch_code_cannot_be_made():
    # Before the records owned these facts, a missing entry drew 0 or dropped the layer.
    with pytest.raises(TypeError, match="multiply_adds"):
        LayerType(
            "Nothing",
            {},
            "does nothing",
            layer_types.same_output,
            family=LayerFamily.RESHAPE,
            torch=lambda position, layer, shape: [],
        )
    with pytest.raises(ValueError, match="kernels"):
        dataclasses.replace(CATALOGUE["Conv2D"], name="Conv", kernels=None)


MOBILE = {
    "layers": [
        {"type": "Conv2D", "filters": 8, "kernel_size": 3, "padding": "same"},
        {
            "type": "DepthwiseConv2D",
            "kernel_size": 3,
            "depth_multiplier": 2,
            "strides": 2,
            "padding": "same",
        },
        {"type": "SeparableConv2D", "filters": 12, "kernel_size": [3, 5], "depth_multiplier": 3},
        {"type": "GlobalAveragePooling2D"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
}


def test_depthwise_and_separable_multiply_adds_and_parameters_by_hand():
    blocks = diagram.build_diagram(MOBILE, (28, 28, 1), 10).blocks
    # Depthwise 3x3, 2 per channel, stride 2 on 28x28x8: 14x14x16 values, each 9 products of
    # one channel's patch; parameters 3*3*16 + 16 biases.
    assert blocks[2].output_shape == (14, 14, 16)
    assert blocks[2].multiply_adds == 14 * 14 * 16 * 9
    assert blocks[2].params == 3 * 3 * 16 + 16
    # Separable 3x5, multiplier 3 on 14x14x16 ('valid'): a 12x10x48 depthwise step (15 products
    # each), then a 1x1 convolution of 48 channels to 12 filters; one bias per filter.
    assert blocks[3].output_shape == (12, 10, 12)
    assert blocks[3].multiply_adds == 12 * 10 * 48 * 15 + 12 * 10 * 48 * 12
    assert blocks[3].params == 15 * 48 + 48 * 12 + 12
    # Keras counts the same.
    from cnnviz.model.with_keras import builder

    model = builder.build_model(MOBILE, (28, 28, 1), 10)
    layers = builder.spec_layers(model)
    assert [layer.count_params() for layer in layers] == [block.params for block in blocks[1:]]
    assert architecture.block_colour("SeparableConv2D") == architecture.block_colour("Conv2D")


def _scale_torch(position: int, layer: dict, input_shape) -> list[str]:
    return [f"ScaleBy({layer['factor']!r})"]


DUMMY = LayerType(
    "ScaleBy",
    {
        "factor": layer_types.Argument(
            "float", 2.0, required=True, minimum=0.0, maximum=10.0, help="Scale."
        )
    },
    "Multiplies every value by a constant.",
    layer_types.same_output,
    starting_arguments={"factor": 2.0},
    family=LayerFamily.NORMALIZATION,
    multiply_adds=lambda layer, input_shape, output_shape: 7 * output_shape[-1],
    torch=_scale_torch,
)


@pytest.fixture
def dummy_layer():
    layer_types.register(DUMMY)
    yield DUMMY
    layer_types.unregister(DUMMY.name)


def test_a_registered_dummy_layer_is_everywhere_with_no_other_edit(dummy_layer):
    spec = {
        "layers": [
            {"type": "Flatten"},
            spec_module.new_layer("ScaleBy"),  # what the editor adds
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ]
    }
    assert spec["layers"][1] == {"type": "ScaleBy", "factor": 2.0}
    infos = spec_module.validate(spec, (4, 4, 1), 10)
    assert infos[1].output_shape == (16,)
    blocks = diagram.build_diagram(spec, (4, 4, 1), 10).blocks
    assert blocks[2].type == "ScaleBy" and blocks[2].multiply_adds == 7 * 16
    assert architecture.block_colour("ScaleBy") == architecture.FAMILY_COLOURS["normalization"]
    assert "layers.ScaleBy(factor=2.0" in python_code.keras_code(spec, (4, 4, 1), 10)
    assert "ScaleBy(2.0)," in python_code.pytorch_code(spec, (4, 4, 1), 10)
    bad = {"layers": [{"type": "ScaleBy", "factor": 11.0}, *spec["layers"][2:]]}
    with pytest.raises(spec_module.SpecError, match="factor"):
        spec_module.validate(bad, (4, 4, 1), 10)
    with pytest.raises(ValueError, match="already in the catalogue"):
        layer_types.register(DUMMY)


class _ScaleByLayer(keras.layers.Layer):
    """The Keras side of the dummy record: multiplies every value by `factor`."""

    def __init__(self, factor: float = 2.0, **keywords):
        super().__init__(**keywords)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor


def test_a_registered_dummy_layer_builds_and_shows_on_inspect(dummy_layer):
    import numpy as np

    from cnnviz.explain import inspection
    from cnnviz.model.with_keras import builder

    layer_types.unregister(DUMMY.name)
    layer_types.register(dataclasses.replace(DUMMY, keras_layer=lambda: _ScaleByLayer))
    spec = {
        "layers": [
            {"type": "Conv2D", "filters": 2, "kernel_size": 3},
            {"type": "ScaleBy", "factor": 3.0},
            {"type": "Flatten"},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ]
    }
    model = builder.build_model(spec, (8, 8, 1), 10)
    image = np.arange(64, dtype=np.float32).reshape(8, 8, 1)
    overview = inspection.network_overview(model, image)
    by_name = {entry["name"]: entry["values"] for entry in overview}
    # The path through the network shows the dummy layer's own output: 3 times the conv's.
    names = [layer.name for layer in builder.spec_layers(model)]
    np.testing.assert_allclose(by_name[names[1]], 3.0 * by_name[names[0]], rtol=1e-6)
