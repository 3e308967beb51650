"""The records of Keras's augmentation layers, part of the layer catalogue (layer_types.py).

Each is active only in training, so the network sees a slightly different picture every epoch
and cannot learn the training images by heart; when the network predicts they do nothing.
"""

from __future__ import annotations

from cnnviz.model import torch_translations as to_torch
from cnnviz.model.layer_record import LayerFamily, LayerType, no_multiply_adds
from cnnviz.model.layer_shapes import Argument, same_output


def _factor(help_text: str, required: bool = True, minimum: float = 0.0) -> Argument:
    return Argument(
        "float",
        0.1 if required else None,
        required=required,
        minimum=minimum,
        maximum=1.0,
        nullable=not required,
        help=help_text,
    )


def _augmentation_type(
    name: str,
    arguments: dict[str, Argument],
    description: str,
    starting: dict,
    label,
    transform: str,
) -> LayerType:
    return LayerType(
        name,
        arguments,
        description + " Only while training; predictions see the image unchanged.",
        same_output,
        starting_arguments=starting,
        label=label,
        needs_image_input=True,
        augmentation=True,
        family=LayerFamily.AUGMENTATION,
        # Augmentation does nothing when the network predicts.
        multiply_adds=no_multiply_adds,
        torch=to_torch.torch_augmentation(transform),
    )


FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")

# Keras's own augmentation layers. Each is active only in training, so the network sees a
# slightly different picture every epoch and cannot learn the training images by heart.
AUGMENTATION_TYPES = (
    _augmentation_type(
        "RandomFlip",
        {
            "mode": Argument(
                "choice",
                "horizontal_and_vertical",
                choices=FLIP_MODES,
                help="Which mirror images to use: left-right, upside down, or both.",
            )
        },
        "Mirrors each training image at random.",
        {"mode": "horizontal"},
        lambda layer: f"RandomFlip {layer.get('mode', 'horizontal_and_vertical')}",
        "RandomHorizontalFlip and RandomVerticalFlip",
    ),
    _augmentation_type(
        "RandomRotation",
        {"factor": _factor("Largest turn as a fraction of a full circle (0.05 = 18 degrees).")},
        "Turns each training image by a random angle.",
        {"factor": 0.05},
        lambda layer: f"RandomRotation {layer.get('factor')}",
        "RandomRotation",
    ),
    _augmentation_type(
        "RandomTranslation",
        {
            "height_factor": _factor("Largest shift up or down, as a fraction of the height."),
            "width_factor": _factor("Largest shift left or right, as a fraction of the width."),
        },
        "Shifts each training image by a random offset.",
        {"height_factor": 0.1, "width_factor": 0.1},
        lambda layer: (
            f"RandomTranslation {layer.get('height_factor')}, {layer.get('width_factor')}"
        ),
        "RandomAffine(translate=...)",
    ),
    _augmentation_type(
        "RandomZoom",
        {
            "height_factor": _factor(
                "Largest zoom as a fraction of the height: above 0 zooms out, below 0 zooms in.",
                minimum=-0.9,
            ),
            "width_factor": _factor(
                "Largest zoom of the width; empty keeps the height's proportions.",
                required=False,
                minimum=-0.9,
            ),
        },
        "Zooms each training image in or out at random.",
        {"height_factor": 0.1},
        lambda layer: f"RandomZoom {layer.get('height_factor')}",
        "RandomAffine(scale=...)",
    ),
    _augmentation_type(
        "RandomContrast",
        {"factor": _factor("Largest change of contrast (0.2: between 80 % and 120 %).")},
        "Changes each training image's contrast at random.",
        {"factor": 0.2},
        lambda layer: f"RandomContrast {layer.get('factor')}",
        "ColorJitter(contrast=...)",
    ),
)
