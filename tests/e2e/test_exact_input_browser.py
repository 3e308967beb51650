"""In headless Chromium: an MNIST test digit uploaded to Inspect is what the network takes,
pixel for pixel, and the Preparation control switches the digit preparation on."""

from __future__ import annotations

import base64

import numpy as np
from PIL import Image

from helpers.paths import MNIST_SAMPLE

from .conftest import assert_no_exception, wait_until_idle
from .steps import (
    FINISHED,
    TRAINING_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    expect,
    go_to,
    start_training,
    status_text,
)

# The z values of the plotly heatmap whose title holds `title`, as the page gave them to the
# browser: plotly writes uint8 arrays as base64 bytes with their dtype and shape.
HEATMAP_Z = """(title) => {
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
        const text = String(plot.layout && plot.layout.title && plot.layout.title.text);
        if (text.includes(title)) {
            const z = plot.data[0].z;
            return {dtype: z.dtype, bdata: z.bdata, shape: String(z.shape || '')};
        }
    }
    return null;
}"""


def heatmap_pixels(page, title: str) -> np.ndarray:
    z = page.evaluate(HEATMAP_Z, title)
    assert z is not None, f"no heatmap titled {title!r}"
    values = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"]))
    return values.reshape(28, 28).astype(int)


def test_an_uploaded_mnist_test_digit_is_what_the_network_takes(open_page, screenshot, tmp_path):
    with np.load(MNIST_SAMPLE) as arrays:
        digit = arrays["x_test"][3][..., 0]
    path = tmp_path / "mnist-test-3.png"
    Image.fromarray(digit).save(path)
    page = open_page("", heading="cnnviz")
    go_to(page, "Train", "Train")
    start_training(page, epochs=1)
    expect(status_text(page, FINISHED)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    wait_until_idle(page)

    go_to(page, "Inspect", "Look inside")
    page.get_by_role("radio", name="Upload your own").click()
    wait_until_idle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    expect(page.get_by_text("Yours: mnist-test-3.png")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text("Unchanged: the picture already is 28x28 gray")).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )
    wait_until_idle(page)
    assert_no_exception(page)
    # The picture shown as the student's and what the network takes are the test digit itself.
    taken = heatmap_pixels(page, "What the network takes")
    assert int(np.abs(taken - digit.astype(int)).max()) == 0
    np.testing.assert_array_equal(heatmap_pixels(page, "Yours: mnist-test-3.png"), taken)
    screenshot(page, "01-unchanged", whole_page=False)

    page.get_by_role("radio", name="digit").click()
    expect(page.get_by_text("Digit preparation: cropped to the ink")).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )
    wait_until_idle(page)
    assert_no_exception(page)
    moved = heatmap_pixels(page, "What the network takes")
    assert int(np.abs(moved - digit.astype(int)).max()) > 100
    screenshot(page, "02-digit-preparation", whole_page=False)
