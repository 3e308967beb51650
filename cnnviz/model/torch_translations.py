"""Each layer type's torch.nn translation, written as code: the records' `torch` rules.

PyTorch's layers differ from Keras's in layout (channels first) and in padding: Keras's
'same' padding may pad one pixel more on the right and bottom, which PyTorch writes as an
explicit nn.ZeroPad2d. Only text is written here; PyTorch is never imported. Each rule takes
(1-based position, checked layer, Keras input shape (h, w, c)) and returns the modules; the
layer's activation is added after them by cnnviz.export.torch_layers.
"""

from __future__ import annotations

import math

from cnnviz.model.layer_shapes import ShapeError, pair


def same_padding(size, window, strides) -> tuple[int, int, int, int]:
    """Keras's 'same' padding as (left, right, top, bottom): any odd pixel goes last."""
    padding = []
    for n, k, s in zip(size, window, strides, strict=True):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        padding.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = padding
    return left, right, top, bottom


def size_text(sides: tuple[int, int]) -> str:
    return str(sides[0]) if sides[0] == sides[1] else repr(sides)


def torch_window(layer: dict, input_shape, window_key: str, default_strides) -> tuple:
    """(window, strides, padding as (left, right, top, bottom)) of a sliding-window layer."""
    window = pair(layer.get(window_key, 2))
    strides = layer.get("strides", default_strides)
    strides = window if strides is None else pair(strides)
    padding = (0, 0, 0, 0)
    if layer.get("padding", "valid") == "same":
        padding = same_padding(input_shape[:2], window, strides)
    return window, strides, padding


def conv_modules(
    layer: dict, input_shape, out_channels: int, groups: int = 1, bias: bool = True
) -> list[str]:
    """nn.Conv2d with Keras's padding (an nn.ZeroPad2d first when 'same' pads unevenly)."""
    modules: list[str] = []
    window, strides, padding = torch_window(layer, input_shape, "kernel_size", 1)
    left, right, top, bottom = padding
    symmetric = left == right and top == bottom
    if not symmetric:
        modules.append(f"nn.ZeroPad2d({padding!r})")
    arguments = [str(input_shape[-1]), str(out_channels), f"kernel_size={size_text(window)}"]
    if strides != (1, 1):
        arguments.append(f"stride={size_text(strides)}")
    if symmetric and padding != (0, 0, 0, 0):
        arguments.append(f"padding={size_text((top, left))}")
    if groups != 1:
        arguments.append(f"groups={groups}")
    if not bias:
        arguments.append("bias=False")
    modules.append(f"nn.Conv2d({', '.join(arguments)})")
    return modules


def torch_conv2d(position: int, layer: dict, input_shape) -> list[str]:
    return conv_modules(layer, input_shape, layer["filters"], bias=layer.get("use_bias", True))


def torch_pooling(position: int, layer: dict, input_shape) -> list[str]:
    """nn.MaxPool2d or nn.AvgPool2d for a pooling layer, padded as Keras pads."""
    modules: list[str] = []
    window, strides, padding = torch_window(layer, input_shape, "pool_size", None)
    left, right, top, bottom = padding
    if layer["type"] == "MaxPooling2D":
        if padding != (0, 0, 0, 0):
            # Padding with -inf never wins a maximum, as in Keras.
            modules.append(f'nn.ConstantPad2d({padding!r}, float("-inf"))')
        modules.append(f"nn.MaxPool2d({size_text(window)}, stride={size_text(strides)})")
        return modules
    if left != right or top != bottom:
        raise ShapeError(
            "padding='same' pads this input unevenly, which PyTorch's AvgPool2d cannot do. "
            "Use padding='valid' or an input size that pool_size divides."
        )
    extra = ""
    if padding != (0, 0, 0, 0):
        # Keras averages only the real pixels of a window at the border.
        extra = f", padding={size_text((top, left))}, count_include_pad=False"
    modules.append(f"nn.AvgPool2d({size_text(window)}, stride={size_text(strides)}{extra})")
    return modules


def torch_global_pooling(position: int, layer: dict, input_shape) -> list[str]:
    pool = "Avg" if layer["type"] == "GlobalAveragePooling2D" else "Max"
    return [f"nn.Adaptive{pool}Pool2d(1)", "nn.Flatten()"]


def torch_flatten(position: int, layer: dict, input_shape) -> list[str]:
    return ["KerasFlatten()"]


def torch_dense(position: int, layer: dict, input_shape) -> list[str]:
    bias = "" if layer.get("use_bias", True) else ", bias=False"
    return [f"nn.Linear({input_shape[-1]}, {layer['units']}{bias})"]


def torch_dropout(position: int, layer: dict, input_shape) -> list[str]:
    return [f"nn.Dropout({layer['rate']!r})"]


def torch_batch_normalization(position: int, layer: dict, input_shape) -> list[str]:
    kind = "BatchNorm2d" if len(input_shape) == 3 else "BatchNorm1d"
    # PyTorch's momentum is the weight of the new batch; Keras's that of the running value.
    momentum = round(1 - layer.get("momentum", 0.99), 10)
    epsilon = layer.get("epsilon", 0.001)
    return [f"nn.{kind}({input_shape[-1]}, eps={epsilon!r}, momentum={momentum!r})"]


def torch_activation_only(position: int, layer: dict, input_shape) -> list[str]:
    # The activation itself is added after every layer's modules.
    return []


def torch_residual(position: int, layer: dict, input_shape) -> list[str]:
    kernel = pair(layer.get("kernel_size", 3))
    strides = pair(layer.get("strides", 1))
    padding = same_padding(input_shape[:2], kernel, strides)
    return [
        f"ResidualBlock({input_shape[-1]}, {layer['filters']}, "
        f"kernel_size={size_text(kernel)}, stride={size_text(strides)}, "
        f"padding={padding!r})"
    ]


def torch_augmentation(transform: str):
    """The rule of an augmentation layer: nn.Identity, naming the torchvision transform.

    In PyTorch augmentation belongs to the data loader, and the model passes images through
    unchanged, exactly what Keras's augmentation layers do when the network predicts.
    """

    def rule(position: int, layer: dict, input_shape) -> list[str]:
        named = transform
        if layer["type"] == "RandomFlip":
            mode = layer.get("mode", "horizontal_and_vertical")
            named = {
                "horizontal": "RandomHorizontalFlip()",
                "vertical": "RandomVerticalFlip()",
            }.get(mode, transform)
        return [
            "# Augmentation, for training only: in PyTorch it belongs in the data loader,",
            f"# e.g. torchvision.transforms.{named}.",
            "nn.Identity()",
        ]

    return rule
