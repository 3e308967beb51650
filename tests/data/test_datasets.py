"""Tests for cnnviz.data.datasets: local folder -> Keras -> bundled sample, and clear errors."""

import gc
import logging
import warnings
from pathlib import Path

import numpy as np
import pytest

from cnnviz.data import datasets, keras_source
from helpers.paths import ASSETS

MIN_SAMPLE_SIZES = {"mnist": (6000, 1000), "fashion_mnist": (6000, 1000), "cifar10": (2000, 500)}


def keras_layout_arrays(name, train_count=20, test_count=10, seed=0):
    """Arrays shaped as Keras's load_data() returns them: MNIST (N, 28, 28), CIFAR (N, 32, 32, 3)
    with (N, 1) labels."""
    rng = np.random.default_rng(seed)
    image_shape = (28, 28) if name in ("mnist", "fashion_mnist") else (32, 32, 3)
    arrays = {}
    for split, count in (("train", train_count), ("test", test_count)):
        arrays[f"x_{split}"] = rng.integers(0, 256, (count, *image_shape), dtype=np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        arrays[f"y_{split}"] = labels.reshape(-1, 1) if name == "cifar10" else labels
    return arrays


def write_npz(folder, name, **overrides):
    """Write folder/<name>.npz in Keras layout; overrides replace (or, as None, drop) arrays."""
    arrays = keras_layout_arrays(name)
    arrays.update(overrides)
    arrays = {key: value for key, value in arrays.items() if value is not None}
    path = Path(folder) / f"{name}.npz"
    np.savez(path, **arrays)
    return path


@pytest.fixture(scope="module")
def samples():
    return {name: datasets.load_dataset(name) for name in datasets.DATASETS}


# --- local folder ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_local_file_given_as_argument_is_loaded_and_standardised(tmp_path, name):
    path = write_npz(tmp_path, name)
    written = np.load(path)
    dataset = datasets.load_dataset(name, data_dir=tmp_path)

    assert dataset.source == "local"
    assert not dataset.is_sample
    assert dataset.location == str(path)
    assert dataset.x_train.shape == (20, *datasets.DATASETS[name].input_shape)
    assert dataset.x_test.shape == (10, *datasets.DATASETS[name].input_shape)
    assert dataset.x_train.dtype == np.uint8
    assert dataset.y_train.shape == (20,)
    assert dataset.y_test.shape == (10,)
    assert dataset.y_train.dtype == np.int64
    np.testing.assert_array_equal(
        dataset.x_train.reshape(written["x_train"].shape), written["x_train"]
    )
    np.testing.assert_array_equal(dataset.y_test, written["y_test"].reshape(-1))
    assert dataset.sample_notice() is None
    assert str(path) in dataset.describe_source()
    assert "20 training and 10 test images" in dataset.describe_source()


def test_local_folder_from_environment_variable(tmp_path, monkeypatch):
    write_npz(tmp_path, "mnist")
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path))
    dataset = datasets.load_dataset("mnist")
    assert dataset.source == "local"
    assert len(dataset.x_train) == 20


def test_argument_beats_environment_variable(tmp_path, monkeypatch):
    (tmp_path / "from_env").mkdir()
    (tmp_path / "from_argument").mkdir()
    write_npz(tmp_path / "from_env", "mnist")
    seven_images = {"x_train": np.zeros((7, 28, 28), np.uint8), "y_train": np.zeros(7, np.uint8)}
    write_npz(tmp_path / "from_argument", "mnist", **seven_images)
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path / "from_env"))
    dataset = datasets.load_dataset("mnist", data_dir=tmp_path / "from_argument")
    assert len(dataset.x_train) == 7


def test_local_file_beats_keras_and_sample(tmp_path, monkeypatch):
    write_npz(tmp_path, "cifar10")
    calls = []
    monkeypatch.setattr(datasets, "_load_with_keras", lambda info: calls.append(info))
    dataset = datasets.load_dataset("cifar10", data_dir=tmp_path, allow_download=True)
    assert dataset.source == "local"
    assert calls == []


