"""The class's settings (issue 20): the challenge and the classroom controls, each one row of
plain JSON in the class_settings table, and the runs a challenge's leaderboard scores.

Plain data in and out; cnnviz.classroom makes sense of it. Every app server of a class reads
the same rows, so nothing here is kept in the process.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import sqlalchemy as sa

from cnnviz.store import schema
from cnnviz.store.migrating import WRITE_OPTION

_LOGGER = logging.getLogger(__name__)

CHALLENGE = "challenge"
CONTROLS = "controls"


def read_settings(engine: sa.Engine) -> dict[str, dict]:
    """Every class setting, name -> its JSON value (one SELECT); an unreadable one is left out."""
    table = schema.class_settings
    with engine.connect() as connection:
        rows = connection.execute(sa.select(table.c.name, table.c.value)).all()
    found = {}
    for row in rows:
        try:
            value = json.loads(row.value)
        except ValueError:
            _LOGGER.warning("the class setting %s is not JSON; ignored", row.name)
            continue
        if isinstance(value, dict):
            found[row.name] = value
    return found


def write_setting(engine: sa.Engine, name: str, value: dict | None) -> None:
    """Sets (or with None, removes) one class setting."""
    table = schema.class_settings
    with engine.connect() as connection:
        # Begun as a write (SQLite: IMMEDIATE), as every write to the store is.
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            connection.execute(sa.delete(table).where(table.c.name == name))
            if value is not None:
                connection.execute(
                    sa.insert(table).values(
                        name=name,
                        value=json.dumps(value, sort_keys=True),
                        updated_at=time.time(),
                    )
                )


@dataclass
class ScoredRun:
    """One kept run as a leaderboard reads it: who made it, its row's facts and its record."""

    workspace_id: str
    number: int
    name: str | None
    run_id: int
    state: str
    test_accuracy: float | None
    finished_at: float
    record: dict


def challenge_runs(engine: sa.Engine, since: float) -> list[ScoredRun]:
    """Every run changed since `since` (the challenge's start), with its student, in one SELECT.

    Students are numbered over all workspaces by creation order, as in the class view, so that
    "Student N" is the same on both pages.
    """
    table, runs = schema.workspaces, schema.runs
    numbered = sa.select(
        table.c.workspace_id,
        table.c.name,
        sa.func.row_number()
        .over(order_by=(table.c.created_at, table.c.workspace_id))
        .label("number"),
    ).subquery()
    query = (
        sa.select(
            numbered,
            runs.c.run_id,
            runs.c.state,
            runs.c.test_accuracy,
            runs.c.updated_at,
            runs.c.record,
        )
        .select_from(numbered.join(runs, runs.c.workspace_id == numbered.c.workspace_id))
        .where(runs.c.updated_at >= since)
        .order_by(numbered.c.number, runs.c.run_id)
    )
    found = []
    with engine.connect() as connection:
        for row in connection.execute(query):
            try:
                record = json.loads(row.record)
            except ValueError:
                _LOGGER.warning("a run's record is not JSON; left off the leaderboard")
                continue
            found.append(
                ScoredRun(
                    workspace_id=row.workspace_id,
                    number=int(row.number),
                    name=row.name,
                    run_id=int(row.run_id),
                    state=row.state,
                    test_accuracy=row.test_accuracy,
                    finished_at=float(row.updated_at),
                    record=record if isinstance(record, dict) else {},
                )
            )
    return found
