"""`cnnviz inspect`: what a saved model makes of one image, written to files.

    cnnviz inspect --model FILE.keras --image FILE [--dataset NAME] [--prepare auto|digit|none]
                   [--technique NAME [--layer NAME]] --out DIR

writes DIR/feature_maps.npz (one array per layer with feature maps, keyed by the layer's name,
shaped as its output for the one image), DIR/prediction.json (class names and probabilities)
and DIR/report.html (a self-contained interactive page for slides, with every registered
explanation technique). With --technique, also DIR/explanation.npz: that technique's arrays
for the predicted class (input, baseline where it has one, attributions, class_index).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from cnnviz.cli.checks import CommandError, start_tensorflow
from cnnviz.data import datasets, file_reading, images, input_preparation
from cnnviz.data.input_preparation import Preparation

DESCRIPTION = __doc__.split("\n\n", 2)[2].replace("\n", " ")
PIXELS_NOTE = (
    "Pixels: a model that cnnviz built scales its own pixels (its first layer is 'rescaling'), "
    "so it gets 0..255; any other Keras model gets pixels scaled to 0..1, the convention of "
    "Keras's examples. Models load with safe_mode=True (no code from the file runs)."
)
# The data set guessed from a model's input shape when --dataset is not given.
DATASET_BY_SHAPE = {(28, 28, 1): "mnist", (32, 32, 3): "cifar10"}


class InspectError(ValueError):
    """A file or option cnnviz inspect cannot use; its message is the one line shown."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `cnnviz inspect`."""
    parser.add_argument("--model", required=True, help="a .keras file (from cnnviz or Keras)")
    parser.add_argument("--image", required=True, help=f"a {images.FORMATS_HINT} picture")
    parser.add_argument(
        "--dataset",
        help=f"one of {', '.join(datasets.DATASETS)}: its class names and, for mnist, digit "
        "preparation (default: guessed from the model's input shape: 28x28x1 mnist, 32x32x3 "
        "cifar10)",
    )
    parser.add_argument(
        "--prepare",
        default=Preparation.AUTO.value,
        choices=[preparation.value for preparation in Preparation],
        help="auto (default): an image already of the model's input size and channels that "
        "looks like its data (for mnist, a dark border) goes in unchanged, other pictures get "
        "the digit preparation on mnist models; digit: always crop to the ink, fit 20x20 and "
        "centre by mass; none: only fit to the input's size and channels",
    )
    parser.add_argument(
        "--technique",
        help="write explanation.npz with this explanation technique, one of: "
        f"{', '.join(_registry().TECHNIQUES)}",
    )
    parser.add_argument(
        "--layer",
        help="the layer a layer-looking technique (grad_cam) looks at (default: the last "
        "Conv2D); also used by the report",
    )
    parser.add_argument("--out", required=True, help="folder for the files")


def _registry():
    # The registry imports TensorFlow: only on demand, so `cnnviz --help` stays quick.
    from cnnviz.explain import technique_registry

    return technique_registry


def _load_model(path: Path):
    import keras

    from cnnviz.export import model_files

    try:
        data = file_reading.read_bytes(path, "--model", file_reading.KERAS_BYTES)
    except ValueError as error:
        raise InspectError(str(error)) from None
    try:
        # The upload's reader: the same checks and messages (a cut-short file, custom layers).
        model = model_files.read_keras_model(data)
    except ValueError as error:
        raise InspectError(f"--model {path}: {error}") from None
    if isinstance(model, keras.Sequential):
        model = _as_functional(model)
    shape = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else ()
    if len(shape) != 3 or shape[2] not in (1, 3) or None in shape:
        raise InspectError(
            f"{path} takes inputs of shape {shape}; cnnviz inspect explains image models taking "
            f"(height, width, 1 or 3), e.g. 28x28x1 or 32x32x3."
        )
    return model


