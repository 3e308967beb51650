"""Tests for cnnviz.images: safe decoding and MNIST-style preparation of uploads and drawings."""

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

from cnnviz import images

MNIST_SHAPE = (28, 28, 1)
CIFAR_SHAPE = (32, 32, 3)


def encode(image: Image.Image, image_format: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


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


def centre_of_mass(pixels: np.ndarray) -> tuple[float, float]:
    weights = pixels.astype(np.float64)
    rows, columns = np.indices(weights.shape)
    return (rows * weights).sum() / weights.sum(), (columns * weights).sum() / weights.sum()


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
        (np.full((4, 4), np.nan), "NaN"),
        (np.full((4, 4), "x"), "numbers"),
    ],
)
def test_bad_arrays_are_refused(pixels, message):
    with pytest.raises(ValueError, match=message):
        images.prepare_array(pixels, MNIST_SHAPE)


def test_images_module_does_not_import_keras():
    code = "import sys, cnnviz.images; sys.exit('keras' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# What the uploader offers and what is shown ------------------------------------------------------


def test_uploader_extensions_and_messages_name_the_same_formats():
    named = {"png", "jpeg", "gif", "bmp", "webp", "tiff"}
    hint_words = {word.strip(",").lower() for word in images.FORMATS_HINT.split()} - {"or"}
    assert hint_words == named
    aliases = {"jpg": "jpeg", "tif": "tiff"}
    assert {aliases.get(ext, ext) for ext in images.UPLOAD_EXTENSIONS} == named
    assert {name.lower() for name in images.ALLOWED_FORMATS} == named


def test_animated_gif_uses_its_first_frame():
    frames = [Image.new("L", (20, 20), 0), Image.new("L", (20, 20), 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    result = images.prepare_upload(buffer.getvalue(), MNIST_SHAPE)
    assert result.max() <= 5


def _unusual_uploads() -> dict[str, tuple[bytes, tuple]]:
    """Valid but unusual files, each with the colour its top-left quarter must show."""
    sixteen = np.zeros((32, 32), np.uint16)
    sixteen[:16, :16] = 65535
    cmyk = Image.new("CMYK", (32, 32), (0, 0, 0, 0))
    ImageDraw.Draw(cmyk).rectangle((0, 0, 15, 15), fill=(0, 255, 255, 0))  # red
    palette = Image.new("P", (32, 32), 0)
    palette.putpalette([255, 255, 255, 0, 0, 255] + [0] * 762)
    ImageDraw.Draw(palette).rectangle((0, 0, 15, 15), fill=1)  # blue
    rgba = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).rectangle((0, 0, 15, 15), fill=(0, 200, 0, 255))  # green over white
    # Stored with the dark quarter at the bottom left; orientation 6 turns it clockwise, which
    # brings it to the top left.
    stored = np.full((32, 32), 255, np.uint8)
    stored[16:, :16] = 0
    exif = Image.Exif()
    exif[0x0112] = 6
    return {
        "16-bit PNG": (encode(Image.fromarray(sixteen)), (255,)),
        "CMYK JPEG": (encode(cmyk, "JPEG", quality=95), (255, 0, 0)),
        "palette PNG": (encode(palette), (0, 0, 255)),
        "RGBA PNG": (encode(rgba), (0, 200, 0)),
        "EXIF-rotated JPEG": (encode(Image.fromarray(stored), "JPEG", exif=exif, quality=95), (0,)),
    }


@pytest.mark.parametrize("kind", list(_unusual_uploads()))
def test_unusual_files_are_shown_as_decoded(kind):
    data, corner_colour = _unusual_uploads()[kind]
    shown = images.decode_for_display(data)
    assert shown.dtype == np.uint8 and shown.shape[:2] == (32, 32)
    assert shown.shape[2] == len(corner_colour)
    np.testing.assert_allclose(
        shown[2:14, 2:14].reshape(-1, shown.shape[2]).mean(axis=0), corner_colour, atol=12
    )
    # The opposite quarter is the other colour, so an unturned or unscaled image cannot pass.
    assert np.abs(shown[18:30, 18:30].astype(int).mean(axis=(0, 1)) - corner_colour).max() > 100
    # Every kind also prepares for both kinds of model.
    assert images.prepare_upload(data, MNIST_SHAPE).shape == MNIST_SHAPE
    assert images.prepare_upload(data, CIFAR_SHAPE).shape == CIFAR_SHAPE


def test_large_pictures_are_shrunk_for_display():
    data = encode(Image.new("RGB", (1000, 500), (10, 20, 30)))
    shown = images.decode_for_display(data)
    assert shown.shape == (images.DISPLAY_SIZE // 2, images.DISPLAY_SIZE, 3)


def test_display_refuses_what_preparation_refuses():
    with pytest.raises(ValueError, match="not an image"):
        images.decode_for_display(b"\x00" * 100)


def test_off_centre_canvas_stroke_is_centred_by_mass():
    # A transparent 280x280 canvas with one thick stroke in its top-left corner.
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[30:120, 40:62] = (255, 255, 255, 255)
    canvas[100:122, 40:110] = (255, 255, 255, 255)
    result = images.prepare_array(canvas, MNIST_SHAPE, digit_style=True)[..., 0]
    row, column = centre_of_mass(result)
    assert abs(row - 13.5) <= 1 and abs(column - 13.5) <= 1
    ink_rows = np.flatnonzero(result.max(axis=1) > 0)
    ink_columns = np.flatnonzero(result.max(axis=0) > 0)
    # Fitted to the 20x20 box (resampling may spread the ink by a pixel or two).
    assert 20 <= max(np.ptp(ink_rows), np.ptp(ink_columns)) + 1 <= 22


def test_canvas_without_digit_style_keeps_light_strokes_on_black():
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[100:180, 20:260] = (0, 0, 0, 255)  # a wide bar of any colour
    result = images.prepare_canvas(canvas, MNIST_SHAPE)[..., 0]
    assert result[14, 14] > 240 and result[2, 14] < 10
    digit = images.prepare_canvas(canvas, MNIST_SHAPE, digit_style=True)[..., 0]
    row, column = centre_of_mass(digit)
    assert abs(row - 13.5) <= 1 and abs(column - 13.5) <= 1
    with pytest.raises(ValueError, match="RGBA"):
        images.prepare_canvas(canvas[..., :3], MNIST_SHAPE)


def test_opaque_canvas_reads_light_strokes_on_black():
    # A canvas with a black background is opaque everywhere: the strokes are the light pixels.
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = 255
    canvas[40:100, 30:60, :3] = 255
    ink = images.canvas_ink(canvas)
    assert ink[50, 40] == 255 and ink[200, 200] == 0
    digit = images.prepare_canvas(canvas, MNIST_SHAPE, digit_style=True)[..., 0]
    row, column = centre_of_mass(digit)
    assert abs(row - 13.5) <= 1 and abs(column - 13.5) <= 1
    whole = images.prepare_canvas(canvas, MNIST_SHAPE)[..., 0]
    assert whole[7, 4] > 200 and whole[20, 20] == 0


def test_bundled_examples_decode_to_their_data_set_shapes():
    from cnnviz import examples
    from cnnviz.datasets import DATASETS

    for name, info in DATASETS.items():
        files = examples.example_files(name)
        assert [label for label, _ in files] == sorted(list(range(info.num_classes)) * 2)
        for _, path in files[:4]:
            pixels = images.decode_for_display(path.read_bytes())
            assert pixels.shape == info.input_shape
