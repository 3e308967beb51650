"""The teacher's room in Chromium: a teacher and three named students on one server.

A student who opens Teacher with a wrong password sees an error and no classmate's name; the
teacher sees all three, two of them training, then all three with their accuracies (in the
table and the CSV); a student's work opens read-only; Send to class reaches a student's Build.
"""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest

from .conftest import (
    PAGE_LOAD_TIMEOUT_MS,
    VIEWPORT,
    PageWatch,
    assert_no_exception,
    serve_app,
    wait_until_idle,
    wait_until_loaded,
    workspace_id_of,
)
from .steps import (
    FINISHED,
    TRAINING_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    app_button,
    choose,
    expect,
    go_to,
    load_tiny_cnn,
    set_number,
)

pytestmark = pytest.mark.e2e

PASSWORD = "tulip-42 and a long tail"
# Names with Markdown and HTML in them: shown as typed, never as formatting.
STUDENTS = ["Ada *Lovelace*", "Grace <b>Hopper</b>", "Alan [Turing]"]
TRAIN_IMAGES = 500


def open_context(browser, url: str, path: str, heading: str):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    watch = PageWatch(page, url)
    page.goto(f"{url}/{path}", timeout=PAGE_LOAD_TIMEOUT_MS)
    wait_until_loaded(page, heading)
    return context, page, watch


def name_student(page, name: str) -> None:
    field = page.get_by_label("Your name", exact=True)
    field.fill(name)
    field.press("Enter")
    wait_until_idle(page)


def prepare_training(page) -> None:
    """Tiny CNN, 500 training images, one epoch: ready to press Train."""
    go_to(page, "Build", "Build your network")
    load_tiny_cnn(page)
    wait_until_idle(page)
    go_to(page, "Train", "Train")
    set_number(page, "Training images", TRAIN_IMAGES)
    set_number(page, "Epochs", 1)


