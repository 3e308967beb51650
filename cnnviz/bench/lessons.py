"""How fast the lessons' computations are: each lesson warm, lesson 7's first comparison, and
the shared comparison under many students at once.

    cnnviz bench lessons [--rounds N] [--students N]

The cases come from the lessons themselves: every module of cnnviz.lessons that offers
`bench_cases()` (a list of (lesson, what, function)) is measured, so a new lesson is measured
by adding that function to its module, not by editing this file. Printed: lesson 7's first
comparison (three trainings, with TensorFlow's import when this process has not paid it yet;
goal under 10 s), each case's first run (lesson 9's first training, say) and its median warm
time and CPU time over the rounds after it (goal under 1 s a lesson), and N threads asking for
one new setting at once (goal: one training). The last line is one JSON object for scripts; a
missed goal ends with exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import statistics
import sys
import threading
import time

from cnnviz.bench import lesson_pages

COLD_GOAL_SECONDS = 10.0
WARM_GOAL_SECONDS = 1.0


def discover_cases() -> tuple[list[tuple[int, str, object]], list[str]]:
    """Every lesson module's bench cases, by lesson, and the modules that offer none."""
    import cnnviz.lessons

    cases, without = [], []
    for module_info in pkgutil.iter_modules(cnnviz.lessons.__path__):
        module = importlib.import_module(f"cnnviz.lessons.{module_info.name}")
        offer = getattr(module, "bench_cases", None)
        if offer is None:
            without.append(module_info.name)
            continue
        cases.extend(offer())
    return sorted(cases, key=lambda case: case[0]), without


def _timed(function) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure_cold() -> tuple[float, bool]:
    """Seconds to lesson 7's first comparison, and whether that included TensorFlow's import."""
    from cnnviz.lessons import optimizers

    with_import = "tensorflow" not in sys.modules
    optimizers.forget_all()
    start = time.perf_counter()
    optimizers.comparison(optimizers.ComparisonSettings())
    return time.perf_counter() - start, with_import


def measure_warm(cases, rounds: int) -> list[dict]:
    """Each case's first run (a lesson 9 setting's training, say) and its median wall and CPU
    seconds over `rounds` after it."""
    rows = []
    for lesson, what, function in cases:
        first, _ = _timed(function)
        times = [_timed(function) for _ in range(rounds)]
        rows.append(
            {
                "lesson": lesson,
                "what": what,
                "first_s": first,
                "median_s": statistics.median(wall for wall, _ in times),
                "cpu_s": statistics.median(cpu for _, cpu in times),
            }
        )
    return rows


def measure_students(students: int) -> tuple[int, float]:
    """`students` threads ask at once for one setting no one has trained: how many trainings
    that caused, and the seconds until the last of them had its answer."""
    from cnnviz.lessons import optimizers

    settings = optimizers.ComparisonSettings(learning_rate=0.1)
    optimizers.forget_all()
    before = optimizers.trainings_run()
    start_together = threading.Barrier(students)
    answers = []

    def student():
        start_together.wait()
        answers.append(optimizers.comparison(settings))

    threads = [threading.Thread(target=student) for _ in range(students)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if len(answers) != students or any(answer is not answers[0] for answer in answers):
        raise RuntimeError("the students did not all get the same shared comparison")
    return optimizers.trainings_run() - before, seconds


def _print_warm(rows: list[dict]) -> tuple[dict, bool]:
    """Print each case and each lesson's total; return the totals and whether all met the goal."""
    print(f"{'lesson':<8}{'case':<44}{'first':>9}{'median':>9}{'CPU':>9}")
    for row in rows:
        print(
            f"{row['lesson']:<8}{row['what']:<44}{row['first_s'] * 1000:>7.0f}ms"
            f"{row['median_s'] * 1000:>7.0f}ms{row['cpu_s'] * 1000:>7.0f}ms"
        )
    lessons = {}
    for row in rows:
        total = lessons.setdefault(str(row["lesson"]), {"median_ms": 0.0, "cpu_ms": 0.0})
        total["median_ms"] += row["median_s"] * 1000
        total["cpu_ms"] += row["cpu_s"] * 1000
    all_ok = True
    for lesson, total in lessons.items():
        ok = total["median_ms"] < WARM_GOAL_SECONDS * 1000
        all_ok = all_ok and ok
        print(
            f"lesson {lesson} warm: {total['median_ms']:.0f} ms, CPU {total['cpu_ms']:.0f} ms "
            f"(goal < {WARM_GOAL_SECONDS * 1000:.0f} ms)  {'ok' if ok else 'SLOW'}"
        )
        total["median_ms"], total["cpu_ms"] = (
            round(total["median_ms"], 1),
            round(total["cpu_ms"], 1),
        )
    return lessons, all_ok


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=5, help="timed warm rounds per case")
    parser.add_argument(
        "--students", type=int, default=30, help="threads asking for one setting at once"
    )


def run(arguments: argparse.Namespace) -> dict:
    """Measure, print a table and return the summary."""
    if arguments.rounds < 1 or arguments.students < 1:
        raise ValueError(
            f"--rounds and --students must be at least 1. "
            f"Received: --rounds {arguments.rounds} --students {arguments.students}"
        )
    cases, without = discover_cases()
    cold, with_import = measure_cold()
    cold_ok = cold < COLD_GOAL_SECONDS
    print(
        f"lesson 7 first comparison: {cold:.2f} s"
        f"{' (with the TensorFlow import)' if with_import else ''}"
        f" (goal < {COLD_GOAL_SECONDS:.0f} s)  {'ok' if cold_ok else 'SLOW'}"
    )
    lessons, warm_ok = _print_warm(measure_warm(cases, arguments.rounds))
    pages = lesson_pages.page_times(arguments.rounds)
    for page in pages:
        ok = page["median_s"] < WARM_GOAL_SECONDS
        warm_ok = warm_ok and ok
        print(
            f"lesson {page['lesson']} whole page warm (AppTest): {page['median_s'] * 1000:.0f} ms"
            f" (first visit {page['first_s'] * 1000:.0f} ms; goal < "
            f"{WARM_GOAL_SECONDS * 1000:.0f} ms)  {'ok' if ok else 'SLOW'}"
        )
    if without:
        print(
            "modules of cnnviz.lessons without bench_cases() (their lessons are timed as whole "
            f"pages above): {', '.join(without)}"
        )
    trainings, seconds = measure_students(arguments.students)
    shared_ok = trainings == 1
    print(
        f"{arguments.students} students asking for one new setting at once: {trainings} "
        f"training{'s' if trainings != 1 else ''}, all answered in {seconds:.2f} s "
        f"(goal: 1 training)  {'ok' if shared_ok else 'MISSED'}"
    )
    return {
        "cold_comparison_s": round(cold, 2),
        "cold_with_tensorflow_import": with_import,
        "lessons": lessons,
        "whole_lessons": pages,
        "students": arguments.students,
        "trainings_for_students": trainings,
        "students_answered_s": round(seconds, 2),
        "not_measured": without,
        "goal_met": cold_ok and warm_ok and shared_ok,
    }
