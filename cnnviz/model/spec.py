"""Layer specs: the plain-JSON description of a model, its validation and shape inference.

A model spec is ``{"layers": [...]}``. Each layer is a dict whose ``type`` is the Keras class
name and whose other keys are that class's own argument names, for example
``{"type": "Conv2D", "filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}``.

This module is pure Python on purpose: the Build page checks a spec and shows output shapes and
parameter counts on every edit, and must not wait for TensorFlow to import.
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import re
import reprlib
from dataclasses import dataclass
from typing import Any

from cnnviz.model.layer_shapes import ArgumentKind
from cnnviz.model.layer_types import (
    CATALOGUE,
    LAYER_TYPES,
    Argument,
    ShapeError,
    format_shape,
    format_size,  # noqa: F401 - pages format sizes through this module; it lives with the catalogue
    pair,
)
from cnnviz.quantities import is_whole_number

# Keys a spec may carry besides its layers; they describe it and do not change the model.
OPTIONAL_SPEC_KEYS = ("name", "description", "dataset")
# The longest text each of those keys may hold, and whether it must be one line of plain text.
TEXT_KEY_LENGTHS = {"name": 60, "description": 2000, "dataset": 40}
# Characters a spec's name may hold besides letters and digits (of any script).
NAME_PUNCTUATION = " _-.,()'+!?&:#"
# The most layers any spec may have, whatever the server's limits: far more than any network
# for small images needs, and few enough that Keras builds and trains the model at once.
MAX_LAYERS = 500
# The model name Keras gets when a spec has none (or none with a letter or digit).
DEFAULT_MODEL_NAME = "cnnviz_model"

# Values quoted in messages are shortened, so a 1 MB name or a deeply nested list cannot make a
# message huge or raise while it is written.
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = 60
_SHORT_REPR.maxother = 60
_SHORT_REPR.maxlong = 40
_SHORT_REPR.maxlevel = 3


class SpecError(ValueError):
    """A spec that cannot be built, with the 1-based position of the layer at fault (or None)."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class LayerInfo:
    """What validation found out about one layer."""

    position: int  # 1-based, as students count
    type: str
    output_shape: tuple[int, ...]  # without the batch axis
    params: int
    trainable_params: int
    # Numbers per image held inside the layer besides its output (a ResidualBlock's steps).
    inner_values: int = 0


def new_layer(layer_type: str) -> dict:
    """Return a fresh layer dict of this type with sensible starting arguments."""
    if layer_type not in LAYER_TYPES:
        raise SpecError(_unknown_type_message(layer_type))
    return {"type": layer_type, **copy.deepcopy(CATALOGUE[layer_type].starting_arguments)}


def show_value(value: Any) -> str:
    """A short repr of any value for a message: long text and deep nesting are cut off."""
    try:
        return _SHORT_REPR.repr(value)
    except (ValueError, RecursionError):  # e.g. an integer with more digits than repr allows
        return f"(a {type(value).__name__} too large to show)"


def _unknown_type_message(layer_type: Any, prefix: str = "") -> str:
    words = layer_type[:100] if isinstance(layer_type, str) else ""
    hint = difflib.get_close_matches(words, LAYER_TYPES, n=1)
    suggestion = f" Did you mean '{hint[0]}'?" if hint else ""
    return (
        f"{prefix}unknown layer type {show_value(layer_type)}.{suggestion} "
        f"Supported types: {', '.join(LAYER_TYPES)}."
    )


def describe_layer(layer: dict) -> str:
    """A short human label such as 'Conv2D 32 filters 3x3, relu'."""
    layer_type = CATALOGUE.get(layer.get("type")) if isinstance(layer.get("type"), str) else None
    if layer_type is None:
        return str(layer.get("type", "?"))
    return layer_type.describe(layer)


