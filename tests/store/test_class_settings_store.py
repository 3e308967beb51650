"""The class settings table and the leaderboard's runs query (both back ends)."""

from __future__ import annotations

from cnnviz.store import class_settings


def test_a_setting_is_written_replaced_and_removed(store):
    assert class_settings.read_settings(store.engine) == {}
    class_settings.write_setting(store.engine, "controls", {"max_epochs": 3})
    class_settings.write_setting(store.engine, "controls", {"max_epochs": 2})
    class_settings.write_setting(store.engine, "challenge", {"dataset": "mnist"})
    assert class_settings.read_settings(store.engine) == {
        "controls": {"max_epochs": 2},
        "challenge": {"dataset": "mnist"},
    }
    class_settings.write_setting(store.engine, "controls", None)
    assert list(class_settings.read_settings(store.engine)) == ["challenge"]


def test_challenge_runs_name_and_number_the_students(store):
    store.save_workspace("first", {"cnnviz_spec": {"layers": [1]}}, name="Ada")
    store.save_workspace("second", {"cnnviz_spec": {"layers": [2]}})
    record = {"dataset": "mnist", "params": 10}
    store.save_run(
        "second", 1, record, state="finished", epochs_done=1, test_accuracy=0.5, training=False
    )
    store.save_run(
        "first", 1, record, state="finished", epochs_done=1, test_accuracy=0.75, training=False
    )
    runs = class_settings.challenge_runs(store.engine, since=0.0)
    assert [(run.name, run.number, run.test_accuracy) for run in runs] == [
        ("Ada", 1, 0.75),
        (None, 2, 0.5),
    ]
    assert runs[0].record == record
    assert class_settings.challenge_runs(store.engine, since=runs[-1].finished_at + 60) == []
