"""Tests for cnnviz.limits and cnnviz.training.limits: the server limits, the memory estimate,
and the pages that obey them.

The edge cases at the end build (and train one batch of) the real Keras model: a spec that
validation accepts must never fail in Keras.
"""

from __future__ import annotations

import json

import pytest

from cnnviz.data import datasets
from cnnviz.model import spec, spec_limits
from cnnviz.model.spec import SpecError
from cnnviz.training import limits as training_limits
from cnnviz.training.settings import TrainingSettings
from helpers.paths import APP

MNIST = datasets.DATASETS["mnist"]
CIFAR = datasets.DATASETS["cifar10"]
OUTPUT = {"type": "Dense", "units": 10, "activation": "softmax"}
FLATTEN = {"type": "Flatten"}
SMALL = {"layers": [{"type": "Conv2D", "filters": 8, "kernel_size": 3}, FLATTEN, OUTPUT]}
DENSE_200K = {"layers": [FLATTEN, {"type": "Dense", "units": 200_000}, OUTPUT]}


# ----- the limits and where they come from -----


def test_defaults_are_the_documented_ones():
    defaults = spec_limits.Limits()
    assert defaults.max_params == 5_000_000
    assert defaults.max_memory_mb == 1024
    assert defaults.max_layers == 100
    assert defaults.max_epochs == 100
    assert defaults.max_spec_bytes == 256 * 1024
    assert defaults.max_runs_kept == 20
    assert spec_limits.from_environment({}) == defaults


def test_every_limit_is_read_from_its_environment_variable():
    environ = {
        variable: str(index + 7) for index, variable in enumerate(spec_limits.ENVIRONMENT.values())
    }
    read = spec_limits.from_environment(environ)
    for index, field in enumerate(spec_limits.ENVIRONMENT):
        assert getattr(read, field) == index + 7


def test_no_limits_lifts_the_size_limits_but_still_bounds_spec_files():
    free = spec_limits.no_limits()
    assert free.max_params is None and free.max_memory_mb is None
    assert free.max_layers is None and free.max_epochs is None
    assert free.max_spec_bytes == 16 * 1024 * 1024
    assert spec_limits.from_environment({"CNNVIZ_NO_LIMITS": "1"}) == free
    # A variable still sets its own limit on top of "no limits".
    assert spec_limits.from_environment({"CNNVIZ_NO_LIMITS": "1", "CNNVIZ_MAX_LAYERS": "9"}) == (
        spec_limits.Limits(None, None, 9, None, free.max_spec_kb)
    )


@pytest.mark.parametrize(
    "value, expected",
    [
        ("abc", "CNNVIZ_MAX_PARAMS must be a whole number such as 100. Received: 'abc'"),
        ("0", "CNNVIZ_MAX_PARAMS must be at least 1. Received: 0"),
        ("-5", "CNNVIZ_MAX_PARAMS must be at least 1. Received: -5"),
        ("1.5", "must be a whole number"),
    ],
)
def test_bad_environment_values_raise_clear_errors(value, expected):
    with pytest.raises(ValueError, match="CNNVIZ_MAX_PARAMS") as caught:
        spec_limits.from_environment({"CNNVIZ_MAX_PARAMS": value})
    assert expected in str(caught.value)


def test_the_layer_limit_cannot_exceed_what_cnnviz_builds():
    with pytest.raises(ValueError, match="at most 500"):
        spec_limits.from_environment({"CNNVIZ_MAX_LAYERS": "501"})


@pytest.mark.parametrize("text, seconds", [("", 60.0), ("0", 0.0), ("2.5", 2.5), (" 90 ", 90.0)])
def test_session_grace_seconds_parses_good_values(text, seconds):
    assert training_limits.session_grace_seconds({"CNNVIZ_SESSION_GRACE_SECONDS": text}) == seconds


@pytest.mark.parametrize("text", ["abc", "-1", "nan", "inf", "1e999"])
def test_session_grace_seconds_refuses_bad_values(text):
    with pytest.raises(ValueError, match="CNNVIZ_SESSION_GRACE_SECONDS must be a number"):
        training_limits.session_grace_seconds({"CNNVIZ_SESSION_GRACE_SECONDS": text})


# ----- the memory estimate, against a hand count -----


