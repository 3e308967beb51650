"""Looking inside a model: its filters, its feature maps and its predictions.

Everything here takes a functional Keras model as the builder makes it (raw 0..255 pixels in,
class probabilities out) and returns plain numpy arrays and Python values for cnnviz.figures.
"""

from __future__ import annotations

import keras
import numpy as np

from cnnviz.model import layer_types
from cnnviz.model import spec as spec_module
from cnnviz.model.layer_types import AUGMENTATION_LAYERS
from cnnviz.model.with_keras import builder
from cnnviz.quantities import is_whole_number


def layer_record(layer: keras.layers.Layer) -> layer_types.LayerType | None:
    """The catalogue's record of a model layer (its Keras class is named as the type), or None."""
    return layer_types.CATALOGUE.get(type(layer).__name__)


def layer_family(layer: keras.layers.Layer) -> layer_types.LayerFamily | None:
    """The family of a model layer's type, or None for a layer outside the catalogue."""
    record = layer_record(layer)
    return record.family if record is not None else None


def conv_layer_names(model: keras.Model) -> list[str]:
    """Names of the model's convolution layers (every type whose record has kernels), in order."""
    return [
        layer.name
        for layer in model.layers
        if layer_family(layer) == layer_types.LayerFamily.CONVOLUTION
    ]


def _output_rank(layer: keras.layers.Layer) -> int | None:
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):
        # A layer used more than once has no single output; it has no one feature map either.
        return None


def feature_map_layer_names(model: keras.Model) -> list[str]:
    """Names of the layers whose output is a stack of images (batch, height, width, channels).

    These are the convolution, pooling, batch-normalisation, dropout and activation layers that
    come before the model flattens; the Input and the "rescaling" layer are left out because
    their output is just the input image.
    """
    return [
        layer.name
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
        and layer.name != builder.RESCALING_LAYER_NAME
        and _output_rank(layer) == 4
    ]


