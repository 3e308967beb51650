"""The teacher's reads and writes: the class in one query, and the hand-outs (issue 19).

`class_rows` is the Teacher page's one statement per refresh: every workspace visited since a
time, with its runs, joined in one SELECT (a class of thirty must not cost thirty queries every
few seconds). The rows are plain data; cnnviz.classroom makes sense of them.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import sqlalchemy as sa

from cnnviz.store import schema
from cnnviz.store.migrating import WRITE_OPTION

_LOGGER = logging.getLogger(__name__)


@dataclass
class ClassRun:
    """One run of a student, as its row holds it."""

    run_id: int
    state: str
    epochs_done: int
    test_accuracy: float | None
    updated_at: float
    record: dict


@dataclass
class ClassWorkspace:
    """One student's workspace as the teacher sees it.

    Attributes:
        number: its place by creation order among all kept workspaces (1 = the oldest), so that
            "Student N" stays the same for the same workspace.
        data: the kept plain JSON data (spec, data set, settings, ...).
        runs: its runs by run id.
    """

    workspace_id: str
    number: int
    name: str | None
    data: dict
    created_at: float
    changed_at: float
    last_visit: float
    runs: list[ClassRun] = field(default_factory=list)


def _loads(text: str, what: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        _LOGGER.warning("%s is not JSON; left out of the class view", what)
        return {}
    return value if isinstance(value, dict) else {}


def class_query(since: float, exclude: str | None = None) -> sa.Select:
    """The one SELECT behind class_rows: workspaces visited since `since`, joined with runs."""
    table, runs = schema.workspaces, schema.runs
    # Numbered over all workspaces, before the window filters them, so numbers do not shift
    # when someone leaves the window.
    numbered = sa.select(
        table,
        sa.func.row_number()
        .over(order_by=(table.c.created_at, table.c.workspace_id))
        .label("number"),
    ).subquery()
    run_columns = (runs.c.run_id, runs.c.state, runs.c.epochs_done, runs.c.test_accuracy)
    query = (
        sa.select(numbered, *run_columns, runs.c.updated_at.label("run_updated_at"), runs.c.record)
        .select_from(numbered.outerjoin(runs, runs.c.workspace_id == numbered.c.workspace_id))
        .where(numbered.c.last_visit >= since)
        .order_by(numbered.c.number, runs.c.run_id)
    )
    if exclude is not None:
        query = query.where(numbered.c.workspace_id != exclude)
    return query


def _workspace(row) -> ClassWorkspace:
    return ClassWorkspace(
        workspace_id=row.workspace_id,
        number=int(row.number),
        name=row.name,
        data=_loads(row.data, "a workspace's data"),
        created_at=row.created_at,
        changed_at=row.changed_at,
        last_visit=row.last_visit,
    )


def _run(row) -> ClassRun:
    return ClassRun(
        run_id=int(row.run_id),
        state=row.state,
        epochs_done=int(row.epochs_done),
        test_accuracy=row.test_accuracy,
        updated_at=row.run_updated_at,
        record=_loads(row.record, "a run's record"),
    )


def class_rows(engine: sa.Engine, since: float, exclude: str | None = None) -> list[ClassWorkspace]:
    """Every workspace visited since `since` (but `exclude`) with its runs, in one SELECT.

    Args:
        engine: the store's engine (Store.engine).
        since: epoch seconds; workspaces last visited before it are left out.
        exclude: a workspace id to leave out (the teacher's own).

    Returns:
        The workspaces by creation order, each with its runs by run id.
    """
    found: dict[str, ClassWorkspace] = {}
    with engine.connect() as connection:
        for row in connection.execute(class_query(since, exclude)):
            work = found.get(row.workspace_id)
            if work is None:
                work = found[row.workspace_id] = _workspace(row)
            if row.run_id is not None:
                work.runs.append(_run(row))
    return list(found.values())


# ----- hand-outs -----


@dataclass
class Handout:
    """What a teacher sent to the class: content is plain JSON data (see schema.handouts)."""

    handout_id: int
    created_at: float
    teacher_name: str
    content: dict
    dataset_bytes: bytes | None = None


def add_handout(
    engine: sa.Engine, teacher_name: str, content: dict, dataset_bytes: bytes | None = None
) -> int:
    """Stores a hand-out for every student, now and later; returns its id."""
    values = {
        "created_at": time.time(),
        "teacher_name": teacher_name,
        "content": json.dumps(content, sort_keys=True),
        "dataset_bytes": dataset_bytes,
    }
    with engine.connect() as connection:
        # Begun as a write (SQLite: IMMEDIATE), as every write to the store is.
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            result = connection.execute(sa.insert(schema.handouts).values(**values))
            return int(result.inserted_primary_key[0])


def handouts(engine: sa.Engine, with_data: bool = False) -> list[Handout]:
    """Every hand-out, newest first; their data sets' bytes only when asked for."""
    table = schema.handouts
    columns = [table.c.handout_id, table.c.created_at, table.c.teacher_name, table.c.content]
    if with_data:
        columns.append(table.c.dataset_bytes)
    query = sa.select(*columns).order_by(table.c.handout_id.desc())
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        Handout(
            row.handout_id,
            row.created_at,
            row.teacher_name,
            _loads(row.content, "a hand-out"),
            row.dataset_bytes if with_data else None,
        )
        for row in rows
    ]


def handout_by_id(engine: sa.Engine, handout_id: int) -> Handout | None:
    """One hand-out with its data set's bytes, or None when there is no such hand-out."""
    table = schema.handouts
    query = sa.select(table).where(table.c.handout_id == int(handout_id))
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    content = _loads(row.content, "a hand-out")
    return Handout(row.handout_id, row.created_at, row.teacher_name, content, row.dataset_bytes)
