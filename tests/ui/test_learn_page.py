"""The Learn page in AppTest: every lesson draws, the question answers, progress is kept in the
workspace, the lessons link to each other keeping the workspace, and Try it sets pages up."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.lessons import texts
from cnnviz.ui import learn
from cnnviz.ui import state as keys
from helpers.apptest import TIMEOUT_SECONDS, assert_no_exception, button
from helpers.paths import APP, REPO

LESSONS = texts.load_lessons()


def open_lesson(number) -> AppTest:
    """A new visitor opening /learn?lesson=number (no workspace in the address)."""
    app = AppTest.from_file(APP, default_timeout=TIMEOUT_SECONDS)
    app.run()
    app.switch_page("pages/learn.py")
    if number is not None:
        app.query_params["lesson"] = str(number)
    app.run()
    assert_no_exception(app)
    return app


def plotly_specs(app: AppTest) -> list[str]:
    return [chart.proto.spec for chart in app.get("plotly_chart")]


def work(app: AppTest) -> dict:
    return app.session_state[keys.WORKSPACE]


@pytest.mark.parametrize("number", range(1, 7))
def test_each_lesson_draws_its_text_figures_captions_and_question(number):
    lesson = LESSONS[number - 1]
    app = open_lesson(number)
    assert app.title[0].value == f"{number}. {lesson.title}"
    charts = app.get("plotly_chart")
    assert charts, "no figure"
    # Every figure has its one-line description.
    assert len(app.caption) >= len(charts)
    question = app.radio(key=f"lesson{number}_question")
    assert question.value is None  # nothing chosen before the student answers
    assert question.options == list(lesson.question.answers)
    assert app.button(key=f"lesson{number}_try_it").label == lesson.try_it.label
    # The workspace is in the address beside the lesson.
    assert app.query_params["lesson"] == str(number)
    assert app.query_params[keys.QUERY_PARAMETER] == app.session_state[keys.WORKSPACE_ID]


def test_the_workspace_and_the_lesson_share_the_address():
    app = open_lesson(3)
    workspace_id = app.session_state[keys.WORKSPACE_ID]
    assert app.query_params[keys.QUERY_PARAMETER] == workspace_id
    app.button(key="lesson3_next").click().run()
    assert_no_exception(app)
    assert app.title[0].value == f"4. {LESSONS[3].title}"
    assert app.query_params["lesson"] == "4"
    assert app.query_params[keys.QUERY_PARAMETER] == workspace_id
    app.button(key="lesson4_previous").click().run()
    assert app.title[0].value == f"3. {LESSONS[2].title}"
    assert app.query_params[keys.QUERY_PARAMETER] == workspace_id


def test_no_lesson_number_shows_lesson_1_and_the_first_has_no_previous():
    app = open_lesson(None)
    assert app.title[0].value == f"1. {LESSONS[0].title}"
    assert not [b for b in app.button if b.key == "lesson1_previous"]


@pytest.mark.parametrize("asked", ["99", "0", "two"])
def test_an_unknown_lesson_says_so_and_lists_the_lessons(asked):
    app = open_lesson(asked)
    assert f"There is no lesson '{asked}'" in app.error[0].value
    assert f"numbered 1 to {len(LESSONS)}" in app.error[0].value
    links = [element for element in app.get("page_link")]
    assert len(links) == len(LESSONS)
    assert not app.get("plotly_chart")


def test_a_wrong_then_a_right_answer_is_judged_and_kept_in_the_workspace():
    lesson = LESSONS[1]
    wrong = (lesson.question.right + 1) % len(lesson.question.answers)
    app = open_lesson(2)
    assert work(app)[keys.LESSONS]["done"] == []
    app.radio(key="lesson2_question").set_value(wrong).run()
    assert_no_exception(app)
    assert app.error[0].value == f"Not quite. {lesson.question.why[wrong]}"
    assert work(app)[keys.LESSONS]["done"] == [2]
    assert work(app)[keys.LESSONS]["right"] == {"2": False}
    app.radio(key="lesson2_question").set_value(lesson.question.right).run()
    assert app.success[0].value == f"Right. {lesson.question.why[lesson.question.right]}"
    progress = work(app)[keys.LESSONS]
    assert progress["right"] == {"2": True}
    # Plain JSON, ready for the database (the lessons' shared choices included).
    assert json.loads(json.dumps(progress)) == progress
    # The list of lessons ticks lesson 2 and counts it.
    links = [link.proto for link in app.get("page_link")]
    assert links[1].label == "2. Convolution (this one)"
    assert [link.icon for link in links[:3]] == [
        learn.TO_DO_ICON,
        learn.DONE_ICON,
        learn.TO_DO_ICON,
    ]
    assert any(f"1 of {len(LESSONS)} lessons done" in m.value for m in app.sidebar.markdown)
    assert app.caption[0].value == (
        f"Lesson 2 of {len(LESSONS)} · 1 of {len(LESSONS)} lessons done, 1 answered right"
    )


def test_the_kernel_editor_changes_the_feature_map_and_the_choice_carries_to_lesson_3():
    app = open_lesson(2)
    before = plotly_specs(app)
    app.number_input(key="lesson2_cell_1_1").set_value(4.0).run()
    assert_no_exception(app)
    after = plotly_specs(app)
    assert after[0] != before[0]
    assert work(app)[keys.LESSONS]["lab"]["kernel"][1][1] == 4.0
    # A preset fills all nine cells.
    app.segmented_control(key="lesson2_preset").set_value("blur").run()
    assert app.number_input(key="lesson2_cell_0_2").value == pytest.approx(1 / 9)
    assert work(app)[keys.LESSONS]["lab"]["kernel"][2][0] == pytest.approx(1 / 9)
    app.button(key="lesson2_next").click().run()
    assert any("0.11 0.11 0.11" in caption.value for caption in app.caption)


def test_stride_and_padding_change_the_output_size():
    app = open_lesson(2)
    app.slider(key="lesson2_stride").set_value(2).run()
    assert any("floor((28 − 3) / 2) + 1 = 13" in m.value for m in app.markdown)
    app.segmented_control(key="lesson2_padding").set_value("same").run()
    assert_no_exception(app)
    assert any("ceil(28 / 2) = 14" in m.value for m in app.markdown)


def test_try_it_in_lesson_2_loads_a_5x5_first_kernel_keeping_undo():
    app = open_lesson(2)
    old_spec = json.loads(json.dumps(work(app)[keys.SPEC]))
    app.button(key="lesson2_try_it").click().run()
    assert_no_exception(app)
    spec = work(app)[keys.SPEC]
    first_conv = next(layer for layer in spec["layers"] if layer["type"] == "Conv2D")
    assert first_conv["kernel_size"] == 5
    assert work(app)[keys.SPEC_UNDO] == old_spec
    assert app.title[0].value == "Build your network"
    # AppTest's next run goes back to the page it last switched to itself: switch it too.
    app.switch_page("pages/build.py").run()
    undo = button(app, "Undo")
    assert not undo.disabled
    undo.click().run()
    assert work(app)[keys.SPEC] == old_spec


def test_try_it_in_lesson_6_sets_the_training_settings():
    app = open_lesson(6)
    app.button(key="lesson6_try_it").click().run()
    assert_no_exception(app)
    assert work(app)[keys.TRAIN_SETTINGS]["epochs"] == 1


def test_a_lesson_whose_view_is_missing_still_shows_its_text_and_question(tmp_path, monkeypatch):
    source = (REPO / "assets" / "lessons" / "06-loss.md").read_text(encoding="utf-8")
    (tmp_path / "01-loss.md").write_text(source.replace('view = "loss"', 'view = "later"'))
    monkeypatch.setattr(texts, "lessons_dir", lambda: tmp_path)
    app = open_lesson(1)
    assert "('later') is not available" in app.info[0].value
    assert app.radio(key="lesson1_question").value is None


def test_the_learn_page_opens_without_tensorflow():
    code = f"""
import sys
sys.path.insert(0, {str(REPO / "tests")!r})
from streamlit.testing.v1 import AppTest
for number in range(1, 7):
    app = AppTest.from_file({APP!r}, default_timeout=60)
    app.run()
    app.switch_page("pages/learn.py")
    app.query_params["lesson"] = str(number)
    app.run()
    assert not app.exception, app.exception
assert "tensorflow" not in sys.modules, "the Learn page imported TensorFlow"
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=300)


def test_an_uploaded_picture_is_convolved(tmp_path):
    import io

    import numpy as np
    from PIL import Image

    pixels = np.zeros((30, 20), np.uint8)
    pixels[:, 10:] = 255  # one vertical edge
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    app = open_lesson(2)
    app.segmented_control(key="lesson2_source").set_value("Your picture").run()
    assert "until you upload one" in app.info[0].value
    app.file_uploader(key="lesson2_upload").upload("edge.png", buffer.getvalue(), "image/png")
    app.run()
    assert_no_exception(app)
    assert any("the map is 28×18" in m.value for m in app.markdown)
    assert "your picture" in app.caption[1].value