def sign_in(page, password: str) -> None:
    page.get_by_label("Class password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    wait_until_idle(page)


def class_csv(page) -> list[dict]:
    """The class view as the teacher downloads it."""
    with page.expect_download(timeout=UI_TIMEOUT_MS) as download:
        page.get_by_role("button", name="Download the class as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    # Away from the button, so that its help does not cover the table in screenshots.
    page.mouse.move(5, 5)
    return list(csv.DictReader(io.StringIO(text)))


def refresh_class(page) -> None:
    """A full run of the Teacher page (the sign-in stays: it belongs to the session)."""
    go_to(page, "Start", "cnnviz")
    go_to(page, "Teacher", "Teacher")


# long: one story in a real browser, from four contexts, step by step.
def test_a_teacher_sees_three_students_train_and_hands_out_a_network(browser, screenshot, tmp_path):
    environment = {
        "CNNVIZ_STATE_DIR": str(tmp_path / "state"),
        "CNNVIZ_TEACHER_PASSWORD": PASSWORD,
        "CNNVIZ_MAX_TRAININGS": "2",
    }
    contexts = []
    with serve_app(tmp_path / "streamlit.log", environment=environment) as server:
        try:
            students = []
            for name in STUDENTS:
                context, page, watch = open_context(browser, server.url, "", "cnnviz")
                contexts.append(context)
                name_student(page, name)
                prepare_training(page)
                students.append((page, watch))
            pages = [page for page, _watch in students]

            # A student tries the Teacher page: an error, and nobody's name.
            intruder = pages[2]
            go_to(intruder, "Teacher", "Teacher")
            sign_in(intruder, "tulip-41")
            expect(intruder.get_by_text("not the class password")).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )
            body = intruder.locator("[data-testid=stMain]").inner_text()
            assert all(name not in body for name in STUDENTS[:2])
            assert intruder.get_by_test_id("stDataFrame").count() == 0
            screenshot(intruder, "01-wrong-password")
            go_to(intruder, "Train", "Train")

            # The teacher signs in and sees the three, building.
            context, teacher, teacher_watch = open_context(
                browser, server.url, "teacher", "Teacher"
            )
            contexts.append(context)
            sign_in(teacher, PASSWORD)
            expect(teacher.get_by_test_id("stDataFrame")).to_be_visible(timeout=UI_TIMEOUT_MS)
            rows = class_csv(teacher)
            assert sorted(row["Student"] for row in rows) == sorted(STUDENTS)

            # Two students train; the teacher's view shows them training by itself.
            for page in pages[:2]:
                app_button(page, "Train").click()
            refresh_class(teacher)
            deadline = time.monotonic() + TRAINING_TIMEOUT_MS / 1000
            states = []
            while time.monotonic() < deadline:
                states = [row["State"] for row in class_csv(teacher)]
                if sum(state.startswith(("training", "queued")) for state in states) >= 2:
                    break
                time.sleep(0.3)
            assert sum(s.startswith(("training", "queued")) for s in states) >= 2, states
            screenshot(teacher, "02-class-while-two-train")

            app_button(pages[2], "Train").click()
            for page in pages:
                expect(page.get_by_text(FINISHED).first).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
            # The view refreshes by itself (no click) until all three have finished.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                rows = class_csv(teacher)
                if all(row["State"] == "finished" for row in rows):
                    break
                time.sleep(1)
            by_name = {row["Student"]: row for row in rows}
            assert sorted(by_name) == sorted(STUDENTS)
            for row in rows:
                assert row["State"] == "finished"
                assert 0 < float(row["Best test accuracy"]) <= 100
                assert row["Layers"] == "Conv2D 8 · MaxPool · Flatten · Dense 10"
            # Ada removes her Flatten layer: a Dense on feature maps is an error to flag.
            go_to(pages[0], "Build", "Build your network")
            wait_until_idle(pages[0])
            # One container per layer card's Remove button (it holds the button twice over).
            removes = pages[0].locator("[class*=st-key-remove]")
            expect(removes).to_have_count(4, timeout=UI_TIMEOUT_MS)
            removes.nth(2).locator("button").first.click()  # the third layer, Flatten
            expect(pages[0].get_by_text("needs a flat vector").first).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )
            wait_until_idle(pages[0])
            time.sleep(1)  # the saver writes within 0.5 s
            refresh_class(teacher)
            rows = {row["Student"]: row for row in class_csv(teacher)}
            assert rows[STUDENTS[0]]["Trouble"] == "spec has errors"
            assert rows[STUDENTS[1]]["Trouble"] == ""
            expect(teacher.get_by_test_id("stDataFrame")).to_be_visible()
            screenshot(teacher, "03-class-finished-one-in-trouble")

            # One student's work, read-only: network, curves, confusion matrix.
            choose(teacher, "Look at a student's work (read-only)", STUDENTS[0])
            expect(teacher.get_by_text(f"{STUDENTS[0]}'s network")).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )
            teacher.get_by_text("Show the confusion matrix").click()
            expect(teacher.get_by_test_id("stPlotlyChart")).to_have_count(
                3, timeout=TRAINING_TIMEOUT_MS
            )
            assert_no_exception(teacher)
            # Never a student's address (the key to their work) on the teacher's screen.
            shown = teacher.locator("[data-testid=stMain]").inner_text()
            assert all(workspace_id_of(page) not in shown for page in pages)
            screenshot(teacher, "04-student-read-only")

            # Send to class: a preset, to every student's Build page.
            teacher.get_by_label("Your name, as students see it", exact=True).fill("Ms Rivera")
            teacher.get_by_text("A preset", exact=True).click()
            wait_until_idle(teacher)
            choose(teacher, "Preset", "LeNet-5")
            app_button(teacher, "Send to class").click()
            expect(teacher.get_by_text("to every student")).to_be_visible(timeout=UI_TIMEOUT_MS)

            student = pages[1]
            go_to(student, "Build", "Build your network")
            notice = student.get_by_text(re.compile(r"From your teacher \(Ms Rivera\)"))
            expect(notice).to_be_visible(timeout=UI_TIMEOUT_MS)
            screenshot(student, "05-hand-out-notice")
            app_button(student, "Load").click()
            expect(notice).to_have_count(0, timeout=UI_TIMEOUT_MS)
            expect(app_button(student, "Undo")).to_be_enabled(timeout=UI_TIMEOUT_MS)
            assert_no_exception(student)
            for _page, watch in [*students, (teacher, teacher_watch)]:
                watch.assert_clean()
        finally:
            for context in contexts:
                context.close()
