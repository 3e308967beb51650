"""A spec as readable Python: Keras code and PyTorch (torch.nn) code for the same network.

Both generators check the spec first (the same messages as the Build page) and write code a
student can read: one line per layer, the spec's own argument names, a comment with each
layer's output shape. Neither imports Keras or PyTorch: they only write text.

The Keras code rebuilds exactly the model cnnviz trains: the same input, the Rescaling layer
that turns raw pixels (0-255) into 0-1, and the same layer names, so weights load across.
The PyTorch code builds the same architecture in PyTorch's own layout (channels first).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

from cnnviz.export import torch_layers
from cnnviz.model import spec as spec_module
from cnnviz.model.layer_names import layer_name

# The ResidualBlock class as written in its module: the Keras code carries it, so the code runs
# without cnnviz and saves .keras files that cnnviz reads back. Found by the module's name, not
# beside this file, and without importing it (that would import Keras).
RESIDUAL_SOURCE = Path(importlib.util.find_spec("cnnviz.model.with_keras.residual").origin)
FORMATS = ("keras", "pytorch", "json")
CODE_LINE_LENGTH = 99  # longer lines of written code are wrapped


def _checked_infos(spec: dict, input_shape, num_classes: int, what: str):
    """Validate the spec: every layer type in the catalogue has its Keras and PyTorch code."""
    return spec_module.validate(spec, tuple(input_shape), num_classes)


def _python_value(value) -> str:
    # Sizes given as [3, 3] in JSON are tuples in Keras's own examples.
    if isinstance(value, list):
        return repr(tuple(value))
    if isinstance(value, str):
        return json.dumps(value)  # double quotes, as in the rest of the file
    return repr(value)


def _model_name(spec: dict) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", str(spec.get("name") or "cnnviz_model"))


def _header(spec: dict, input_shape, num_classes: int, framework: str) -> str:
    title = spec.get("name") or "cnnviz model"
    shape = spec_module.format_shape(tuple(input_shape))
    return (
        f'"""{title}: a {len(spec["layers"])}-layer network written out by cnnviz for '
        f"{framework}.\n\nInput: {shape} images with raw pixel values 0-255. Output: "
        f'{num_classes} class probabilities.\n"""\n'
    )


def keras_code(spec: dict, input_shape, num_classes: int) -> str:
    """Python code that rebuilds this spec's model with Keras, rescaling included.

    Running the code defines `build_model()`; `python file.py` prints the model's summary.

    Raises:
        SpecError: when the spec is not valid for this input shape and class count.
    """
    infos = _checked_infos(spec, input_shape, num_classes, "Keras")
    lines = [
        _header(spec, input_shape, num_classes, "Keras"),
        "import keras",
        "from keras import layers",
        "",
        "",
    ]
    if any(info.type == "ResidualBlock" for info in infos):
        lines += [_residual_class_source(), ""]
    lines += [
        "def build_model() -> keras.Model:",
        f'    inputs = keras.Input(shape={tuple(input_shape)!r}, name="image")',
        "    # The model takes raw pixels (0-255) and scales them to 0-1 itself.",
        '    x = layers.Rescaling(1.0 / 255, name="rescaling")(inputs)',
    ]
    for info, layer in zip(infos, spec["layers"], strict=True):
        arguments = [
            f"{key}={_python_value(value)}" for key, value in layer.items() if key != "type"
        ]
        arguments.append(f'name="{layer_name(info.position, info.type)}"')
        lines.append(
            f"    # {info.position} {spec_module.describe_layer(layer)}: "
            f"{spec_module.format_shape(info.output_shape)}"
        )
        # cnnviz's own layer is defined above; all others are Keras's.
        qualified = info.type if info.type == "ResidualBlock" else f"layers.{info.type}"
        call = f"    x = {qualified}({', '.join(arguments)})(x)"
        if len(call) > CODE_LINE_LENGTH:
            # One argument a line, as a formatter would write it.
            inner = "".join(f"        {argument},\n" for argument in arguments)
            call = f"    x = {qualified}(\n{inner}    )(x)"
        lines.append(call)
    lines += [
        f'    return keras.Model(inputs, x, name="{_model_name(spec)}")',
        "",
        "",
        'if __name__ == "__main__":',
        "    build_model().summary()",
        "",
    ]
    return "\n".join(lines)


def _residual_class_source() -> str:
    """The residual module from its constants to the end: the ResidualBlock class, its comments."""
    text = RESIDUAL_SOURCE.read_text(encoding="utf-8")
    return text[text.index("PACKAGE = ") :].rstrip() + "\n"


