"""Tests for `cnnviz bench first-page` (the browser measure is in tests/e2e)."""

import json

import pytest

from cnnviz.bench import browser
from cnnviz.cli import main as cli


@pytest.mark.parametrize("servers", ["0", "five"])
def test_bench_first_page_refuses_a_bad_server_count(servers, capsys):
    assert cli.main(["bench", "first-page", "--servers", servers]) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("cnnviz bench: error: --servers must be")
    assert len(stderr.strip().splitlines()) == 1


def test_bench_still_means_the_training_benchmark_without_a_word():
    arguments = cli.build_parser().parse_args(["bench", "--quick"])
    assert arguments.what == "training" and arguments.quick


def test_without_a_browser_the_first_script_run_is_timed_over_http(monkeypatch, tmp_path, capsys):
    """Starts one real server (on loopback) and times its first script run."""
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CNNVIZ_OFFLINE", "1")
    status = cli.main(["bench", "first-page", "--servers", "1"])
    assert status == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "no browser" in lines[0] and "no-chromium is missing" in lines[0]
    assert lines[1].startswith("server 1: listening after ")
    assert "first script run done after" in lines[1]
    summary = json.loads(lines[-1])
    (up,) = summary["up_seconds"]
    (first_page,) = summary["first_page_seconds"]
    assert 0 < up <= first_page == summary["median_seconds"]
    assert summary["offline"] == "1"
