"""How a picture becomes a model's input: unchanged when it already is one, or as a digit."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.data import images, input_preparation
from cnnviz.data.input_preparation import Preparation
from helpers.files import png
from helpers.paths import MNIST_SAMPLE

MNIST_SHAPE = (28, 28, 1)


@pytest.fixture(scope="module")
def mnist_test():
    with np.load(MNIST_SAMPLE) as sample:
        return sample["x_test"][:50]


def test_mnist_test_digits_saved_as_png_go_in_exactly(mnist_test):
    for digit in mnist_test:
        prepared = input_preparation.prepare_upload(png(digit), MNIST_SHAPE, digit_model=True)
        assert int(np.abs(prepared.pixels.astype(int) - digit.astype(int)).max()) == 0
        assert prepared.unchanged and prepared.used == Preparation.NONE
        assert prepared.note.startswith("Unchanged")
    # The digit preparation the old code applied moves them: this is what auto avoids.
    moved = [
        np.abs(images.prepare_upload(png(d), MNIST_SHAPE, True).astype(int) - d.astype(int)).max()
        for d in mnist_test
    ]
    assert max(moved) > 200


def test_a_drawing_like_picture_still_gets_the_digit_preparation():
    paper = np.full((28, 28), 255, np.uint8)
    paper[4:14, 3:7] = 0  # a dark stroke on white, off-centre: the right size, not MNIST-like
    prepared = input_preparation.prepare_upload(png(paper), MNIST_SHAPE, digit_model=True)
    assert prepared.used == Preparation.DIGIT and not prepared.unchanged
    np.testing.assert_array_equal(
        prepared.pixels, images.prepare_upload(png(paper), MNIST_SHAPE, digit_style=True)
    )
    assert prepared.note.startswith("Digit preparation")
    # A larger picture, even light on black, is prepared as a digit too.
    photo = np.zeros((200, 150), np.uint8)
    photo[40:160, 60:90] = 255
    larger = input_preparation.prepare_upload(png(photo), MNIST_SHAPE, digit_model=True)
    assert larger.used == Preparation.DIGIT
    assert larger.pixels.shape == MNIST_SHAPE and larger.pixels[:4].max() == 0


def test_the_preparation_can_be_forced_either_way(mnist_test):
    digit = mnist_test[0]
    forced = input_preparation.prepare_upload(png(digit), MNIST_SHAPE, "digit", digit_model=True)
    np.testing.assert_array_equal(
        forced.pixels, images.prepare_upload(png(digit), MNIST_SHAPE, digit_style=True)
    )
    assert forced.used == Preparation.DIGIT and not forced.unchanged
    paper = np.full((28, 28), 255, np.uint8)
    paper[4:14, 3:7] = 0
    kept = input_preparation.prepare_upload(png(paper), MNIST_SHAPE, "none", digit_model=True)
    np.testing.assert_array_equal(kept.pixels[..., 0], paper)
    assert kept.used == Preparation.NONE and kept.unchanged
    # none on a picture of another size only fits it: resized, not re-centred or inverted.
    wide = np.full((56, 84), 255, np.uint8)
    fitted = input_preparation.prepare_upload(png(wide), MNIST_SHAPE, "none", digit_model=True)
    assert fitted.pixels.shape == MNIST_SHAPE and fitted.pixels.min() == 255
    assert fitted.note.startswith("Fitted only")
    with pytest.raises(ValueError, match=r"one of auto, digit, none\. Received: prepare='x'"):
        input_preparation.prepare_upload(png(wide), MNIST_SHAPE, "x")


def test_other_models_take_pictures_of_their_input_shape_unchanged():
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    prepared = input_preparation.prepare_upload(png(photo), (32, 32, 3))
    np.testing.assert_array_equal(prepared.pixels, photo)
    assert prepared.unchanged
    # A gray picture saved as RGB (three equal channels) is a gray input.
    gray = rng.integers(0, 40, (28, 28, 1), dtype=np.uint8)
    gray[0] = 0
    as_rgb = input_preparation.prepare_upload(png(np.repeat(gray, 3, axis=2)), MNIST_SHAPE)
    np.testing.assert_array_equal(as_rgb.pixels, gray)
    # Transparency is not an input: it is painted over white and the picture is not exact.
    rgba = np.dstack([photo, np.full((32, 32), 128, np.uint8)])
    assert input_preparation.exact_input(rgba, (32, 32, 3)) is None


def test_drawings_follow_the_same_choice():
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[60:220, 120:160] = 255
    auto = input_preparation.prepare_drawing(rgba, MNIST_SHAPE, digit_model=True)
    np.testing.assert_array_equal(
        auto.pixels, images.prepare_canvas(rgba, MNIST_SHAPE, digit_style=True)
    )
    plain = input_preparation.prepare_drawing(rgba, MNIST_SHAPE, "none", digit_model=True)
    np.testing.assert_array_equal(
        plain.pixels, images.prepare_canvas(rgba, MNIST_SHAPE, digit_style=False)
    )
    assert auto.used == Preparation.DIGIT and plain.used == Preparation.NONE
