"""The class view's rows from stored workspaces: layers, parameters, states, troubles, CSV."""

from __future__ import annotations

import csv
import io

import pytest

from cnnviz.classroom import csv_export, names, overview
from cnnviz.classroom.overview import Trouble
from cnnviz.store.classroom import ClassRun, ClassWorkspace
from cnnviz.training import presets
from cnnviz.ui import workspace_keys

NOW = 100_000.0
TINY = presets.preset_spec("tiny", (28, 28, 1), 10)


def history(val_accuracies: list[float]) -> dict:
    epochs = list(range(1, len(val_accuracies) + 1))
    return {
        "batch": {"epoch": [], "loss": [], "accuracy": []},
        "epoch": {
            "epoch": epochs,
            "loss": [1.0] * len(epochs),
            "accuracy": val_accuracies,
            "val_loss": [1.0] * len(epochs),
            "val_accuracy": val_accuracies,
        },
    }


def run(run_id=1, state="finished", epochs_done=1, test_accuracy=None, accuracies=(), **extra):
    record = {"history": history(list(accuracies)), "settings": {"epochs": 3}, "params": 7}
    return ClassRun(run_id, state, epochs_done, test_accuracy, NOW - 10, record | extra)


def work(runs=(), spec=TINY, dataset="mnist", name=None, number=1, visited=NOW - 10):
    data = {overview.SPEC_KEY: spec, overview.DATASET_KEY: dataset}
    return ClassWorkspace(f"w{number}", number, name, data, 0.0, visited, visited, list(runs))


def test_the_keys_read_are_the_workspace_keys():
    assert overview.SPEC_KEY == workspace_keys.SPEC
    assert overview.DATASET_KEY == workspace_keys.DATASET


def test_a_row_holds_layers_parameters_data_set_and_best_accuracy():
    runs = [run(1, test_accuracy=0.91, accuracies=[0.9]), run(2, test_accuracy=0.88)]
    (row,) = overview.class_overview([work(runs, name="Ada")], NOW)
    assert row.layers == "Conv2D 8 · MaxPool · Flatten · Dense 10"
    # By hand: Conv2D 3*3*1*8+8 = 80; 13*13*8 = 1352 inputs, Dense 1352*10+10 = 13530.
    assert row.params == 80 + 13_530
    assert row.dataset == "MNIST"
    assert row.state == "finished"
    assert row.best_accuracy == 0.91
    assert row.troubles == []


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        ([], "building"),
        ([run(state="ready", epochs_done=0)], "building"),
        ([run(state="running", epochs_done=0)], "training epoch 1 of 3"),
        (
            [run(state="running", epochs_done=1, accuracies=[0.625])],
            "training epoch 2 of 3 (accuracy so far 62.5%)",
        ),
        ([run(state="failed")], "failed"),
        ([run(state="diverged")], "diverged"),
        ([run(state="interrupted")], "interrupted"),
    ],
)
def test_states_read_as_the_teacher_needs(runs, expected):
    (row,) = overview.class_overview([work(runs)], NOW)
    assert row.state == expected


def test_queued_runs_are_numbered_by_their_place_in_the_queue():
    first = run(state="queued", epochs_done=0)
    later = ClassRun(1, "queued", 0, None, NOW - 5, first.record)
    rows = overview.class_overview([work([later], number=1), work([first], number=2)], NOW)
    assert [row.state for row in rows] == ["queued 2", "queued 1"]


def test_troubles_stand_out():
    diverged = work([run(state="diverged", accuracies=[0.5])], number=1)
    at_chance = work([run(accuracies=[0.11])], number=2)
    learning = work([run(accuracies=[0.16])], number=3)
    broken = work([], spec={"layers": [{"type": "Dense", "units": 3}]}, number=4)
    idle = work([], number=5, visited=NOW - 16 * 60)
    rows = overview.class_overview([diverged, at_chance, learning, broken, idle], NOW)
    assert rows[3].params is None  # not a network yet: no count to show
    assert [row.troubles for row in rows] == [
        [Trouble.DIVERGED],
        [Trouble.AT_CHANCE],
        [],
        [Trouble.SPEC_ERRORS],
        [Trouble.IDLE],
    ]


def test_a_training_student_is_not_idle_however_long_ago_they_clicked():
    training = work([run(state="running", epochs_done=0)], visited=NOW - 3600)
    training.runs[0].updated_at = NOW - 3600
    (row,) = overview.class_overview([training], NOW)
    assert Trouble.IDLE not in row.troubles


def test_names_without_one_are_student_n_and_are_escaped_for_markdown():
    assert names.display_name(None, 4) == "Student 4"
    assert names.display_name("Ada", 4) == "Ada"
    assert names.markdown_text("**x** [a](b) <i>") == r"\*\*x\*\* \[a\]\(b\) \<i\>"


def test_a_typed_name_is_cleaned_and_at_most_40_characters():
    assert names.clean_name("  Ada \t Lovelace\n") == "Ada Lovelace"
    assert names.clean_name("   ") is None
    assert names.clean_name("x" * 40) == "x" * 40
    with pytest.raises(ValueError, match="at most 40 characters"):
        names.clean_name("x" * 41)


def test_the_csv_has_names_and_figures_and_escapes_formulas():
    evil = work([run(test_accuracy=0.5)], name="=HYPERLINK(1)", number=1)
    plain = work([], name="-5 @home +x", number=2)
    anonymous = work([], number=3)
    text = csv_export.to_csv(overview.class_overview([evil, plain, anonymous], NOW))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["Student"] for row in rows] == ["'=HYPERLINK(1)", "'-5 @home +x", "Student 3"]
    assert rows[0]["Best test accuracy"] == "50.0"
    assert rows[0]["Parameters"] == str(80 + 13_530)
    assert "w1" not in text and "w2" not in text  # no workspace ids (addresses)
    shown = csv_export.table_rows(overview.class_overview([evil], NOW), escaped=True)
    assert shown[0]["Student"] == "'=HYPERLINK(1)"
    assert [csv_export.safe_cell(v) for v in ("@a", "+1", "a=b", None)] == ["'@a", "'+1", "a=b", ""]


def test_the_class_view_shows_lessons_done_of_all():
    assert overview.LESSONS_KEY == workspace_keys.LESSONS
    student = work([], number=1)
    student.data[overview.LESSONS_KEY] = {"done": [1, 2, 5], "right": {"1": True}}
    fresh = work([], number=2)
    rows = overview.class_overview([student, fresh], NOW)
    assert [row.lessons_done for row in rows] == [3, 0]
    table = csv_export.table_rows(rows, lesson_count=9)
    assert [row["Lessons"] for row in table] == ["3 of 9", "0 of 9"]
    assert list(csv.DictReader(io.StringIO(csv_export.to_csv(rows, 9))))[0]["Lessons"] == "3 of 9"