def _as_functional(model):
    """A Sequential model rebuilt as a functional one with fresh copies of its layers.

    Loading a Sequential model calls its layers several times, and a layer's `.output` then
    names its first call, which need not lie on the path the model computes; Grad-CAM's
    gradient from the output back to a conv layer would be missing. Fresh copies are called
    once, so every layer has one output on the one path.
    """
    import keras

    inputs = keras.Input(tuple(model.inputs[0].shape[1:]), name="image")
    outputs = inputs
    for layer in model.layers:
        copy = layer.__class__.from_config(layer.get_config())
        outputs = copy(outputs)
        copy.set_weights(layer.get_weights())
    return keras.Model(inputs, outputs, name=model.name)


def _rescales_itself(model) -> bool:
    from cnnviz.model.with_keras import builder

    return any(layer.name == builder.RESCALING_LAYER_NAME for layer in model.layers[:2])


def _class_names(model, dataset_name: str | None) -> tuple[str | None, list[str]]:
    shape = tuple(model.inputs[0].shape[1:])
    outputs = int(model.outputs[0].shape[-1])
    name = dataset_name or DATASET_BY_SHAPE.get(shape)
    if name is None:
        return None, [f"class {index}" for index in range(outputs)]
    if name not in datasets.DATASETS:
        raise InspectError(
            f"unknown data set {name!r}; choose one of {', '.join(datasets.DATASETS)}."
        )
    info = datasets.DATASETS[name]
    if tuple(info.input_shape) != shape:
        size = "x".join(map(str, shape))
        theirs = "x".join(map(str, info.input_shape))
        raise InspectError(
            f"the model takes {size} images but {info.title}'s are {theirs}; pass the "
            f"--dataset the model was trained on."
        )
    if info.num_classes != outputs:
        raise InspectError(
            f"the model has {outputs} outputs but {info.title} has {info.num_classes} classes; "
            f"pass the --dataset the model was trained on."
        )
    return name, list(info.class_names)


def _read_image(image_path: Path) -> tuple[bytes, np.ndarray]:
    """The image file's bytes and the picture as shown."""
    try:
        data = file_reading.read_bytes(image_path, "--image", file_reading.IMAGE_BYTES)
    except ValueError as error:
        raise InspectError(str(error)) from None
    try:
        return data, images.decode_for_display(data)
    except ValueError as error:
        raise InspectError(f"{image_path}: {error}") from None


def _prepare(data: bytes, image_path: Path, model, dataset_name: str | None, prepare):
    """The image brought to the model's input, as an upload on the Inspect page is."""
    shape = tuple(int(size) for size in model.inputs[0].shape[1:])
    try:
        return input_preparation.prepare_upload(
            data, shape, prepare, digit_model=input_preparation.is_digit_model(dataset_name)
        )
    except ValueError as error:
        raise InspectError(f"{image_path}: {error}") from None


def _look_inside(model, fed: np.ndarray, class_count: int, layer_name: str | None) -> dict:
    """Overview, probabilities, feature maps and every registered technique's explanation of
    the predicted class (layer-looking ones only when the network has feature maps)."""
    from cnnviz.explain import inspection

    registry = _registry()
    overview = inspection.network_overview(model, fed)
    probabilities = overview[-1]["values"]
    if probabilities.ndim != 1 or len(probabilities) != class_count:
        raise InspectError("the model's last layer must give one probability per class.")
    spatial = inspection.feature_map_layer_names(model)
    if layer_name is not None and layer_name not in spatial:
        raise InspectError(
            f"--layer {layer_name!r} has no feature maps; choose one of: "
            f"{', '.join(spatial) or 'none (this network has none)'}."
        )
    predicted = int(np.argmax(probabilities))
    explanations = {
        technique.name: registry.explain(
            technique, model, fed, predicted, layer_name if technique.needs_layer else None
        )
        for technique in registry.TECHNIQUES.values()
        if spatial or not technique.needs_layer
    }
    return {
        "overview": overview,
        "probabilities": probabilities,
        "maps": inspection.feature_maps(model, fed, spatial) if spatial else {},
        "explanations": explanations,
    }


