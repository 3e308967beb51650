"""Safe decoding and preparation of uploaded or drawn images.

Students upload photos and drawings of every kind, and a canvas hands over RGBA arrays. This
module turns either into exactly what a model expects: uint8 pixels of shape (height, width,
channels), 28x28x1 for MNIST and Fashion-MNIST, 32x32x3 for CIFAR-10.

Uploads are untrusted bytes; decoding.py reads them defensively (its limits and the accepted
formats are repeated here, as before, for the pages and the command line).

With ``digit_style=True`` the image is made to look like an MNIST digit, following the way MNIST
itself was made: a light digit on a black background, scaled to fit a 20x20 box and placed in a
28x28 field so that its centre of mass sits at the centre.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from cnnviz.data import decoding
from cnnviz.data.decoding import (  # noqa: F401 - part of this module's interface
    ALLOWED_FORMATS,
    DISPLAY_SIZE,
    FORMATS_HINT,
    MAX_FILE_BYTES,
    MAX_PIXELS,
    UPLOAD_EXTENSIONS,
    WORKING_SIZE,
    decode_for_display,
)

# MNIST digits fill a 20x20 box inside the 28x28 field.
DIGIT_BOX_FRACTION = 20 / 28
# Ink weaker than this fraction of the strongest ink is noise (paper texture, JPEG artefacts).
NOISE_FRACTION = 0.2
# An image whose strongest ink differs from its background by less than this (out of 255) is
# treated as empty.
MIN_INK_CONTRAST = 40.0
# With alpha, a pixel this transparent or more counts as "not drawn".
TRANSPARENT_ALPHA = 32
# ITU-R 601-2 luma weights, the same ones Pillow uses for RGB -> L.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def prepare_upload(
    data: bytes, input_shape: tuple[int, int, int], digit_style: bool = False
) -> np.ndarray:
    """Decode an uploaded image file and prepare it for a model.

    Args:
        data: the file's bytes (PNG, JPEG, GIF, BMP, WebP or TIFF; for animations, the first
            frame).
        input_shape: the model's (height, width, channels), channels 1 or 3.
        digit_style: make the image look like an MNIST digit (see the module docstring).

    Returns:
        uint8 array of shape input_shape.

    Raises:
        ValueError: for an empty, oversized, damaged or unsupported file, a bad input_shape, or
            (with digit_style) an image with no visible digit.
    """
    _check_input_shape(input_shape)
    image = decoding.open_image(data)
    return _prepare_pixels(decoding.image_to_array(image), input_shape, digit_style)


def prepare_array(
    pixels: np.ndarray, input_shape: tuple[int, int, int], digit_style: bool = False
) -> np.ndarray:
    """Prepare an in-memory image, such as a canvas drawing, for a model.

    Args:
        pixels: (H, W) gray, or (H, W, C) with C = 1 (gray), 2 (gray + alpha), 3 (RGB) or
            4 (RGBA). Integers must lie in 0..255; floats in 0..1 are read as fractions of 255.
            A mostly transparent RGBA drawing (as streamlit-drawable-canvas returns) is read by
            its alpha, so strokes of any colour count as ink.
        input_shape: the model's (height, width, channels), channels 1 or 3.
        digit_style: make the image look like an MNIST digit (see the module docstring).

    Returns:
        uint8 array of shape input_shape.

    Raises:
        ValueError: for an array of the wrong shape or values, a bad input_shape, or (with
            digit_style) an image with no visible digit.
    """
    _check_input_shape(input_shape)
    pixels = _standardise_array(pixels)
    if max(pixels.shape[:2]) > WORKING_SIZE:
        pixels = _shrink_array(pixels)
    return _prepare_pixels(pixels, input_shape, digit_style)


def prepare_canvas(
    rgba: np.ndarray, input_shape: tuple[int, int, int], digit_style: bool = False
) -> np.ndarray:
    """Prepare a drawing from a canvas: light strokes on a dark or transparent background.

    Args:
        rgba: (height, width, 4) uint8, as streamlit-drawable-canvas returns its image data.
            On a transparent canvas the strokes are wherever it is opaque, whatever their
            colour; on an opaque one they are the light pixels.
        input_shape: the model's (height, width, channels).
        digit_style: MNIST preparation (crop to the ink, fit 20x20, centre by mass); without
            it the whole canvas is shrunk, light strokes on black as in Fashion-MNIST.

    Raises:
        ValueError: for an array that is not RGBA, or (with digit_style) an empty drawing.
    """
    return prepare_array(canvas_ink(rgba)[..., np.newaxis], input_shape, digit_style)


def canvas_ink(rgba: np.ndarray) -> np.ndarray:
    """A canvas drawing as uint8 (height, width) ink: strokes light, background black.

    Raises:
        ValueError: for an array that is not (height, width, 4).
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(
            f"A canvas drawing must be (height, width, 4) RGBA bytes. Received: "
            f"shape={rgba.shape}, dtype={rgba.dtype}"
        )
    alpha = rgba[..., 3]
    if np.mean(alpha < TRANSPARENT_ALPHA) > 0.5:
        return alpha.copy()
    gray = _to_gray(rgba[..., :3].astype(np.float32)) * (alpha / 255.0)
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)


