"""Tests for cnnviz.model.diagram and cnnviz.figures.architecture: multiply-adds, memory, block
geometry."""

import math

from cnnviz.figures import architecture
from cnnviz.model import diagram
from cnnviz.model.layer_types import LayerFamily
from cnnviz.training import presets

MNIST_SHAPE = (28, 28, 1)
CIFAR_SHAPE = (32, 32, 3)


def keras_example_diagram():
    spec = presets.preset_spec("keras_example", MNIST_SHAPE, 10)
    return diagram.build_diagram(spec, MNIST_SHAPE, 10)


def test_keras_example_multiply_adds_match_a_hand_count():
    # conv 3x3x1 -> 32 on 26x26, conv 3x3x32 -> 64 on 11x11 (after pooling 26 -> 13),
    # dense 1600 -> 128 (5x5x64 after the second pooling), dense 128 -> 10.
    hand = [0, 26 * 26 * 32 * 9, 0, 11 * 11 * 64 * 9 * 32, 0, 0, 1600 * 128, 128 * 10]
    result = keras_example_diagram()
    assert [block.multiply_adds for block in result.blocks] == hand
    assert result.total_multiply_adds == 2_631_040 == sum(hand)
    assert result.error is None


def test_keras_example_totals_and_memory():
    result = keras_example_diagram()
    assert result.total_params == 225_034  # Keras's summary of the same model
    assert result.weight_bytes == 225_034 * 4
    outputs = [28 * 28, 26 * 26 * 32, 13 * 13 * 32, 11 * 11 * 64, 5 * 5 * 64, 1600, 128, 10]
    assert result.activation_bytes == 4 * sum(outputs)
    assert [block.type for block in result.blocks][:2] == ["Input", "Conv2D"]


def test_block_sizes_follow_the_output_shape():
    result = keras_example_diagram()
    conv, pool = result.blocks[1], result.blocks[2]
    assert pool.height < conv.height  # pooling halves the image side
    assert result.blocks[3].width > conv.width  # 64 channels are wider than 32
    flat = result.blocks[5]
    assert flat.width < conv.width
    assert all(0 < block.height <= 1 and 0 < block.width <= 1 for block in result.blocks)


def test_residual_block_has_its_inside_and_its_multiply_adds():
    spec = presets.preset_spec("resnet_small", CIFAR_SHAPE, 10)
    spec["layers"].insert(-2, {"type": "ResidualBlock", "filters": 128})
    result = diagram.build_diagram(spec, CIFAR_SHAPE, 10)
    blocks = [block for block in result.blocks if block.type == "ResidualBlock"]
    assert len(blocks) == 3
    projected, same = blocks[0], blocks[-1]
    assert [part.name for part in same.parts] == [
        "conv 3x3",
        "batch norm",
        "relu",
        "conv 3x3",
        "batch norm",
        "add shortcut",
        "relu",
    ]
    assert "shortcut conv 1x1" in [part.name for part in projected.parts]
    # 32 -> 64 filters on the pooled 16x16 maps: outputs 16x16x64; two 3x3 convolutions, the
    # 1x1 projection and three batch norms (one multiply-add per value each).
    values = 16 * 16 * 64
    expected = values * (9 * 32 + 9 * 64 + 32) + 3 * values
    assert projected.multiply_adds == expected
    assert sum(part.params for part in projected.parts) == projected.params


def test_a_mistake_stops_the_blocks_and_is_reported():
    spec = {"layers": [{"type": "Dense", "units": 10, "activation": "softmax"}]}
    result = diagram.build_diagram(spec, MNIST_SHAPE, 10)
    assert [block.type for block in result.blocks] == ["Input"]
    assert "Flatten" in result.error
    assert result.total_multiply_adds == 0


def test_figure_holds_one_box_per_block_with_its_figures():
    result = keras_example_diagram()
    figure = architecture.plot_architecture(result)
    boxes = [trace for trace in figure.data if trace.fill == "toself"]
    assert [trace.name for trace in boxes] == [
        f"{block.position} {block.type}" for block in result.blocks
    ]
    conv = boxes[1]
    assert "multiply-adds 194,688" in conv.text and "26 x 26 x 32" in conv.text
    assert math.isclose(max(conv.y) - min(conv.y), result.blocks[1].height)
    assert "2.63 M multiply-adds" in figure.layout.title.text


def test_figure_draws_a_residual_blocks_inside_and_shortcut():
    spec = presets.preset_spec("resnet_small", CIFAR_SHAPE, 10)
    figure = architecture.plot_architecture(diagram.build_diagram(spec, CIFAR_SHAPE, 10))
    names = [trace.name for trace in figure.data]
    shortcuts = [name for name in names if name.endswith(" shortcut") and "add" not in name]
    assert len(shortcuts) == 2
    assert any(name.endswith("shortcut conv 1x1") for name in names)
    augmentation = [trace for trace in figure.data if trace.name.endswith("RandomFlip")]
    assert augmentation[0].fillcolor == architecture.FAMILY_COLOURS[LayerFamily.AUGMENTATION]