def _check_technique(arguments: argparse.Namespace) -> None:
    """A bad --technique or a --layer it does not take, before the slow work starts."""
    name = getattr(arguments, "technique", None)
    layer = getattr(arguments, "layer", None)
    if name is None:
        return
    registry = _registry()
    if name not in registry.TECHNIQUES:
        raise InspectError(
            f"unknown --technique {name!r}; choose one of: {', '.join(registry.TECHNIQUES)}."
        )
    if layer is not None and not registry.TECHNIQUES[name].needs_layer:
        raise InspectError(
            f"--technique {name} looks at the input, not at a layer: leave out --layer."
        )


def _write_explanation(path: Path, fed: np.ndarray, explanation) -> None:
    arrays = {
        "input": fed,
        "attributions": explanation.attributions,
        "class_index": np.array(explanation.class_index),
    }
    if explanation.baseline is not None:
        arrays["baseline"] = explanation.baseline
    np.savez_compressed(path, **arrays)


def inspect(arguments: argparse.Namespace) -> dict:
    """Do the work of `cnnviz inspect`; returns a summary for the last output line.

    Raises:
        InspectError: for an unusable image, model or option.
    """
    from cnnviz.export import report

    _check_technique(arguments)
    image_path = Path(arguments.image).expanduser()
    data, original = _read_image(image_path)
    model = _load_model(Path(arguments.model).expanduser())
    dataset_name, class_names = _class_names(model, arguments.dataset)
    preparation = _prepare(
        data, image_path, model, dataset_name, getattr(arguments, "prepare", Preparation.AUTO)
    )
    prepared = preparation.pixels
    rescales = _rescales_itself(model)
    fed = prepared if rescales else prepared.astype(np.float32) / 255.0
    technique = getattr(arguments, "technique", None)
    found = _look_inside(model, fed, len(class_names), getattr(arguments, "layer", None))
    if technique is not None and technique not in found["explanations"]:
        raise InspectError(f"--technique {technique} needs feature maps; this network has none.")
    probabilities = found["probabilities"]
    out = Path(arguments.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "feature_maps.npz", **found["maps"])
    if technique is not None:
        _write_explanation(out / "explanation.npz", fed, found["explanations"][technique])
    predicted = int(np.argmax(probabilities))
    prediction = {
        "classes": class_names,
        "probabilities": [float(value) for value in probabilities],
        "predicted": class_names[predicted],
        "dataset": dataset_name,
        "pixels": "0..255 (the model rescales them)" if rescales else "scaled to 0..1",
        "preparation": preparation.used.value,
        "unchanged": preparation.unchanged,
    }
    (out / "prediction.json").write_text(json.dumps(prediction, indent=2), encoding="utf-8")
    content = report.ReportContent(
        title=f"{Path(arguments.model).name} on {image_path.name}",
        original=original,
        prepared=prepared,
        overview=found["overview"],
        class_names=class_names,
        probabilities=probabilities,
        explanations=list(found["explanations"].values()),
        notes=[preparation.note, PIXELS_NOTE],
    )
    report.write_report(out / "report.html", content)
    return {
        "predicted": class_names[predicted],
        "probability": float(probabilities[predicted]),
        "feature_map_layers": list(found["maps"]),
        "preparation": preparation.used.value,
        "unchanged": preparation.unchanged,
        "technique": technique,
        "out": str(out),
    }


def add_parser(commands) -> None:
    """Add `cnnviz inspect` to the `cnnviz` command's subparsers."""
    parser = commands.add_parser(
        "inspect",
        help="feature maps, prediction and an HTML report for one image",
        description=DESCRIPTION,
        epilog=PIXELS_NOTE,
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    start_tensorflow()
    try:
        summary = inspect(arguments)
    except ValueError as error:  # InspectError and bad input found by the library
        raise CommandError(str(error)) from None
    written = "feature_maps.npz, prediction.json, report.html"
    if summary["technique"] is not None:
        written += " and explanation.npz"
    print(f"Wrote {written} to {summary['out']}")
    print(json.dumps(summary))
    return 0
