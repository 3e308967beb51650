"""Property tests (Hypothesis): whatever a student or a file gives, the answer is a result or a
clear ValueError, never another exception.

- Any JSON value given to spec loading and validation gives a valid analysis or a SpecError;
  for generated valid specs, the analysis's shapes and parameter counts match the Keras model's.
- Any JSON value given as training settings gives checked settings or a ValueError.
- Any bytes given to image decoding give a prepared image or a ValueError.

Example counts are bounded so that this file runs in well under a minute on two cores.
"""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cnnviz.data import datasets, images
from cnnviz.model import layer_types, spec, spec_limits
from cnnviz.model.spec import SpecError
from cnnviz.training import limits as training_limits
from cnnviz.training.settings import TrainingSettings

INPUT_SHAPES = [(28, 28, 1), (32, 32, 3), (9, 7, 2)]
# derandomize: the same examples on every run, so that CI is never red by chance; explore
# with a random seed by hand (pytest --hypothesis-seed=N) to look for new failures.
FAST = settings(
    max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

# ----- strategies -----

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
# Values near the ones that matter: small and boundary integers, pairs, the catalogue's choices.
plausible_values = (
    st.integers(min_value=-2, max_value=70)
    | st.sampled_from([0, 1, 1024, 1025, 4096, 4097, 10**6, 10**6 + 1, 2**31, 10**30])
    | st.lists(st.integers(min_value=-1, max_value=40), min_size=1, max_size=3)
    | st.sampled_from([*layer_types.ACTIVATIONS, *layer_types.PADDINGS, None, True, False])
    | st.floats(min_value=-0.5, max_value=1.5)
    | json_values
)


@st.composite
def spec_like_layers(draw):
    """A dict that looks like a layer: a catalogue type (mostly) and its own argument names."""
    layer_type = draw(st.sampled_from(list(layer_types.LAYER_TYPES)) | json_leaves)
    names = list(layer_types.LAYER_TYPES.get(layer_type, {})) if isinstance(layer_type, str) else []
    keys = draw(st.lists(st.sampled_from(names) | st.text(max_size=8), max_size=4)) if names else []
    layer = {name: draw(plausible_values) for name in keys}
    # Often a complete, sensible layer with some arguments changed.
    known = isinstance(layer_type, str) and layer_type in layer_types.LAYER_TYPES
    if known and draw(st.booleans()):
        layer = {**spec.new_layer(layer_type), **layer}
    layer["type"] = layer_type
    return layer


spec_like = st.fixed_dictionaries(
    {"layers": st.lists(spec_like_layers(), max_size=6)},
    optional={"name": json_leaves, "description": json_leaves, "dataset": json_leaves},
)
any_spec_value = json_values | spec_like


def _assert_sane_analysis(infos, input_shape) -> None:
    for position, info in enumerate(infos, start=1):
        assert info.position == position
        assert info.output_shape and all(
            isinstance(size, int) and size >= 1 for size in info.output_shape
        )
        assert 0 <= info.trainable_params <= info.params


# ----- spec loading and validation: a valid analysis or a SpecError -----


@FAST
@given(value=any_spec_value, input_shape=st.sampled_from(INPUT_SHAPES))
def test_any_json_value_gives_an_analysis_or_a_spec_error(value, input_shape):
    infos, error = spec.analyse(value, input_shape, 10)
    assert error is None or isinstance(error, SpecError)
    _assert_sane_analysis(infos, input_shape)
    if error is None:
        assert spec.validate(value, input_shape, 10) == infos
    else:
        assert len(str(error)) < 1000  # quoted values are shortened
        with pytest.raises(SpecError):
            spec.validate(value, input_shape, 10)


@FAST
@given(value=any_spec_value)
def test_loading_any_json_text_gives_a_spec_or_a_spec_error(value):
    text = json.dumps(value)
    try:
        loaded = spec.from_json(text)
    except SpecError:
        return
    assert isinstance(loaded, dict) and isinstance(loaded["layers"], list)
    with contextlib.suppress(SpecError):
        spec.check_layers(loaded)


@FAST
@given(
    data=st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | st.integers(min_value=1, max_value=20_000).map(lambda depth: b"[" * depth + b"]" * depth)
)
def test_loading_any_bytes_gives_a_spec_or_a_spec_error(data):
    with contextlib.suppress(SpecError):
        spec.from_json(data)


@FAST
@given(value=any_spec_value, batch_size=st.integers(min_value=1, max_value=4096))
def test_the_limit_checks_give_an_analysis_or_a_spec_error(value, batch_size):
    info = datasets.DATASETS["mnist"]
    for server_limits in (spec_limits.Limits(), spec_limits.no_limits()):
        try:
            infos, estimate = training_limits.check_training(
                value, info, {"batch_size": batch_size}, server_limits
            )
        except SpecError:
            continue
        assert estimate.total > 0 and len(infos) == len(value["layers"])


# ----- generated valid specs: the analysis matches the Keras model -----

sizes = st.integers(min_value=1, max_value=6) | st.lists(
    st.integers(min_value=1, max_value=6), min_size=2, max_size=2
)
strides = st.integers(min_value=1, max_value=3) | st.lists(
    st.integers(min_value=1, max_value=3), min_size=2, max_size=2
)
optional = {
    "padding": st.sampled_from(layer_types.PADDINGS),
    "activation": st.sampled_from(layer_types.ACTIVATIONS),
}
spatial_layers = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("Conv2D"),
            "filters": st.integers(min_value=1, max_value=4),
            "kernel_size": sizes,
        },
        optional={**optional, "strides": strides, "use_bias": st.booleans()},
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["MaxPooling2D", "AveragePooling2D"])},
        optional={
            "pool_size": sizes,
            "strides": st.none() | strides,
            "padding": optional["padding"],
        },
    ),
    st.fixed_dictionaries(
        {"type": st.just("BatchNormalization")},
        optional={"momentum": st.floats(0, 0.99), "epsilon": st.floats(1e-5, 1.0)},
    ),
    st.fixed_dictionaries(
        {"type": st.just("Dropout"), "rate": st.floats(min_value=0, max_value=0.9)}
    ),
    st.fixed_dictionaries({"type": st.just("Activation"), "activation": optional["activation"]}),
)
heads = st.sampled_from(["Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D"]).map(
    lambda layer_type: {"type": layer_type}
)
hidden_dense = st.fixed_dictionaries(
    {"type": st.just("Dense"), "units": st.integers(min_value=1, max_value=8)},
    optional={"activation": optional["activation"], "use_bias": st.booleans()},
)


