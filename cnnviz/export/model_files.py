"""Trained models as .keras files: saving one, and loading one back as a cnnviz model.

Loading never runs code from the file: Keras loads it with `safe_mode=True` (which refuses
Lambda layers and other pickled Python). The loaded model must be a plain stack of layers
cnnviz supports, starting with the Rescaling(1/255) cnnviz puts first. It is then turned into
a spec, rebuilt by the builder (so it has the names and structure every page expects) and
given the file's weights; a check on a few random images proves the rebuilt model computes
what the file's model computes.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass

import keras
import numpy as np

from cnnviz.data import file_reading, own_data
from cnnviz.model import spec as spec_module
from cnnviz.model.layer_types import AUGMENTATION_LAYERS, LAYER_TYPES
from cnnviz.model.with_keras import builder

# A .keras file larger than this is refused before Keras opens it (file_reading has the reason).
MAX_KERAS_BYTES = file_reading.KERAS_BYTES
# The file in a .keras archive that describes the model, and the most of it read (a model of
# 100 layers describes itself in about 100 KB).
KERAS_CONFIG = "config.json"
MAX_CONFIG_BYTES = 16 * 2**20
ZIP_SIGNATURE = b"PK\x03\x04"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# Configuration values a supported layer must have, because cnnviz's specs cannot say otherwise.
FIXED_CONFIG = {
    "data_format": (None, "channels_last"),
    "dilation_rate": (1, (1, 1), [1, 1]),
    "groups": (1,),
}


class ModelFileError(ValueError):
    """A .keras file cnnviz cannot use, with a message saying why and what to do."""


@dataclass(frozen=True)
class LoadedModel:
    """A model read from a .keras file, rebuilt as cnnviz builds models.

    Attributes:
        spec: the layers as a cnnviz spec.
        model: the rebuilt Keras model, holding the file's weights.
        input_shape: its input shape without the batch axis.
        num_classes: its number of outputs.
    """

    spec: dict
    model: keras.Model
    input_shape: tuple[int, ...]
    num_classes: int


def save_keras_bytes(model: keras.Model) -> bytes:
    """The model as the bytes of a .keras file (architecture and weights)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        with open(path, "rb") as file:
            return file.read()


def first_sentence(text: str, limit: int = 200) -> str:
    """Keras's message cut to its first sentence, and at a word boundary when still long."""
    text = " ".join(text.split())
    sentence = text.split(". ")[0].rstrip(".")
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0] + " ..."


def _custom_object(node) -> tuple[str, str | None] | None:
    """The first object in a .keras config that Keras cannot make on its own, and its name.

    Keras writes `"module": "keras.layers"` (or another keras module) for its own classes; a
    custom layer or function has another module or none, and its Python code is not in the file.
    Classes registered with Keras in this process (cnnviz's ResidualBlock) load, so they pass;
    Keras's own markers such as `__lambda__` are left to Keras's safe mode.
    """
    if isinstance(node, dict):
        class_name = node.get("class_name")
        if isinstance(class_name, str) and "module" in node and not class_name.startswith("__"):
            module = node.get("module")
            own = isinstance(module, str) and module.split(".")[0] == "keras"
            if not own and node.get("registered_name") not in keras.saving.get_custom_objects():
                inner = node.get("config")
                name = inner.get("name") if isinstance(inner, dict) else None
                return class_name, name if isinstance(name, str) else None
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _custom_object(child)
        if found is not None:
            return found
    return None


