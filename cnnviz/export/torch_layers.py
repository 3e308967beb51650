"""One spec layer as torch.nn modules, written as code: what pytorch_code puts in its model.

Each layer type's record carries its own translation (cnnviz.model.torch_translations holds
the rules); this adds the activation after it and names the layer in any refusal. Only text is
written here; PyTorch is never imported.
"""

from __future__ import annotations

from cnnviz.model import layer_types
from cnnviz.model import spec as spec_module

TORCH_ACTIVATIONS = {
    "relu": "nn.ReLU()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "softmax": "nn.Softmax(dim=1)",
}


def torch_modules(position: int, layer: dict, input_shape) -> list[str]:
    """The torch.nn modules (as code) for one spec layer; input_shape is Keras's (h, w, c)."""
    record = layer_types.CATALOGUE[layer["type"]]
    try:
        modules = list(record.torch(position, layer, tuple(input_shape)))
    except layer_types.ShapeError as error:
        message = f"Layer {position} ({layer['type']}): {error}"
        raise spec_module.SpecError(message, position) from error
    activation = layer.get("activation", "linear")
    if activation in TORCH_ACTIVATIONS:
        modules.append(TORCH_ACTIVATIONS[activation])
    return modules
