"""The class at a glance: each student's workspace and runs (cnnviz.store.classroom) made into
one row the teacher reads, with the troubles that should stand out.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from cnnviz.data.datasets import DATASETS
from cnnviz.model import spec as spec_module
from cnnviz.store.classroom import ClassRun, ClassWorkspace
from cnnviz.training.job_state import JobState

# The workspace keys (cnnviz.ui.workspace_keys) the class view reads from the kept JSON data;
# a test checks that they still match.
SPEC_KEY = "cnnviz_spec"
DATASET_KEY = "cnnviz_dataset"
LESSONS_KEY = "cnnviz_lessons"  # {"done": [numbers], ...} (cnnviz.lessons.progress)

IDLE_SECONDS = 15 * 60
# An accuracy under this many times chance (1 / classes) after an epoch is "stuck at chance".
CHANCE_FACTOR = 1.5
BUILDING = "building"


class Trouble(enum.StrEnum):
    """Why a student might need the teacher."""

    DIVERGED = "diverged"
    AT_CHANCE = "stuck at chance"
    SPEC_ERRORS = "spec has errors"
    IDLE = "no activity for 15 min"


@dataclass
class StudentRow:
    """One line of the class view (plain values) and what its detail view needs."""

    workspace_id: str
    number: int
    name: str | None
    layers: str
    params: int | None
    dataset: str
    state: str
    best_accuracy: float | None
    troubles: list[Trouble] = field(default_factory=list)
    spec: dict = field(default_factory=dict)
    latest_run: ClassRun | None = None
    lessons_done: int = 0


def short_layer(layer: dict) -> str:
    """One layer in a few characters: "Conv2D 32", "MaxPool", "Dense 10"."""
    kind = str(layer.get("type", "?"))
    short = kind.replace("Pooling2D", "Pool").replace("Normalization", "Norm")
    for argument in ("filters", "units", "rate"):
        if argument in layer:
            return (
                f"{short} {layer[argument]:g}"
                if isinstance(layer[argument], float)
                else (f"{short} {layer[argument]}")
            )
    return short


def layers_line(spec: dict) -> str:
    layers = spec.get("layers") if isinstance(spec, dict) else None
    if not isinstance(layers, list) or not layers:
        return "(no layers)"
    return " · ".join(short_layer(layer) if isinstance(layer, dict) else "?" for layer in layers)


def accuracy_so_far(record: dict) -> float | None:
    """The latest accuracy a run recorded: validation of its last epoch, else training's."""
    history = record.get("history") or {}
    for part, name in (("epoch", "val_accuracy"), ("epoch", "accuracy"), ("batch", "accuracy")):
        values = [v for v in (history.get(part) or {}).get(name, []) if _finite(v)]
        if values:
            return float(values[-1])
    return None


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def state_text(runs: list[ClassRun], queue_place: dict[tuple[str, int], int], wid: str) -> str:
    """building / queued k / training epoch i of n (accuracy so far) / finished / ..."""
    if not runs:
        return BUILDING
    run = runs[-1]
    state = run.state
    if state == JobState.QUEUED:
        return f"queued {queue_place.get((wid, run.run_id), 1)}"
    if state in (JobState.STARTING, JobState.RUNNING):
        total = (run.record.get("settings") or {}).get("epochs")
        text = f"training epoch {run.epochs_done + 1}"
        if total:
            text += f" of {total}"
        accuracy = accuracy_so_far(run.record)
        if accuracy is not None:
            text += f" (accuracy so far {accuracy:.1%})"
        return text
    if state == JobState.READY:
        return BUILDING
    return str(state)


def _num_classes(spec: dict, dataset: str) -> int | None:
    if dataset in DATASETS:
        return DATASETS[dataset].num_classes
    layers = spec.get("layers") if isinstance(spec, dict) else None
    if isinstance(layers, list) and layers and isinstance(layers[-1], dict):
        units = layers[-1].get("units")
        return units if isinstance(units, int) and units > 1 else None
    return None


def _analyse(spec: dict, dataset: str) -> tuple[int | None, bool]:
    """(parameters, whether the spec has errors); (None, False) for a data set not known here."""
    if dataset not in DATASETS:
        return None, False
    info = DATASETS[dataset]
    infos, error = spec_module.analyse(spec, info.input_shape, info.num_classes, info.title)
    # A spec with an error has no parameter count (the layers before it are not the network).
    return (None if error else spec_module.total_params(infos)), error is not None


def troubles_of(
    work: ClassWorkspace, spec_errors: bool, num_classes: int | None, now: float
) -> list[Trouble]:
    found = []
    latest = work.runs[-1] if work.runs else None
    if latest is not None and latest.state == JobState.DIVERGED:
        found.append(Trouble.DIVERGED)
    if latest is not None and latest.epochs_done >= 1 and num_classes:
        accuracy = accuracy_so_far(latest.record)
        if latest.test_accuracy is not None and latest.state == JobState.FINISHED:
            accuracy = latest.test_accuracy
        if accuracy is not None and accuracy < CHANCE_FACTOR / num_classes:
            found.append(Trouble.AT_CHANCE)
    if spec_errors:
        found.append(Trouble.SPEC_ERRORS)
    last_activity = max([work.last_visit, work.changed_at, *(run.updated_at for run in work.runs)])
    training = latest is not None and JobState(latest.state).is_active if latest else False
    if now - last_activity > IDLE_SECONDS and not training:
        found.append(Trouble.IDLE)
    return found


def _queue_places(works: list[ClassWorkspace]) -> dict[tuple[str, int], int]:
    queued = [
        (run.updated_at, work.workspace_id, run.run_id)
        for work in works
        for run in work.runs[-1:]
        if run.state == JobState.QUEUED
    ]
    return {(wid, run_id): place for place, (_, wid, run_id) in enumerate(sorted(queued), 1)}


def lessons_done(data: dict) -> int:
    """How many lessons the kept progress marks done (0 for none, or for data not understood)."""
    progress = data.get(LESSONS_KEY)
    done = progress.get("done") if isinstance(progress, dict) else None
    if not isinstance(done, list):
        return 0
    return len({number for number in done if isinstance(number, int)})


def class_overview(works: list[ClassWorkspace], now: float) -> list[StudentRow]:
    """The class view's rows, one per workspace, in the order given."""
    places = _queue_places(works)
    rows = []
    for work in works:
        spec = work.data.get(SPEC_KEY) or {}
        dataset = str(work.data.get(DATASET_KEY) or "mnist")
        params, spec_errors = _analyse(spec, dataset)
        latest = work.runs[-1] if work.runs else None
        if params is None and latest is not None and not spec_errors:
            params = latest.record.get("params")
        accuracies = [run.test_accuracy for run in work.runs if run.test_accuracy is not None]
        rows.append(
            StudentRow(
                workspace_id=work.workspace_id,
                number=work.number,
                name=work.name,
                layers=layers_line(spec),
                params=params,
                dataset=DATASETS[dataset].title if dataset in DATASETS else dataset,
                state=state_text(work.runs, places, work.workspace_id),
                best_accuracy=max(accuracies) if accuracies else None,
                troubles=troubles_of(work, spec_errors, _num_classes(spec, dataset), now),
                spec=spec,
                latest_run=latest,
                lessons_done=lessons_done(work.data),
            )
        )
    return rows
