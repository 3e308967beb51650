"""How the teacher's views scale (issue 20): the class view and the challenge's leaderboard with
a class of 100 students, 10 of them training.

    cnnviz bench class [--students N] [--training N] [--rounds N]

The class is made through the library (Store.save_workspace and save_run, in a new temporary
state folder): each student has a named workspace with a spec and lesson progress, and one to
three kept runs; the training ones have a run stamped as training. Then, over the rounds
(medians):

- the class view: its one query, the rows, the table and its styling (what one refresh of the
  Teacher page's fragment computes);
- the leaderboard: its query, the ranking, the tables and the projector's figure;
- one AppTest render of the Teacher page, signed in (the whole page, all of its parts);
- the refresh's cost: CPU time per class-view refresh / its interval while students train, as
  % of one core;
- the SQL statements per refresh, counted with SQLAlchemy's before_cursor_execute.

Goals: each render under 1 s, the refresh under 5 % of one core. The last line is one JSON
object for scripts; a missed goal ends with exit status 1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

RENDER_GOAL_SECONDS = 1.0
CPU_GOAL_PERCENT = 5.0
PASSWORD = "bench-class"
TRAINING_COLOUR = "background-color: #fde2e1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=100, help="students in the class")
    parser.add_argument("--training", type=int, default=10, help="of them, training now")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (medians)")


def _record(run_id: int, params: int, accuracy: float | None, epochs: int, spec: dict) -> dict:
    """A kept run's record as RunRecord.to_dict() makes it (the fields the views read)."""
    per_epoch = [round(0.5 + 0.08 * step, 3) for step in range(epochs)]
    return {
        "run_id": run_id,
        "name": f"Run {run_id}",
        "dataset": "mnist",
        "spec": spec,
        "settings": {"epochs": epochs, "train_limit": 2000, "batch_size": 64},
        "state": "finished",
        "message": "",
        "epochs": epochs,
        "params": params,
        "test_accuracy": accuracy,
        "test_loss": None,
        "train_seconds": 20.0 + run_id,
        "samples_per_second": 1500.0,
        "history": {
            "epoch": {"accuracy": per_epoch, "val_accuracy": per_epoch},
            "batch": {"accuracy": [0.1 + 0.002 * step for step in range(100)]},
        },
    }


def make_class(store, students: int, training: int) -> None:
    """The class, through the store's own functions."""
    from cnnviz.training import presets

    spec = presets.preset_spec("tiny", (28, 28, 1), 10)
    for number in range(students):
        workspace_id = f"bench-student-{number:04d}"
        data = {
            "cnnviz_spec": spec,
            "cnnviz_dataset": "mnist",
            "cnnviz_lessons": {"done": list(range(1, number % 9 + 1)), "right": {}},
        }
        store.save_workspace(workspace_id, data, name=f"Student name {number}")
        runs = 1 + number % 3
        for run_id in range(1, runs + 1):
            is_training = number < training and run_id == runs
            accuracy = None if is_training else 0.8 + (number * 7 + run_id) % 19 / 100
            store.save_run(
                workspace_id,
                run_id,
                _record(run_id, 13_610 + 1000 * (number % 5), accuracy, 1 + run_id, spec),
                state="running" if is_training else "finished",
                epochs_done=run_id,
                test_accuracy=accuracy,
                training=is_training,
            )


class StatementCounter:
    """Counts the SQL statements every engine of this process sends (transactions aside)."""

    def __init__(self) -> None:
        self.count = 0
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            self.count += 1

    def close(self) -> None:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", self._seen)


def _timed(function) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def class_view_refresh(engine) -> None:
    """What one refresh of the class view computes (cnnviz.ui.class_view._draw's library part)."""
    import pandas as pd

    from cnnviz.classroom import csv_export, overview
    from cnnviz.classroom import settings as class_settings
    from cnnviz.store import classroom as class_store

    since = time.time() - class_settings.class_hours() * 3600
    rows = overview.class_overview(class_store.class_rows(engine, since), time.time())
    table = pd.DataFrame(csv_export.table_rows(rows, escaped=True, lesson_count=9))
    for column in ("Parameters", "Best test accuracy"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    styled = table.style.apply(
        lambda row: [TRAINING_COLOUR if row["Trouble"] else ""] * len(row), axis=1
    )
    styled.to_html()  # computes every cell's style, as Streamlit does when it sends the table


def leaderboard_refresh(engine, challenge) -> None:
    """The leaderboard's query, ranking, tables and the projector's figure."""
    import pandas as pd

    from cnnviz.classroom import leaderboard
    from cnnviz.figures import projector
    from cnnviz.store import class_settings

    board = leaderboard.rank(challenge, class_settings.challenge_runs(engine, challenge.started_at))
    pd.DataFrame(leaderboard.table_rows(board))
    pd.DataFrame(leaderboard.not_counted_rows(board))
    projector.plot_leaderboard(leaderboard.table_rows(board)).to_json()


def _median_rounds(function, rounds: int, counter: StatementCounter) -> tuple[float, float, float]:
    """Median wall and CPU seconds over the rounds, and the statements one round sends."""
    function()  # warm: imports, caches
    walls, cpus = [], []
    before = counter.count
    for _ in range(rounds):
        wall, cpu = _timed(function)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus), (counter.count - before) / rounds


