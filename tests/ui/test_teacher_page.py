"""The Teacher page, the Start page's name field and the Build page's hand-out notice (AppTest)."""

from __future__ import annotations

import io
import types
import uuid

import numpy as np
import pytest
import sqlalchemy as sa
import streamlit

from cnnviz.classroom import signin
from cnnviz.store import classroom as class_store
from cnnviz.store import schema
from cnnviz.training import presets
from cnnviz.ui import class_view, handout_panel, saving, teacher_signin
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception, by_label, open_app

PASSWORD = "tulip-42"


@pytest.fixture
def classmates() -> list[str]:
    """Two named students kept in the store, visited now (names unique to this test)."""
    tag = uuid.uuid4().hex[:6]
    names = [f"Ada {tag}", f"Bob {tag}"]
    spec = presets.preset_spec("tiny", (28, 28, 1), 10)
    for name in names:
        workspace_id = f"student-{uuid.uuid4().hex}"
        saving.store().save_workspace(workspace_id, {keys.SPEC: spec}, name=name)
    return names


@pytest.fixture
def fresh_gate(monkeypatch):
    # The server-wide gate remembers other tests' wrong tries; each test starts without any.
    monkeypatch.setattr(signin, "GATE", signin.Gate())


def page_text(app) -> str:
    parts = [element.value for element in (*app.markdown, *app.caption, *app.error, *app.info)]
    parts += [str(frame.value) for frame in app.dataframe]
    return "\n".join(str(part) for part in parts)


def sign_in(app, password: str):
    by_label(app.text_input, "Class password").input(password)
    by_label(app.button, "Sign in").click().run()
    assert_no_exception(app)


def test_without_a_password_the_page_says_how_to_set_one(monkeypatch, classmates):
    monkeypatch.delenv("CNNVIZ_TEACHER_PASSWORD", raising=False)
    app = open_app("pages/teacher.py")
    assert "--teacher-password-file" in app.info[0].value
    assert "CNNVIZ_TEACHER_PASSWORD" in app.info[0].value
    assert not app.text_input and not app.dataframe
    assert classmates[0] not in page_text(app)


def test_a_wrong_password_shows_an_error_and_nothing_of_the_class(
    monkeypatch, classmates, fresh_gate
):
    monkeypatch.setenv("CNNVIZ_TEACHER_PASSWORD", PASSWORD)
    app = open_app("pages/teacher.py")
    sign_in(app, "tulip-41")
    assert "not the class password" in app.error[0].value
    assert not app.dataframe
    assert all(name not in page_text(app) for name in classmates)
    assert teacher_signin.SIGNED_IN not in app.session_state
    # At once again: this session waits, even with the right password.
    sign_in(app, PASSWORD)
    assert "Too many wrong tries" in app.error[0].value
    assert not app.dataframe


def test_the_right_password_shows_the_class_and_sign_out_ends_it(
    monkeypatch, classmates, fresh_gate
):
    monkeypatch.setenv("CNNVIZ_TEACHER_PASSWORD", PASSWORD)
    app = open_app("pages/teacher.py")
    sign_in(app, PASSWORD)
    (table,) = app.dataframe
    students = list(table.value["Student"])
    assert all(name in students for name in classmates)
    row = table.value[table.value["Student"] == classmates[0]].iloc[0]
    assert row["Layers"] == "Conv2D 8 · MaxPool · Flatten · Dense 10"
    assert row["Parameters"] == 80 + 13_530
    assert row["State"] == "building"
    # The teacher's own workspace is not in the class.
    assert app.session_state[keys.WORKSPACE_ID] not in str(table.value)
    # Choosing a student opens their network, read-only.
    chooser = by_label(app.selectbox, "Look at a student's work (read-only)")
    workspace_id = next(
        row.workspace_id for row in app.session_state[class_view.ROWS] if row.name == classmates[0]
    )
    chooser.set_value(workspace_id).run()
    assert_no_exception(app)
    assert any(classmates[0] in header.value for header in app.subheader)
    assert "Read-only" in page_text(app)
    by_label(app.button, "Sign out").click().run()
    assert not app.dataframe and by_label(app.text_input, "Class password")


