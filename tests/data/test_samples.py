"""Tests for cnnviz.data.samples: balanced sampling, writing samples, Fashion-MNIST IDX."""

import gzip
import struct

import numpy as np
import pytest

from cnnviz.data import datasets, samples


def shuffled_labels(counts, seed=0):
    """Labels with counts[k] copies of class k, in random order."""
    labels = np.repeat(np.arange(len(counts)), counts)
    return np.random.default_rng(seed).permutation(labels)


@pytest.mark.parametrize("count", [20, 40, 80])
def test_balanced_indices_take_the_same_number_of_each_class(count):
    labels = shuffled_labels([25, 40, 60, 100])
    indices = samples.balanced_indices(labels, count, np.random.default_rng(1))
    assert len(indices) == count
    np.testing.assert_array_equal(np.bincount(labels[indices]), [count // 4] * 4)


def test_balanced_indices_are_sorted_and_unique():
    labels = shuffled_labels([30, 30, 30])
    indices = samples.balanced_indices(labels, 60, np.random.default_rng(2))
    assert np.all(np.diff(indices) > 0)
    assert indices.min() >= 0
    assert indices.max() < len(labels)


def test_balanced_indices_round_down_when_count_does_not_divide():
    labels = shuffled_labels([10, 10, 10])
    indices = samples.balanced_indices(labels, 11, np.random.default_rng(3))
    np.testing.assert_array_equal(np.bincount(labels[indices]), [3, 3, 3])


def test_balanced_indices_depend_only_on_the_seed():
    labels = shuffled_labels([50, 50])
    first = samples.balanced_indices(labels, 20, np.random.default_rng(7))
    again = samples.balanced_indices(labels, 20, np.random.default_rng(7))
    other = samples.balanced_indices(labels, 20, np.random.default_rng(8))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def write_full_set(folder, name, train_count, test_count):
    """A stand-in for a full data set whose every image is numbered by its first pixel."""
    info = datasets.DATASETS[name]
    image_shape = info.input_shape[:2] if info.input_shape[2] == 1 else info.input_shape
    arrays = {}
    for split, count in (("train", train_count), ("test", test_count)):
        images = np.zeros((count, *image_shape), np.uint8)
        images.reshape(count, -1)[:, 0] = np.arange(count) % 256
        labels = shuffled_labels([count // 10] * 10, seed=count).astype(np.uint8)
        arrays[f"x_{split}"] = images
        arrays[f"y_{split}"] = labels.reshape(-1, 1) if name == "cifar10" else labels
    np.savez(folder / info.file_name, **arrays)
    return arrays


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_write_sample_writes_a_loadable_balanced_sample(tmp_path, monkeypatch, name):
    source_dir, out_dir = tmp_path / "full", tmp_path / "out"
    source_dir.mkdir()
    full = write_full_set(source_dir, name, train_count=200, test_count=100)
    monkeypatch.setattr(samples, "SAMPLE_SIZES", {name: (40, 20)})

    path = samples.write_sample(name, source_dir, out_dir)

    assert path == out_dir / f"{name}.npz"
    info = datasets.DATASETS[name]
    x_train, y_train, x_test, y_test = datasets.read_npz(path, info)
    assert x_train.shape == (40, *info.input_shape)
    assert x_test.shape == (20, *info.input_shape)
    np.testing.assert_array_equal(np.bincount(y_train), [4] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [2] * 10)
    # Every sampled image keeps its own label: look each one up by its number.
    source_labels = full["y_train"].reshape(-1)
    numbers = x_train.reshape(40, -1)[:, 0]
    np.testing.assert_array_equal(y_train, source_labels[numbers])


def test_write_sample_is_reproducible_for_a_seed(tmp_path, monkeypatch):
    write_full_set(tmp_path, "mnist", train_count=100, test_count=50)
    monkeypatch.setattr(samples, "SAMPLE_SIZES", {"mnist": (20, 10)})
    info = datasets.DATASETS["mnist"]
    first = datasets.read_npz(samples.write_sample("mnist", tmp_path, tmp_path / "a", 5), info)
    again = datasets.read_npz(samples.write_sample("mnist", tmp_path, tmp_path / "b", 5), info)
    for left, right in zip(first, again, strict=True):
        np.testing.assert_array_equal(left, right)


def test_sample_sizes_match_the_bundled_files():
    for name, (train_count, test_count) in samples.SAMPLE_SIZES.items():
        path = datasets.SAMPLES_DIR / datasets.DATASETS[name].file_name
        x_train, _, x_test, _ = datasets.read_npz(path, datasets.DATASETS[name])
        assert (len(x_train), len(x_test)) == (train_count, test_count)


def write_idx(path, array):
    """Write an array as a gzipped IDX file (big-endian header, then unsigned bytes)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


def test_fashion_idx_to_npz_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    idx_dir, out_dir = tmp_path / "idx", tmp_path / "npz"
    idx_dir.mkdir()
    originals = {
        "x_train": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        "y_train": np.arange(12, dtype=np.uint8) % 10,
        "x_test": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_test": np.array([9, 0, 3, 3, 7], dtype=np.uint8),
    }
    write_idx(idx_dir / "train-images-idx3-ubyte.gz", originals["x_train"])
    write_idx(idx_dir / "train-labels-idx1-ubyte.gz", originals["y_train"])
    write_idx(idx_dir / "t10k-images-idx3-ubyte.gz", originals["x_test"])
    write_idx(idx_dir / "t10k-labels-idx1-ubyte.gz", originals["y_test"])

    path = samples.fashion_idx_to_npz(idx_dir, out_dir)

    assert path == out_dir / "fashion_mnist.npz"
    with np.load(path) as archive:
        for name, original in originals.items():
            np.testing.assert_array_equal(archive[name], original)
    x_train, y_train, _, _ = datasets.read_npz(path, datasets.DATASETS["fashion_mnist"])
    assert x_train.shape == (12, 28, 28, 1)
    np.testing.assert_array_equal(y_train, originals["y_train"])