def teacher_page_render(rounds: int, students: int) -> float | None:
    """Median seconds of an AppTest rerun of the Teacher page signed in, its table showing
    every student; None when it did not render."""
    from streamlit.testing.v1 import AppTest

    from cnnviz import app_files

    app = AppTest.from_file(str(app_files.app_dir() / app_files.APP_SCRIPT), default_timeout=60)
    app.run()
    app.switch_page(app_files.page_script("teacher")).run()
    [box for box in app.text_input if box.label == "Class password"][0].input(PASSWORD)
    [button for button in app.button if button.label == "Sign in"][0].click().run()
    if app.exception or not app.dataframe or len(app.dataframe[0].value) != students:
        return None
    return statistics.median(_timed(app.run)[0] for _ in range(rounds))


def _prepare(arguments: argparse.Namespace):
    """Checks the options; makes the class and its challenge in a new state folder."""
    if arguments.students < 1 or not 0 <= arguments.training <= arguments.students:
        raise ValueError(
            "--students must be at least 1 and --training between 0 and --students. "
            f"Received: --students {arguments.students} --training {arguments.training}"
        )
    if arguments.rounds < 1:
        raise ValueError(f"--rounds must be at least 1. Received: --rounds {arguments.rounds}")
    from cnnviz.classroom import challenge as challenge_module
    from cnnviz.store import class_settings as settings_store
    from cnnviz.store import database, settings

    folder = Path(tempfile.mkdtemp(prefix="cnnviz-bench-class-"))
    # The AppTest's app opens its own store from these, on the same database.
    os.environ["CNNVIZ_STATE_DIR"] = str(folder)
    os.environ["CNNVIZ_TEACHER_PASSWORD"] = PASSWORD
    store = database.open_store(settings.store_settings_from_environment())
    made = _timed(lambda: make_class(store, arguments.students, arguments.training))[0]
    challenge = challenge_module.make(
        "Bench cup", "mnist", max_params=15_000, max_epochs=3, started_at=0.0
    )
    settings_store.write_setting(store.engine, settings_store.CHALLENGE, challenge.to_dict())
    print(f"class of {arguments.students} ({arguments.training} training) made in {made:.1f} s")
    return store, challenge


def run(arguments: argparse.Namespace) -> dict:
    """Make the class, measure, print the figures and return the summary."""
    from cnnviz.classroom import settings as class_settings

    store, challenge = _prepare(arguments)
    counter = StatementCounter()
    try:
        view_wall, view_cpu, view_sql = _median_rounds(
            lambda: class_view_refresh(store.engine), arguments.rounds, counter
        )
        board_wall, board_cpu, board_sql = _median_rounds(
            lambda: leaderboard_refresh(store.engine, challenge), arguments.rounds, counter
        )
        page_before = counter.count
        page = teacher_page_render(arguments.rounds, arguments.students)
        # Per script run: the rounds and the three runs that opened and signed in.
        page_sql = (counter.count - page_before) / (arguments.rounds + 3)
    finally:
        counter.close()
        store.close()
    interval = class_settings.CLASS_VIEW_TRAINING_SECONDS
    cpu_percent = 100 * view_cpu / interval
    board_percent = 100 * board_cpu / class_settings.LEADERBOARD_SECONDS
    print(f"class view refresh:  {view_wall * 1000:7.1f} ms ({view_sql:.0f} SQL statements)")
    print(f"leaderboard refresh: {board_wall * 1000:7.1f} ms ({board_sql:.0f} SQL statements)")
    if page is None:
        print("Teacher page (AppTest, signed in): did not render")
    else:
        print(f"Teacher page render (AppTest, signed in, whole page): {page * 1000:.0f} ms")
    print(
        f"refresh cost: {view_cpu * 1000:.1f} ms CPU every {interval} s = {cpu_percent:.2f} % "
        f"of one core (leaderboard every {class_settings.LEADERBOARD_SECONDS} s: "
        f"{board_percent:.2f} %)"
    )
    renders = [view_wall, board_wall, *([] if page is None else [page])]
    return {
        "benchmark": "class",
        "students": arguments.students,
        "training": arguments.training,
        "class_view_seconds": round(view_wall, 4),
        "leaderboard_seconds": round(board_wall, 4),
        "teacher_page_seconds": None if page is None else round(page, 3),
        "refresh_cpu_percent": round(cpu_percent + board_percent, 3),
        "sql_per_class_view_refresh": view_sql,
        "sql_per_leaderboard_refresh": board_sql,
        "sql_per_teacher_page_run": round(page_sql, 1),
        "goal_met": max(renders) < RENDER_GOAL_SECONDS
        and cpu_percent + board_percent < CPU_GOAL_PERCENT,
    }
