"""`cnnviz bench class` on a small class: the figures and the JSON summary."""

from __future__ import annotations

import argparse

import pytest

from cnnviz.bench import class_view


def test_a_small_class_is_measured_with_one_statement_per_refresh(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CNNVIZ_STATE_DIR", str(tmp_path))  # the bench sets its own; restored after
    monkeypatch.setenv("CNNVIZ_TEACHER_PASSWORD", "x")
    arguments = argparse.Namespace(students=12, training=3, rounds=1)
    summary = class_view.run(arguments)
    assert summary["students"] == 12 and summary["training"] == 3
    assert summary["sql_per_class_view_refresh"] == 1
    assert summary["sql_per_leaderboard_refresh"] == 1
    assert summary["class_view_seconds"] > 0 and summary["leaderboard_seconds"] > 0
    assert "class view refresh" in capsys.readouterr().out


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="--training between 0 and --students"):
        class_view.run(argparse.Namespace(students=5, training=6, rounds=1))