def test_folder_without_the_file_falls_back_to_the_sample(tmp_path):
    write_npz(tmp_path, "mnist")
    dataset = datasets.load_dataset("fashion_mnist", data_dir=tmp_path)
    assert dataset.source == "sample"
    assert dataset.is_sample
    assert Path(dataset.location) == datasets.SAMPLES_DIR / "fashion_mnist.npz"


# --- bundled samples ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_bundled_sample_loads_with_right_shapes_and_all_classes(samples, name):
    dataset = samples[name]
    info = datasets.DATASETS[name]
    min_train, min_test = MIN_SAMPLE_SIZES[name]
    assert dataset.source == "sample"
    assert dataset.x_train.shape[1:] == dataset.x_test.shape[1:] == info.input_shape
    assert len(dataset.x_train) >= min_train
    assert len(dataset.x_test) >= min_test
    assert len(dataset.y_train) == len(dataset.x_train)
    assert len(dataset.y_test) == len(dataset.x_test)
    assert dataset.x_train.dtype == dataset.x_test.dtype == np.uint8
    assert dataset.y_train.dtype == dataset.y_test.dtype == np.int64
    assert set(np.unique(dataset.y_train)) == set(range(info.num_classes))
    assert set(np.unique(dataset.y_test)) == set(range(info.num_classes))
    # Real images, not blank placeholders.
    assert dataset.x_train.std() > 20


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_bundled_sample_arrays_are_read_only(samples, name):
    dataset = samples[name]
    for array in (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_sample_notice_names_full_size_and_how_to_get_it(samples, name):
    dataset = samples[name]
    full_train, full_test = dataset.info.full_sizes
    notice = dataset.sample_notice()
    assert f"{full_train:,}" in notice
    assert f"{full_test:,}" in notice
    assert f"{len(dataset.x_train):,}" in notice
    assert "--data-dir" in notice
    assert datasets.DATA_DIR_ENV in notice
    assert f"{name}.npz" in notice
    assert "sample" in dataset.describe_source()


def test_local_arrays_are_read_only_too(tmp_path):
    write_npz(tmp_path, "mnist")
    dataset = datasets.load_dataset("mnist", data_dir=tmp_path)
    with pytest.raises(ValueError, match="read-only"):
        dataset.x_train[0, 0, 0, 0] = 1


def test_assets_folder_is_at_most_15_megabytes():
    total = sum(path.stat().st_size for path in ASSETS.rglob("*") if path.is_file())
    assert total <= 15 * 1024 * 1024, f"assets/ holds {total / 1e6:.1f} MB"


# --- errors ---------------------------------------------------------------------------------


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError) as caught:
        datasets.load_dataset("imagenet")
    message = str(caught.value)
    assert "imagenet" in message
    for name in datasets.DATASETS:
        assert name in message


def test_missing_folder_argument(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(ValueError, match="does not exist") as caught:
        datasets.load_dataset("mnist", data_dir=missing)
    assert str(missing) in str(caught.value)
    assert "mnist.npz" in str(caught.value)


def test_missing_folder_from_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path / "gone"))
    with pytest.raises(ValueError, match="does not exist"):
        datasets.load_dataset("mnist")