def _check_argument(where: str, name: str, value: Any, argument: Argument) -> None:
    """Raise SpecError unless value fits argument; `where` names the layer."""
    received = f"Received: {name}={show_value(value)}"
    if value is None:
        if argument.nullable:
            return
        raise SpecError(f"{where}: {name} needs a value. {received}")
    if argument.kind == ArgumentKind.BOOL:
        if not isinstance(value, bool):
            raise SpecError(f"{where}: {name} must be true or false. {received}")
        return
    if argument.kind == ArgumentKind.CHOICE:
        if value not in argument.choices:
            options = ", ".join(repr(choice) for choice in argument.choices)
            raise SpecError(f"{where}: {name} must be one of {options}. {received}")
        return
    if argument.kind == ArgumentKind.INT:
        numbers = [value]
        if not is_whole_number(value):
            raise SpecError(f"{where}: {name} must be a whole number. {received}")
    elif argument.kind == ArgumentKind.FLOAT:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise SpecError(f"{where}: {name} must be a number. {received}")
        numbers = [value]
    else:  # "size": one whole number, or a pair of them for height and width
        is_int = is_whole_number(value)
        is_pair = (
            isinstance(value, (list, tuple))
            and len(value) == 2
            and all(is_whole_number(v) for v in value)
        )
        if not (is_int or is_pair):
            raise SpecError(
                f"{where}: {name} must be a whole number such as 3, or a pair such as [3, 3]. "
                f"{received}"
            )
        numbers = list(pair(value))
    for number in numbers:
        if argument.minimum is not None and number < argument.minimum:
            minimum = argument.minimum
            bound = int(minimum) if float(minimum).is_integer() else minimum
            raise SpecError(f"{where}: {name} must be at least {bound}. {received}")
        if argument.maximum is not None and number > argument.maximum:
            maximum = argument.maximum
            bound = f"{int(maximum):,}" if float(maximum).is_integer() else f"{maximum:g}"
            raise SpecError(f"{where}: {name} must be at most {bound}. {received}")
        if argument.below is not None and number >= argument.below:
            raise SpecError(f"{where}: {name} must be below {argument.below:g}. {received}")


def _check_layer_arguments(position: int, layer: Any) -> str:
    """Check one layer's type and arguments; return its type."""
    if not isinstance(layer, dict):
        raise SpecError(
            f"Layer {position}: each layer must be an object such as "
            f'{{"type": "Dense", "units": 10}}. Received: {show_value(layer)}',
            position,
        )
    layer_type = layer.get("type")
    if layer_type is None:
        raise SpecError(
            f"Layer {position}: it has no 'type'. Give the Keras class name, e.g. \"Conv2D\".",
            position,
        )
    if not isinstance(layer_type, str) or layer_type not in LAYER_TYPES:
        raise SpecError(_unknown_type_message(layer_type, f"Layer {position}: "), position)
    where = f"Layer {position} ({layer_type})"
    arguments = LAYER_TYPES[layer_type]
    for name in layer:
        if name != "type" and name not in arguments:
            words = name[:100] if isinstance(name, str) else ""
            hint = difflib.get_close_matches(words, arguments, n=1)
            suggestion = f" Did you mean '{hint[0]}'?" if hint else ""
            accepted = ", ".join(arguments) if arguments else "no arguments"
            raise SpecError(
                f"{where}: unknown argument {show_value(name)}.{suggestion} {layer_type} takes: "
                f"{accepted}.",
                position,
            )
    for name, argument in arguments.items():
        if name not in layer:
            if argument.required:
                raise SpecError(
                    f"{where}: the argument '{name}' is missing ({argument.help.lower()[:-1]}). "
                    f'Add it, e.g. "{name}": {json.dumps(argument.default)}.',
                    position,
                )
            continue
        try:
            _check_argument(where, name, layer[name], argument)
        except SpecError as error:
            raise SpecError(str(error), position) from None
    return layer_type


def _infer_layer(
    position: int, layer: dict, input_shape: tuple[int, ...]
) -> tuple[tuple[int, ...], int, int]:
    """Return (output_shape, params, trainable_params) of one checked layer."""
    layer_type = CATALOGUE[layer["type"]]
    where = f"Layer {position} ({layer_type.name})"
    if layer_type.needs_image_input and len(input_shape) != 3:
        raise SpecError(
            f"{where}: it needs an image-shaped input (height x width x channels) but receives "
            f"a flat vector of {format_shape(input_shape)} values. Move it before the Flatten "
            f"(or GlobalAveragePooling2D) layer.",
            position,
        )
    try:
        return layer_type.output(layer, input_shape)
    except ShapeError as error:
        raise SpecError(f"{where}: {error}", position) from None


