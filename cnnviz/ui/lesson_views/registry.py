"""Each lesson's interactive view, by the name its text file gives (`view = "..."`).

A view draws its widgets and figures with Streamlit, calling cnnviz.lessons for the numbers and
cnnviz.figures for the pictures, and puts a one-line text description beside every figure. The
Learn page draws a lesson's text, then its view, then its check question.
"""

from __future__ import annotations

from collections.abc import Callable

LessonView = Callable[[], None]

VIEWS: dict[str, LessonView] = {}


def lesson_view(name: str) -> Callable[[LessonView], LessonView]:
    """Register the decorated function as the view called `name`.

    Raises:
        ValueError: when another view already has that name.
    """

    def register(view: LessonView) -> LessonView:
        if name in VIEWS:
            raise ValueError(f"Two lesson views are called {name!r}; give one another name.")
        VIEWS[name] = view
        return view

    return register