def test_memory_estimate_matches_a_hand_count_with_adam():
    infos = spec.validate(SMALL, (28, 28, 1), 10)
    estimate = training_limits.estimate_training_memory(infos, (28, 28, 1), "adam", 32)
    # Conv2D 8 3x3: 3*3*1*8 + 8 = 80 parameters, output 26x26x8 = 5,408 values.
    # Flatten: 5,408 values. Dense 10: 5,408*10 + 10 = 54,090 parameters, 10 values.
    params = 80 + 54_090
    assert estimate.weights == params * 4
    assert estimate.gradients == params * 4
    assert estimate.optimizer_state == 2 * params * 4  # Adam's two moments
    values_per_image = 784 + 784 + 5_408 + 5_408 + 10  # input, rescaled input, three outputs
    assert estimate.activations == 2 * values_per_image * 32 * 4
    assert estimate.total == 4_039_584


def test_memory_estimate_counts_only_trainable_weights_for_gradients_and_optimizer():
    with_batch_norm = {
        "layers": [{"type": "Conv2D", "filters": 8, "kernel_size": 3}]
        + [{"type": "BatchNormalization"}, FLATTEN, OUTPUT]
    }
    infos = spec.validate(with_batch_norm, (28, 28, 1), 10)
    rmsprop = training_limits.estimate_training_memory(infos, (28, 28, 1), "rmsprop", 1)
    sgd = training_limits.estimate_training_memory(infos, (28, 28, 1), "sgd", 1)
    # Batch norm on 8 channels: 32 parameters, 16 of them trainable (gamma, beta).
    trainable = 80 + 16 + 54_090
    assert rmsprop.weights == (trainable + 16) * 4
    assert rmsprop.gradients == trainable * 4
    assert rmsprop.optimizer_state == trainable * 4
    assert sgd.optimizer_state == 0


def test_memory_grows_with_the_batch_size_only_through_activations():
    infos = spec.validate(SMALL, (28, 28, 1), 10)
    small = training_limits.estimate_training_memory(infos, (28, 28, 1), "adam", 32)
    large = training_limits.estimate_training_memory(infos, (28, 28, 1), "adam", 64)
    assert large.activations == 2 * small.activations
    assert large.weights == small.weights


# ----- check_training: each limit, with a message that says how to get under it -----


def test_a_small_spec_passes_and_returns_its_analysis():
    infos, estimate = training_limits.check_training(SMALL, MNIST, TrainingSettings())
    assert [info.type for info in infos] == ["Conv2D", "Flatten", "Dense"]
    assert estimate.total > 0


def test_every_preset_fits_the_default_limits_with_its_suggested_settings():
    from cnnviz.training import presets

    for name, preset in presets.PRESETS.items():
        for info in (MNIST, CIFAR):
            model_spec = presets.preset_spec(name, info.input_shape, info.num_classes)
            settings = {"batch_size": 128, "optimizer": "adam", **preset.suggested}
            training_limits.check_training(model_spec, info, settings, spec_limits.Limits())


def test_parameters_over_the_limit_name_the_biggest_layer():
    with pytest.raises(SpecError) as caught:
        training_limits.check_training(DENSE_200K, MNIST, TrainingSettings(), spec_limits.Limits())
    message = str(caught.value)
    assert caught.value.position == 2
    assert "157,000,000" in message and "at most 5,000,000" in message
    assert "fewer units" in message and "Received: params=159,000,010" in message


def test_memory_over_the_limit_says_the_estimate_and_the_way_out():
    wide = {
        "layers": [{"type": "Conv2D", "filters": 256, "kernel_size": 3, "padding": "same"}]
        + [{"type": "GlobalAveragePooling2D"}, OUTPUT]
    }
    settings = TrainingSettings(batch_size=512)
    with pytest.raises(SpecError) as caught:
        training_limits.check_training(wide, CIFAR, settings, spec_limits.Limits())
    message = str(caught.value)
    assert "this server allows 1 GB per training" in message
    assert "smaller batch size" in message and "32 x 32 x 256" in message
    assert caught.value.position == 1
    # Smaller batches fit.
    training_limits.check_training(
        wide, CIFAR, TrainingSettings(batch_size=64), spec_limits.Limits()
    )


def test_layers_over_the_limit_are_refused_before_anything_else():
    many = {"layers": [FLATTEN] + [{"type": "Dropout", "rate": 0.1}] * 100 + [OUTPUT]}
    with pytest.raises(SpecError, match="102 layers; this server allows at most 100"):
        training_limits.check_training(many, MNIST, TrainingSettings(), spec_limits.Limits())
    training_limits.check_training(many, MNIST, TrainingSettings(), spec_limits.no_limits())