BROKEN_FILE_CASES = {
    "missing_arrays": (
        {"y_test": None, "x_test": None},
        ["lacks x_test, y_test", "x_train, y_train, x_test and y_test"],
    ),
    "wrong_image_shape": (
        {"x_train": np.zeros((20, 32, 32, 3), np.uint8)},
        ["x_train", "(32, 32, 3)", "(28, 28, 1)", "MNIST", "right data set"],
    ),
    "label_too_large": (
        {"y_test": np.full(10, 10, np.uint8)},
        ["y_test", "outside 0..9"],
    ),
    "negative_label": (
        {"y_train": np.full(20, -1, np.int64)},
        ["y_train", "outside 0..9"],
    ),
    "mismatched_lengths": (
        {"y_train": np.zeros(19, np.uint8)},
        ["x_train has 20 images but y_train has 19 labels", "must match"],
    ),
    "empty_split": (
        {"x_test": np.zeros((0, 28, 28), np.uint8), "y_test": np.zeros(0, np.uint8)},
        ["x_test has 0 images", "not be empty"],
    ),
    "string_labels": (
        {"y_train": np.array(["seven"] * 20)},
        ["y_train holds labels of type <U5", "'seven'", "whole numbers 0..9", "index"],
    ),
    "fractional_labels": (
        {"y_train": np.full(20, 2.5)},
        ["y_train holds fractional or missing labels", "whole numbers 0..9"],
    ),
    "float_images_scaled_0_to_1": (
        {"x_train": np.full((20, 28, 28), 0.5)},
        ["x_train holds floating-point pixels scaled 0-1", "(x * 255).round().astype('uint8')"],
    ),
    "pixels_above_255": (
        {"x_test": np.full((10, 28, 28), 300, np.int32)},
        ["x_test holds pixel values from 300 to 300", "0-255"],
    ),
    "nan_pixels": (
        {"x_test": np.full((10, 28, 28), np.nan)},
        ["x_test holds NaN or infinite pixel values"],
    ),
    "string_pixels": (
        {"x_test": np.full((10, 28, 28), "a")},
        ["x_test holds values of type <U1", "numbers 0-255"],
    ),
}


def test_whole_numbered_pixels_and_labels_of_other_types_are_accepted(tmp_path):
    arrays = keras_layout_arrays("mnist")
    write_npz(
        tmp_path,
        "mnist",
        x_train=arrays["x_train"].astype(np.float32),
        y_train=arrays["y_train"].astype(np.float64),
        x_test=arrays["x_test"].astype(np.int64),
    )
    loaded = datasets.load_dataset("mnist", data_dir=tmp_path)
    assert loaded.x_train.dtype == np.uint8 and loaded.y_train.dtype == np.int64
    assert np.array_equal(loaded.x_train[..., 0], arrays["x_train"])
    assert np.array_equal(loaded.x_test[..., 0], arrays["x_test"])
    assert np.array_equal(loaded.y_train, arrays["y_train"])


