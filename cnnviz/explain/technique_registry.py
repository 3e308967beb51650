"""The explanation techniques as a registry: one entry per technique.

Each entry names a technique, says what it shows in one sentence, whether it looks at one layer,
and holds the function that computes its arrays. The Inspect page ("Where it looked"), the HTML
report, `cnnviz inspect --technique` and `cnnviz bench inspect` iterate TECHNIQUES, so a new
technique is one function returning arrays plus one entry here (or one `register` call).

Importing this module does not import TensorFlow (the functions import it when they run), so
`cnnviz inspect --help` can list the names quickly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Explanation:
    """What one technique found for one image and class, as arrays.

    Attributes:
        name: the technique's registry name.
        attributions: the technique's own result (a (height, width) map or one value per
            input value).
        heatmap: (height, width) what is drawn over the image: 0..1, or signed when `signed`.
        class_index: the class explained.
        signed: True when the heatmap has a sign (for and against the class).
        baseline: the input the technique compares against, None for those with none.
        layer_name: the layer looked at, "" for techniques that look at the input.
    """

    name: str
    attributions: np.ndarray
    heatmap: np.ndarray
    class_index: int
    signed: bool = False
    baseline: np.ndarray | None = None
    layer_name: str = ""


# explain(model, image as the model takes it, class index or None, layer name or None)
ExplainFunction = Callable[..., Explanation]


@dataclass(frozen=True)
class Technique:
    """One registry entry.

    Attributes:
        name: a short identifier (`cnnviz inspect --technique NAME`).
        title: how pages and the report name it.
        help: one sentence saying what the picture shows.
        needs_layer: True when it looks at one layer's feature maps (then it needs a layer).
        explain: the function computing the arrays, called as
            explain(model, image, class_index, layer_name).
    """

    name: str
    title: str
    help: str
    needs_layer: bool
    explain: ExplainFunction


def _grad_cam(model, image, class_index, layer_name) -> Explanation:
    from cnnviz.explain import techniques

    heatmap, explained = techniques.grad_cam(model, image, layer_name, class_index)
    return Explanation("grad_cam", heatmap, heatmap, explained, layer_name=layer_name)


def _saliency(model, image, class_index, layer_name) -> Explanation:
    from cnnviz.explain import techniques

    heatmap, explained = techniques.saliency(model, image, class_index)
    return Explanation("saliency", heatmap, heatmap, explained)


def _smooth_grad(model, image, class_index, layer_name) -> Explanation:
    from cnnviz.explain import techniques

    heatmap, explained = techniques.smooth_grad(model, image, class_index)
    return Explanation("smooth_grad", heatmap, heatmap, explained)


def _integrated_gradients(model, image, class_index, layer_name) -> Explanation:
    from cnnviz.explain import techniques

    found = techniques.integrated_gradients(model, image, class_index)
    attributions = found["attributions"]
    return Explanation(
        "integrated_gradients",
        attributions,
        attributions.sum(axis=-1),  # a pixel's share is the sum over its colour channels
        found["class_index"],
        signed=True,
        baseline=found["baseline"],
    )


TECHNIQUES: dict[str, Technique] = {}


def register(technique: Technique) -> Technique:
    """Add a technique to TECHNIQUES (pages, report, CLI and benchmark then offer it).

    Raises:
        ValueError: when the name is taken.
    """
    if technique.name in TECHNIQUES:
        raise ValueError(
            f"A technique named {technique.name!r} is already registered; choose another name."
        )
    TECHNIQUES[technique.name] = technique
    return technique


register(
    Technique(
        "grad_cam",
        "Grad-CAM",
        "Grad-CAM: the layer's feature maps weighted by how much raising each would raise the "
        "class's score. Warm = evidence for it.",
        needs_layer=True,
        explain=_grad_cam,
    )
)
register(
    Technique(
        "saliency",
        "Saliency (gradient)",
        "Saliency: how much a small change of each pixel would change the class's score.",
        needs_layer=False,
        explain=_saliency,
    )
)
register(
    Technique(
        "smooth_grad",
        "SmoothGrad",
        "SmoothGrad: saliency averaged over noisy copies of the image, which hides the speckle "
        "of single gradients.",
        needs_layer=False,
        explain=_smooth_grad,
    )
)
register(
    Technique(
        "integrated_gradients",
        "Integrated Gradients",
        "Integrated Gradients: how much each pixel adds to (red) or takes from (blue) the "
        "class's probability, compared with a black image; the shares add up to the difference.",
        needs_layer=False,
        explain=_integrated_gradients,
    )
)


def technique_named(name: str) -> Technique:
    """The registered technique called `name`.

    Raises:
        ValueError: for a name not registered, listing the names that are.
    """
    if name not in TECHNIQUES:
        raise ValueError(
            f"Unknown technique {name!r}; choose one of: {', '.join(TECHNIQUES)}. "
            f"Received: technique={name!r}"
        )
    return TECHNIQUES[name]


def default_layer(model) -> str | None:
    """The layer a layer-looking technique uses unless told: the last Conv2D (the last layer
    with feature maps when there is none), None for a network with no feature maps."""
    from cnnviz.explain import inspection

    spatial = inspection.feature_map_layer_names(model)
    conv_layers = inspection.conv_layer_names(model)
    if conv_layers:
        return conv_layers[-1]
    return spatial[-1] if spatial else None


def explain(technique: Technique, model, image, class_index=None, layer_name=None) -> Explanation:
    """Run one technique, checking its layer first.

    Raises:
        ValueError: when a layer-looking technique gets no layer with feature maps, or another
            technique gets a layer.
    """
    from cnnviz.explain import inspection

    if technique.needs_layer:
        names = inspection.feature_map_layer_names(model)
        layer_name = default_layer(model) if layer_name is None else layer_name
        if layer_name not in names:
            raise ValueError(
                f"{technique.title} looks at a layer with feature maps; choose one of: "
                f"{', '.join(names) or 'none (this network has none)'}. "
                f"Received: layer={layer_name!r}"
            )
    elif layer_name is not None:
        raise ValueError(
            f"{technique.title} looks at the input, not at a layer: leave the layer out. "
            f"Received: layer={layer_name!r}"
        )
    return technique.explain(model, image, class_index, layer_name)