@st.composite
def small_specs(draw):
    layers = draw(st.lists(spatial_layers, max_size=4))
    layers.append(draw(heads))
    layers += draw(st.lists(hidden_dense, max_size=2))
    layers.append({"type": "Dense", "units": 10, "activation": "softmax"})
    return {"name": draw(st.text(alphabet="abc _-1", max_size=12)), "layers": layers}


@pytest.fixture(scope="module")
def keras_modules():
    """Keras and the builder, imported before Hypothesis runs (TensorFlow's import raises the
    recursion limit, which Hypothesis reports when it happens inside a test)."""
    import keras

    from cnnviz.model.with_keras import builder

    return keras, builder


@settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(model_spec=small_specs(), input_shape=st.sampled_from(INPUT_SHAPES))
def test_generated_valid_specs_match_the_keras_model(keras_modules, model_spec, input_shape):
    keras, builder = keras_modules
    infos, error = spec.analyse(model_spec, input_shape, 10)
    if error is not None:  # e.g. a window larger than what reaches it: refused, fine
        return
    model = builder.build_model(model_spec, input_shape, 10)
    assert model.count_params() == spec.total_params(infos)
    for info, layer in zip(infos, builder.spec_layers(model), strict=True):
        assert tuple(layer.output.shape[1:]) == info.output_shape, (info, layer.name)
        assert layer.count_params() == info.params
        trainable = sum(math.prod(weight.shape) for weight in layer.trainable_weights)
        assert trainable == info.trainable_params
    keras.backend.clear_session()


# ----- training settings: checked settings or a ValueError -----

field_names = [name for name in TrainingSettings.__dataclass_fields__]