@pytest.mark.parametrize("case", BROKEN_FILE_CASES)
def test_broken_local_file_raises_a_helpful_value_error(tmp_path, case):
    overrides, fragments = BROKEN_FILE_CASES[case]
    path = write_npz(tmp_path, "mnist", **overrides)
    with pytest.raises(ValueError) as caught:
        datasets.load_dataset("mnist", data_dir=tmp_path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize(
    "content",
    [b"", b"PK\x03\x04 a truncated zip"],
    ids=["empty", "truncated_zip"],
)
def test_unreadable_file_raises_a_helpful_value_error(tmp_path, content):
    path = tmp_path / "mnist.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError) as caught:
        datasets.load_dataset("mnist", data_dir=tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert ".npz" in message


def test_broken_zip_leaves_no_file_open(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"PK\x03\x04 a truncated zip")
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(ValueError) as caught:
            datasets.read_npz(path, datasets.DATASETS["mnist"])
        del caught
        gc.collect()
    assert not [warning for warning in recorded if warning.category is ResourceWarning]


@pytest.mark.parametrize("kind", ["text_file", "truncated_npy", "npy_array"])
def test_file_that_is_not_an_npz_raises_a_helpful_value_error(tmp_path, kind):
    path = tmp_path / "mnist.npz"
    if kind == "text_file":
        path.write_text("label,pixel0,pixel1\n5,0,0\n")
    elif kind == "truncated_npy":
        path.write_bytes(b"\x93NUMPY\x01\x00 truncated array")
    else:
        with path.open("wb") as file:
            np.save(file, np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(ValueError) as caught:
        datasets.load_dataset("mnist", data_dir=tmp_path)
    assert str(path) in str(caught.value)
    assert "npz" in str(caught.value)


# --- the Keras path -------------------------------------------------------------------------


@pytest.fixture
def keras_reachable(monkeypatch):
    """As on a machine with a network: the check before the Keras path lets it run (that check
    has its own tests in test_keras_source.py; this machine has no network)."""
    monkeypatch.setattr(keras_source, "why_keras_cannot_load", lambda name: None)


def fake_keras_loader(calls):
    def load(info):
        calls.append(info.name)
        arrays = keras_layout_arrays(info.name, train_count=30, test_count=10)
        return datasets.standardise(info, arrays, "fake Keras")

    return load


def test_keras_is_used_when_allowed(monkeypatch, keras_reachable):
    calls = []
    monkeypatch.setattr(datasets, "_load_with_keras", fake_keras_loader(calls))
    dataset = datasets.load_dataset("mnist", allow_download=True)
    assert calls == ["mnist"]
    assert dataset.source == "keras"
    assert not dataset.is_sample
    assert dataset.sample_notice() is None
    assert len(dataset.x_train) == 30
    assert "Keras" in dataset.describe_source()


def test_keras_is_used_by_default_when_online(monkeypatch, keras_reachable):
    calls = []
    monkeypatch.delenv(datasets.OFFLINE_ENV)
    monkeypatch.setattr(datasets, "_load_with_keras", fake_keras_loader(calls))
    assert datasets.load_dataset("cifar10").source == "keras"
    assert calls == ["cifar10"]


@pytest.mark.parametrize(
    "offline_value, allow_download",
    [("1", None), ("true", None), ("", False)],
    ids=["offline_env", "offline_env_true", "allow_download_false"],
)
def test_keras_is_skipped_when_offline_or_not_allowed(monkeypatch, offline_value, allow_download):
    calls = []
    monkeypatch.setenv(datasets.OFFLINE_ENV, offline_value)
    monkeypatch.setattr(datasets, "_load_with_keras", fake_keras_loader(calls))
    dataset = datasets.load_dataset("mnist", allow_download=allow_download)
    assert calls == []
    assert dataset.source == "sample"


def test_keras_failure_falls_back_to_the_sample(monkeypatch, keras_reachable, caplog):
    def failing_loader(info):
        raise OSError("no route to host")

    monkeypatch.setattr(datasets, "_load_with_keras", failing_loader)
    with caplog.at_level(logging.WARNING, logger="cnnviz.data.datasets"):
        dataset = datasets.load_dataset("fashion_mnist", allow_download=True)
    assert dataset.source == "sample"
    assert dataset.sample_notice() is not None
    assert "no route to host" in caplog.text


def test_real_keras_loader_standardises_cifar_labels(monkeypatch, keras_reachable):
    keras = pytest.importorskip("keras")
    arrays = keras_layout_arrays("cifar10", train_count=12, test_count=6)

    def fake_load_data():
        return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", fake_load_data)
    dataset = datasets.load_dataset("cifar10", allow_download=True)
    assert dataset.source == "keras"
    assert dataset.y_train.shape == (12,)
    np.testing.assert_array_equal(dataset.y_train, arrays["y_train"].reshape(-1))
    assert not dataset.x_train.flags.writeable


def test_keras_download_waits_are_bounded_and_the_timeout_restored(monkeypatch, keras_reachable):
    """A network that drops traffic must not hang the first screen: Keras runs with a timeout."""
    import socket

    import keras

    seen = {}

    def fake_load_data():
        seen["timeout"] = socket.getdefaulttimeout()
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", fake_load_data)
    before = socket.getdefaulttimeout()
    dataset = datasets.load_dataset("mnist", allow_download=True)
    assert seen["timeout"] == datasets.DOWNLOAD_SOCKET_TIMEOUT
    assert socket.getdefaulttimeout() == before
    assert dataset.is_sample
