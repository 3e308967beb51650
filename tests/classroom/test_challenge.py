"""The class challenge's rules, its leaderboard and the classroom controls (plain logic)."""

from __future__ import annotations

import pytest

from cnnviz.classroom import challenge, controls, leaderboard
from cnnviz.model.spec_limits import Limits
from cnnviz.store.class_settings import ScoredRun

TINY = {"layers": [{"type": "Conv2D", "filters": 8}, {"type": "Flatten"}, {"type": "Dense"}]}
RULES = challenge.make(
    "Best digits",
    "mnist",
    max_params=20_000,
    max_epochs=3,
    max_train_images=5000,
    deadline=2000.0,
    started_at=1000.0,
)


def run(
    number,
    accuracy,
    params=10_000,
    *,
    epochs=1,
    limit=1000,
    dataset="mnist",
    at=1500.0,
    state="finished",
    spec=TINY,
    run_id=1,
    name=None,
):
    record = {
        "dataset": dataset,
        "spec": spec,
        "params": params,
        "epochs": epochs,
        "settings": {"train_limit": limit},
        "train_seconds": 12.5,
    }
    return ScoredRun(f"w{number}", number, name, run_id, state, accuracy, at, record)


def test_a_run_within_the_limits_counts():
    assert challenge.reasons_not_counted(RULES, run(1, 0.9).record, "finished", 0.9, 1500.0) == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"params": 20_001}, "20,001 parameters, over 20,000"),
        ({"epochs": 4}, "4 epochs, over 3"),
        ({"limit": None}, "all training images, over 5,000"),
        ({"limit": 6000}, "6,000 training images, over 5,000"),
        ({"dataset": "cifar10"}, "trained on CIFAR-10, not MNIST"),
        ({"at": 2000.5}, "finished after the deadline"),
        ({"state": "running", "accuracy": None}, "still training"),
    ],
)
def test_a_run_breaking_a_rule_is_not_counted_with_the_reason(changes, reason):
    accuracy = changes.pop("accuracy", 0.99)
    scored = run(1, accuracy, **changes)
    board = leaderboard.rank(RULES, [scored, run(2, 0.5)])
    assert [entry.student for entry in board.entries] == ["Student 2"]
    (item,) = board.not_counted
    assert item.student == "Student 1" and reason in item.reasons


def test_only_allowed_layer_types_count():
    rules = challenge.make("x", "mnist", layer_types=["Conv2D", "Flatten", "Dense"], started_at=0)
    pooled = {"layers": [*TINY["layers"], {"type": "MaxPooling2D"}]}
    board = leaderboard.rank(rules, [run(1, 0.99, spec=pooled), run(2, 0.5)])
    assert [entry.student for entry in board.entries] == ["Student 2"]
    assert board.not_counted[0].reasons == ("uses MaxPooling2D, not allowed",)


def test_ranked_by_accuracy_ties_by_fewer_parameters_then_the_earlier_finish():
    runs = [
        run(1, 0.90, 15_000, name="Ada"),
        run(2, 0.95, 19_000),
        run(3, 0.90, 12_000, name="Cy"),
        run(4, 0.90, 12_000, at=1400.0, name="Di"),
    ]
    board = leaderboard.rank(RULES, runs)
    assert [(e.rank, e.student) for e in board.entries] == [
        (1, "Student 2"),
        (2, "Di"),
        (3, "Cy"),
        (4, "Ada"),
    ]
    rows = leaderboard.table_rows(board)
    assert rows[0] == {
        "Rank": 1,
        "Student": "Student 2",
        "Test accuracy": 95.0,
        "Parameters": 19_000,
        "Training time (s)": 12.5,
        "Run": 1,
    }


def test_a_student_is_listed_once_with_their_best_counted_run():
    runs = [run(1, 0.8, run_id=1), run(1, 0.93, run_id=2), run(1, 0.99, params=99_999, run_id=3)]
    board = leaderboard.rank(RULES, runs)
    (entry,) = board.entries
    assert (entry.run_id, entry.test_accuracy, entry.runs_counted) == (2, 0.93, 2)
    assert [item.run_id for item in board.not_counted] == [3]


def test_runs_from_before_the_challenge_are_left_out():
    board = leaderboard.rank(RULES, [run(1, 0.99, at=999.0)])
    assert board.entries == [] and board.not_counted == []


def test_a_challenge_refuses_unknown_data_sets_layers_and_bad_limits():
    with pytest.raises(ValueError, match="Received: 'svhn'"):
        challenge.make("x", "svhn")
    with pytest.raises(ValueError, match="Conv9D is not one"):
        challenge.make("x", "mnist", layer_types=["Conv9D"])
    with pytest.raises(ValueError, match="1 or more"):
        challenge.make("x", "mnist", max_params=0)
    assert challenge.Challenge.from_dict(RULES.to_dict()) == RULES


def test_class_caps_lower_the_server_limits_and_must_be_below_them():
    server = Limits(max_params=100_000, max_epochs=50)
    caps = controls.make(max_epochs=5, max_params=20_000, hidden_pages=["evaluate"], server=server)
    lowered = controls.class_limits(server, caps)
    assert (lowered.max_params, lowered.max_epochs) == (20_000, 5)
    assert controls.params_problem(20_000, caps) is None
    assert "your teacher allows at most 20,000" in controls.params_problem(20_001, caps)
    assert "at most 5 in this class" in controls.epochs_problem(6, caps)
    assert caps.is_hidden("evaluate") and not caps.is_hidden("train")
    with pytest.raises(ValueError, match="server's own limit, 50"):
        controls.make(max_epochs=51, server=server)
    with pytest.raises(ValueError, match="Only these pages"):
        controls.make(hidden_pages=["teacher"])
    # Kept data from another version never locks the class out.
    assert controls.Controls.from_dict(
        {"hidden_pages": ["teacher", "evaluate"], "dataset": "x"}
    ) == (controls.Controls(hidden_pages=("evaluate",)))
