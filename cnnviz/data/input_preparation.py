"""How a picture from outside the data set becomes what a model takes, and saying how.

Three preparations, chosen on Inspect and with ``cnnviz inspect --prepare``:

- ``none``: the picture is only fitted to the model's input: its centre cut to the input's
  shape, resized, turned gray or RGB. A picture already of the input's size and channels goes in
  pixel for pixel.
- ``digit``: the MNIST preparation of cnnviz.data.images (crop to the ink, fit a 20x20 box, centre
  by mass, light on black), for drawings and photos of digits.
- ``auto`` (the default): a picture already of the input's size and channels that looks like
  the model's data goes in unchanged; for a digit model that means a dark border, as every MNIST
  digit has (the mean of its outer ring of pixels is under 10 of 255; the largest in MNIST's
  70,000 images is 8.3). Any other picture gets the digit preparation on a digit model and is
  only fitted on the others.

So an MNIST test digit saved as a PNG and uploaded is exactly the test image: re-centring it
would shift it (by up to 254 of 255 in a pixel) and its feature maps would not be its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from cnnviz.data import images

# An MNIST digit's outer ring of pixels averages at most 8.3 of 255 (measured on all 70,000).
DARK_BORDER_MEAN = 10.0
DIGIT_DATASETS = ("mnist",)  # data sets whose models get the digit preparation in auto


class Preparation(StrEnum):
    """How a picture is prepared for a model."""

    AUTO = "auto"
    DIGIT = "digit"
    NONE = "none"


DESCRIPTIONS = {
    Preparation.AUTO: "auto: unchanged when it already looks like the data set's images",
    Preparation.DIGIT: "digit: crop to the ink, fit 20x20, centre by mass (as MNIST was made)",
    Preparation.NONE: "none: only fitted to the input's size and colours",
}


@dataclass(frozen=True)
class PreparedInput:
    """What the model takes and how it was made from the picture.

    Attributes:
        pixels: uint8, the model's input shape.
        used: DIGIT or NONE: the preparation that was applied.
        unchanged: whether `pixels` are the picture's own pixels, untouched.
        note: one sentence for a student on what was done.
    """

    pixels: np.ndarray
    used: Preparation
    unchanged: bool
    note: str


def check_preparation(preparation) -> Preparation:
    """The preparation named, as a Preparation.

    Raises:
        ValueError: for a name other than auto, digit or none.
    """
    try:
        return Preparation(preparation)
    except ValueError:
        raise ValueError(
            f"The preparation must be one of {', '.join(Preparation)}. "
            f"Received: prepare={preparation!r}"
        ) from None


def is_digit_model(dataset_name: str | None) -> bool:
    """Whether models of this data set get the digit preparation in auto."""
    return dataset_name in DIGIT_DATASETS


def exact_input(pixels: np.ndarray, input_shape) -> np.ndarray | None:
    """The picture as the model's input when it already is one, else None.

    It must have the input's height and width, no transparency (an opaque alpha channel is
    dropped), and its channels: gray for a one-channel model (an RGB picture whose three channels
    are equal is gray), RGB for a three-channel one.
    """
    pixels = images.check_array(pixels)
    height, width, channels = (int(size) for size in input_shape)
    if pixels.shape[:2] != (height, width):
        return None
    if pixels.shape[2] in (2, 4):
        if not np.all(pixels[..., -1] == 255):
            return None
        pixels = pixels[..., :-1]
    if channels == 1 and pixels.shape[2] == 3:
        if not (
            np.array_equal(pixels[..., 0], pixels[..., 1])
            and np.array_equal(pixels[..., 0], pixels[..., 2])
        ):
            return None
        pixels = pixels[..., :1]
    if pixels.shape[2] != channels:
        return None
    return np.ascontiguousarray(pixels)


def border_mean(pixels: np.ndarray) -> float:
    """The mean of the outer ring of pixels, one pixel wide (all channels)."""
    ring = np.concatenate(
        [pixels[0].ravel(), pixels[-1].ravel(), pixels[1:-1, 0].ravel(), pixels[1:-1, -1].ravel()]
    )
    return float(ring.mean())


def _size(input_shape) -> str:
    height, width, channels = input_shape
    return f"{height}x{width} {'gray' if channels == 1 else 'RGB'}"


def prepare_pixels(
    pixels, input_shape, preparation=Preparation.AUTO, digit_model: bool = False
) -> PreparedInput:
    """Prepare a decoded picture (H, W, C uint8, or any array images.prepare_array takes).

    Args:
        input_shape: the model's (height, width, channels).
        preparation: auto, digit or none (see the module docstring).
        digit_model: whether the model reads MNIST-style digits (auto then prepares digits).

    Raises:
        ValueError: for a bad preparation name, a picture that is not an image, or (digit) one
            with no visible digit.
    """
    preparation = check_preparation(preparation)
    shape = tuple(int(size) for size in input_shape)
    exact = exact_input(pixels, shape)
    if preparation == Preparation.AUTO:
        looks_like_data = exact is not None and (
            not digit_model or border_mean(exact) < DARK_BORDER_MEAN
        )
        if looks_like_data:
            kind = ", light on a dark border like MNIST's digits" if digit_model else ""
            return PreparedInput(
                exact,
                Preparation.NONE,
                True,
                f"Unchanged: the picture already is {_size(shape)}{kind}, so the network takes "
                f"it pixel for pixel.",
            )
        preparation = Preparation.DIGIT if digit_model else Preparation.NONE
    if preparation == Preparation.DIGIT:
        prepared = images.prepare_array(pixels, shape, digit_style=True)
        return PreparedInput(
            prepared,
            Preparation.DIGIT,
            exact is not None and np.array_equal(prepared, exact),
            f"Digit preparation: cropped to the ink, fitted into a 20x20 box and centred by its "
            f"mass in {_size(shape)}, light on black, as MNIST's digits were made.",
        )
    prepared = images.prepare_array(pixels, shape)
    if exact is not None:
        note = f"Unchanged: the picture already is {_size(shape)}."
    else:
        note = f"Fitted only: its centre cut to shape and resized to {_size(shape)}."
    return PreparedInput(
        prepared, Preparation.NONE, exact is not None and np.array_equal(prepared, exact), note
    )


def prepare_upload(
    data: bytes, input_shape, preparation=Preparation.AUTO, digit_model: bool = False
) -> PreparedInput:
    """Decode an image file safely and prepare it as `prepare_pixels` does.

    Raises:
        ValueError: for an unreadable file, or anything `prepare_pixels` refuses.
    """
    return prepare_pixels(images.decode_image(data), input_shape, preparation, digit_model)


def prepare_drawing(
    rgba: np.ndarray, input_shape, preparation=Preparation.AUTO, digit_model: bool = False
) -> PreparedInput:
    """Prepare a canvas drawing (RGBA) from its ink: strokes light, background black.

    Raises:
        ValueError: for an array that is not RGBA, or anything `prepare_pixels` refuses.
    """
    return prepare_pixels(
        images.canvas_ink(rgba)[..., np.newaxis], input_shape, preparation, digit_model
    )
