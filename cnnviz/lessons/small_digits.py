"""Small MNIST digits for the lessons that train or differentiate a tiny network (7, 8, 9).

The digits come from the sample bundled in assets/samples (no download, no TensorFlow), shrunk
by averaging square blocks of pixels (28x28 -> 14x14 or 7x7), so a lesson's network is small
enough to train in seconds or to follow every number by hand.
"""

from __future__ import annotations

import functools

import numpy as np

from cnnviz.data import datasets

FULL_SIZE = 28
SIZES = (7, 14, 28)  # the sizes a block average of 28 reaches


@functools.cache
def _bundled_mnist() -> tuple[np.ndarray, ...]:
    # Read once per process: every lesson reads the same small file, and it never changes.
    info = datasets.get_info("mnist")
    return datasets.read_npz(datasets.SAMPLES_DIR / info.file_name, info)


def shrink(images: np.ndarray, size: int) -> np.ndarray:
    """(n, 28, 28[, 1]) pixels 0-255 to (n, size, size) floats 0-1, each a block's mean.

    Raises:
        ValueError: for a size that 28 is not a whole multiple of.
    """
    if size not in SIZES:
        raise ValueError(
            f"A small digit is 7, 14 or 28 pixels wide (28 split into equal blocks). "
            f"Received: size={size!r}"
        )
    images = np.asarray(images, dtype=np.float64).reshape(-1, FULL_SIZE, FULL_SIZE) / 255.0
    block = FULL_SIZE // size
    return images.reshape(-1, size, block, size, block).mean(axis=(2, 4))


def digits(
    count: int, size: int, classes: tuple[int, ...] = tuple(range(10)), split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` digits of the bundled sample among `classes`, shrunk to size x size.

    Returns:
        (images (count, size, size) float64 in 0-1, labels (count,) as indices into `classes`).

    Raises:
        ValueError: for a count the sample cannot give, or an unknown split.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'. Received: split={split!r}")
    x_train, y_train, x_test, y_test = _bundled_mnist()
    images, labels = (x_train, y_train) if split == "train" else (x_test, y_test)
    chosen = np.flatnonzero(np.isin(labels, classes))
    if not isinstance(count, int) or not 1 <= count <= len(chosen):
        raise ValueError(
            f"The bundled sample holds {len(chosen)} {split} digits of classes {classes}; ask "
            f"for between 1 and that many. Received: count={count!r}"
        )
    chosen = chosen[:count]
    index_of = {int(digit): index for index, digit in enumerate(classes)}
    indices = np.array([index_of[int(label)] for label in labels[chosen]], dtype=np.int64)
    return shrink(images[chosen], size), indices
