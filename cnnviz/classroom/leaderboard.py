"""The challenge's leaderboard (issue 20): each student's best counted run, ranked, and the runs
that broke a rule with the reason.

Ranked by the test accuracy the server measured; a tie goes to fewer parameters, then to the
earlier finish. Students are shown by the name they chose or "Student N", never by address.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.classroom.challenge import Challenge, reasons_not_counted
from cnnviz.classroom.names import display_name
from cnnviz.store.class_settings import ScoredRun


@dataclass(frozen=True)
class Entry:
    """One place on the leaderboard: a student's best counted run."""

    rank: int
    student: str
    run_id: int
    test_accuracy: float
    params: int
    train_seconds: float
    finished_at: float
    runs_counted: int


@dataclass(frozen=True)
class NotCounted:
    """A run that broke a rule, and why."""

    student: str
    run_id: int
    test_accuracy: float | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Leaderboard:
    challenge: Challenge
    entries: list[Entry]
    not_counted: list[NotCounted]


def _sort_key(run: ScoredRun) -> tuple:
    return (-float(run.test_accuracy), int(run.record.get("params") or 0), run.finished_at)


def rank(challenge: Challenge, runs: list[ScoredRun]) -> Leaderboard:
    """The leaderboard of `runs` (cnnviz.store.class_settings.challenge_runs) for `challenge`."""
    counted: dict[str, list[ScoredRun]] = {}
    not_counted = []
    names = {}
    for run in runs:
        if run.finished_at < challenge.started_at:
            continue  # from before the challenge
        names[run.workspace_id] = display_name(run.name, run.number)
        reasons = reasons_not_counted(
            challenge, run.record, run.state, run.test_accuracy, run.finished_at
        )
        if reasons:
            not_counted.append(
                NotCounted(names[run.workspace_id], run.run_id, run.test_accuracy, tuple(reasons))
            )
        else:
            counted.setdefault(run.workspace_id, []).append(run)
    best = sorted(
        (
            (min(student_runs, key=_sort_key), len(student_runs))
            for student_runs in counted.values()
        ),
        key=lambda pair: _sort_key(pair[0]),
    )
    entries = []
    for place, (run, count) in enumerate(best, start=1):
        entries.append(
            Entry(
                rank=place,
                student=names[run.workspace_id],
                run_id=run.run_id,
                test_accuracy=float(run.test_accuracy),
                params=int(run.record.get("params") or 0),
                train_seconds=float(run.record.get("train_seconds") or 0.0),
                finished_at=run.finished_at,
                runs_counted=count,
            )
        )
    return Leaderboard(challenge, entries, not_counted)


def table_rows(board: Leaderboard) -> list[dict]:
    """The ranked table as plain dicts (names are text; shown escaped by the page)."""
    return [
        {
            "Rank": entry.rank,
            "Student": entry.student,
            "Test accuracy": round(100 * entry.test_accuracy, 2),
            "Parameters": entry.params,
            "Training time (s)": round(entry.train_seconds, 1),
            "Run": entry.run_id,
        }
        for entry in board.entries
    ]


def not_counted_rows(board: Leaderboard) -> list[dict]:
    return [
        {
            "Student": item.student,
            "Run": item.run_id,
            "Test accuracy": None
            if item.test_accuracy is None
            else round(100 * item.test_accuracy, 2),
            "Not counted because": "; ".join(item.reasons),
        }
        for item in board.not_counted
    ]
