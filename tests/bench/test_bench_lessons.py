"""`cnnviz bench lessons`: each lesson warm, lesson 7's first comparison, the shared cache."""

import json

import pytest

from cnnviz.bench import lessons
from cnnviz.cli import main as cli


def run_cli(arguments, capsys):
    status = cli.main(arguments)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def printed():
    """One real run, small: 1 round a case, 4 students."""
    capture = pytest.MonkeyPatch()
    lines = []
    capture.setattr("builtins.print", lambda *parts, **_: lines.append(" ".join(map(str, parts))))
    try:
        status = cli.main(["bench", "lessons", "--rounds", "1", "--students", "4"])
    finally:
        capture.undo()
    return status, lines


def test_the_cases_come_from_the_lesson_modules_themselves():
    cases, without = lessons.discover_cases()
    numbers = [lesson for lesson, _, _ in cases]
    assert numbers == sorted(numbers) and {7, 8, 9} <= set(numbers)
    assert {"descent", "optimizers", "backprop", "overfitting"}.isdisjoint(without)
    assert "once" in without


def test_a_run_prints_each_lesson_the_cold_comparison_and_one_training(printed):
    status, lines = printed
    assert status == 0
    assert lines[0].startswith("lesson 7 first comparison: ") and lines[0].endswith("ok")
    assert any(line.startswith("lesson 7 warm: ") for line in lines)
    assert any(line.startswith("lesson 8 warm: ") for line in lines)
    assert "4 students asking for one new setting at once: 1 training," in lines[-2]
    summary = json.loads(lines[-1])
    assert summary["trainings_for_students"] == 1 and summary["students"] == 4
    assert summary["cold_comparison_s"] < lessons.COLD_GOAL_SECONDS
    assert set(summary["lessons"]) >= {"7", "8"}
    assert all(row["median_ms"] < 1000 for row in summary["lessons"].values())
    # Every lesson's whole page, 1 to 6 included, timed as a student's rerun.
    assert [page["lesson"] for page in summary["whole_lessons"]] == list(range(1, 10))
    assert all(0 < page["median_s"] < 1 for page in summary["whole_lessons"])
    assert any(line.startswith("lesson 2 whole page warm (AppTest): ") for line in lines)
    assert summary["goal_met"] is True


def test_a_missed_goal_ends_with_status_1(capsys, monkeypatch):
    monkeypatch.setattr(lessons, "discover_cases", lambda: ([(7, "slow", lambda: None)], []))
    monkeypatch.setattr(lessons, "measure_cold", lambda: (12.5, True))
    monkeypatch.setattr(lessons, "measure_students", lambda students: (2, 1.0))
    monkeypatch.setattr(lessons.lesson_pages, "page_times", lambda rounds: [])
    status, out, _ = run_cli(["bench", "lessons", "--rounds", "1"], capsys)
    assert status == 1
    lines = out.strip().splitlines()
    assert lines[0].endswith("SLOW")
    assert "2 trainings" in lines[-2] and lines[-2].endswith("MISSED")
    assert json.loads(lines[-1])["goal_met"] is False


def test_bad_options_are_refused_before_any_work(capsys):
    status, out, err = run_cli(["bench", "lessons", "--students", "0"], capsys)
    assert status == 2 and out == ""
    assert "--rounds and --students must be at least 1" in err