def _listing(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def get_kernels(model: keras.Model, layer_name: str) -> np.ndarray:
    """The weights of one convolution layer, one filter per row.

    Keras stores a Conv2D kernel as (kernel_height, kernel_width, in_channels, filters); this
    puts the filter first, which is how students count them and how plots lay them out. Other
    convolution types give their filters through their record's `kernels` rule (a depthwise
    filter reads one input channel).

    Args:
        model: the model.
        layer_name: the name of one of its convolution layers, e.g. "conv2d_1".

    Returns:
        float32 array (filters, kernel_height, kernel_width, in_channels).

    Raises:
        ValueError: when the model has no Conv2D layer of that name; the message lists those
            it has.
    """
    names = conv_layer_names(model)
    if layer_name not in names:
        raise ValueError(
            f"{layer_name!r} is not a convolution layer of this model, so it has no filters to "
            f"show. Choose one of its convolution layers: {_listing(names)}."
        )
    layer = model.get_layer(layer_name)
    kernel = layer_record(layer).kernels([np.asarray(w) for w in layer.get_weights()])
    return np.ascontiguousarray(np.transpose(kernel, (3, 0, 1, 2)), dtype=np.float32)


def _model_image_shape(model: keras.Model) -> tuple[int, ...]:
    return tuple(model.inputs[0].shape[1:])


def check_images(model: keras.Model, images, single: bool) -> np.ndarray:
    """Check that images fit the model; returns them as a numpy array."""
    images = np.asarray(images)
    expected = _model_image_shape(model)
    actual = images.shape if single else images.shape[1:]
    if images.dtype == object or not np.issubdtype(images.dtype, np.number):
        raise ValueError(f"Images must hold numbers (0..255). Received: dtype={images.dtype}")
    if actual != expected or (not single and images.ndim != len(expected) + 1):
        what = "an image" if single else "a batch of images (count, height, width, channels)"
        hint = (
            " Pass one image without the batch axis, e.g. images[0]."
            if single and images.ndim == len(expected) + 1
            else " Prepare uploads with cnnviz.data.images.prepare_upload(..., input_shape) first."
        )
        raise ValueError(
            f"This model takes images of shape {expected} (height, width, channels), but "
            f"received {what} of shape {images.shape}.{hint}"
        )
    return images


def check_image(model: keras.Model, image) -> np.ndarray:
    """One image checked against the model's input shape; returns it as a numpy array.

    Raises:
        ValueError: for an image of another shape, with a hint on how to prepare one.
    """
    return check_images(model, image, single=True)


def feature_maps(
    model: keras.Model, image: np.ndarray, layer_names: list[str]
) -> dict[str, np.ndarray]:
    """What the chosen layers output for one image.

    All layers are computed in one pass through a sub-model that shares the model's weights.
    Dropout and batch normalisation run in inference mode, as when the model predicts.

    Args:
        model: the model.
        image: uint8 (height, width, channels) with raw pixel values, matching the model input.
        layer_names: names from feature_map_layer_names(model); "rescaling" works too and
            shows the input as the first layer receives it (scaled to 0..1).

    Returns:
        {layer name: float32 array (height, width, channels)} in the order asked for.

    Raises:
        ValueError: for an image of the wrong shape, or a name that is not a layer with
            image-shaped output (the message lists those there are).
    """
    if isinstance(layer_names, str):
        layer_names = [layer_names]
    # Asking twice for the same layer would only add a duplicate output to the sub-model.
    names = list(dict.fromkeys(layer_names))
    if not names:
        raise ValueError(
            "No layers were chosen. Pass at least one name from feature_map_layer_names(model)."
        )
    layer_by_name = {layer.name: layer for layer in model.layers}
    for name in names:
        layer = layer_by_name.get(name)
        if layer is None or isinstance(layer, keras.layers.InputLayer) or _output_rank(layer) != 4:
            raise ValueError(
                f"{name!r} is not a layer of this model with feature maps (height x width x "
                f"channels). Choose from: {_listing(feature_map_layer_names(model))}."
            )
    image = check_images(model, image, single=True)
    sub_model = keras.Model(model.inputs[0], [layer_by_name[name].output for name in names])
    outputs = sub_model(image[np.newaxis].astype("float32"), training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return {
        name: np.asarray(keras.ops.convert_to_numpy(output)[0], dtype=np.float32)
        for name, output in zip(names, outputs, strict=True)
    }


def _forward(model: keras.Model, images: np.ndarray, batch_size: int) -> np.ndarray:
    if len(images) <= batch_size:
        # One batch (the Inspect page's one image): a plain call skips the ~50 ms predict()
        # spends setting up its loop.
        return keras.ops.convert_to_numpy(model(images.astype("float32"), training=False))
    # predict runs the model as one compiled graph: about a third less CPU time than calling it
    # batch by batch (measured on the MNIST test set), and it casts one batch at a time to
    # float32 (the whole set at once would take four times the memory of uint8 pixels).
    return model.predict(images, batch_size=batch_size, verbose=0)


def predict_probabilities(
    model: keras.Model, images: np.ndarray, flip: bool = False, batch_size: int = 500
) -> np.ndarray:
    """Class probabilities for many images: the one way Inspect, Evaluate and training's test
    measurement ask the model.

    Args:
        model: a model ending in softmax, as cnnviz.model.with_keras.builder builds them.
        images: (count, height, width, channels) raw pixel values, matching the model input.
        flip: each image's probabilities are the mean of its own and its mirror image's
            (test-time augmentation), as a training with test-time flips measures: the network
            learnt both ways round from flipped training images, and two looks make fewer
            mistakes than one.
        batch_size: images per forward pass; smaller uses less memory.

    Returns:
        float32 array (count, number of classes).

    Raises:
        ValueError: for images of the wrong shape or a batch_size below 1.
    """
    if not is_whole_number(batch_size):
        raise ValueError(f"batch_size must be a whole number. Received: batch_size={batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1. Received: batch_size={batch_size}")
    images = check_images(model, images, single=False)
    if len(images) == 0:
        return np.zeros((0, int(model.outputs[0].shape[-1])), dtype=np.float32)
    probabilities = _forward(model, images, batch_size)
    if flip:
        mirrored = np.ascontiguousarray(images[:, :, ::-1])
        probabilities = (probabilities + _forward(model, mirrored, batch_size)) / 2
    return np.asarray(probabilities, dtype=np.float32)


def top_predictions(
    model: keras.Model, image: np.ndarray, class_names, k: int = 3, flip: bool = False
) -> list[tuple[str, float]]:
    """The k most likely classes for one image.

    Args:
        model: a model ending in softmax.
        image: (height, width, channels) raw pixel values, matching the model input.
        class_names: one name per model output, e.g. dataset.class_names.
        k: how many classes to return (at most the number of classes).
        flip: average with the mirror image, as predict_probabilities does.

    Returns:
        [(class name, probability)] from most to least likely.

    Raises:
        ValueError: for an image of the wrong shape, a k below 1, or class_names whose length
            differs from the model's number of outputs.
    """
    if not is_whole_number(k) or k < 1:
        raise ValueError(f"k must be a whole number of at least 1. Received: k={k!r}")
    class_names = list(class_names)
    image = check_images(model, image, single=True)
    probabilities = predict_probabilities(model, image[np.newaxis], flip=flip)[0]
    if len(class_names) != len(probabilities):
        raise ValueError(
            f"The model has {len(probabilities)} outputs but {len(class_names)} class names were "
            f"given. Pass the class names of the data set the model was built for."
        )
    # A stable sort keeps ties in class order, so equal probabilities list predictably.
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [(str(class_names[index]), float(probabilities[index])) for index in order]


def leading_augmentation(spec: dict) -> list[dict]:
    """The augmentation layers at the start of a spec, which change the raw training images.

    Later ones (after a convolution, say) change feature maps, not pictures, and are left out.
    """
    leading = []
    for layer in spec.get("layers", []):
        if not isinstance(layer, dict) or layer.get("type") not in AUGMENTATION_LAYERS:
            break
        leading.append(layer)
    return leading


def augmented_copies(image: np.ndarray, layers: list[dict], count: int = 4, seed: int = 0):
    """A few copies of an image as the augmentation layers change it in training.

    Args:
        image: (height, width, channels) raw pixels 0-255.
        layers: augmentation layer specs (RandomFlip, RandomRotation, ...), e.g. the ones at
            the start of the current spec; applied in order.
        count: how many copies.
        seed: the same seed gives the same copies.

    Returns:
        (count, height, width, channels) uint8 pixels.

    Raises:
        ValueError: for a layer that is not an augmentation layer or has bad arguments.
    """
    for position, layer in enumerate(layers, start=1):
        layer_type = layer.get("type") if isinstance(layer, dict) else None
        if layer_type not in AUGMENTATION_LAYERS:
            raise ValueError(
                f"Layer {position}: {layer_type} is not an augmentation layer. Use one of "
                f"{', '.join(AUGMENTATION_LAYERS)}."
            )
    spec_module.check_layers({"layers": list(layers)})
    image = np.asarray(image, dtype="float32")
    if image.ndim != 3:
        raise ValueError(f"The image must be height x width x channels. Received: {image.shape}")
    batch = np.repeat(image[np.newaxis], count, axis=0)
    for index, layer in enumerate(layers):
        arguments = {key: value for key, value in layer.items() if key != "type"}
        keras_layer = getattr(keras.layers, layer["type"])(**arguments, seed=seed + index)
        # Only in training do these layers change images; here that is the point.
        batch = keras.ops.convert_to_numpy(keras_layer(batch, training=True))
    return np.clip(np.round(batch), 0, 255).astype("uint8")


# ----- the path of one image through every layer -----

OVERVIEW_SPATIAL = "spatial"  # a stack of feature maps (height, width, channels)
OVERVIEW_VECTOR = "vector"  # one value per neuron or channel (a Dense or global pooling layer)


def overview_layer_names(model: keras.Model) -> list[str]:
    """The layers the network overview shows, from input to output (the output layer last).

    Spatial layers show feature maps; Dense and global pooling layers show one bar per value.
    Flatten (the same numbers as the layer before, in one line) and the input are left out.
    """
    names = feature_map_layer_names(model)
    for layer in builder.spec_layers(model):
        if layer.name in names or isinstance(layer, keras.layers.Flatten):
            continue
        if _output_rank(layer) == 2 and not isinstance(layer, keras.layers.Dropout):
            names.append(layer.name)
    order = {layer.name: position for position, layer in enumerate(model.layers)}
    return sorted(names, key=order.get)


def network_overview(model: keras.Model, image) -> list[dict]:
    """Every shown layer's output for one image, in one pass through one sub-model.

    Args:
        model: the model.
        image: (height, width, channels) raw pixels, matching the model input.

    Returns:
        [{"name", "kind" (OVERVIEW_SPATIAL or OVERVIEW_VECTOR), "values" (float32, the
        layer's output without the batch axis)}] from input to output; the last entry is the
        output layer (the class probabilities).

    Raises:
        ValueError: for an image of the wrong shape.
    """
    image = check_image(model, image)
    names = overview_layer_names(model)
    output_name = model.layers[-1].name
    if output_name not in names:
        names.append(output_name)
    sub_model = keras.Model(model.inputs[0], [model.get_layer(name).output for name in names])
    outputs = sub_model(image[np.newaxis].astype("float32"), training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    entries = []
    for name, output in zip(names, outputs, strict=True):
        values = np.asarray(keras.ops.convert_to_numpy(output)[0], dtype=np.float32)
        kind = OVERVIEW_SPATIAL if values.ndim == 3 else OVERVIEW_VECTOR
        entries.append({"name": name, "kind": kind, "values": values})
    return entries


# ----- replay: the model as it was after an earlier epoch -----


def model_with_weights(model: keras.Model, weights: list) -> keras.Model:
    """A copy of the model holding other weights, e.g. those recorded after an epoch.

    The model itself is left alone: it may be training on another thread while a student
    replays its past. The copy has the same layer names, so every function here works on it.

    Args:
        model: the model.
        weights: arrays in model.get_weights() order (a recorded snapshot).

    Returns:
        a new keras.Model.

    Raises:
        ValueError: when the weights do not fit the model (another architecture's snapshot).
    """
    current = model.get_weights()
    weights = list(weights)
    shapes = [np.shape(array) for array in weights]
    if shapes != [array.shape for array in current]:
        raise ValueError(
            f"These weights do not fit this model: it has {len(current)} weight arrays, the "
            f"snapshot {len(weights)} (or their shapes differ). Replay needs snapshots recorded "
            f"while this same model trained."
        )
    copy = keras.models.clone_model(model)
    copy.set_weights([np.asarray(array, dtype=np.float32) for array in weights])
    return copy
