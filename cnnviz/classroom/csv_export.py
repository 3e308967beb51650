"""The class view as CSV: names and figures only (never a workspace's address), every cell
that a spreadsheet would take for a formula escaped with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io

from cnnviz.classroom.names import display_name
from cnnviz.classroom.overview import StudentRow

# What a teacher scans first comes first: who, doing what, how well, and any trouble.
COLUMNS = (
    "Student",
    "State",
    "Best test accuracy",
    "Trouble",
    "Lessons",
    "Parameters",
    "Data set",
    "Layers",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell's text, with an apostrophe before a leading =, +, -, @ (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def lessons_text(done: int, lesson_count: int | None) -> str:
    """ "3 of 9" lessons done, or "3" when the number of lessons is not known."""
    return f"{done} of {lesson_count}" if lesson_count else str(done)


def table_rows(
    rows: list[StudentRow], escaped: bool = False, lesson_count: int | None = None
) -> list[dict]:
    """The class view's table as plain dicts, one per student (the page's table and the CSV).

    Args:
        escaped: escape the text cells a spreadsheet could take for formulas (the name, the
            data set's), as `safe_cell` does.
        lesson_count: the number of lessons, for the Lessons column's "done of all".
    """
    text = safe_cell if escaped else str
    return [
        {
            "Student": text(display_name(row.name, row.number)),
            "State": row.state,
            "Best test accuracy": (
                None if row.best_accuracy is None else round(100 * row.best_accuracy, 2)
            ),
            "Trouble": ", ".join(row.troubles),
            "Lessons": lessons_text(row.lessons_done, lesson_count),
            "Parameters": row.params,
            "Data set": text(row.dataset),
            "Layers": row.layers,
        }
        for row in rows
    ]


def to_csv(rows: list[StudentRow], lesson_count: int | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for values in table_rows(rows, lesson_count=lesson_count):
        writer.writerow([safe_cell(values[column]) for column in COLUMNS])
    return buffer.getvalue()
