"""The teacher's class query (one SELECT per refresh) and the hand-outs table."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from cnnviz.store import classroom, schema

HOUR = 3600.0


def set_times(store, workspace_id: str, *, visited: float, created: float) -> None:
    table = schema.workspaces
    with store.engine.begin() as connection:
        connection.execute(
            sa.update(table)
            .where(table.c.workspace_id == workspace_id)
            .values(last_visit=visited, created_at=created)
        )


def save_run(store, workspace_id, run_id, state, epochs, accuracy):
    record = {"spec": {"layers": []}, "history": {"epoch": {"val_accuracy": [accuracy or 0]}}}
    store.save_run(
        workspace_id,
        run_id,
        record,
        state=state,
        epochs_done=epochs,
        test_accuracy=accuracy,
        training=state == "running",
    )


@pytest.fixture
def class_of_four(store):
    """Ada (two runs), an unnamed student, a student gone for a day, and the teacher."""
    now = time.time()
    for number, (workspace_id, name) in enumerate(
        [("ada", "Ada"), ("anon", None), ("gone", "Gone"), ("teacher", "Ms T")], start=1
    ):
        store.save_workspace(workspace_id, {"cnnviz_spec": {"layers": [number]}}, name=name)
        set_times(store, workspace_id, visited=now - 60, created=1000.0 + number)
    set_times(store, "gone", visited=now - 24 * HOUR, created=1003.0)
    save_run(store, "ada", 1, "finished", 2, 0.75)
    save_run(store, "ada", 2, "running", 1, None)
    save_run(store, "gone", 1, "finished", 1, 0.5)
    return now


def count_statements(engine):
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        # SQLite's connections begin their transactions by hand (see store.migrating).
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    return seen, lambda: sa.event.remove(engine, "before_cursor_execute", before)


def test_one_statement_gives_the_window_s_workspaces_with_their_runs(store, class_of_four):
    seen, stop = count_statements(store.engine)
    try:
        works = classroom.class_rows(store.engine, class_of_four - 3 * HOUR, exclude="teacher")
    finally:
        stop()
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("SELECT")
    # The teacher's own is left out, and so is the one last visited a day ago.
    assert [(w.workspace_id, w.number, w.name) for w in works] == [
        ("ada", 1, "Ada"),
        ("anon", 2, None),
    ]
    ada, anonymous = works
    assert ada.data == {"cnnviz_spec": {"layers": [1]}}
    assert [(r.run_id, r.state, r.epochs_done, r.test_accuracy) for r in ada.runs] == [
        (1, "finished", 2, 0.75),
        (2, "running", 1, None),
    ]
    assert ada.runs[0].record["history"]["epoch"]["val_accuracy"] == [0.75]
    assert anonymous.runs == []


def test_numbers_stay_when_others_leave_the_window(store, class_of_four):
    everyone = classroom.class_rows(store.engine, 0.0)
    assert [(w.workspace_id, w.number) for w in everyone] == [
        ("ada", 1),
        ("anon", 2),
        ("gone", 3),
        ("teacher", 4),
    ]
    recent = classroom.class_rows(store.engine, class_of_four - HOUR)
    assert [(w.workspace_id, w.number) for w in recent] == [("ada", 1), ("anon", 2), ("teacher", 4)]


def test_the_statement_count_does_not_grow_with_the_class(store, class_of_four):
    for index in range(10):
        store.save_workspace(f"extra{index}", {}, name=None)
        save_run(store, f"extra{index}", 1, "finished", 1, 0.5)
    seen, stop = count_statements(store.engine)
    try:
        works = classroom.class_rows(store.engine, class_of_four - 3 * HOUR)
    finally:
        stop()
    assert len(works) == 13 and len(seen) == 1


def test_hand_outs_are_kept_newest_first_with_their_data(store):
    first = classroom.add_handout(store.engine, "Ms T", {"title": "one", "spec": {}})
    second = classroom.add_handout(
        store.engine, "Ms T", {"title": "two", "spec": {}}, dataset_bytes=b"npz"
    )
    listed = classroom.handouts(store.engine)
    assert [(h.handout_id, h.content["title"], h.dataset_bytes) for h in listed] == [
        (second, "two", None),
        (first, "one", None),
    ]
    assert classroom.handout_by_id(store.engine, second).dataset_bytes == b"npz"
    assert classroom.handout_by_id(store.engine, second + 1) is None
    assert classroom.handouts(store.engine, with_data=True)[0].dataset_bytes == b"npz"
