"""Lesson 1 (images are numbers) and the pictures every lesson works on: a bundled MNIST digit,
a bundled CIFAR-10 photo, or the student's own upload, as arrays of pixel values 0-255."""

from __future__ import annotations

import numpy as np
from PIL import Image

from cnnviz.data import decoding, examples
from cnnviz.data.datasets import DATASETS

# The pictures a lesson can work on; the upload is the student's own.
DIGIT = "MNIST digit"
PHOTO = "Photo"
UPLOAD = "Your picture"
SOURCES = (DIGIT, PHOTO, UPLOAD)
# An upload is shrunk to this many pixels on its longer side: a lesson's figures label single
# pixels and values, which only reads at a few dozen pixels a side.
UPLOAD_SIDE = 40
CHANNEL_NAMES = ("red", "green", "blue")


def _example(dataset_name: str, index: int) -> tuple[np.ndarray, str]:
    files = examples.example_files(dataset_name)
    if not files:
        raise ValueError(f"No bundled example pictures of {dataset_name} were found.")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise ValueError(f"index must be a whole number. Received: index={index!r}")
    label, path = files[int(index) % len(files)]
    with Image.open(path) as image:
        pixels = np.asarray(image, dtype=np.uint8)
    return pixels, DATASETS[dataset_name].class_names[label]


def digit(index: int = 0) -> tuple[np.ndarray, str]:
    """A bundled MNIST test digit as (28, 28) uint8 values 0-255, and its class name."""
    pixels, name = _example("mnist", index)
    return pixels.reshape(pixels.shape[0], pixels.shape[1]), name


def photo(index: int = 0) -> tuple[np.ndarray, str]:
    """A bundled CIFAR-10 test photo as (32, 32, 3) uint8 values 0-255, and its class name."""
    return _example("cifar10", index)


def example_count(source: str) -> int:
    """How many bundled pictures a source offers."""
    return len(examples.example_files("mnist" if source == DIGIT else "cifar10"))


def upload(data: bytes, side: int = UPLOAD_SIDE) -> np.ndarray:
    """The student's picture, decoded, shrunk to `side` pixels on its longer side, as uint8
    (height, width) for a gray picture or (height, width, 3) for a colour one.

    Raises:
        ValueError: for a file that is not a readable picture (decoding's own message).
    """
    image = decoding.open_image(data)
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        pixels = decoding.composite_on_white(np.asarray(image, dtype=np.uint8))
        image = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8).squeeze())
    pixels = decoding.image_to_array(image)
    picture = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels[..., :3])
    scale = side / max(picture.size)
    if scale < 1:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(picture, dtype=np.uint8)


def to_gray(pixels: np.ndarray) -> np.ndarray:
    """(height, width) float64 brightness 0-255: colour photos weighted as the eye sees them
    (ITU-R 601 luma), gray pictures as they are."""
    values = np.asarray(pixels, dtype=np.float64)
    if values.ndim == 3 and values.shape[-1] >= 3:
        return values[..., :3] @ np.array([0.299, 0.587, 0.114])
    return values.reshape(values.shape[0], values.shape[1])


def channels(pixels: np.ndarray) -> dict[str, np.ndarray]:
    """A colour picture's red, green and blue channels, each (height, width) uint8.

    Raises:
        ValueError: for a gray picture, which has one channel only.
    """
    values = np.asarray(pixels)
    if values.ndim != 3 or values.shape[-1] < 3:
        raise ValueError(
            f"A gray picture has one channel, not three. Received: shape={values.shape}"
        )
    return {name: values[..., index] for index, name in enumerate(CHANNEL_NAMES)}


def pixel_facts(pixels: np.ndarray) -> dict:
    """What the lesson says about a picture: its size, channel count and value range."""
    values = np.asarray(pixels)
    height, width = values.shape[:2]
    channel_count = values.shape[2] if values.ndim == 3 else 1
    return {
        "height": height,
        "width": width,
        "channels": channel_count,
        "numbers": height * width * channel_count,
        "smallest": int(values.min()),
        "largest": int(values.max()),
    }
