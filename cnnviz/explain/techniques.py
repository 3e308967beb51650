"""Where a model looked, and what its filters look for: small functions returning arrays.

- grad_cam: which regions of the image raised a class's score, as seen by one conv layer;
- saliency and smooth_grad: how much each input pixel moves that score;
- integrated_gradients: how much each input value adds to the class's probability, signed;
- filter_pictures: the input that most excites each filter (activation maximisation).

Scores are the class's logit (the value before softmax), not its probability: a confident
prediction's probability is flat near 1, so its gradient vanishes while the logit's does not.
Integrated Gradients alone explains the probability: its attributions add up to the change of
what it explains, and a probability is what a student reads. Dropout and batch normalisation run
in inference mode throughout.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from cnnviz.explain import inspection
from cnnviz.quantities import is_whole_number

SMOOTHGRAD_SAMPLES = 20
# Noise for SmoothGrad as a fraction of the pixel range (Smilkov et al. found 10-20 % best).
SMOOTHGRAD_NOISE = 0.15
INTEGRATED_GRADIENTS_STEPS = 64
FILTER_PICTURE_STEPS = 80
MAX_FILTER_PICTURES = 16


def _class_index(model: keras.Model, class_index) -> int | None:
    if class_index is None:
        return None
    count = int(model.outputs[0].shape[-1])
    if not is_whole_number(class_index):
        raise ValueError(f"class_index must be a whole number. Received: {class_index!r}")
    if not 0 <= class_index < count:
        raise ValueError(
            f"class_index must lie between 0 and {count - 1} (the model has {count} classes). "
            f"Received: class_index={class_index}"
        )
    return int(class_index)


def _logits_source(model: keras.Model):
    """(tensor to take from the model, function turning it into logits)."""
    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    if getattr(activation, "__name__", "") != "softmax":
        return last.output, lambda values: values
    if isinstance(last, keras.layers.Dense):
        kernel, bias = last.kernel, last.bias

        def dense_logits(values):
            logits = tf.matmul(values, tf.convert_to_tensor(kernel))
            return logits + tf.convert_to_tensor(bias) if bias is not None else logits

        return last.input, dense_logits
    return last.input, lambda values: values  # an Activation("softmax") layer


def _normalise(maps: np.ndarray) -> np.ndarray:
    """Scale each map to 0..1 (an all-zero map stays zero)."""
    flat = maps.reshape(len(maps), -1)
    low = flat.min(axis=1, keepdims=True)
    span = flat.max(axis=1, keepdims=True) - low
    scaled = np.where(span > 0, (flat - low) / np.where(span > 0, span, 1), 0.0)
    return scaled.reshape(maps.shape).astype(np.float32)


def grad_cam(model: keras.Model, image, layer_name: str, class_index: int | None = None):
    """Grad-CAM heatmap of one class on one conv layer (Selvaraju et al., 2017).

    Each channel of the layer's output is weighted by the average gradient of the class's
    logit with respect to it; the positive part of the weighted sum, scaled up to the input's
    size, shows where the evidence for the class lies.

    Args:
        model: the model.
        image: (height, width, channels) raw pixels, matching the model input.
        layer_name: a layer with feature maps (usually the last Conv2D).
        class_index: the class to explain; None means the predicted one.

    Returns:
        (heatmap float32 (height, width) scaled to 0..1, the class index explained).

    Raises:
        ValueError: for a bad layer name, class index or image.
    """
    image = inspection.check_image(model, image)
    names = inspection.feature_map_layer_names(model)
    if layer_name not in names:
        raise ValueError(
            f"{layer_name!r} has no feature maps, so Grad-CAM cannot use it. Choose one of: "
            f"{', '.join(names) or 'none'}."
        )
    class_index = _class_index(model, class_index)
    source, to_logits = _logits_source(model)
    sub_model = keras.Model(model.inputs[0], [model.get_layer(layer_name).output, source])
    batch = tf.convert_to_tensor(image[np.newaxis].astype("float32"))
    with tf.GradientTape() as tape:
        maps, values = sub_model(batch, training=False)
        tape.watch(maps)
        logits = to_logits(values)
        if class_index is None:
            class_index = int(tf.argmax(logits[0]))
        score = logits[0, class_index]
    gradients = tape.gradient(score, maps)
    if gradients is None:
        raise ValueError(
            f"The class scores do not depend on {layer_name}'s output along the path this "
            f"model computes, so Grad-CAM cannot use it. Choose another layer."
        )
    gradients = gradients[0].numpy()
    maps = maps[0].numpy()
    weights = gradients.mean(axis=(0, 1))
    cam = np.maximum((maps * weights).sum(axis=-1), 0.0)
    height, width = image.shape[:2]
    resized = tf.image.resize(cam[..., np.newaxis], (height, width), method="bilinear")
    return _normalise(resized.numpy()[np.newaxis, ..., 0])[0], class_index


def _input_gradients(model: keras.Model, batch: np.ndarray, class_index: int | None):
    source, to_logits = _logits_source(model)
    sub_model = keras.Model(model.inputs[0], source)
    inputs = tf.convert_to_tensor(batch.astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        logits = to_logits(sub_model(inputs, training=False))
        if class_index is None:
            class_index = int(tf.argmax(logits[0]))
        score = tf.reduce_sum(logits[:, class_index])
    return tape.gradient(score, inputs).numpy(), class_index


def saliency(model: keras.Model, image, class_index: int | None = None):
    """Vanilla-gradient saliency: how strongly each pixel moves the class's logit.

    Returns:
        (map float32 (height, width) scaled to 0..1, the class index explained); a pixel's
        value is the largest gradient size over its colour channels.

    Raises:
        ValueError: for a bad class index or image.
    """
    image = inspection.check_image(model, image)
    gradients, class_index = _input_gradients(
        model, image[np.newaxis], _class_index(model, class_index)
    )
    return _normalise(np.abs(gradients).max(axis=-1))[0], class_index


def smooth_grad(
    model: keras.Model,
    image,
    class_index: int | None = None,
    samples: int = SMOOTHGRAD_SAMPLES,
    noise: float = SMOOTHGRAD_NOISE,
    seed: int = 0,
):
    """SmoothGrad (Smilkov et al., 2017): saliency averaged over noisy copies of the image.

    The noisy copies go through the model as one batch, so 20 samples cost about one pass.

    Args:
        samples: how many noisy copies (at least 1).
        noise: the noise's standard deviation as a fraction of the pixel range 0..255.
        seed: for repeatable noise.

    Returns:
        (map float32 (height, width) scaled to 0..1, the class index explained).

    Raises:
        ValueError: for a bad class index, image, sample count or noise level.
    """
    image = inspection.check_image(model, image)
    if not is_whole_number(samples) or samples < 1:
        raise ValueError(f"samples must be a whole number of at least 1. Received: {samples!r}")
    if not isinstance(noise, (int, float)) or not 0 <= noise <= 1:
        raise ValueError(f"noise must be a fraction between 0 and 1. Received: noise={noise!r}")
    class_index = _class_index(model, class_index)
    if class_index is None:
        _, class_index = _input_gradients(model, image[np.newaxis], None)
    generator = np.random.default_rng(seed)
    noisy = image[np.newaxis].astype(np.float32) + generator.normal(
        0.0, noise * 255.0, (samples, *image.shape)
    ).astype(np.float32)
    gradients, _ = _input_gradients(model, noisy, class_index)
    return _normalise(np.abs(gradients).max(axis=-1).mean(axis=0)[np.newaxis])[0], class_index


def _probability_gradients(model: keras.Model, batch: np.ndarray, class_index: int):
    """(the class's softmax probability for each image, its gradient per input value)."""
    source, to_logits = _logits_source(model)
    sub_model = keras.Model(model.inputs[0], source)
    inputs = tf.convert_to_tensor(batch.astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        probabilities = tf.nn.softmax(to_logits(sub_model(inputs, training=False)))
        chosen = probabilities[:, class_index]
        total = tf.reduce_sum(chosen)
    return chosen.numpy(), tape.gradient(total, inputs).numpy()


def integrated_gradients(
    model: keras.Model,
    image,
    class_index: int | None = None,
    steps: int = INTEGRATED_GRADIENTS_STEPS,
) -> dict:
    """Integrated Gradients (Sundararajan et al., 2017) from a black image.

    The gradient of the class's probability is taken at `steps` + 1 images on the straight
    line from the baseline (all zeros: black, whatever the pixel scale) to the image, one
    batch, and integrated by the trapezoid rule; each value's attribution is that mean
    gradient times how far the value is from the baseline. The attributions add up to about
    F(image) - F(baseline), F being the class's probability (the completeness axiom).

    Args:
        model: the model.
        image: (height, width, channels), as the model takes it.
        class_index: the class to explain; None means the predicted one.
        steps: intervals of the path (at least 1).

    Returns:
        A dict of arrays: "attributions" (float32, the image's shape, signed), "baseline",
        "class_index", and "probabilities" (F at the baseline and at the image).

    Raises:
        ValueError: for a bad class index, image or step count.
    """
    image = inspection.check_image(model, image)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1. Received: {steps!r}")
    class_index = _class_index(model, class_index)
    if class_index is None:
        _, class_index = _input_gradients(model, image[np.newaxis], None)
    baseline = np.zeros(image.shape, np.float32)
    difference = image.astype(np.float32) - baseline
    fractions = np.linspace(0.0, 1.0, steps + 1, dtype=np.float32)
    path = baseline + fractions[:, None, None, None] * difference
    probabilities, gradients = _probability_gradients(model, path, class_index)
    # The trapezoid rule: the two ends count half.
    weights = np.full(steps + 1, 1.0 / steps, np.float32)
    weights[[0, -1]] /= 2
    mean_gradient = np.tensordot(weights, gradients, axes=1)
    return {
        "attributions": (difference * mean_gradient).astype(np.float32),
        "baseline": baseline,
        "class_index": class_index,
        "probabilities": np.array([probabilities[0], probabilities[-1]], np.float32),
    }


def _blur(pictures: tf.Tensor) -> tf.Tensor:
    """A 3x3 binomial blur per channel, which keeps ascent from growing pixel-level noise."""
    channels = pictures.shape[-1]
    row = tf.constant([1.0, 2.0, 1.0]) / 4.0
    kernel = tf.tensordot(row, row, axes=0)[:, :, tf.newaxis, tf.newaxis]
    kernel = tf.tile(kernel, [1, 1, channels, 1])
    return tf.nn.depthwise_conv2d(pictures, kernel, [1, 1, 1, 1], "SAME")


def _checked_filters(model: keras.Model, layer_name: str, filters, steps) -> tuple[list[int], int]:
    """The filter indices as ints and the layer's filter count, or a ValueError saying why."""
    kernels = inspection.get_kernels(model, layer_name)  # also checks the name
    filters = [int(index) for index in np.atleast_1d(np.asarray(filters, dtype=np.int64))]
    if not 1 <= len(filters) <= MAX_FILTER_PICTURES:
        raise ValueError(f"Choose 1 to {MAX_FILTER_PICTURES} filters. Received: {len(filters)}")
    if any(not 0 <= index < len(kernels) for index in filters):
        raise ValueError(f"Filter indices must lie between 0 and {len(kernels) - 1}.")
    if not is_whole_number(steps) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1. Received: {steps!r}")
    return filters, len(kernels)


def _ascent_gradients(sub_model, layer, pictures: tf.Variable, selector: tf.Tensor) -> tf.Tensor:
    """The gradient of each picture's chosen filter's mean response, with respect to it."""
    with tf.GradientTape() as tape:
        received = sub_model(pictures * 255.0, training=False)
        sums = layer.convolution_op(received, layer.kernel)
        if layer.use_bias:
            sums = sums + layer.bias
        # Softplus of the weighted sum rather than the layer's relu: relu's gradient is
        # zero wherever a filter is silent, which from grey noise is often everywhere.
        activations = tf.nn.softplus(sums)
        score = tf.reduce_sum(tf.reduce_mean(activations * selector, axis=(1, 2)))
    return tape.gradient(score, pictures)


def filter_pictures(
    model: keras.Model,
    layer_name: str,
    filters,
    steps: int = FILTER_PICTURE_STEPS,
    learning_rate: float = 0.05,
    seed: int = 0,
    on_step: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray | None:
    """The inputs that most excite some filters of a conv layer (activation maximisation).

    Starting from faint noise around mid-grey, each picture climbs the gradient of its filter's
    mean response, softplus(weighted sum + bias), over all positions (all pictures in one
    batch). Each step shifts the pictures by a random
    pixel or two (jitter) and every fourth step blurs them, so the result shows patterns at the
    filter's own scale rather than high-frequency noise.

    Args:
        model: the model.
        layer_name: one of its Conv2D layers.
        filters: filter indices, at most MAX_FILTER_PICTURES.
        steps: gradient-ascent steps.
        learning_rate: step size in units of the 0..1 pixel range (gradients are normalised).
        seed: for repeatable starting noise and jitter.
        on_step: called as on_step(step done, steps) to show progress.
        should_stop: polled every step; when it returns True, ascent ends and None is returned.

    Returns:
        uint8 array (len(filters), height, width, channels), or None when stopped.

    Raises:
        ValueError: for a name that is not a Conv2D layer or bad filter indices or steps.
    """
    filters, filter_count = _checked_filters(model, layer_name, filters, steps)
    layer = model.get_layer(layer_name)
    sub_model = keras.Model(model.inputs[0], layer.input)
    shape = tuple(model.inputs[0].shape[1:])
    generator = np.random.default_rng(seed)
    pictures = tf.Variable(0.5 + 0.05 * generator.standard_normal((len(filters), *shape)))
    pictures = tf.Variable(tf.cast(pictures, tf.float32))
    selector = tf.one_hot(filters, filter_count)[:, tf.newaxis, tf.newaxis, :]
    for step in range(steps):
        if should_stop is not None and should_stop():
            return None
        shift = generator.integers(-2, 3, size=2)
        pictures.assign(tf.roll(pictures, shift=shift, axis=(1, 2)))
        gradients = _ascent_gradients(sub_model, layer, pictures, selector)
        size = tf.math.reduce_std(gradients, axis=(1, 2, 3), keepdims=True) + 1e-8
        pictures.assign_add(learning_rate * gradients / size)
        if step % 4 == 3:
            pictures.assign(_blur(pictures))
        pictures.assign(tf.roll(pictures, shift=-shift, axis=(1, 2)))
        pictures.assign(tf.clip_by_value(pictures, 0.0, 1.0))
        if on_step is not None:
            on_step(step + 1, steps)
    values = pictures.numpy()
    return np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8)