def test_the_allow_list_lets_in_only_listed_teachers(monkeypatch):
    monkeypatch.setenv("CNNVIZ_TEACHER_EMAILS", "teacher@school.org")
    user = types.SimpleNamespace(is_logged_in=True, email="Teacher@School.org")
    monkeypatch.setattr(streamlit, "user", user)
    assert teacher_signin.sso_teacher()
    user.email = "pupil@school.org"
    assert not teacher_signin.sso_teacher()
    user.is_logged_in, user.email = False, "teacher@school.org"
    assert not teacher_signin.sso_teacher()
    monkeypatch.delenv("CNNVIZ_TEACHER_EMAILS")
    user.is_logged_in = True
    assert not teacher_signin.sso_teacher()


def test_the_name_on_start_is_kept_in_the_workspace():
    app = open_app()
    by_label(app.text_input, "Your name").input("  Ada   Lovelace ").run()
    assert app.session_state[keys.WORKSPACE][keys.NAME] == "Ada Lovelace"


@pytest.fixture
def no_hand_outs_left():
    """The test store is shared by the whole session: other tests' Build pages must not show
    this test's hand-outs."""
    yield
    with saving.store().engine.begin() as connection:
        connection.execute(sa.delete(schema.handouts))


def test_a_hand_out_reaches_build_and_load_keeps_undo(no_hand_outs_left):
    spec = presets.preset_spec("lenet5", (28, 28, 1), 10)
    content = {"title": "LeNet *5*", "spec": spec, "settings": {"epochs": 2}, "dataset": None}
    handout_id = class_store.add_handout(saving.store().engine, "Ms [T]", content)
    app = open_app("pages/build.py")
    before = app.session_state[keys.WORKSPACE][keys.SPEC]
    notices = [m.value for m in app.markdown if "From your teacher" in m.value]
    assert any(r"From your teacher (Ms \[T\]):** LeNet \*5\*" in text for text in notices)
    app.button(key=f"handout_load_{handout_id}").click().run()
    assert_no_exception(app)
    work = app.session_state[keys.WORKSPACE]
    assert work[keys.SPEC] == spec and work[keys.SPEC_UNDO] == before
    assert work[keys.TRAIN_SETTINGS]["epochs"] == 2
    assert handout_id in work[keys.HANDOUTS_DONE]
    by_label(app.button, "Undo").click().run()
    assert app.session_state[keys.WORKSPACE][keys.SPEC] == before
    assert f"handout_load_{handout_id}" not in [b.key for b in app.button]


def small_npz() -> bytes:
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        x_train=rng.integers(0, 255, (40, 12, 12, 1), dtype=np.uint8),
        y_train=np.arange(40) % 3,
        x_test=rng.integers(0, 255, (9, 12, 12, 1), dtype=np.uint8),
        y_test=np.arange(9) % 3,
        class_names=np.array(["circle", "square", "star"]),
    )
    return buffer.getvalue()


def test_an_uploaded_data_set_is_handed_out_with_a_preset_fitted_to_it(
    monkeypatch, fresh_gate, no_hand_outs_left
):
    monkeypatch.setenv("CNNVIZ_TEACHER_PASSWORD", PASSWORD)
    teacher = open_app("pages/teacher.py")
    sign_in(teacher, PASSWORD)
    by_label(teacher.text_input, "Your name, as students see it").input("Ms Rivera")
    teacher.radio[0].set_value("A preset")
    teacher.selectbox(key="teacher_handout_data").set_value(handout_panel.UPLOAD_DATASET).run()
    uploader = next(u for u in teacher.get("file_uploader") if u.key == "teacher_handout_npz")
    uploader.set_value(("shapes.npz", small_npz(), "application/octet-stream")).run()
    by_label(teacher.selectbox, "Preset").set_value("tiny").run()
    by_label(teacher.button, "Send to class").click().run()
    assert_no_exception(teacher)
    assert "the data set shapes" in teacher.success[0].value

    (handout,) = class_store.handouts(saving.store().engine)
    assert handout.content["spec"] == presets.preset_spec("tiny", (12, 12, 1), 3)
    student = open_app("pages/build.py")
    student.button(key=f"handout_load_{handout.handout_id}").click().run()
    assert_no_exception(student)
    work = student.session_state[keys.WORKSPACE]
    assert work[keys.DATASET] == f"handout:{handout.handout_id}"
    # The sidebar offers it by its title, and every page uses it.
    chooser = student.sidebar.selectbox[0]
    assert chooser.value == f"handout:{handout.handout_id}"
    assert "shapes (from your teacher)" in chooser.format_func(chooser.value)
    # Build reads the handed-out data set: its shape, and the preset fits it.
    assert "**Input**: shapes images, 12 x 12 x 1" in page_text(student)
    assert "This network is ready to train." in [s.value for s in student.success]