def _check_archive(data: bytes) -> None:
    """Refuse a cut-short zip, a zip that is no .keras file, and custom layers, in words."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ModelFileError(
            "The file is incomplete or damaged: its zip archive is cut short (a download that "
            "stopped early?). Download or save it again with model.save('model.keras')."
        ) from None
    with archive:
        if KERAS_CONFIG not in archive.namelist():
            raise ModelFileError(
                f"This zip is not a .keras file: it holds no {KERAS_CONFIG}. Save the model "
                f"with model.save('model.keras')."
            )
        try:
            if archive.getinfo(KERAS_CONFIG).file_size > MAX_CONFIG_BYTES:
                raise ValueError("too large")
            config = json.loads(archive.read(KERAS_CONFIG))
            custom = _custom_object(config)
        except (ValueError, RecursionError, zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise ModelFileError(
                f"The file is damaged: its {KERAS_CONFIG} cannot be read. Download or save it "
                f"again with model.save('model.keras')."
            ) from None
    if custom is not None:
        class_name, layer_name = custom
        where = f"layer {layer_name!r}" if layer_name else "model"
        shown = spec_module.show_value(class_name)
        raise ModelFileError(
            f"The file's {where} is of the custom class {shown}, whose Python code is not in "
            f"the file (and cnnviz never runs code from a file). Use only Keras's own layers, "
            f"such as the ones cnnviz offers."
        )


def read_keras_model(data: bytes) -> keras.Model:
    """The Keras model in a .keras file's bytes, loaded without running code from it.

    Any Keras model, not only one cnnviz can rebuild (`cnnviz inspect` explains any).

    Raises:
        ModelFileError (a ValueError): one line saying what is wrong with the file and what to do.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise ModelFileError(f"Expected the file's bytes. Received: {type(data).__name__}")
    if len(data) > MAX_KERAS_BYTES:
        raise ModelFileError(
            f"The file has {len(data) / 2**20:,.0f} MB; cnnviz reads .keras files of up to "
            f"{MAX_KERAS_BYTES // 2**20} MB."
        )
    if data.startswith(HDF5_SIGNATURE):
        raise ModelFileError(
            "This is an older HDF5 (.h5) model file. cnnviz reads .keras files: load it in "
            "Keras and save it with model.save('model.keras')."
        )
    if not data.startswith(ZIP_SIGNATURE):
        raise ModelFileError(
            "This is not a .keras file (a .keras file is a zip archive written by Keras's "
            "model.save('model.keras'))."
        )
    _check_archive(bytes(data))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "upload.keras")
        with open(path, "wb") as file:
            file.write(data)
        try:
            return keras.saving.load_model(path, safe_mode=True, compile=False)
        except Exception as error:  # noqa: BLE001 - any failure of a foreign file is the file's
            if "safe_mode" in str(error) or "Lambda" in str(error):
                raise ModelFileError(
                    "The file holds Python code (for example a Lambda layer), which cnnviz "
                    "never runs. Use only the layers cnnviz offers."
                ) from None
            # Keras's text names a temporary file of ours: say what failed, not where.
            text = first_sentence(str(error).replace(path, "the file"))
            raise ModelFileError(
                f"Keras could not read this .keras file ({type(error).__name__}: {text}). It "
                f"may be damaged, or come from another version of Keras: save it again with "
                f"model.save('model.keras') in Keras 3."
            ) from None


def _plain_value(value):
    """A config value as a spec holds it: (3, 3) -> 3, (2, 3) -> [2, 3]."""
    if isinstance(value, (list, tuple)):
        values = [int(item) if isinstance(item, (int, np.integer)) else item for item in value]
        return values[0] if len(set(values)) == 1 else values
    return value


