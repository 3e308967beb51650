"""Server limits in headless Chromium: an over-limit spec is explained on Build and Train
refuses it, with no traceback anywhere."""

from __future__ import annotations

import json

from .conftest import assert_no_exception
from .steps import UI_TIMEOUT_MS, app_button, expect, go_to

OUTPUT = {"type": "Dense", "units": 10, "activation": "softmax"}
# 322 M parameters: the Dense layer after Flatten holds 156,800,000 of them on 28x28x1.
OVER_LIMIT = {"layers": [{"type": "Flatten"}, {"type": "Dense", "units": 200_000}, OUTPUT]}


def test_an_over_limit_spec_is_explained_on_build_and_refused_on_train(
    open_page, screenshot, tmp_path
):
    page = open_page("", heading="cnnviz")
    go_to(page, "Build", "Build your network")
    expect(page.get_by_text("Memory (estimate)")).to_be_visible(timeout=UI_TIMEOUT_MS)

    spec_file = tmp_path / "huge.json"
    spec_file.write_text(json.dumps(OVER_LIMIT))
    page.get_by_role("region", name="Load a spec file").get_by_test_id(
        "stFileUploaderDropzoneInput"
    ).set_input_files(str(spec_file))
    refusal = page.get_by_test_id("stAlert").filter(has_text="Too big for this server")
    expect(refusal).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(refusal).to_contain_text("at most 5,000,000")
    expect(page.get_by_text("ready to train")).to_have_count(0)
    assert_no_exception(page)
    screenshot(page, "01-build-refuses")

    go_to(page, "Train", "Train")
    expect(app_button(page, "Train")).to_be_disabled(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text("at most 5,000,000").first).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "02-train-refuses")
