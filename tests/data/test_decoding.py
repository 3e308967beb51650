"""Tests for cnnviz.data.decoding and the picture sources built on it: the uploader's formats,
unusual but valid files shown as decoded, canvas drawings and the bundled examples."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cnnviz.data import images
from helpers.files import centre_of_mass, encode

MNIST_SHAPE = (28, 28, 1)
CIFAR_SHAPE = (32, 32, 3)


# What the uploader offers and what is shown ----------------------------------------------------


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
    from cnnviz.data import examples
    from cnnviz.data.datasets import DATASETS

    for name, info in DATASETS.items():
        files = examples.example_files(name)
        assert [label for label, _ in files] == sorted(list(range(info.num_classes)) * 2)
        for _, path in files[:4]:
            pixels = images.decode_for_display(path.read_bytes())
            assert pixels.shape == info.input_shape


def test_examples_are_cut_again_the_same(tmp_path):
    from cnnviz.data import examples

    # Fashion-MNIST's examples come from the bundled sample, so they can be cut here.
    examples.write_examples("fashion_mnist", None, tmp_path)
    bundled = examples.example_files("fashion_mnist")
    fresh = examples.example_files("fashion_mnist", tmp_path)
    assert [path.name for _, path in fresh] == [path.name for _, path in bundled]
    for (_, new), (_, old) in zip(fresh, bundled, strict=True):
        np.testing.assert_array_equal(
            images.decode_for_display(new.read_bytes()),
            images.decode_for_display(old.read_bytes()),
        )
    with pytest.raises(ValueError, match="Unknown data set"):
        examples.example_files("imagenet")
