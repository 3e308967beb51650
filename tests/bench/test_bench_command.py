"""`cnnviz bench <what>`: every benchmark in one registry, each with its own options.

The measurements themselves are tested where they are cheap (test_bench_queue, test_cli's
quick training-path run, test_evaluation, test_bench_first_page); here the command's wiring.
"""

import dataclasses
import json

import pytest

from cnnviz.cli import bench_command
from cnnviz.cli import main as cli

EXPECTED = {
    "training",
    "queue",
    "ray",
    "inspect",
    "evaluation",
    "own-data",
    "memory",
    "responsiveness",
    "first-page",
    "lessons",
    "store",
    "class",
}


def run_cli(arguments, capsys):
    try:
        status = cli.main(arguments)
    except SystemExit as exit_request:  # argparse's own usage errors and --help
        status = exit_request.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_registry_holds_every_benchmark_once():
    names = [benchmark.name for benchmark in bench_command.BENCHMARKS]
    assert sorted(names) == sorted(EXPECTED)
    for benchmark in bench_command.BENCHMARKS:
        assert "\n" not in benchmark.help and len(benchmark.help) <= 52


def test_bench_help_lists_every_benchmark_on_one_line(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    status, out, _ = run_cli(["bench", "--help"], capsys)
    assert status == 0
    lines = out.splitlines()
    for benchmark in bench_command.BENCHMARKS:
        (line,) = [line for line in lines if line.split()[:1] == [benchmark.name]]
        assert line.strip().endswith(benchmark.help)
    # Plain `cnnviz bench` keeps the training path's options.
    for option in ("--quick", "--queued-jobs", "--ray-address", "--batch-sizes"):
        assert option in out


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--quick"], {"what": "training", "quick": True, "queued_jobs": "0"}),
        (["--queued-jobs", "6", "--ray-address", "local"], {"ray_address": "local"}),
        (["training", "--batch-sizes", "64"], {"what": "training", "batch_sizes": "64"}),
        (["queue"], {"what": "queue", "queued_jobs": "3", "batch_size": "128"}),
        (["queue", "--queued-jobs", "5", "--rounds", "2"], {"queued_jobs": "5", "rounds": "2"}),
        (["ray"], {"what": "ray", "ray_address": "local", "queued_jobs": "6"}),
        (["ray", "--ray-address", "auto", "--quick"], {"ray_address": "auto", "quick": True}),
        (["inspect", "--rounds", "4"], {"what": "inspect", "rounds": 4, "data_dir": None}),
        (["evaluation"], {"dataset": "mnist", "preset": "keras_example", "rounds": 3}),
        (["evaluation", "--dataset", "cifar10", "--rounds", "1"], {"dataset": "cifar10"}),
        (["own-data", "--images", "50"], {"images": 50, "rounds": 3, "cifar_jpeg": None}),
        (["memory"], {"cycles": 20, "limit": 1000, "variant": None}),
        (["memory", "--variant", "drop", "--cycles", "3"], {"variant": "drop", "cycles": 3}),
        (["responsiveness"], {"edits": 10, "epochs": 100, "tf_threads": None}),
        (["responsiveness", "--tf-threads", "1"], {"tf_threads": 1}),
        (["first-page"], {"what": "first-page", "servers": "5"}),
        (["first-page", "--servers", "2"], {"servers": "2"}),
        (["lessons"], {"what": "lessons", "rounds": 5, "students": 30}),
    ],
)
def test_each_benchmark_parses_its_own_options(arguments, expected):
    parsed = cli.build_parser().parse_args(["bench", *arguments])
    for name, value in expected.items():
        assert getattr(parsed, name) == value, name
    expected_what = expected.get("what", parsed.what)
    assert bench_command.BY_NAME[parsed.what].name == expected_what


def test_an_unknown_benchmark_is_an_argparse_usage_error(capsys):
    status, _, stderr = run_cli(["bench", "speed"], capsys)
    assert status == 2
    assert "invalid choice: 'speed'" in stderr


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["queue", "--queued-jobs", "0"], "--queued-jobs must be at least 1"),
        (["queue", "--dataset", "svhn"], "mnist"),
        (["ray", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["inspect", "--rounds", "0"], "--rounds must be at least 1"),
        (["evaluation", "--rounds", "0"], "--rounds must be at least 1"),
        (["own-data", "--images", "0"], "--images and --rounds must be at least 1"),
        (["memory", "--cycles", "1"], "--cycles must be at least 2"),
        (["memory", "--limit", "5"], "--limit must be at least 10"),
        (["responsiveness", "--edits", "0"], "--edits and --epochs must be at least 1"),
        (["first-page", "--servers", "none"], "--servers must be a whole number"),
        (["lessons", "--rounds", "0"], "--rounds and --students must be at least 1"),
    ],
)
def test_bad_options_end_with_one_line_before_any_work(arguments, expected, capsys):
    status, out, stderr = run_cli(["bench", *arguments], capsys)
    assert status == 2
    assert out == ""
    (line,) = stderr.strip().splitlines()
    assert line.startswith("cnnviz bench: error: ")
    assert expected in line


def test_own_data_imports_a_small_zip_and_prints_its_figures(capsys):
    status, out, _ = run_cli(["bench", "own-data", "--images", "20", "--rounds", "2"], capsys)
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("round 1: 20 pictures in ")
    assert lines[1].startswith("round 2: 20 pictures in ")
    summary = json.loads(lines[-1])
    assert summary["images"] == 20 and summary["source"] == "noise jpeg"
    assert len(summary["seconds"]) == 2 and summary["median_seconds"] > 0


def _replace_run(monkeypatch, name, run):
    entry = dataclasses.replace(bench_command.BY_NAME[name], run=run)
    monkeypatch.setitem(bench_command.BY_NAME, name, entry)


def test_a_missed_goal_ends_with_status_1_after_the_summary(capsys, monkeypatch):
    _replace_run(monkeypatch, "responsiveness", lambda arguments: {"goal_met": False})
    status, out, _ = run_cli(["bench", "responsiveness"], capsys)
    assert status == 1
    assert json.loads(out.strip().splitlines()[-1]) == {"goal_met": False}


def test_a_failed_measurement_is_one_line_with_status_1(capsys, monkeypatch):
    def fail(arguments):
        raise RuntimeError("the app did not start in 60 s")

    _replace_run(monkeypatch, "first-page", fail)
    status, out, stderr = run_cli(["bench", "first-page"], capsys)
    assert status == 1
    assert out == ""
    assert stderr.strip() == "cnnviz bench first-page: failed: the app did not start in 60 s"
