"""Safe decoding of untrusted picture files into pixels.

Uploads are untrusted bytes, so decoding is defensive: only common picture formats are read,
files and pixel counts are capped (a tiny PNG can claim billions of pixels), and every decoder
failure becomes a ``ValueError`` whose message says what to do. cnnviz.data.images prepares the
decoded pixels for a model; decode_for_display gives them back for showing as they are.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
from PIL import Image, ImageOps

from cnnviz.data import file_reading

MAX_FILE_BYTES = file_reading.IMAGE_BYTES
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
# Phone cameras often write JPEGs that Pillow reads as MPO (a JPEG with extra pictures).
_ACCEPTED_FORMAT_NAMES = (*ALLOWED_FORMATS, "MPO")
# The file-name endings an uploader offers; they name the same formats as FORMATS_HINT, so what
# the uploader lets through and what the messages promise never disagree.
UPLOAD_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff")
FORMATS_HINT = "PNG, JPEG, GIF, BMP, WebP or TIFF"
# The longest side of a decoded picture shown beside what the network sees.
DISPLAY_SIZE = 256

# Images are shrunk to this longest side before any arithmetic, which bounds memory and time;
# the largest target is 32 pixels, so nothing visible is lost.
WORKING_SIZE = 1024
RESAMPLE = Image.Resampling.LANCZOS
_SIXTEEN_BIT_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")
_MODE_TARGETS = {"1": "L", "L": "L", "LA": "LA", "La": "LA", "RGB": "RGB", "RGBA": "RGBA"}


def decode_for_display(data: bytes) -> np.ndarray:
    """Decode an uploaded file into pixels that can be shown as they are.

    A page must never hand an upload's raw bytes to an image widget: it re-encodes them and
    fails on valid but unusual files (a 16-bit PNG cannot be written as JPEG). This returns
    what cnnviz decoded: upright, 8-bit, alpha painted over white, longest side at most
    DISPLAY_SIZE.

    Args:
        data: the file's bytes, as for prepare_upload.

    Returns:
        uint8 array (height, width, 3) for colour pictures or (height, width, 1) for gray ones.

    Raises:
        ValueError: for the same files prepare_upload refuses.
    """
    pixels = image_to_array(open_image(data))
    values = composite_on_white(pixels)
    as_bytes = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    if max(as_bytes.shape[:2]) > DISPLAY_SIZE:
        channels = as_bytes.shape[2]
        image = Image.fromarray(as_bytes[..., 0] if channels == 1 else as_bytes)
        scale = DISPLAY_SIZE / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        as_bytes = np.asarray(image.resize(size, RESAMPLE), dtype=np.uint8)
        as_bytes = as_bytes.reshape(size[1], size[0], channels)
    return as_bytes


def bomb_message(width: int | None = None, height: int | None = None) -> str:
    size = "" if width is None else f" ({width} x {height} pixels)"
    return (
        f"The image is too large to process{size}: the limit is {MAX_PIXELS // 1_000_000} "
        f"megapixels. Shrink it in an image editor and upload it again."
    )


def _damaged_message(error: BaseException) -> str:
    return (
        f"The image file is damaged or incomplete ({error}). Save it again as PNG or JPEG and "
        f"upload the new file."
    )


def _refused_format_name(data: bytes) -> str | None:
    """Name the format of a file we refuse, so the message can say what it is."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                return image.format
    except Exception:  # noqa: BLE001 - this only improves a message; any failure means unknown
        return None


def open_image(data: bytes) -> Image.Image:
    """Decode untrusted bytes into a loaded, upright Pillow image."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(
            f"Expected the file's contents as bytes (e.g. uploaded_file.getvalue()). "
            f"Received: {type(data).__name__}"
        )
    data = bytes(data)
    if not data:
        raise ValueError(f"The file is empty (0 bytes). Choose a {FORMATS_HINT} image.")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; images up to "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB are accepted. Shrink or compress it first."
        )
    # Pillow warns about, and past twice its limit refuses, images with huge pixel counts.
    # Turning the warning into an error lets one except clause report both the same way.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        except Image.UnidentifiedImageError:
            name = _refused_format_name(data)
            if name is not None:
                raise ValueError(
                    f"{name} images are not supported. Save the picture as {FORMATS_HINT} "
                    f"and upload that."
                ) from None
            raise ValueError(
                f"The file is not an image cnnviz can read. Upload a {FORMATS_HINT} file."
            ) from None
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ValueError(bomb_message()) from None
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise ValueError(_damaged_message(error)) from None
        if image.format not in _ACCEPTED_FORMAT_NAMES:
            raise ValueError(
                f"{image.format} images are not supported. Save the picture as {FORMATS_HINT}."
            )
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ValueError(bomb_message(width, height))
        if width == 0 or height == 0:
            raise ValueError("The image has no pixels (its width or height is 0).")
        if image.format in ("JPEG", "MPO"):
            # Let the JPEG decoder shrink by 2, 4 or 8 while decoding: far less memory and time.
            image.draft(image.mode, (WORKING_SIZE, WORKING_SIZE))
        try:
            image.load()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ValueError(bomb_message(width, height)) from None
        except Exception as error:  # noqa: BLE001 - decoders raise many types on bad data
            raise ValueError(_damaged_message(error)) from None
    # Phone photos are stored sideways with an EXIF note saying how to turn them; broken EXIF
    # data should not stop an otherwise good image.
    with contextlib.suppress(Exception):
        image = ImageOps.exif_transpose(image)
    return image


def image_to_array(image: Image.Image) -> np.ndarray:
    """A decoded image as uint8 (H, W, C), C = 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA)."""
    if image.mode in _SIXTEEN_BIT_MODES or image.mode == "F":
        # Pillow's own 16-bit -> 8-bit conversion clips at 255 instead of scaling.
        values = np.asarray(image, dtype=np.float32)
        if image.mode != "F":
            values = values / 257.0
        image = Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")
    elif "transparency" in image.info and image.mode in ("L", "RGB", "P"):
        image = image.convert("RGBA")
    elif image.mode in ("P", "PA"):
        image = image.convert("RGBA" if image.mode == "PA" else "RGB")
    else:
        # CMYK, YCbCr, LAB and HSV all become RGB; Pillow undoes Adobe's inverted CMYK itself.
        image = image.convert(_MODE_TARGETS.get(image.mode, "RGB"))
    if max(image.size) > WORKING_SIZE:
        image = shrink_image(image)
    pixels = np.asarray(image, dtype=np.uint8)
    return pixels[..., np.newaxis] if pixels.ndim == 2 else pixels


def shrink_image(image: Image.Image) -> Image.Image:
    scale = WORKING_SIZE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, RESAMPLE, reducing_gap=3.0)


def composite_on_white(pixels: np.ndarray) -> np.ndarray:
    """Drop alpha by painting the image over white; returns float32 (H, W, 1 or 3)."""
    values = pixels.astype(np.float32)
    if pixels.shape[2] in (2, 4):
        alpha = values[..., -1:] / 255.0
        values = values[..., :-1] * alpha + 255.0 * (1.0 - alpha)
    return values