def _spec_layer(position: int, layer: keras.layers.Layer) -> dict:
    """One model layer as a spec layer, or a ModelFileError naming what is not supported."""
    layer_type = type(layer).__name__
    where = f"Layer {position} ({layer_type}, named {layer.name!r})"
    if layer_type not in LAYER_TYPES:
        raise ModelFileError(
            f"{where}: cnnviz does not support this layer type. Supported: "
            f"{', '.join(LAYER_TYPES)}."
        )
    config = layer.get_config()
    for key, allowed in FIXED_CONFIG.items():
        if key in config and config[key] not in allowed:
            raise ModelFileError(
                f"{where}: cnnviz supports only {key}={allowed[-1]!r}. Received: "
                f"{key}={config[key]!r}"
            )
    spec_layer = {"type": layer_type}
    for name, argument in LAYER_TYPES[layer_type].items():
        if name not in config:
            continue
        value = _plain_value(config[name])
        if name == "activation" and not isinstance(value, str):
            raise ModelFileError(
                f"{where}: its activation is a custom function; cnnviz supports "
                f"{', '.join(map(repr, argument.choices))}."
            )
        if value != argument.default or argument.required:
            spec_layer[name] = value
    if "pool_size" in config and _plain_value(config.get("strides")) == _plain_value(
        config["pool_size"]
    ):
        # Keras writes the strides a pooling layer takes by default; a spec leaves them out.
        spec_layer.pop("strides", None)
    if layer_type in AUGMENTATION_LAYERS:
        spec_layer = _augmentation_spec_layer(where, layer, config, spec_layer)
    return spec_layer


# Configuration keys that do not change what an augmentation layer does.
AUGMENTATION_IGNORED = ("name", "seed", "trainable", "dtype")


def _augmentation_spec_layer(where: str, layer, config: dict, spec_layer: dict) -> dict:
    """The spec of an augmentation layer, checked to rebuild exactly the file's layer.

    Augmentation changes nothing when the network predicts, so the check on probe images
    cannot see a setting cnnviz would drop (a fill mode, a lopsided range): the configurations
    are compared instead. Keras writes a factor f as a range such as (-f, f).
    """
    for name, value in list(spec_layer.items()):
        if isinstance(value, list) and name != "type":
            spec_layer[name] = max(abs(number) for number in value)
    arguments = {key: value for key, value in spec_layer.items() if key != "type"}
    try:
        rebuilt = type(layer)(**arguments).get_config()
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{where}: cnnviz cannot rebuild it ({error}).") from None
    for key, value in config.items():
        if key not in AUGMENTATION_IGNORED and _plain_value(rebuilt.get(key)) != _plain_value(
            value
        ):
            raise ModelFileError(
                f"{where}: cnnviz supports only its settings {', '.join(arguments) or 'mode'} "
                f"with Keras's defaults otherwise. Received: {key}={value!r}"
            )
    return spec_layer


def _model_layers(model: keras.Model) -> list[keras.layers.Layer]:
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    first = layers[0] if layers else None
    if not isinstance(first, keras.layers.Rescaling):
        raise ModelFileError(
            "The model must start with Rescaling(1/255), as cnnviz's models do: cnnviz feeds it "
            "raw pixels 0-255. Add keras.layers.Rescaling(1.0 / 255) as its first layer."
        )
    scale, offset = first.get_config()["scale"], first.get_config()["offset"]
    if not (np.isclose(float(np.mean(scale)), 1 / 255) and np.allclose(offset, 0)):
        raise ModelFileError(
            f"The model's first layer must be Rescaling(1/255) with offset 0. Received: "
            f"scale={scale}, offset={offset}"
        )
    return layers[1:]