def _check_input_shape(input_shape) -> None:
    valid = (
        isinstance(input_shape, (tuple, list))
        and len(input_shape) == 3
        and all(isinstance(size, (int, np.integer)) and size > 0 for size in input_shape)
        and input_shape[2] in (1, 3)
    )
    if not valid:
        raise ValueError(
            f"input_shape must be (height, width, channels) with 1 channel (gray) or 3 (RGB), "
            f"e.g. (28, 28, 1). Received: input_shape={input_shape!r}"
        )


def _shrink_array(pixels: np.ndarray) -> np.ndarray:
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[pixels.shape[2]]
    image = Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode=mode)
    shrunk = np.asarray(decoding.shrink_image(image), dtype=np.uint8)
    return shrunk[..., np.newaxis] if shrunk.ndim == 2 else shrunk


def _standardise_array(pixels) -> np.ndarray:
    """Check an in-memory image and return it as uint8 (H, W, C)."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[..., np.newaxis]
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 2, 3, 4):
        raise ValueError(
            f"An image array must be (height, width) or (height, width, channels) with 1, 2, 3 "
            f"or 4 channels. Received: shape={pixels.shape}"
        )
    height, width = pixels.shape[:2]
    if height == 0 or width == 0:
        raise ValueError(f"The image array has no pixels. Received: shape={pixels.shape}")
    if height * width > MAX_PIXELS:
        raise ValueError(decoding.bomb_message(width, height))
    if pixels.dtype == bool:
        return pixels.astype(np.uint8) * 255
    if not (np.issubdtype(pixels.dtype, np.integer) or np.issubdtype(pixels.dtype, np.floating)):
        raise ValueError(f"Image values must be numbers. Received: dtype={pixels.dtype}")
    if np.issubdtype(pixels.dtype, np.floating):
        if not np.all(np.isfinite(pixels)):
            raise ValueError("The image array holds NaN or infinite values; it cannot be shown.")
        # Checked before scaling: a huge negative value times 255 would overflow to -inf.
        _check_pixel_range(pixels)
        if pixels.size and pixels.max() <= 1.0:
            pixels = pixels * 255.0
        pixels = np.rint(pixels)
    _check_pixel_range(pixels)
    return pixels.astype(np.uint8)


def _check_pixel_range(pixels: np.ndarray) -> None:
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(
            f"Image values must lie between 0 and 255. Received values from {pixels.min()} to "
            f"{pixels.max()}"
        )


def _to_gray(values: np.ndarray) -> np.ndarray:
    """(H, W, 1 or 3) float -> (H, W) float luma."""
    return values[..., 0] if values.shape[2] == 1 else values @ LUMA_WEIGHTS


def _prepare_pixels(
    pixels: np.ndarray, input_shape: tuple[int, int, int], digit_style: bool
) -> np.ndarray:
    height, width, channels = (int(size) for size in input_shape)
    if digit_style:
        result = _centre_digit(_digit_ink(pixels), height, width)[..., np.newaxis]
        return np.repeat(result, channels, axis=2)
    values = decoding.composite_on_white(pixels)
    if channels == 1 and values.shape[2] == 3:
        values = _to_gray(values)[..., np.newaxis]
    elif channels == 3 and values.shape[2] == 1:
        values = np.repeat(values, 3, axis=2)
    values = _centre_crop(values, width / height)
    mode = "L" if channels == 1 else "RGB"
    as_bytes = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    image = Image.fromarray(as_bytes[..., 0] if channels == 1 else as_bytes, mode=mode)
    resized = np.asarray(image.resize((width, height), decoding.RESAMPLE), dtype=np.uint8)
    return resized.reshape(height, width, channels)


def _centre_crop(values: np.ndarray, aspect_ratio: float) -> np.ndarray:
    """Cut equal margins off the longer sides so that width / height == aspect_ratio."""
    height, width = values.shape[:2]
    if width / height > aspect_ratio:
        new_width = max(1, round(height * aspect_ratio))
        left = (width - new_width) // 2
        return values[:, left : left + new_width]
    new_height = max(1, round(width / aspect_ratio))
    top = (height - new_height) // 2
    return values[top : top + new_height]


def _border_values(gray: np.ndarray) -> np.ndarray:
    """The pixels of a thin frame around the image, which are background in a photo of a digit."""
    thickness = max(1, round(0.03 * min(gray.shape)))
    return np.concatenate(
        [
            gray[:thickness].ravel(),
            gray[-thickness:].ravel(),
            gray[:, :thickness].ravel(),
            gray[:, -thickness:].ravel(),
        ]
    )


def _digit_ink(pixels: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, float32 (H, W): 0 for background, larger for the digit."""
    if pixels.shape[2] in (2, 4):
        alpha = pixels[..., -1]
        if np.mean(alpha < TRANSPARENT_ALPHA) > 0.5:
            # A drawing on a transparent canvas: whatever colour the strokes have, where the
            # canvas is opaque is where the student drew.
            return alpha.astype(np.float32)
    gray = _to_gray(decoding.composite_on_white(pixels))
    background = float(np.median(_border_values(gray)))
    if background > 127.5:
        # Dark ink on light paper: MNIST digits are light on black, so turn it around.
        gray = 255.0 - gray
        background = 255.0 - background
    # Grey paper or a dim screen would otherwise leave a grey background the model never saw.
    return np.clip(gray - background, 0.0, None)


