"""One spec layer as torch.nn modules, written as code: what pytorch_code puts in its model.

PyTorch's layers differ from Keras's in layout (channels first) and in padding: Keras's
'same' padding may pad one pixel more on the right and bottom, which PyTorch writes as an
explicit nn.ZeroPad2d. Only text is written here; PyTorch is never imported.
"""

from __future__ import annotations

import math

from cnnviz.model import spec as spec_module

# PyTorch's transforms for the augmentation layers, named in a comment: in PyTorch augmentation
# belongs to the data loader, and the model passes images through unchanged (nn.Identity),
# exactly what Keras's augmentation layers do when the network predicts.
TORCH_AUGMENTATION = {
    "RandomFlip": "RandomHorizontalFlip and RandomVerticalFlip",
    "RandomRotation": "RandomRotation",
    "RandomTranslation": "RandomAffine(translate=...)",
    "RandomZoom": "RandomAffine(scale=...)",
    "RandomContrast": "ColorJitter(contrast=...)",
}
TORCH_ACTIVATIONS = {
    "relu": "nn.ReLU()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "softmax": "nn.Softmax(dim=1)",
}


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _same_padding(size, window, strides) -> tuple[int, int, int, int]:
    """Keras's 'same' padding as (left, right, top, bottom): any odd pixel goes last."""
    padding = []
    for n, k, s in zip(size, window, strides, strict=True):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        padding.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = padding
    return left, right, top, bottom


def _size_text(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else repr(pair)


def _torch_window(layer: dict, input_shape, window_key: str, default_strides) -> tuple:
    window = _pair(layer.get(window_key, 2))
    strides = layer.get("strides", default_strides)
    strides = window if strides is None else _pair(strides)
    padding = (0, 0, 0, 0)
    if layer.get("padding", "valid") == "same":
        padding = _same_padding(input_shape[:2], window, strides)
    return window, strides, padding


def _torch_augmentation(layer: dict) -> str:
    """The torchvision transform that does what an augmentation layer does."""
    if layer["type"] == "RandomFlip":
        mode = layer.get("mode", "horizontal_and_vertical")
        if mode == "horizontal":
            return "RandomHorizontalFlip()"
        if mode == "vertical":
            return "RandomVerticalFlip()"
    return TORCH_AUGMENTATION[layer["type"]]


def _torch_conv2d(layer: dict, input_shape) -> list[str]:
    """nn.Conv2d for a Conv2D layer, after an nn.ZeroPad2d when 'same' pads unevenly."""
    modules: list[str] = []
    window, strides, padding = _torch_window(layer, input_shape, "kernel_size", 1)
    left, right, top, bottom = padding
    symmetric = left == right and top == bottom
    if not symmetric:
        modules.append(f"nn.ZeroPad2d({padding!r})")
    arguments = [
        str(input_shape[-1]),
        str(layer["filters"]),
        f"kernel_size={_size_text(window)}",
    ]
    if strides != (1, 1):
        arguments.append(f"stride={_size_text(strides)}")
    if symmetric and padding != (0, 0, 0, 0):
        arguments.append(f"padding={_size_text((top, left))}")
    if not layer.get("use_bias", True):
        arguments.append("bias=False")
    modules.append(f"nn.Conv2d({', '.join(arguments)})")
    return modules


def _torch_pooling(position: int, layer: dict, input_shape) -> list[str]:
    """nn.MaxPool2d or nn.AvgPool2d for a pooling layer, padded as Keras pads."""
    layer_type = layer["type"]
    modules: list[str] = []
    window, strides, padding = _torch_window(layer, input_shape, "pool_size", None)
    left, right, top, bottom = padding
    if layer_type == "MaxPooling2D":
        if padding != (0, 0, 0, 0):
            # Padding with -inf never wins a maximum, as in Keras.
            modules.append(f'nn.ConstantPad2d({padding!r}, float("-inf"))')
        modules.append(f"nn.MaxPool2d({_size_text(window)}, stride={_size_text(strides)})")
    else:
        if left != right or top != bottom:
            raise spec_module.SpecError(
                f"Layer {position} (AveragePooling2D): padding='same' pads this input "
                f"unevenly, which PyTorch's AvgPool2d cannot do. Use padding='valid' or an "
                f"input size that pool_size divides.",
                position,
            )
        extra = ""
        if padding != (0, 0, 0, 0):
            # Keras averages only the real pixels of a window at the border.
            extra = f", padding={_size_text((top, left))}, count_include_pad=False"
        modules.append(f"nn.AvgPool2d({_size_text(window)}, stride={_size_text(strides)}{extra})")
    return modules


def torch_modules(position: int, layer: dict, input_shape) -> list[str]:
    """The torch.nn modules (as code) for one spec layer; input_shape is Keras's (h, w, c)."""
    layer_type = layer["type"]
    modules: list[str] = []
    if layer_type == "Conv2D":
        modules += _torch_conv2d(layer, input_shape)
    elif layer_type in ("MaxPooling2D", "AveragePooling2D"):
        modules += _torch_pooling(position, layer, input_shape)
    elif layer_type in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        pool = "Avg" if layer_type == "GlobalAveragePooling2D" else "Max"
        modules += [f"nn.Adaptive{pool}Pool2d(1)", "nn.Flatten()"]
    elif layer_type == "Flatten":
        modules.append("KerasFlatten()")
    elif layer_type == "Dense":
        bias = "" if layer.get("use_bias", True) else ", bias=False"
        modules.append(f"nn.Linear({input_shape[-1]}, {layer['units']}{bias})")
    elif layer_type == "Dropout":
        modules.append(f"nn.Dropout({layer['rate']!r})")
    elif layer_type == "ResidualBlock":
        kernel = _pair(layer.get("kernel_size", 3))
        strides = _pair(layer.get("strides", 1))
        padding = _same_padding(input_shape[:2], kernel, strides)
        modules.append(
            f"ResidualBlock({input_shape[-1]}, {layer['filters']}, "
            f"kernel_size={_size_text(kernel)}, stride={_size_text(strides)}, "
            f"padding={padding!r})"
        )
    elif layer_type in TORCH_AUGMENTATION:
        modules += [
            "# Augmentation, for training only: in PyTorch it belongs in the data loader,",
            f"# e.g. torchvision.transforms.{_torch_augmentation(layer)}.",
            "nn.Identity()",
        ]
    elif layer_type == "BatchNormalization":
        kind = "BatchNorm2d" if len(input_shape) == 3 else "BatchNorm1d"
        # PyTorch's momentum is the weight of the new batch; Keras's that of the running value.
        momentum = round(1 - layer.get("momentum", 0.99), 10)
        epsilon = layer.get("epsilon", 0.001)
        modules.append(f"nn.{kind}({input_shape[-1]}, eps={epsilon!r}, momentum={momentum!r})")
    activation = layer.get("activation", "linear")
    if activation in TORCH_ACTIVATIONS:
        modules.append(TORCH_ACTIVATIONS[activation])
    return modules
