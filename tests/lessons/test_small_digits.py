"""The shrunk MNIST digits lessons 7-9 train and differentiate on."""

import numpy as np
import pytest

from cnnviz.lessons import small_digits


def test_shrinking_averages_square_blocks():
    image = np.arange(28 * 28, dtype=np.float64).reshape(1, 28, 28) % 256
    shrunk = small_digits.shrink(image, 7)
    assert shrunk.shape == (1, 7, 7)
    assert shrunk[0, 1, 2] == pytest.approx(image[0, 4:8, 8:12].mean() / 255)
    assert small_digits.shrink(image, 28)[0] == pytest.approx(image[0] / 255)


def test_digits_of_chosen_classes_are_labelled_by_their_index(mnist):
    images, labels = small_digits.digits(30, 14, classes=(3, 7))
    assert images.shape == (30, 14, 14) and images.min() >= 0 and images.max() <= 1
    assert set(labels.tolist()) == {0, 1}
    first_three = np.flatnonzero(mnist.y_train == 3)[0]
    assert images[labels == 0][0] == pytest.approx(
        small_digits.shrink(mnist.x_train[first_three], 14)[0]
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [((10, 9), "7, 14 or 28"), ((0, 7), "between 1"), ((10**6, 7), "between 1")],
)
def test_bad_requests_say_what_to_ask_for(arguments, message):
    with pytest.raises(ValueError, match=message):
        small_digits.digits(*arguments)
