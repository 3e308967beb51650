"""A student's progress through the lessons, as plain JSON data kept in their workspace:
{"done": [1, 2], "right": {"1": true, "2": false}} (JSON object keys are texts).

A lesson is done once its check question is answered (the question sits under the lesson, so
answering means the lesson was seen); "right" keeps whether the latest answer was right.
"""

from __future__ import annotations


def empty() -> dict:
    """Progress with nothing done."""
    return {"done": [], "right": {}}


def record_answer(progress: dict, number: int, is_right: bool) -> dict:
    """Mark lesson `number` done and keep whether its answer was right (changes `progress`)."""
    done = progress.setdefault("done", [])
    if number not in done:
        done.append(int(number))
        done.sort()
    progress.setdefault("right", {})[str(int(number))] = bool(is_right)
    return progress


def is_done(progress: dict, number: int) -> bool:
    return int(number) in progress.get("done", [])


def is_right(progress: dict, number: int) -> bool:
    return bool(progress.get("right", {}).get(str(int(number)), False))


def summary(progress: dict, lesson_count: int) -> str:
    """E.g. "3 of 8 lessons done, 2 answers right"."""
    done = sum(1 for number in range(1, lesson_count + 1) if is_done(progress, number))
    right = sum(1 for number in range(1, lesson_count + 1) if is_right(progress, number))
    return f"{done} of {lesson_count} lessons done, {right} answered right"
