"""The Learn page in headless Chromium: every lesson draws its figures and answers its
question; lesson 2's kernel editor changes the feature map, by mouse and by touch on a
1024x768 tablet in landscape and portrait."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from cnnviz.lessons import texts
from cnnviz.ui.lesson_views import all_views  # noqa: F401 - registers the views
from cnnviz.ui.lesson_views.registry import VIEWS

from .conftest import assert_no_exception, wait_until_idle, wait_until_loaded
from .steps import UI_TIMEOUT_MS, expect

LESSONS = texts.load_lessons()
# Lessons 7 and 8 come with their views; a lesson whose view is not in this build is skipped.
DRAWN = [lesson for lesson in LESSONS if lesson.view in VIEWS]
# Lesson 2's first figure is the picture beside its feature map (trace 1).
FIRST_MAP = "() => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[0]?.data?.[1]?.z)"
TABLET_SIZES = {
    "landscape": {"width": 1024, "height": 768},
    "portrait": {"width": 768, "height": 1024},
}


def feature_map(page, unlike: str | None = None) -> str:
    """Lesson 2's feature map as drawn (JSON), once drawn and, given `unlike`, once it differs."""
    page.wait_for_function(
        f"(unlike) => {{ const now = ({FIRST_MAP})(); return now && now !== unlike; }}",
        arg=unlike,
        timeout=UI_TIMEOUT_MS,
    )
    return page.evaluate(FIRST_MAP)


def heading(lesson) -> str:
    return f"{lesson.number}. {lesson.title}"


def answer_rightly(page, lesson) -> None:
    question = lesson.question
    page.get_by_text(question.answers[question.right], exact=True).click()
    wait_until_idle(page)
    expect(page.get_by_text(f"Right. {question.why[question.right]}")).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )


@pytest.mark.parametrize("lesson", DRAWN, ids=lambda lesson: f"lesson{lesson.number}")
def test_a_lesson_draws_and_its_question_answers(open_page, screenshot, lesson):
    page = open_page(f"learn?lesson={lesson.number}", heading=heading(lesson))
    if lesson.number == 9:
        # Lesson 9's only figure comes from a shared training, started by a click.
        page.get_by_role("button", name="Train both networks").click()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert_no_exception(page)
    # The workspace joined the lesson in the address.
    query = parse_qs(urlparse(page.url).query)
    assert query["lesson"] == [str(lesson.number)] and query["w"]
    answer_rightly(page, lesson)
    assert_no_exception(page)
    progress = f"Lesson {lesson.number} of {len(LESSONS)} · 1 of {len(LESSONS)} lessons done"
    expect(page.get_by_text(progress)).to_be_visible()
    screenshot(page, "answered")


def test_the_kernel_editor_changes_the_feature_map_and_next_keeps_the_workspace(open_page):
    page = open_page("learn?lesson=2", heading=heading(LESSONS[1]))
    before = feature_map(page)
    cell = page.get_by_label("weight row 1, column 1")
    cell.fill("4")
    cell.press("Enter")
    wait_until_idle(page)
    expect(page.get_by_text("plus the bias")).to_be_visible(timeout=UI_TIMEOUT_MS)
    # Raises when the map does not change within the time limit.
    feature_map(page, unlike=before)
    assert_no_exception(page)
    workspace = parse_qs(urlparse(page.url).query)["w"]
    page.get_by_role("button", name=f"3. {LESSONS[2].title} →").click()
    wait_until_loaded(page, heading(LESSONS[2]))
    query = parse_qs(urlparse(page.url).query)
    assert query["lesson"] == ["3"] and query["w"] == workspace


@pytest.mark.parametrize("orientation", list(TABLET_SIZES))
def test_the_kernel_editor_and_a_slider_work_by_touch(
    browser, app_server, screenshot_dir, orientation
):
    size = TABLET_SIZES[orientation]
    context = browser.new_context(viewport=size, has_touch=True, is_mobile=False)
    try:
        page = context.new_page()
        page.goto(f"{app_server.url}/learn?lesson=2", timeout=60_000)
        wait_until_loaded(page, heading(LESSONS[1]))
        before = feature_map(page)
        # A preset by a tap.
        page.get_by_role("radio", name="Sobel", exact=True).tap()
        wait_until_idle(page)
        expect(page.get_by_label("weight row 1, column 0")).to_have_value("-2.00")
        sobel = feature_map(page, unlike=before)
        # One cell by tapping its + button.
        cell = page.get_by_test_id("stNumberInput").nth(4)
        cell.get_by_test_id("stNumberInputStepUp").tap()
        wait_until_idle(page)
        expect(page.get_by_label("weight row 1, column 1")).to_have_value("0.50")
        feature_map(page, unlike=sobel)
        # The stride slider by a tap at the right end of its track: the output shrinks.
        stride = page.get_by_role("slider", name="Stride")
        # The range input sits on the thumb; the widget's box spans the whole track. A tap
        # goes to window coordinates, so the slider is scrolled into the window first.
        stride.scroll_into_view_if_needed()
        thumb = stride.bounding_box()
        widget = page.get_by_test_id("stSlider").filter(has=stride).bounding_box()
        page.touchscreen.tap(widget["x"] + widget["width"] - 4, thumb["y"] + thumb["height"] / 2)
        wait_until_idle(page)
        expect(stride).to_have_value("3", timeout=UI_TIMEOUT_MS)
        expect(page.get_by_text("the map is 9×9")).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert_no_exception(page)
        page.screenshot(path=str(screenshot_dir / f"touch-{orientation}.png"), full_page=True)
    finally:
        context.close()
