"""Each lesson's whole Learn page, warm: its text, its view's numbers and figures, its question.

An AppTest run of `/learn?lesson=N` (the page as the server runs it, without a browser): the
first run pays the imports and caches, then the median of `rounds` reruns is what a student
waits for after a change. Every lesson the text files declare is measured, 1 to 6 included.
"""

from __future__ import annotations

import logging
import statistics
import time

from cnnviz import app_files
from cnnviz.lessons import texts

LEARN_PAGE = app_files.page_script("learn")


def page_times(rounds: int) -> list[dict]:
    """(lesson, title, first_s, median_s) per lesson: a fresh visitor's first run, then reruns.

    Raises:
        RuntimeError: when a lesson's page shows an exception.
    """
    from streamlit.testing.v1 import AppTest

    # AppTest runs scripts without a server; Streamlit warns of that on every cached call.
    streamlit_log = logging.getLogger("streamlit")
    level = streamlit_log.level
    streamlit_log.setLevel(logging.ERROR)
    try:
        return [_page_time(AppTest, lesson, rounds) for lesson in texts.load_lessons()]
    finally:
        streamlit_log.setLevel(level)


def _page_time(app_test, lesson: texts.Lesson, rounds: int) -> dict:
    app = app_test.from_file(str(app_files.app_dir() / app_files.APP_SCRIPT), default_timeout=120)
    app.query_params["lesson"] = str(lesson.number)
    start = time.perf_counter()
    app.switch_page(LEARN_PAGE).run()
    first = time.perf_counter() - start
    if app.exception:
        raise RuntimeError(f"lesson {lesson.number}'s page failed: {app.exception[0].value}")
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - start)
    return {
        "lesson": lesson.number,
        "title": lesson.title,
        "first_s": round(first, 3),
        "median_s": round(statistics.median(times), 3),
    }
