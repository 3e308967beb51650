"""The teacher's settings from the environment, and the password file."""

from __future__ import annotations

import pytest

from cnnviz.classroom import settings


def test_the_password_comes_from_the_environment_and_empty_means_none():
    assert settings.teacher_password({"CNNVIZ_TEACHER_PASSWORD": "s3cret"}) == "s3cret"
    assert settings.teacher_password({"CNNVIZ_TEACHER_PASSWORD": ""}) is None
    assert settings.teacher_password({}) is None


def test_the_emails_are_a_comma_separated_lower_cased_list():
    environment = {"CNNVIZ_TEACHER_EMAILS": " Ann@School.org, ,bob@school.org "}
    assert settings.teacher_emails(environment) == {"ann@school.org", "bob@school.org"}


def test_the_class_window_defaults_to_three_hours_and_refuses_nonsense():
    assert settings.class_hours({}) == 3.0
    assert settings.class_hours({"CNNVIZ_CLASS_HOURS": "1.5"}) == 1.5
    for bad in ("0", "-2", "soon", "inf"):
        with pytest.raises(ValueError, match="CNNVIZ_CLASS_HOURS must be a positive"):
            settings.class_hours({"CNNVIZ_CLASS_HOURS": bad})


def test_the_password_file_gives_its_first_line(tmp_path):
    path = tmp_path / "password.txt"
    path.write_text("  with spaces \nsecond line\n", encoding="utf-8")
    assert settings.password_from_file(path) == "  with spaces "
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="first line is empty"):
        settings.password_from_file(path)
    with pytest.raises(ValueError, match="missing.txt does not exist"):
        settings.password_from_file(tmp_path / "missing.txt")


@pytest.mark.parametrize(("path", "message"), [("/dev/zero", "is a device"), ("/tmp", "a folder")])
def test_a_password_file_that_is_not_a_file_is_refused_at_once(path, message):
    with pytest.raises(ValueError, match=message):
        settings.password_from_file(path)