@FAST
@given(
    values=json_values
    | st.dictionaries(
        st.sampled_from(field_names) | st.text(max_size=8),
        plausible_values | st.floats(min_value=0, max_value=20),
        max_size=7,
    )
)
def test_any_settings_value_gives_checked_settings_or_a_value_error(values):
    try:
        checked = TrainingSettings.from_dict(values)
    except ValueError as error:
        assert type(error) is ValueError and len(str(error)) < 1000
        return
    assert isinstance(checked.epochs, int) and checked.epochs >= 1
    assert isinstance(checked.batch_size, int) and checked.batch_size >= 1
    assert 0 < checked.learning_rate <= 10 and math.isfinite(checked.learning_rate)
    assert isinstance(checked.seed, int) and 0 <= checked.seed < 2**32
    assert 0 <= checked.validation_fraction < 0.9
    assert checked.lr_schedule in ("constant", "cosine", "one_cycle")
    assert 0 <= checked.label_smoothing <= 0.5 and isinstance(checked.test_time_flip, bool)


@pytest.mark.parametrize(
    "values, fragment",
    [
        ({"seed": -1}, "seed must be a whole number from 0"),
        ({"seed": 2**32}, "seed must be a whole number from 0"),
        ({"learning_rate": True}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"validation_fraction": "a tenth"}, "validation_fraction"),
        ({"batch_size": 10**30}, "batch_size must be a whole number from 1 to 65,536"),
        ({"train_limit": True}, "at least 10 images"),
        ({"optimizer": ["adam"]}, "optimizer must be one of"),
        ({"lr_schedule": None}, "lr_schedule must be one of"),
        ({"label_smoothing": float("inf")}, "label_smoothing"),
        ({"test_time_flip": 1}, "test_time_flip must be true or false"),
        ({"mixed_precision": "bf16"}, "mixed_precision must be true or false"),
        ({"epoch": 3}, "Unknown training setting 'epoch'"),
        ([1, 2], "must be an object"),
    ],
)
def test_settings_examples_that_failed_with_other_exceptions_before(values, fragment):
    with pytest.raises(ValueError, match=fragment):
        TrainingSettings.from_dict(values)


# ----- image decoding: a prepared image or a ValueError -----

FORMATS = ["PNG", "JPEG", "GIF", "BMP", "WEBP"]
MODES = ["L", "RGB", "RGBA", "1", "P", "LA", "I;16", "I"]


@st.composite
def image_files(draw):
    """A real small image file in an accepted format, possibly damaged."""
    image_format = draw(st.sampled_from(FORMATS))
    mode = draw(st.sampled_from(MODES))
    width, height = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    pixels = draw(st.binary(min_size=width * height * 4, max_size=width * height * 4))
    image = Image.frombytes("RGBA", (width, height), pixels)
    try:
        image = image.convert(mode)
        buffer = io.BytesIO()
        image.save(buffer, format=image_format)
    except (OSError, ValueError, KeyError):  # a mode this format cannot store
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format=image_format)
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(0, 3))):  # damage: flipped bytes or a cut-off tail
        if draw(st.booleans()) and data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        else:
            data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@settings(
    max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    data=st.binary(max_size=300) | image_files(),
    input_shape=st.sampled_from([(28, 28, 1), (32, 32, 3)]),
    digit_style=st.booleans(),
)
def test_any_bytes_give_a_prepared_image_or_a_value_error(data, input_shape, digit_style):
    try:
        prepared = images.prepare_upload(data, input_shape, digit_style)
    except ValueError as error:
        assert type(error) is ValueError and str(error)
        return
    assert prepared.shape == input_shape and prepared.dtype == np.uint8


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    shape=st.lists(st.integers(0, 12), min_size=1, max_size=4).map(tuple),
    dtype=st.sampled_from([np.uint8, np.int64, np.float32, np.float64, np.bool_, np.int8]),
    fill=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-300, 300),
)
def test_any_array_gives_a_prepared_image_or_a_value_error(shape, dtype, fill):
    with np.errstate(all="ignore"):
        try:
            pixels = np.full(shape, fill).astype(dtype)
        except (OverflowError, ValueError):
            return
    try:
        prepared = images.prepare_array(pixels, (28, 28, 1), digit_style=False)
    except ValueError as error:
        assert type(error) is ValueError
        return
    assert prepared.shape == (28, 28, 1) and prepared.dtype == np.uint8