def _check_output_layer(layers: list, num_classes: int, dataset_title: str) -> None:
    needed = f"Dense with units={num_classes} and activation='softmax'"
    if not layers:
        raise SpecError(
            f"The model has no layers. Start from a preset, or add at least the output layer: "
            f"{needed}."
        )
    position = len(layers)
    last = layers[-1]
    if last.get("type") != "Dense":
        raise SpecError(
            f"Layer {position} ({last.get('type')}): the last layer must be the classifier, "
            f"{needed} (one unit per class of {dataset_title}). Add it at the end.",
            position,
        )
    if last["units"] != num_classes:
        raise SpecError(
            f"Layer {position} (Dense): the output layer needs units={num_classes}, one per "
            f"class of {dataset_title}. Received: units={last['units']}",
            position,
        )
    if last.get("activation", "linear") != "softmax":
        raise SpecError(
            f"Layer {position} (Dense): the output layer needs activation='softmax' so that its "
            f"outputs are class probabilities. Received: activation="
            f"{last.get('activation', 'linear')!r}",
            position,
        )


def check_spec_structure(spec: Any) -> list:
    """Check the outer shape of a spec and return its layer list."""
    if not isinstance(spec, dict):
        raise SpecError(
            f'A model spec must be a JSON object such as {{"layers": [...]}}. Received: '
            f"{type(spec).__name__}"
        )
    if "layers" not in spec:
        raise SpecError('A model spec needs a "layers" list, e.g. {"layers": [...]}.')
    unknown = [key for key in spec if key != "layers" and key not in OPTIONAL_SPEC_KEYS]
    if unknown:
        raise SpecError(
            f"Unknown key {show_value(unknown[0])} in the spec. A spec holds 'layers' and "
            f"optionally {', '.join(OPTIONAL_SPEC_KEYS)}."
        )
    for key in OPTIONAL_SPEC_KEYS:
        if key in spec:
            _check_text_key(key, spec[key])
    layers = spec["layers"]
    if not isinstance(layers, list):
        raise SpecError(f'"layers" must be a list of layer objects. Received: {show_value(layers)}')
    if len(layers) > MAX_LAYERS:
        raise SpecError(
            f"The spec has {len(layers):,} layers; cnnviz builds at most {MAX_LAYERS}. Remove "
            f"layers (networks for these images need a few dozen at most). "
            f"Received: {len(layers)} layers"
        )
    return layers


def _check_text_key(key: str, value: Any) -> None:
    """A spec's name, description and data set are short plain text (they end up on pages)."""
    limit = TEXT_KEY_LENGTHS[key]
    if not isinstance(value, str):
        raise SpecError(f"The spec's {key} must be text. Received: {key}={show_value(value)}")
    if len(value) > limit:
        raise SpecError(
            f"The spec's {key} must be at most {limit} characters long. Shorten it. "
            f"Received: {len(value):,} characters"
        )
    if key == "description":
        allowed = all(character.isprintable() or character == "\n" for character in value)
        rule = "plain printable text"
    else:
        allowed = all(character.isalnum() or character in NAME_PUNCTUATION for character in value)
        rule = f"letters, digits, spaces and {NAME_PUNCTUATION.strip()} only"
    if not allowed:
        raise SpecError(f"The spec's {key} may hold {rule}. Received: {key}={show_value(value)}")


def keras_model_name(spec: dict) -> str:
    """A name Keras always accepts for the spec's model, made from the spec's name.

    Keras (and TensorFlow's name scopes) accept ASCII letters, digits and underscores; anything
    else becomes an underscore, and a name with no letter or digit becomes the default.
    """
    name = spec.get("name") if isinstance(spec, dict) else None
    text = name[: TEXT_KEY_LENGTHS["name"]] if isinstance(name, str) else ""
    ascii_name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    if not re.search(r"[A-Za-z0-9]", ascii_name):
        return DEFAULT_MODEL_NAME
    return ascii_name if ascii_name[0].isalpha() else f"model_{ascii_name}"