def test_no_limits_accepts_what_the_size_limits_refuse():
    training_limits.check_training(DENSE_200K, MNIST, TrainingSettings(), spec_limits.no_limits())


def test_training_problem_returns_the_error_or_none():
    assert training_limits.training_problem(SMALL, MNIST, {"batch_size": 32}) is None
    problem = training_limits.training_problem(DENSE_200K, MNIST, {}, spec_limits.Limits())
    assert isinstance(problem, SpecError) and "parameters" in str(problem)
    invalid = training_limits.training_problem({"layers": []}, MNIST, {})
    assert "no layers" in str(invalid)


def test_epochs_over_the_limit():
    training_limits.check_epochs(100, spec_limits.Limits())
    with pytest.raises(ValueError, match="at most 100 on this server.*Received: epochs=101"):
        training_limits.check_epochs(101, spec_limits.Limits())
    training_limits.check_epochs(10_000, spec_limits.no_limits())


def test_spec_size_limit():
    spec_limits.check_spec_size(256 * 1024, spec_limits.Limits())
    with pytest.raises(SpecError, match="larger than 256 KB"):
        spec_limits.check_spec_size(256 * 1024 + 1, spec_limits.Limits())


# ----- specs validation accepts build and train in Keras -----

EDGE_SPECS = {
    # The largest kernel 'same' padding allows on 28x28: 2 * 28 - 1.
    "kernel_55_same": [{"type": "Conv2D", "filters": 2, "kernel_size": 55, "padding": "same"}],
    "kernel_as_large_as_the_input": [{"type": "Conv2D", "filters": 2, "kernel_size": 28}],
    "windows_on_a_1x1_input": [
        {"type": "MaxPooling2D", "pool_size": 28},
        {"type": "Conv2D", "filters": 2, "kernel_size": 1, "padding": "same"},
        {"type": "AveragePooling2D", "pool_size": 1, "strides": 1024, "padding": "same"},
    ],
    "largest_stride": [
        {"type": "Conv2D", "filters": 2, "kernel_size": 3, "strides": 1024, "padding": "same"}
    ],
    "most_filters": [
        {"type": "Conv2D", "filters": 4096, "kernel_size": 1, "strides": 7},
        {"type": "GlobalMaxPooling2D"},
    ],
    "most_units": [
        {"type": "GlobalAveragePooling2D"},
        {"type": "Dense", "units": 1_000_000, "use_bias": False},
    ],
    "extreme_floats": [
        {"type": "BatchNormalization", "momentum": 0.0, "epsilon": 1.0},
        {"type": "Dropout", "rate": 0.999},
    ],
}


@pytest.mark.trains
@pytest.mark.parametrize("name", EDGE_SPECS)
def test_edge_specs_that_validate_build_and_train_one_batch(name):
    import numpy as np

    from cnnviz.model.with_keras import builder
    from cnnviz.training import fitting

    model_spec = {"name": "edge " + name, "layers": [*EDGE_SPECS[name], FLATTEN, OUTPUT]}
    infos = spec.validate(model_spec, (28, 28, 1), 10)
    model = builder.build_model(model_spec, (28, 28, 1), 10)
    assert model.count_params() == spec.total_params(infos)
    fitting.compile_model(model, "adam", 0.001)
    images = np.zeros((2, 28, 28, 1), np.uint8)
    loss = model.train_on_batch(images, np.array([0, 1]))
    assert np.isfinite(np.asarray(loss)).all()


@pytest.mark.trains
def test_the_most_layers_cnnviz_builds_train_one_batch():
    import numpy as np

    from cnnviz.model.with_keras import builder
    from cnnviz.training import fitting

    layers = [FLATTEN] + [{"type": "Activation", "activation": "relu"}] * 498 + [OUTPUT]
    model_spec = {"layers": layers}
    assert len(spec.validate(model_spec, (28, 28, 1), 10)) == spec.MAX_LAYERS
    model = builder.build_model(model_spec, (28, 28, 1), 10)
    fitting.compile_model(model, "sgd", 0.01)
    model.train_on_batch(np.zeros((2, 28, 28, 1), np.uint8), np.array([0, 1]))


