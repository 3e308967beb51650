"""The Leaderboard page, a page the teacher hid, and the class's caps on Train (AppTest)."""

from __future__ import annotations

import uuid

import pytest

from cnnviz.classroom import challenge, controls
from cnnviz.store import class_settings
from cnnviz.training import presets
from cnnviz.ui import class_controls, lesson_try_it, saving
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception, by_label, open_app


@pytest.fixture(autouse=True)
def no_class_settings():
    """Each test starts and ends without a challenge or controls (the store is shared)."""
    for name in (class_settings.CHALLENGE, class_settings.CONTROLS):
        class_controls.write(name, None)
    yield
    for name in (class_settings.CHALLENGE, class_settings.CONTROLS):
        class_controls.write(name, None)


def texts(app) -> str:
    parts = [e.value for e in (*app.markdown, *app.caption, *app.error, *app.info, *app.subheader)]
    return "\n".join(str(part) for part in parts)


def student_with_run(name, run_id, accuracy, params, epochs=1, limit=1000, dataset="mnist"):
    workspace_id = f"student-{uuid.uuid4().hex}"
    spec = presets.preset_spec("tiny", (28, 28, 1), 10)
    saving.store().save_workspace(workspace_id, {keys.SPEC: spec}, name=name)
    record = {
        "dataset": dataset,
        "spec": spec,
        "params": params,
        "epochs": epochs,
        "settings": {"train_limit": limit},
        "train_seconds": 3.0,
    }
    saving.store().save_run(
        workspace_id,
        run_id,
        record,
        state="finished",
        epochs_done=epochs,
        test_accuracy=accuracy,
        training=False,
    )


def test_without_a_challenge_the_leaderboard_says_how_to_set_one():
    app = open_app("pages/leaderboard.py")
    assert "No challenge is set yet" in app.info[0].value
    assert "Teacher" in app.info[0].value
    assert not app.dataframe


def test_the_leaderboard_ranks_counted_runs_and_lists_the_others_with_why():
    rules = challenge.make("Digits cup", "mnist", max_params=20_000, max_epochs=2)
    class_controls.write(class_settings.CHALLENGE, rules.to_dict())
    tag = uuid.uuid4().hex[:6]
    student_with_run(f"Ada {tag}", 1, 0.91, 13_610)
    student_with_run(f"Bob {tag}", 1, 0.95, 13_610)
    student_with_run(f"Cy {tag}", 1, 0.99, 50_000)  # over the parameter limit
    student_with_run(f"Di {tag}", 1, 0.97, 13_610, epochs=3)  # over the epoch limit
    app = open_app("pages/leaderboard.py")
    assert_no_exception(app)
    assert "Digits cup" in texts(app)
    ranked, others = app.dataframe
    mine = ranked.value[ranked.value["Student"].str.endswith(tag)]
    assert list(mine["Student"]) == [f"Bob {tag}", f"Ada {tag}"]
    assert list(mine["Test accuracy"]) == [95.0, 91.0]
    why = dict(zip(others.value["Student"], others.value["Not counted because"], strict=True))
    assert why[f"Cy {tag}"] == "50,000 parameters, over 20,000"
    assert why[f"Di {tag}"] == "3 epochs, over 2"
    assert "student-" not in str(ranked.value) + str(others.value)  # never an address


def test_a_hidden_page_refuses_by_its_address_and_lessons_do_not_open_it():
    class_controls.write(
        class_settings.CONTROLS, controls.make(hidden_pages=["evaluate", "train"]).to_dict()
    )
    app = open_app("pages/evaluate.py")
    assert "hidden the Evaluate page" in app.info[-1].value
    assert not app.metric  # nothing of the page itself
    app.switch_page("pages/compare.py").run()
    assert_no_exception(app)
    assert not any("hidden" in info.value for info in app.info)
    # A lesson's Try it asks the same question, so it never opens a hidden page.
    assert lesson_try_it.may_open("build") and not lesson_try_it.may_open("train")


def test_the_class_caps_refuse_a_training_over_them_and_bound_the_epochs():
    class_controls.write(
        class_settings.CONTROLS, controls.make(max_params=1000, max_epochs=2).to_dict()
    )
    app = open_app("pages/train.py")
    assert_no_exception(app)
    error = app.error[0].value
    assert "your teacher allows at most 1,000 in this class" in error
    assert by_label(app.button, "Train").disabled
    assert by_label(app.number_input, "Epochs").max == 2
    class_controls.write(class_settings.CONTROLS, None)
    app.run()
    assert not app.error and not by_label(app.button, "Train").disabled


def test_a_fixed_data_set_is_the_only_choice_in_the_sidebar():
    class_controls.write(class_settings.CONTROLS, controls.make(dataset="fashion_mnist").to_dict())
    app = open_app("pages/build.py")
    (chooser,) = [box for box in app.sidebar.selectbox if box.label == "Data set"]
    assert chooser.options == ["Fashion-MNIST (set by your teacher)"]
    assert app.session_state[keys.WORKSPACE][keys.DATASET] == "fashion_mnist"


def test_the_teacher_sets_a_challenge_and_controls_and_the_projector_shows_the_board(
    monkeypatch,
):
    from cnnviz.classroom import signin

    monkeypatch.setattr(signin, "GATE", signin.Gate())
    monkeypatch.setenv("CNNVIZ_TEACHER_PASSWORD", "tulip-42")
    app = open_app("pages/teacher.py")
    by_label(app.text_input, "Class password").input("tulip-42")
    by_label(app.button, "Sign in").click().run()
    by_label(app.text_input, "Challenge title").input("Tiny nets")
    by_label(app.number_input, "Most parameters (0: no limit)").set_value(20_000)
    by_label(app.button, "Set the challenge").click().run()
    assert_no_exception(app)
    made = class_controls.challenge()
    assert (made.title, made.dataset, made.max_params, made.max_epochs) == (
        "Tiny nets",
        "mnist",
        20_000,
        5,
    )
    by_label(app.multiselect, "Hidden pages").select("evaluate")
    by_label(app.button, "Apply to the class").click().run()
    assert_no_exception(app)
    assert class_controls.controls().hidden_pages == ("evaluate",)
    # The teacher still opens a page hidden from the class.
    app.switch_page("pages/evaluate.py").run()
    assert not any("hidden" in info.value for info in app.info)
    student_with_run(f"Eve {uuid.uuid4().hex[:6]}", 1, 0.9, 13_610)
    app.switch_page("pages/projector.py").run()
    assert_no_exception(app)
    assert any(title.value == "Tiny nets" for title in app.title)
    (chart,) = [chart for chart in app.get("plotly_chart")]
    assert "Eve" in chart.proto.spec


def test_build_says_a_model_is_too_big_for_the_class():
    class_controls.write(class_settings.CONTROLS, controls.make(max_params=1000).to_dict())
    app = open_app("pages/build.py")
    assert_no_exception(app)
    assert any(
        "Too big for this class" in error.value
        and "your teacher allows at most 1,000" in error.value
        for error in app.error
    )
