"""`cnnviz app --teacher-password-file`: the password reaches the server by its environment."""

from __future__ import annotations

import sys

from cnnviz.cli import app_command, launcher
from helpers.commands import run_cli


def fake_app(tmp_path, monkeypatch) -> dict:
    launched = {}

    def fake_run_server(command, environment, cwd):
        launched.update(command=command, env=environment)
        return 0

    app_path = tmp_path / "app.py"
    app_path.write_text("")
    for name in ("pages", "assets", ".streamlit"):
        (tmp_path / name).mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text("")
    monkeypatch.setattr(app_command, "app_script_path", lambda: app_path)
    monkeypatch.setattr(launcher, "run_server", fake_run_server)
    monkeypatch.delenv("CNNVIZ_TEACHER_PASSWORD", raising=False)
    return launched


def test_the_password_file_sets_the_variable_and_never_the_command_line(
    tmp_path, capsys, monkeypatch
):
    launched = fake_app(tmp_path, monkeypatch)
    password_file = tmp_path / "class-password"
    password_file.write_text("tulip-42\n", encoding="utf-8")
    status, _, _ = run_cli(["app", "--teacher-password-file", str(password_file)], capsys)
    assert status == 0
    assert launched["env"]["CNNVIZ_TEACHER_PASSWORD"] == "tulip-42"
    assert not any("tulip-42" in part for part in launched["command"])
    assert launched["command"][:3] == [sys.executable, "-m", "streamlit"]


def test_a_missing_or_empty_password_file_is_one_line_with_status_2(tmp_path, capsys, monkeypatch):
    fake_app(tmp_path, monkeypatch)
    status, _, stderr = run_cli(["app", "--teacher-password-file", str(tmp_path / "nope")], capsys)
    assert status == 2 and "--teacher-password-file " in stderr and "does not exist" in stderr
    empty = tmp_path / "empty"
    empty.write_text("\n")
    status, _, stderr = run_cli(["app", "--teacher-password-file", str(empty)], capsys)
    assert status == 2 and "first line is empty" in stderr


def test_a_bad_class_window_is_refused_before_the_server_starts(tmp_path, capsys, monkeypatch):
    fake_app(tmp_path, monkeypatch)
    monkeypatch.setenv("CNNVIZ_CLASS_HOURS", "a while")
    status, _, stderr = run_cli(["app"], capsys)
    assert status == 2 and "CNNVIZ_CLASS_HOURS must be a positive" in stderr
