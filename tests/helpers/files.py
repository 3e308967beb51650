"""The bytes of files that tests hand to cnnviz: pictures, zips and share-link tokens."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
import zlib

import numpy as np
from PIL import Image


def encode(image: Image.Image, image_format: str = "PNG", **options) -> bytes:
    """A Pillow image saved in `image_format` (with Pillow's save `options`)."""
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def png(pixels: np.ndarray, **options) -> bytes:
    """A PNG of uint8 pixels: (height, width), (height, width, 1) or (height, width, 3)."""
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    return encode(Image.fromarray(pixels), "PNG", **options)


def make_zip(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip holding each name's bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, contents in files.items():
            archive.writestr(name, contents)
    return buffer.getvalue()


def centre_of_mass(pixels: np.ndarray) -> tuple[float, float]:
    """The (row, column) centre of the pixels' values, as weights."""
    weights = pixels.astype(np.float64)
    rows, columns = np.indices(weights.shape)
    return (rows * weights).sum() / weights.sum(), (columns * weights).sum() / weights.sum()


def pack(payload: bytes, digest: bytes | None = None) -> str:
    """A share-link token made by hand, so tests can build links cnnviz itself would never make.

    `digest` replaces the check code (the payload's own SHA-256 prefix by default).
    """
    digest = hashlib.sha256(payload).digest()[:8] if digest is None else digest
    raw = digest + zlib.compress(payload)
    return "s1" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jpeg(colour: tuple[int, int, int], seed: int, size: tuple[int, int] = (48, 64)) -> bytes:
    """A noisy photo-like picture of one colour, (height, width) = `size`."""
    rng = np.random.default_rng(seed)
    pixels = rng.normal(colour, 25, (*size, 3)).clip(0, 255).astype(np.uint8)
    return encode(Image.fromarray(pixels), "JPEG", quality=90)
