"""Tests for cnnviz.data.images: safe decoding, MNIST-style preparation of uploads, drawings."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cnnviz.data import images
from helpers.files import centre_of_mass, encode

MNIST_SHAPE = (28, 28, 1)
CIFAR_SHAPE = (32, 32, 3)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    checksum = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", checksum)


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height 8-bit gray pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def draw_l_shape(size=(160, 220), background=255, ink=0, offset=(20, 30)) -> Image.Image:
    """An 'L' (vertical bar and a foot at the bottom right), away from the centre."""
    image = Image.new("L", size, background)
    draw = ImageDraw.Draw(image)
    left, top = offset
    draw.rectangle((left, top, left + 14, top + 120), fill=ink)
    draw.rectangle((left, top + 106, left + 60, top + 120), fill=ink)
    return image


# Bad files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Dear teacher, here is my homework.\n" * 20, "not an image"),
        (b"\x00" * 100, "not an image"),
    ],
)
def test_unreadable_bytes_are_refused(data, message):
    with pytest.raises(ValueError, match=message):
        images.prepare_upload(data, MNIST_SHAPE)


def test_non_bytes_are_refused():
    with pytest.raises(ValueError, match="bytes"):
        images.prepare_upload("picture.png", MNIST_SHAPE)


@pytest.mark.parametrize("image_format", ["ICO", "PPM"])
def test_other_formats_are_refused_by_name(image_format):
    data = encode(Image.new("RGB", (16, 16), "red"), image_format)
    with pytest.raises(ValueError, match=f"{image_format}.*not supported.*PNG"):
        images.prepare_upload(data, MNIST_SHAPE)


def test_truncated_png_is_reported_as_damaged():
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise))
    with pytest.raises(ValueError, match="damaged or incomplete"):
        images.prepare_upload(data[: len(data) // 2], MNIST_SHAPE)


def test_corrupt_png_data_is_reported_as_damaged():
    header = struct.pack(">IIBBBBB", 32, 32, 8, 0, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"this is not zlib data at all")
        + png_chunk(b"IEND", b"")
    )
    with pytest.raises(ValueError, match="damaged"):
        images.prepare_upload(data, MNIST_SHAPE)


def test_files_over_the_size_limit_are_refused():
    data = png_claiming_size(16, 16) + b"\x00" * images.MAX_FILE_BYTES
    with pytest.raises(ValueError, match="MB"):
        images.prepare_upload(data, MNIST_SHAPE)


@pytest.mark.parametrize(
    "side",
    [
        7000,  # 49 megapixels: over our cap, under Pillow's own limit
        10_000,  # 100 megapixels: Pillow warns
        20_000,  # 400 megapixels: Pillow refuses
    ],
)
def test_decompression_bombs_are_refused(side):
    data = png_claiming_size(side, side)
    assert len(data) < 1000  # the point of a bomb: a tiny file claiming a huge picture
    # Pillow's own DecompressionBombWarning must become our ValueError, not leak out.
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="too large"):
            images.prepare_upload(data, MNIST_SHAPE)
    assert not leaked


@pytest.mark.parametrize("input_shape", [(28, 28), (28, 28, 2), (0, 28, 1), "28x28"])
def test_bad_input_shape_is_refused(input_shape):
    data = encode(Image.new("L", (8, 8)))
    with pytest.raises(ValueError, match="input_shape"):
        images.prepare_upload(data, input_shape)


# MNIST-style digits ----------------------------------------------------------------------------


def test_dark_digit_on_white_is_inverted_cropped_and_centred():
    result = images.prepare_upload(encode(draw_l_shape()), MNIST_SHAPE, digit_style=True)
    assert result.shape == MNIST_SHAPE and result.dtype == np.uint8
    pixels = result[..., 0]
    # Light digit on black, as in MNIST.
    assert pixels.max() == 255
    assert pixels[0].max() == pixels[-1].max() == pixels[:, 0].max() == pixels[:, -1].max() == 0
    row, column = centre_of_mass(pixels)
    assert abs(row - 13.5) <= 1 and abs(column - 13.5) <= 1
    # The longer side of the digit (its height) fills the 20-pixel box.
    ink_rows = np.flatnonzero(pixels.max(axis=1) > 0)
    assert 19 <= ink_rows[-1] - ink_rows[0] + 1 <= 21
    # Still an 'L' the right way up: the foot makes the lowest rows the heaviest, and the
    # brightest pixel is on the bar or the foot, not in the empty top right.
    row_ink = pixels.sum(axis=1)
    assert row_ink[ink_rows[-3:]].sum() > row_ink[ink_rows[:3]].sum()
    brightest_row, brightest_column = np.unravel_index(np.argmax(pixels), pixels.shape)
    assert not (brightest_row < 18 and brightest_column > 16)


def test_light_digit_on_black_is_not_inverted():
    dark_on_light = images.prepare_upload(encode(draw_l_shape()), MNIST_SHAPE, digit_style=True)
    light_on_dark = images.prepare_upload(
        encode(draw_l_shape(background=0, ink=255)), MNIST_SHAPE, digit_style=True
    )
    np.testing.assert_array_equal(light_on_dark, dark_on_light)


def test_grey_paper_background_becomes_black():
    clean = images.prepare_upload(encode(draw_l_shape()), MNIST_SHAPE, digit_style=True)
    photo = draw_l_shape(background=200, ink=40)
    result = images.prepare_upload(encode(photo, "JPEG", quality=90), MNIST_SHAPE, True)
    assert result[clean == 0].max() <= 10  # paper, JPEG noise and all, is black
    assert result.max() == 255
    np.testing.assert_allclose(result, clean, atol=12)


@pytest.mark.parametrize(
    "blank",
    [Image.new("L", (100, 100), 255), Image.new("L", (100, 100), 0), Image.new("RGB", (50, 80))],
)
def test_blank_images_are_reported_as_empty(blank):
    with pytest.raises(ValueError, match="looks empty.*draw or upload a digit"):
        images.prepare_upload(encode(blank), MNIST_SHAPE, digit_style=True)


def test_faint_noise_alone_is_empty():
    noise = np.random.default_rng(1).integers(245, 256, (60, 60), dtype=np.uint8)
    with pytest.raises(ValueError, match="looks empty"):
        images.prepare_array(noise, MNIST_SHAPE, digit_style=True)


def canvas_drawing(colour=(255, 0, 0, 255), size=280) -> np.ndarray:
    """An RGBA canvas as streamlit-drawable-canvas returns it: transparent where undrawn."""
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).line([(200, 40), (150, 220)], fill=colour, width=20)
    return np.asarray(canvas)


def test_canvas_drawing_reads_alpha_as_ink_whatever_the_colour():
    red = images.prepare_array(canvas_drawing((255, 0, 0, 255)), MNIST_SHAPE, digit_style=True)
    black = images.prepare_array(canvas_drawing((0, 0, 0, 255)), MNIST_SHAPE, digit_style=True)
    white = images.prepare_array(canvas_drawing((255, 255, 255, 255)), MNIST_SHAPE, True)
    np.testing.assert_array_equal(red, black)
    np.testing.assert_array_equal(red, white)
    pixels = red[..., 0]
    assert pixels.max() == 255 and pixels[0].max() == 0
    row, column = centre_of_mass(pixels)
    assert abs(row - 13.5) <= 1 and abs(column - 13.5) <= 1


def test_empty_canvas_is_reported_as_empty():
    with pytest.raises(ValueError, match="looks empty"):
        images.prepare_array(np.zeros((280, 280, 4), np.uint8), MNIST_SHAPE, digit_style=True)


def test_canvas_without_digit_style_is_drawn_on_white():
    result = images.prepare_array(canvas_drawing((0, 0, 0, 255)), MNIST_SHAPE)
    assert result[0, 0, 0] == 255  # undrawn corner: transparent over white
    assert result.min() < 60  # the black stroke survives the resize


def test_transparent_png_digit_is_read_by_its_alpha():
    drawing = Image.fromarray(canvas_drawing((0, 0, 0, 255)), "RGBA")
    from_file = images.prepare_upload(encode(drawing), MNIST_SHAPE, digit_style=True)
    from_array = images.prepare_array(canvas_drawing((0, 0, 0, 255)), MNIST_SHAPE, True)
    np.testing.assert_array_equal(from_file, from_array)


# Photos and other preparation ------------------------------------------------------------------


def test_cifar_photo_is_centre_cropped_and_resized():
    # Three stripes, 50 + 100 + 50 pixels wide: a square centre crop keeps only the red one.
    stripes = np.zeros((100, 200, 3), np.uint8)
    stripes[:, :50] = (0, 255, 0)
    stripes[:, 50:150] = (255, 0, 0)
    stripes[:, 150:] = (0, 0, 255)
    result = images.prepare_upload(encode(Image.fromarray(stripes)), CIFAR_SHAPE)
    assert result.shape == CIFAR_SHAPE and result.dtype == np.uint8
    assert result[..., 0].min() >= 250 and result[..., 1:].max() <= 5


def test_small_photo_is_enlarged_with_colours_kept():
    halves = np.zeros((8, 8, 3), np.uint8)
    halves[:, :4] = (255, 255, 0)
    halves[:, 4:] = (0, 0, 255)
    result = images.prepare_upload(encode(Image.fromarray(halves), "BMP"), CIFAR_SHAPE)
    np.testing.assert_allclose(result[:, :12].reshape(-1, 3).mean(axis=0), (255, 255, 0), atol=3)
    np.testing.assert_allclose(result[:, 20:].reshape(-1, 3).mean(axis=0), (0, 0, 255), atol=3)


def test_gray_image_becomes_three_equal_channels_for_cifar():
    gradient = np.tile(np.arange(0, 256, 8, dtype=np.uint8), (32, 1))
    result = images.prepare_array(gradient, CIFAR_SHAPE)
    np.testing.assert_array_equal(result[..., 0], result[..., 1])
    np.testing.assert_array_equal(result[..., 0], result[..., 2])
    assert result[0, 0, 0] < 20 and result[0, -1, 0] > 230


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_each_accepted_format_decodes(image_format):
    data = encode(Image.new("RGB", (40, 40), (200, 30, 30)), image_format)
    result = images.prepare_upload(data, CIFAR_SHAPE)
    np.testing.assert_allclose(result.reshape(-1, 3).mean(axis=0), (200, 30, 30), atol=8)


def test_exif_orientation_is_applied():
    # Stored wide, left half black; orientation 6 means "turn 90 degrees clockwise to view",
    # which brings the black half to the top.
    stored = np.full((20, 40), 255, np.uint8)
    stored[:, :20] = 0
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(Image.fromarray(stored), "JPEG", exif=exif, quality=95)
    result = images.prepare_upload(data, MNIST_SHAPE)[..., 0]
    assert result[:10].mean() < 40 and result[-10:].mean() > 215


def test_palette_transparency_is_composited_onto_white():
    palette_image = Image.new("P", (20, 20), 0)
    palette_image.putpalette([0, 0, 0, 10, 10, 10] + [0] * 762)
    ImageDraw.Draw(palette_image).rectangle((0, 0, 19, 9), fill=1)
    data = encode(palette_image, transparency=0)
    result = images.prepare_upload(data, MNIST_SHAPE)[..., 0]
    assert result[:10].max() <= 20  # the opaque, nearly black top half
    assert result[-10:].min() == 255  # the transparent bottom half, over white


def test_sixteen_bit_png_is_scaled_not_clipped():
    mid_gray = np.full((16, 16), 128 * 257, np.uint16)
    data = encode(Image.fromarray(mid_gray))
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    result = images.prepare_upload(data, MNIST_SHAPE)
    assert np.all(np.abs(result.astype(int) - 128) <= 1)


def test_cmyk_jpeg_becomes_rgb():
    data = encode(Image.new("CMYK", (24, 24), (0, 255, 0, 0)), "JPEG", quality=95)
    result = images.prepare_upload(data, CIFAR_SHAPE)
    np.testing.assert_allclose(result.reshape(-1, 3).mean(axis=0), (255, 0, 255), atol=10)


def test_large_arrays_are_shrunk_first_and_still_come_out_right():
    big = np.zeros((3000, 2000), np.uint8)
    big[1000:2000, 600:1400] = 255
    result = images.prepare_array(big, MNIST_SHAPE, digit_style=True)
    assert result.max() == 255
    row, column = centre_of_mass(result[..., 0])
    assert abs(row - 13.5) <= 1 and abs(column - 13.5) <= 1


def test_float_arrays_between_0_and_1_are_read_as_fractions():
    result = images.prepare_array(np.full((10, 10), 0.5), MNIST_SHAPE)
    assert np.all(np.abs(result.astype(int) - 128) <= 1)


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        (np.zeros((10, 10, 5), np.uint8), "channels"),
        (np.zeros(10, np.uint8), "channels"),
        (np.zeros((0, 10), np.uint8), "no pixels"),
        (np.full((4, 4), 300), "between 0 and 255"),
        (np.full((4, 4), -1.0), "between 0 and 255"),
        # Scaled by 255 this would overflow to -inf (a RuntimeWarning, an error under pytest).
        (np.array([[-7e305, 0.5]]), "between 0 and 255"),
        (np.full((4, 4), np.nan), "NaN"),
        (np.full((4, 4), "x"), "numbers"),
    ],
)
def test_bad_arrays_are_refused(pixels, message):
    with pytest.raises(ValueError, match=message):
        images.prepare_array(pixels, MNIST_SHAPE)


def test_images_module_does_not_import_keras():
    code = "import sys, cnnviz.data.images; sys.exit('keras' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
