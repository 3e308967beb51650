"""Upload caps in headless Chromium: the server-wide cap admits a .keras model at the
parameter limit, and a file over an uploader's own cap gets cnnviz's message, not Streamlit's
("File must be 10.0MB or smaller" in the browser, or "AxiosError ... 413" from the server where
an uploader allowed more than the server did)."""

from __future__ import annotations

import json
import os

from .conftest import assert_no_exception
from .steps import expect, go_to

# Reading 57 MB, rebuilding the model and measuring it on the test images takes a while on
# two shared cores.
LOAD_TIMEOUT_MS = 180_000
# Just under the 5 M parameter limit: Flatten, Dense 6,250, Dense 10 on 28x28x1.
AT_THE_LIMIT = [
    {"type": "Flatten"},
    {"type": "Dense", "units": 6250, "activation": "relu"},
    {"type": "Dense", "units": 10, "activation": "softmax"},
]


def keras_file_at_the_parameter_limit(path) -> int:
    """Save a model of 4,968,760 parameters with Adam's state (about 57 MB); return its size."""
    import numpy as np

    from cnnviz.export import model_files
    from cnnviz.model.with_keras import builder

    model = builder.build_model({"layers": AT_THE_LIMIT}, (28, 28, 1), 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.zeros((4, 28, 28, 1)), np.zeros(4), verbose=0)
    path.write_bytes(model_files.save_keras_bytes(model))
    return model.count_params()


def dropzone(page, label: str):
    return page.get_by_role("region", name=label).get_by_test_id("stFileUploaderDropzoneInput")


def assert_no_streamlit_refusal(page) -> None:
    text = page.locator("[data-testid=stMain]").inner_text()
    for streamlits_words in ("AxiosError", "413", "File must be"):
        assert streamlits_words not in text, text[:2000]


def test_a_keras_model_at_the_parameter_limit_uploads_and_loads(open_page, screenshot, tmp_path):
    model_file = tmp_path / "limit.keras"
    params = keras_file_at_the_parameter_limit(model_file)
    size_mb = os.path.getsize(model_file) / 2**20
    assert params <= 5_000_000 and 50 < size_mb < 64  # over the old 10 MB server cap

    page = open_page("", heading="cnnviz")
    go_to(page, "Build", "Build your network")
    dropzone(page, "Load a trained model (.keras)").set_input_files(str(model_file))
    download = page.get_by_role("button", name="Download limit.keras (.keras)")
    expect(download).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    assert_no_streamlit_refusal(page)
    assert_no_exception(page)
    screenshot(page, "01-model-at-the-limit-loaded")


def test_a_spec_file_over_its_own_cap_gets_cnnvizs_message(open_page, screenshot, tmp_path):
    # 11 MB: over the spec uploader's 256 KB, and over the 10 MB server-wide cap of before,
    # which Streamlit's browser side refused in its own words.
    spec_file = tmp_path / "big.json"
    spec_file.write_text(json.dumps({"layers": [], "description": " " * (11 * 2**20)}))

    page = open_page("", heading="cnnviz")
    go_to(page, "Build", "Build your network")
    dropzone(page, "Load a spec file").set_input_files(str(spec_file))
    refusal = page.get_by_test_id("stAlert").filter(has_text="Could not load big.json")
    expect(refusal).to_be_visible(timeout=60_000)
    expect(refusal).to_contain_text("The file is larger than 256 KB, the most this server reads")
    assert_no_streamlit_refusal(page)
    assert_no_exception(page)
    screenshot(page, "02-spec-over-its-cap")
