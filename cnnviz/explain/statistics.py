"""Activation statistics: how a model's layers respond over a batch of images.

The Inspect page's health check: each layer's mean and largest output, its share of zeros,
and its dead channels (zero for every image), from one forward pass of a sub-model.
"""

from __future__ import annotations

import keras
import numpy as np

from cnnviz.explain import inspection

DEAD_CHANNELS_NOTE = (
    "A dead channel outputs zero for every image: it passes nothing on and gets no gradient "
    "to recover, so its filter is wasted capacity (often a sign of a too-high learning rate)."
)


def activation_statistics(model: keras.Model, images, layer_names=None) -> list[dict]:
    """Mean, max, share of zeros and dead channels of each layer over a batch of images.

    Args:
        model: the model.
        images: (count, height, width, channels) raw pixels, e.g. 256 test images.
        layer_names: the layers to measure; by default overview_layer_names(model).

    Returns:
        [{"name", "mean", "max", "zero_share", "channels", "dead_channels" (list of the
        channel or neuron indices that are exactly zero for every image and position)}].

    Raises:
        ValueError: for images of the wrong shape or an unknown layer name.
    """
    images = inspection.check_images(model, images, single=False)
    names = inspection.overview_layer_names(model) if layer_names is None else list(layer_names)
    known = {layer.name for layer in model.layers}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"The model has no layer named {unknown[0]!r}.")
    if not names:
        return []
    sub_model = keras.Model(model.inputs[0], [model.get_layer(name).output for name in names])
    outputs = sub_model(images.astype("float32"), training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    results = []
    for name, output in zip(names, outputs, strict=True):
        values = keras.ops.convert_to_numpy(output)
        per_channel = values.reshape(-1, values.shape[-1])
        results.append(
            {
                "name": name,
                "mean": float(values.mean()),
                "max": float(values.max()),
                "zero_share": float(np.mean(values == 0)),
                "channels": int(values.shape[-1]),
                "dead_channels": [int(i) for i in np.flatnonzero(np.all(per_channel == 0, 0))],
            }
        )
    return results