def load_keras_bytes(data: bytes, dataset_title: str = "the data set") -> LoadedModel:
    """Read a .keras file and rebuild it as a cnnviz model with the file's weights.

    Args:
        data: the file's bytes.
        dataset_title: named in messages about the output layer.

    Raises:
        ModelFileError (a ValueError): when the file cannot be read safely, or its model is not
            a plain stack of supported layers; the message says which layer and why.
    """
    loaded = read_keras_model(bytes(data))
    if len(loaded.inputs) != 1 or len(loaded.outputs) != 1:
        raise ModelFileError("The model must have one input and one output, as cnnviz's have.")
    input_shape = tuple(int(size) for size in loaded.inputs[0].shape[1:])
    if len(input_shape) != 3 or None in loaded.inputs[0].shape[1:]:
        raise ModelFileError(
            f"The model must take images (height, width, channels). Received: input shape "
            f"{tuple(loaded.inputs[0].shape[1:])}"
        )
    num_classes = int(loaded.outputs[0].shape[-1])
    source_layers = _model_layers(loaded)
    spec = {
        "name": loaded.name,
        "layers": [_spec_layer(p, layer) for p, layer in enumerate(source_layers, start=1)],
    }
    try:
        spec_module.validate(spec, input_shape, num_classes, dataset_title)
        model = builder.build_model(spec, input_shape, num_classes)
    except ValueError as error:
        raise ModelFileError(f"The model in the file does not fit cnnviz: {error}") from None
    for position, (source, target) in enumerate(
        zip(source_layers, builder.spec_layers(model), strict=True), start=1
    ):
        weights = source.get_weights()
        expected = [tuple(weight.shape) for weight in target.get_weights()]
        if [tuple(weight.shape) for weight in weights] != expected:
            raise ModelFileError(
                f"Layer {position} ({type(source).__name__}): its weights have shapes "
                f"{[w.shape for w in weights]}, not {expected} as its settings imply."
            )
        target.set_weights(weights)
    # A functional model could wire the same layers in another order or with branches; the
    # rebuilt stack must compute exactly what the file's model computes.
    probe = np.random.default_rng(0).integers(0, 256, size=(4, *input_shape)).astype("float32")
    expected_output = keras.ops.convert_to_numpy(loaded(probe, training=False))
    rebuilt_output = keras.ops.convert_to_numpy(model(probe, training=False))
    if not np.allclose(expected_output, rebuilt_output, atol=1e-5):
        raise ModelFileError(
            "The model's layers are not connected as one simple stack (one after the other), "
            "which is the only kind of model cnnviz shows."
        )
    return LoadedModel(spec, model, input_shape, num_classes)


def dataset_mismatch(file_name: str, loaded: LoadedModel, info, candidates) -> str | None:
    """What to do when a loaded model does not fit the chosen data set, or None when it fits.

    Says which of the two differs, the image shape or the number of classes, and names the
    data sets that fit, or else how to make one (the My data page makes any class count).

    Args:
        file_name: the file's name, for the message.
        loaded: the model read from the file.
        info: the chosen data set's DatasetInfo.
        candidates: the DatasetInfo of every data set the student can choose.
    """
    shape, classes = tuple(loaded.input_shape), loaded.num_classes
    if shape == tuple(info.input_shape) and classes == info.num_classes:
        return None
    shown = spec_module.format_shape(shape)
    fitting = [
        other.title
        for other in candidates
        if tuple(other.input_shape) == shape and other.num_classes == classes
    ]
    if shape != tuple(info.input_shape):
        found = f"{file_name} takes {shown} images, but {info.title}'s are "
        found += f"{spec_module.format_shape(info.input_shape)}."
    else:
        found = (
            f"{file_name} predicts {classes} classes, but {info.title} has {info.num_classes} "
            f"(the images are the same size, {shown})."
        )
    if fitting:
        return f"{found} Choose {' or '.join(fitting)} in the sidebar, then load it again."
    sizes = ", ".join(str(size) for size in own_data.IMAGE_SIZES)
    own_fits = shape[0] == shape[1] and shape[0] in own_data.IMAGE_SIZES and shape[2] in (1, 3)
    if own_fits and 2 <= classes <= own_data.MAX_CLASSES:
        return (
            f"{found} No data set here has {classes} classes of {shown} images: make one on "
            f"the My data page ({classes} classes, {shape[0]} pixels, "
            f"{'gray' if shape[2] == 1 else 'rgb'}), choose it in the sidebar and load the "
            f"model again."
        )
    return (
        f"{found} No data set of cnnviz can have {classes} classes of {shown} images (own "
        f"data sets have 2 to {own_data.MAX_CLASSES} classes of {sizes} pixels a side), so "
        f"this page cannot use the model; `cnnviz inspect` explains it on the command line."
    )
