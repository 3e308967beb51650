"""The Learn page: the list of lessons, one lesson (its text, its view, its check question and
its Try it button), and the student's progress.

A lesson is at /learn?lesson=N. The workspace's ?w= stays in the address beside it (state
.workspace() puts it there), so progress is recorded in the student's own workspace.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import app_files
from cnnviz.lessons import progress, texts
from cnnviz.lessons.texts import Lesson
from cnnviz.ui import lesson_try_it, state
from cnnviz.ui.lesson_views import all_views  # noqa: F401 - registers every view
from cnnviz.ui.lesson_views.registry import VIEWS

LESSON_PARAMETER = "lesson"
PAGE = app_files.page_script("learn")
# Streamlit's bundled icon font (an emoji tick needs a font the browser may not have).
DONE_ICON = ":material/check_circle:"
TO_DO_ICON = ":material/radio_button_unchecked:"


def requested_number() -> str | None:
    """The lesson the address asks for (?lesson=N), as written; None when it names none."""
    return st.query_params.get(LESSON_PARAMETER)


def lesson_progress() -> dict:
    return state.workspace().setdefault(state.LESSONS, progress.empty())


def go_to(number: int) -> None:
    """Show another lesson: only ?lesson= changes, so ?w= stays (a button's callback)."""
    st.query_params[LESSON_PARAMETER] = str(number)


def lesson_list(lessons: list[Lesson], current: int | None) -> None:
    """Every lesson as a link carrying the workspace, a tick on those done."""
    done = lesson_progress()
    st.markdown(f"**Lessons** · {progress.summary(done, len(lessons))}")
    for lesson in lessons:
        finished = progress.is_done(done, lesson.number)
        label = f"{lesson.number}. {lesson.title}"
        if lesson.number == current:
            label += " (this one)"
        st.page_link(
            PAGE,
            label=label,
            icon=DONE_ICON if finished else TO_DO_ICON,
            query_params={
                LESSON_PARAMETER: str(lesson.number),
                state.QUERY_PARAMETER: state.workspace_id(),
            },
        )


def question(lesson: Lesson) -> None:
    """The check question: no answer chosen at first; an answer is judged at once."""
    asked = lesson.question
    st.subheader("Check yourself")
    answer = st.radio(
        asked.text,
        range(len(asked.answers)),
        format_func=lambda index: asked.answers[index],
        index=None,
        key=f"lesson{lesson.number}_question",
    )
    if answer is None:
        return
    right = asked.is_right(answer)
    progress.record_answer(lesson_progress(), lesson.number, right)
    if right:
        st.success(f"Right. {asked.why[answer]}", icon=":material/check_circle:")
    else:
        st.error(f"Not quite. {asked.why[answer]}", icon=":material/cancel:")


def navigation(lessons: list[Lesson], number: int) -> None:
    before, after = st.columns(2)
    with before:
        if number > 1:
            st.button(
                f"← {number - 1}. {lessons[number - 2].title}",
                key=f"lesson{number}_previous",
                on_click=go_to,
                args=(number - 1,),
            )
    with after:
        if number < len(lessons):
            st.button(
                f"{number + 1}. {lessons[number].title} →",
                key=f"lesson{number}_next",
                on_click=go_to,
                args=(number + 1,),
            )


def show_lesson(lessons: list[Lesson], lesson: Lesson) -> None:
    st.title(f"{lesson.number}. {lesson.title}")
    # Filled at the end, once this run's answer is recorded (the sidebar is hidden on a tablet
    # held upright, so the progress is said here too).
    progress_line = st.empty()
    st.markdown(lesson.prose)
    view = VIEWS.get(lesson.view)
    if view is None:
        st.info(
            f"This lesson's interactive part ({lesson.view!r}) is not available in this "
            "version of cnnviz; the text and the question are.",
            icon=":material/construction:",
        )
    else:
        view()
    question(lesson)
    st.subheader("Try it")
    lesson_try_it.try_it_button(lesson.try_it, lesson.number)
    st.divider()
    navigation(lessons, lesson.number)
    progress_line.caption(
        f"Lesson {lesson.number} of {len(lessons)} · "
        f"{progress.summary(lesson_progress(), len(lessons))}"
    )


def draw() -> None:
    """The whole page."""
    try:
        lessons = texts.load_lessons()
    except ValueError as error:
        st.error(f"A lesson file cannot be read: {error}")
        return
    if not lessons:
        st.error(f"There are no lessons in {texts.lessons_dir()}.")
        return
    asked = requested_number()
    if asked is None:
        number = 1
    elif asked.isdigit() and 1 <= int(asked) <= len(lessons):
        number = int(asked)
    else:
        st.title("Learn")
        st.error(
            f"There is no lesson {asked!r}: the lessons are numbered 1 to {len(lessons)}. "
            "Choose one below.",
            icon=":material/search_off:",
        )
        lesson_list(lessons, None)
        return
    show_lesson(lessons, lessons[number - 1])
    # After the lesson: its answer, recorded while drawing it, is counted in the list.
    with st.sidebar:
        lesson_list(lessons, number)