@pytest.mark.parametrize(
    "name",
    ["My net (v2)", "ünïcode name", "1 starts with a digit", "___"],
)
def test_keras_gets_a_valid_name_for_every_accepted_name(name):
    import keras

    from cnnviz.model.with_keras import builder

    model_spec = {**SMALL, "name": name}
    spec.validate(model_spec, (28, 28, 1), 10)
    model = builder.build_model(model_spec, (28, 28, 1), 10)
    assert model.name == spec.keras_model_name(model_spec)
    assert keras.Model(model.inputs, model.outputs, name=model.name).name == model.name


# ----- the pages obey the limits (Streamlit's AppTest) -----


def _app_on_build_page():
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/build.py").run()
    assert not app.exception
    return app


def _upload(app, name: str, content: bytes) -> None:
    app.file_uploader(key="spec_upload").set_value((name, content, "application/json"))
    app.run()
    assert not app.exception, [exception.message for exception in app.exception]


def test_build_page_shows_the_memory_estimate_beside_the_parameters():
    app = _app_on_build_page()
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Memory (estimate)"].endswith(("MB", "KB"))
    assert "Parameters" in metrics


def test_build_page_explains_an_over_limit_spec_and_train_refuses_it():
    from cnnviz.ui import state as keys

    app = _app_on_build_page()
    _upload(app, "big.json", json.dumps(DENSE_200K).encode())
    assert app.session_state[keys.WORKSPACE][keys.SPEC]["layers"] == DENSE_200K["layers"]
    errors = " ".join(error.value for error in app.error)
    assert "Too big for this server" in errors and "at most 5,000,000" in errors
    assert not any("ready to train" in success.value for success in app.success)
    memory = {metric.label: metric.value for metric in app.metric}["Memory (estimate)"]
    assert memory.endswith("GB")

    app.switch_page("pages/train.py").run()
    assert not app.exception
    train_button = [button for button in app.button if button.label == "Train"][0]
    assert train_button.disabled
    assert any("at most 5,000,000" in error.value for error in app.error)


@pytest.mark.parametrize(
    "content, expected",
    [
        (b" " * (256 * 1024 + 1), "larger than 256 KB"),
        (json.dumps({"layers": [FLATTEN] * 5000 + [OUTPUT]}).encode(), "at most 500"),
        (json.dumps({"layers": [FLATTEN] * 150 + [OUTPUT]}).encode(), "allows at most 100"),
        (b'{"layers": [{"type": "Dense", "units": 1' + b"0" * 30 + b"}]}", "at most 1,000,000"),
        (b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
        (json.dumps({"name": "<b>hi</b>", "layers": [OUTPUT]}).encode(), "name may hold"),
        (json.dumps({"name": "x" * 1_000_000, "layers": [OUTPUT]}).encode(), "larger than"),
    ],
)
def test_build_page_refuses_bad_spec_files_and_keeps_the_layers(content, expected):
    from cnnviz.ui import state as keys

    app = _app_on_build_page()
    before = app.session_state[keys.WORKSPACE][keys.SPEC]
    _upload(app, "spec.json", content)
    assert any(expected in error.value for error in app.error), [e.value for e in app.error]
    assert app.session_state[keys.WORKSPACE][keys.SPEC] == before


def test_build_page_stops_adding_layers_at_the_server_limit(monkeypatch):
    from cnnviz.ui import state as keys

    monkeypatch.setenv("CNNVIZ_MAX_LAYERS", "3")
    app = _app_on_build_page()
    assert len(app.session_state[keys.WORKSPACE][keys.SPEC]["layers"]) > 3
    assert [button for button in app.button if button.label == "Add"][0].disabled
    errors = " ".join(error.value for error in app.error)
    assert "this server allows at most 3" in errors


def test_memory_estimate_counts_the_steps_inside_a_residual_block():
    block_spec = {
        "layers": [{"type": "ResidualBlock", "filters": 8, "strides": 2}, FLATTEN, OUTPUT]
    }
    infos = spec.validate(block_spec, (28, 28, 1), 10)
    estimate = training_limits.estimate_training_memory(infos, (28, 28, 1), "sgd", 1)
    # Output 14x14x8 = 1,568 values. Inside: conv, batch norm, relu, conv, batch norm, the
    # shortcut's 1x1 conv and batch norm (1 -> 8 channels), the add: 8 steps of 1,568 values.
    inside = 8 * 1_568
    values_per_image = 784 + 784 + 1_568 + inside + 1_568 + 10
    assert infos[0].inner_values == inside
    assert estimate.activations == 2 * values_per_image * 4