def check_layers(spec: Any) -> None:
    """Check a spec's structure and every layer's type and arguments, but not the shapes.

    An imported spec must pass this to be edited; shape problems are then shown in the editor.

    Raises:
        SpecError: naming the first layer with an unknown type or a bad argument.
    """
    for position, layer in enumerate(check_spec_structure(spec), start=1):
        _check_layer_arguments(position, layer)


def analyse(
    spec: Any,
    input_shape: tuple[int, ...],
    num_classes: int,
    dataset_title: str = "the data set",
) -> tuple[list[LayerInfo], SpecError | None]:
    """Like validate(), but return what was inferred up to the first problem instead of raising.

    The Build page uses this to show shapes for the layers before a mistake and the message at
    the layer that has it.

    Returns:
        (infos for the layers checked so far, the first SpecError or None).
    """
    infos: list[LayerInfo] = []
    try:
        layers = check_spec_structure(spec)
        shape = tuple(input_shape)
        for position, layer in enumerate(layers, start=1):
            _check_layer_arguments(position, layer)
            before = shape
            shape, params, trainable = _infer_layer(position, layer, shape)
            inner = CATALOGUE[layer["type"]].inner_values
            inner_values = inner(layer, before) if inner else 0
            infos.append(LayerInfo(position, layer["type"], shape, params, trainable, inner_values))
        _check_output_layer(layers, num_classes, dataset_title)
    except SpecError as error:
        return infos, error
    return infos, None


def validate(
    spec: Any,
    input_shape: tuple[int, ...],
    num_classes: int,
    dataset_title: str = "the data set",
) -> list[LayerInfo]:
    """Check a spec against a data set and infer every layer's output shape and parameters.

    Layers are checked in order, so the error names the first layer with a problem.

    Args:
        spec: ``{"layers": [...]}`` as described in the module docstring.
        input_shape: the images' shape without the batch axis, e.g. (28, 28, 1).
        num_classes: how many classes the output layer must predict.
        dataset_title: the data set's name, used in messages.

    Returns:
        One LayerInfo per layer, in order.

    Raises:
        SpecError: (a ValueError) naming the layer at fault, what is wrong and how to fix it.
    """
    infos, error = analyse(spec, input_shape, num_classes, dataset_title)
    if error is not None:
        raise error
    return infos


def total_params(infos: list[LayerInfo]) -> int:
    """Sum of all parameters, trainable or not, as Keras's model.count_params() counts them."""
    return sum(info.params for info in infos)


def to_json(spec: dict) -> str:
    """Serialise a spec as indented JSON."""
    return json.dumps(spec, indent=2)


def from_json(text: str | bytes) -> dict:
    """Parse a spec from JSON text, checking only its outer shape.

    Raises:
        SpecError: when the text is not JSON or not a spec object.
    """
    try:
        spec = json.loads(text)
    except RecursionError:
        raise SpecError(
            "The spec is nested too deeply to read. A spec is a short object such as "
            '{"layers": [{"type": "Dense", "units": 10}]}.'
        ) from None
    except ValueError as error:  # not JSON, not UTF-8, or a number with too many digits
        raise SpecError(f"The spec is not valid JSON: {error}.") from None
    check_spec_structure(spec)
    return spec


def insert_layer(spec: dict, index: int, layer: dict) -> dict:
    """Return a copy of spec with layer inserted before 0-based index."""
    layers = copy.deepcopy(spec["layers"])
    layers.insert(index, copy.deepcopy(layer))
    return {**spec, "layers": layers}


def remove_layer(spec: dict, index: int) -> dict:
    """Return a copy of spec without the layer at 0-based index."""
    layers = copy.deepcopy(spec["layers"])
    del layers[index]
    return {**spec, "layers": layers}


def move_layer(spec: dict, index: int, offset: int) -> dict:
    """Return a copy of spec with the layer at index moved by offset (-1 up, +1 down)."""
    layers = copy.deepcopy(spec["layers"])
    target = index + offset
    if not 0 <= target < len(layers):
        return {**spec, "layers": layers}
    layers[index], layers[target] = layers[target], layers[index]
    return {**spec, "layers": layers}


def replace_layer(spec: dict, index: int, layer: dict) -> dict:
    """Return a copy of spec with the layer at index replaced."""
    layers = copy.deepcopy(spec["layers"])
    layers[index] = copy.deepcopy(layer)
    return {**spec, "layers": layers}