TORCH_RESIDUAL_BLOCK = [
    "class ResidualBlock(nn.Module):",
    '    """conv-BN-ReLU-conv-BN plus the shortcut (a 1x1 projection when the shape changes),',
    '    then ReLU, as cnnviz\'s Keras ResidualBlock (batch norm momentum 0.9 in Keras terms)."""',
    "",
    "    def __init__(self, in_channels, filters, kernel_size, stride, padding) -> None:",
    "        super().__init__()",
    "        # Keras's 'same' padding for the first convolution: (left, right, top, bottom).",
    "        self.pad = nn.ZeroPad2d(padding)",
    "        self.conv_1 = nn.Conv2d(in_channels, filters, kernel_size, stride=stride, bias=False)",
    "        self.norm_1 = nn.BatchNorm2d(filters, eps=0.001, momentum=0.1)",
    "        # The second keeps the size: kernel - 1 rows and columns of zeros, any odd one last.",
    "        height, width = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size",
    "        sides = ((width - 1) // 2, width // 2, (height - 1) // 2, height // 2)",
    "        self.pad_2 = nn.ZeroPad2d(sides)",
    "        self.conv_2 = nn.Conv2d(filters, filters, kernel_size, bias=False)",
    "        self.norm_2 = nn.BatchNorm2d(filters, eps=0.001, momentum=0.1)",
    "        self.shortcut = nn.Identity()",
    "        if in_channels != filters or stride not in (1, (1, 1)):",
    "            self.shortcut = nn.Sequential(",
    "                nn.Conv2d(in_channels, filters, 1, stride=stride, bias=False),",
    "                nn.BatchNorm2d(filters, eps=0.001, momentum=0.1),",
    "            )",
    "",
    "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
    "        y = torch.relu(self.norm_1(self.conv_1(self.pad(x))))",
    "        y = self.norm_2(self.conv_2(self.pad_2(y)))",
    "        return torch.relu(y + self.shortcut(x))",
    "",
    "",
]


def _class_name(spec: dict) -> str:
    words = re.split(r"[^A-Za-z0-9]+", str(spec.get("name") or "cnnviz"))
    name = "".join(word[:1].upper() + word[1:] for word in words if word)
    if not name or name[0].isdigit():
        name = "Cnnviz" + name
    return name + "Net"


def pytorch_code(spec: dict, input_shape, num_classes: int) -> str:
    """Python code for the same architecture as a torch.nn.Module.

    The module takes images as PyTorch does, (batch, channels, height, width), with raw
    pixel values; it scales them to 0-1 first as the Keras model does. Its parameters plus
    its batch-norm running statistics count what Keras's count_params() counts.

    Raises:
        SpecError: when the spec is not valid for this input shape and class count, or uses a
            layer PyTorch cannot match.
    """
    infos = _checked_infos(spec, input_shape, num_classes, "PyTorch")
    height, width, channels = tuple(input_shape)
    class_name = _class_name(spec)
    lines = [
        _header(spec, input_shape, num_classes, "PyTorch"),
        "import torch",
        "from torch import nn",
        "",
        "",
        "class KerasFlatten(nn.Module):",
        '    """Flattens in Keras\'s order (height, width, channels), so Keras weights fit."""',
        "",
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
        "        return torch.flatten(x.permute(0, 2, 3, 1), start_dim=1)",
        "",
        "",
        *(TORCH_RESIDUAL_BLOCK if any(info.type == "ResidualBlock" for info in infos) else []),
        f"class {class_name}(nn.Module):",
        "    def __init__(self) -> None:",
        "        super().__init__()",
        "        self.layers = nn.Sequential(",
    ]
    shape = (height, width, channels)
    for info, layer in zip(infos, spec["layers"], strict=True):
        lines.append(
            f"            # {info.position} {spec_module.describe_layer(layer)}: "
            f"{spec_module.format_shape(info.output_shape)}"
        )
        for module in torch_layers.torch_modules(info.position, layer, shape):
            lines.append(f"            {module}" + ("" if module.startswith("#") else ","))
        shape = info.output_shape
    lines += [
        "        )",
        "",
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
        f"        # x: (batch, {channels}, {height}, {width}), raw pixels 0-255, as in Keras.",
        "        return self.layers(x / 255.0)",
        "",
        "",
        'if __name__ == "__main__":',
        f"    model = {class_name}()",
        f"    print(model(torch.zeros(1, {channels}, {height}, {width})).shape)",
        "",
    ]
    return "\n".join(lines)


def export_text(spec: dict, input_shape, num_classes: int, to: str) -> str:
    """The spec as Keras code, PyTorch code or JSON (to = one of FORMATS).

    Raises:
        SpecError: for an invalid spec; ValueError for an unknown format.
    """
    if to == "keras":
        return keras_code(spec, input_shape, num_classes)
    if to == "pytorch":
        return pytorch_code(spec, input_shape, num_classes)
    if to == "json":
        spec_module.validate(spec, tuple(input_shape), num_classes)
        return spec_module.to_json(spec) + "\n"
    raise ValueError(f"Unknown export format {to!r}. Choose one of: {', '.join(FORMATS)}.")
