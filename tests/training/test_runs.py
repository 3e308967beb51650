"""Tests for cnnviz.training.runs: records of finished jobs, replacement on Continue, the cap."""

import pytest

from cnnviz.training import runs
from helpers.jobs import TINY_SPEC, make_job, run_to_finish


@pytest.fixture
def finished_job(mnist):
    job = make_job(mnist, name="Run 1", train_limit=200)
    run_to_finish(job)
    return job


@pytest.mark.trains
def test_record_keeps_plain_data_from_a_finished_job(finished_job):
    history = runs.RunHistory()
    run_id = history.new_run_id()
    record = history.record(run_id, finished_job)

    assert record.run_id == run_id == 1
    assert record.name == "Run 1"
    assert record.dataset == "mnist"
    assert record.state == "finished"
    assert record.epochs == 1.0
    assert record.params == finished_job.params
    assert record.test_accuracy == finished_job.test_accuracy
    assert 0 < record.test_accuracy <= 1
    assert record.train_seconds == finished_job.train_seconds
    assert record.samples_per_second > 0
    assert record.settings["batch_size"] == 64
    assert record.settings["train_limit"] == 200
    assert record.spec == TINY_SPEC
    assert len(record.history["epoch"]["loss"]) == 1
    # The record is a copy: changing it leaves the job alone, and the other way round.
    record.history["epoch"]["loss"].clear()
    record.spec["layers"].clear()
    assert finished_job.history()["epoch"]["loss"]
    assert finished_job.spec["layers"]
    assert history.get(run_id) is record
    assert len(history) == 1


@pytest.mark.trains
def test_continuing_a_run_replaces_its_record(finished_job):
    history = runs.RunHistory()
    run_id = history.new_run_id()
    history.record(run_id, finished_job)
    run_to_finish(finished_job, epochs=1)
    record = history.record(run_id, finished_job)

    assert len(history) == 1
    assert history.records() == [record]
    assert record.epochs == 2.0
    assert len(record.history["epoch"]["loss"]) == 2


@pytest.mark.trains
def test_the_cap_drops_the_oldest_runs(finished_job):
    history = runs.RunHistory(max_runs=2)
    run_ids = [history.new_run_id() for _ in range(3)]
    assert run_ids == [1, 2, 3]
    for run_id in run_ids:
        history.record(run_id, finished_job)
    assert [record.run_id for record in history.records()] == [2, 3]
    assert history.get(1) is None


@pytest.mark.trains
def test_remove_forgets_a_run(finished_job):
    history = runs.RunHistory()
    first, second = history.new_run_id(), history.new_run_id()
    history.record(first, finished_job)
    history.record(second, finished_job)
    history.remove(first)
    assert [record.run_id for record in history.records()] == [second]


def test_recipe_words_name_the_schedule_and_the_tricks():
    assert runs.recipe_words({"lr_schedule": "constant"}) == "constant"
    assert (
        runs.recipe_words(
            {"lr_schedule": "one_cycle", "label_smoothing": 0.1, "test_time_flip": True}
        )
        == "one cycle, label smoothing 0.1, test-time flip"
    )


@pytest.mark.trains
def test_summary_row_has_the_columns_students_read(finished_job):
    record = runs.RunHistory().record(1, finished_job)
    row = record.summary_row()
    assert list(row) == [
        "run",
        "data set",
        "layers",
        "parameters",
        "optimizer",
        "learning rate",
        "batch size",
        "schedule and tricks",
        "training images",
        "epochs",
        "test accuracy",
        "train seconds",
        "status",
    ]
    assert row["schedule and tricks"] == "constant"
    assert row["layers"] == len(TINY_SPEC["layers"])
    assert row["training images"] == 200
    assert row["status"] == "finished"
    assert row["optimizer"] == "Adam"
    assert row["data set"] == "MNIST"
    assert row["test accuracy"].endswith("%")