def _centre_digit(ink: np.ndarray, height: int, width: int) -> np.ndarray:
    """Crop the digit, fit it in the MNIST box and centre its mass; returns uint8 (h, w)."""
    peak = float(ink.max())
    if peak < MIN_INK_CONTRAST:
        raise ValueError(
            "The image looks empty: no digit stands out from the background. Please draw or "
            "upload a digit, dark on light or light on dark."
        )
    strong = ink > NOISE_FRACTION * peak
    rows = np.flatnonzero(strong.any(axis=1))
    columns = np.flatnonzero(strong.any(axis=0))
    crop = np.where(strong, ink, 0.0)[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    box = max(1, round(min(height, width) * DIGIT_BOX_FRACTION))
    scale = box / max(crop.shape)
    new_height = min(height, max(1, round(crop.shape[0] * scale)))
    new_width = min(width, max(1, round(crop.shape[1] * scale)))
    image = Image.fromarray(crop.astype(np.float32), mode="F")
    digit = np.asarray(image.resize((new_width, new_height), decoding.RESAMPLE), dtype=np.float32)
    # Lanczos overshoots a little below zero next to strong edges.
    digit = np.clip(digit, 0.0, None)
    if digit.max() <= 0:
        raise ValueError(
            "The image looks empty after shrinking: the strokes are too thin. Please draw or "
            "upload the digit with thicker strokes."
        )
    # Thin strokes on a large picture come out faint after shrinking; MNIST strokes are full
    # strength, so stretch the strongest pixel back to 255.
    digit *= 255.0 / digit.max()
    total = digit.sum()
    centre_row = float((digit.sum(axis=1) * np.arange(new_height)).sum() / total)
    centre_column = float((digit.sum(axis=0) * np.arange(new_width)).sum() / total)
    top = int(np.clip(round((height - 1) / 2 - centre_row), 0, height - new_height))
    left = int(np.clip(round((width - 1) / 2 - centre_column), 0, width - new_width))
    field = np.zeros((height, width), dtype=np.float32)
    field[top : top + new_height, left : left + new_width] = digit
    return np.clip(np.rint(field), 0, 255).astype(np.uint8)


def decode_image(data: bytes) -> np.ndarray:
    """Decode an image file safely, upright, as uint8 (H, W, C) with C = 1, 2, 3 or 4.

    The same checks and EXIF handling as `prepare_upload`, for callers that prepare the pixels
    their own way (own data sets pad as well as crop).

    Raises:
        ValueError: for an empty, oversized, damaged or unsupported file.
    """
    return decoding.image_to_array(decoding.open_image(data))


def check_array(pixels) -> np.ndarray:
    """An in-memory image checked as `prepare_array` checks it, as uint8 (H, W, C).

    Raises:
        ValueError: for an array of the wrong shape or values.
    """
    return _standardise_array(pixels)
