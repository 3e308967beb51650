"""Tests for cnnviz.cli: the `cnnviz` command's app, train and bench subcommands.

Most cases call `cli.main([...])` in this process. A few run the real command in a subprocess:
training end to end, Ctrl-C, and the quick benchmark. Streamlit itself is never started.
"""

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnviz import app_files
from cnnviz.cli import app_command, launcher, progress
from cnnviz.cli import main as cli
from cnnviz.data import datasets
from cnnviz.training import presets
from helpers.commands import run_cli

TINY_LAYERS = [
    {"type": "Conv2D", "filters": 4, "kernel_size": 3, "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Flatten"},
    {"type": "Dense", "units": 10, "activation": "softmax"},
]
SUMMARY_KEYS = {
    "test_accuracy",
    "train_seconds",
    "samples_per_second",
    "epochs",
    "params",
    "dataset",
    "data_source",
    "preset",
    "spec",
    "state",
}
SUBPROCESS_SECONDS = 300  # only bounds how long a broken test hangs


def run_command(arguments, timeout=SUBPROCESS_SECONDS):
    environment = {**os.environ, "CNNVIZ_OFFLINE": "1"}
    environment.pop(datasets.DATA_DIR_ENV, None)
    return subprocess.run(
        [sys.executable, "-m", "cnnviz.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


def last_json_line(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def write_spec(path: Path, spec) -> Path:
    path.write_text(json.dumps(spec))
    return path


# ----- cnnviz train: bad input -----


# Each case: extra arguments ({tmp} stands for the folder `input_files` fills) and a word the
# error line must contain.
BAD_TRAIN_INPUTS = {
    "unknown data set": (["--dataset", "imagenet"], "mnist"),
    "unknown preset": (["--preset", "resnet"], "keras_example"),
    "zero epochs": (["--epochs", "0"], "epochs"),
    "epochs not a number": (["--epochs", "two"], "--epochs"),
    "zero batch size": (["--batch-size", "0"], "batch_size"),
    "zero learning rate": (["--learning-rate", "0"], "learning_rate"),
    "negative learning rate": (["--learning-rate", "-0.1"], "learning_rate"),
    "learning rate not a number": (["--learning-rate", "fast"], "--learning-rate"),
    "unknown optimizer": (["--optimizer", "adagrad"], "optimizer"),
    "unknown schedule": (["--lr-schedule", "triangle"], "one_cycle"),
    "label smoothing too large": (["--label-smoothing", "0.9"], "label_smoothing"),
    "label smoothing not a number": (["--label-smoothing", "some"], "--label-smoothing"),
    "limit too small": (["--limit", "5"], "at least 10"),
    "spec and preset": (["--spec", "{tmp}/layers.json", "--preset", "tiny"], "not both"),
    "invalid spec": (["--spec", "{tmp}/invalid.json"], "Layer 2"),
    "missing spec file": (["--spec", "{tmp}/missing.json"], "does not exist"),
    "spec not JSON": (["--spec", "{tmp}/not_json.json"], "not valid JSON"),
    "missing data dir": (["--data-dir", "{tmp}/nowhere"], "does not exist"),
    "broken data file": (["--data-dir", "{tmp}/broken_data"], "mnist.npz"),
    "out is a file": (["--out", "{tmp}/a_file"], "is a file"),
    "negative seed": (["--seed", "-1"], "seed"),
    "epochs over the server limit": (["--epochs", "500"], "at most 100"),
    "endless spec file": (["--spec", "/dev/zero"], "is a device, not a regular file"),
    "spec file over the size limit": (["--spec", "{tmp}/huge.json"], "larger than 256 KB"),
    "322 M parameters": (["--spec", "{tmp}/dense_200k.json"], "at most 5,000,000"),
    "5,000 layers": (["--spec", "{tmp}/deep.json"], "at most 500"),
    "kernel 300 with padding same": (["--spec", "{tmp}/kernel_300.json"], "at most 55"),
    "a billion filters": (["--spec", "{tmp}/filters.json"], "at most 4,096"),
    "units 10**30": (["--spec", "{tmp}/units.json"], "at most 1,000,000"),
    "memory over the limit": (["--spec", "{tmp}/wide.json", "--batch-size", "512"], "GB"),
    "name with markup": (["--spec", "{tmp}/script_name.json"], "name"),
    "JSON nested 10,000 deep": (["--spec", "{tmp}/nested.json"], "nested too deeply"),
    "string labels": (["--data-dir", "{tmp}/string_labels"], "whole numbers"),
    "float images scaled 0-1": (["--data-dir", "{tmp}/float_images"], "x * 255"),
}

# Layers before the output layer that make each over-limit spec of the cases above.
OVER_LIMIT_SPECS = {
    "dense_200k": [{"type": "Flatten"}, {"type": "Dense", "units": 200_000}],
    "deep": [{"type": "Flatten"}] + [{"type": "Activation", "activation": "relu"}] * 5000,
    "kernel_300": [{"type": "Conv2D", "filters": 8, "kernel_size": 300, "padding": "same"}],
    "filters": [{"type": "Conv2D", "filters": 1_000_000_000, "kernel_size": 3}],
    "units": [{"type": "Flatten"}, {"type": "Dense", "units": 10**30}],
    "wide": [
        {"type": "Conv2D", "filters": 512, "kernel_size": 3, "padding": "same"},
        {"type": "Conv2D", "filters": 512, "kernel_size": 3, "padding": "same"},
        {"type": "GlobalAveragePooling2D"},
    ],
}


@pytest.fixture
def input_files(tmp_path):
    """A folder holding the files the bad-input cases name."""
    (tmp_path / "broken_data").mkdir()
    (tmp_path / "broken_data" / "mnist.npz").write_bytes(b"this is not a numpy file")
    write_spec(tmp_path / "layers.json", {"layers": TINY_LAYERS})
    dense_on_feature_maps = [
        {"type": "Conv2D", "filters": 8, "kernel_size": 3},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
    write_spec(tmp_path / "invalid.json", {"layers": dense_on_feature_maps})
    (tmp_path / "not_json.json").write_text("{layers: oops")
    (tmp_path / "a_file").write_text("taken")
    output = {"type": "Dense", "units": 10, "activation": "softmax"}
    for name, layers in OVER_LIMIT_SPECS.items():
        write_spec(tmp_path / f"{name}.json", {"layers": [*layers, output]})
    write_spec(
        tmp_path / "script_name.json",
        {"name": "<script>alert(1)</script>", "layers": TINY_LAYERS},
    )
    (tmp_path / "nested.json").write_text("[" * 10_000 + "]" * 10_000)
    (tmp_path / "huge.json").write_text(json.dumps({"layers": TINY_LAYERS, "name": "x" * 300_000}))
    labels = np.array(["zero"] * 20)
    images = np.zeros((20, 28, 28), np.uint8)
    for folder, arrays in (
        ("string_labels", {"x": images, "y": labels}),
        ("float_images", {"x": np.full((20, 28, 28), 0.5), "y": np.zeros(20, np.uint8)}),
    ):
        (tmp_path / folder).mkdir()
        np.savez(
            tmp_path / folder / "mnist.npz",
            x_train=arrays["x"],
            y_train=arrays["y"],
            x_test=arrays["x"],
            y_test=arrays["y"],
        )
    return tmp_path


@pytest.mark.parametrize("case", BAD_TRAIN_INPUTS)
def test_train_reports_bad_input_in_one_line_with_status_2(case, input_files, capsys):
    extra, expected_word = BAD_TRAIN_INPUTS[case]
    extra = [argument.format(tmp=input_files) for argument in extra]
    out_dir = input_files / "out"
    arguments = ["train", "--dataset", "mnist", "--out", str(out_dir), "--limit", "100", *extra]
    status, stdout, stderr = run_cli(arguments, capsys)

    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("cnnviz train: error: ")
    assert expected_word in lines[0]
    assert "Traceback" not in stderr
    assert stdout == ""
    assert not out_dir.exists()


def test_a_bad_grace_period_variable_is_one_line_with_status_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CNNVIZ_SESSION_GRACE_SECONDS", "abc")
    arguments = ["train", "--dataset", "mnist", "--out", str(tmp_path / "out")]
    status, stdout, stderr = run_cli(arguments, capsys)
    assert status == 2
    assert stderr.strip().splitlines() == [
        "cnnviz train: error: CNNVIZ_SESSION_GRACE_SECONDS must be a number of seconds, 0 or "
        "more, such as 60. Received: CNNVIZ_SESSION_GRACE_SECONDS='abc'. Unset it to use the "
        "default, 60."
    ]


def test_app_rejects_a_bad_grace_period_variable(capsys, monkeypatch):
    monkeypatch.setenv("CNNVIZ_SESSION_GRACE_SECONDS", "soon")
    status, _, stderr = run_cli(["app"], capsys)
    assert status == 2
    assert "CNNVIZ_SESSION_GRACE_SECONDS must be a number" in stderr


def test_a_spec_path_that_is_a_folder_is_one_line_with_status_2(tmp_path, capsys):
    arguments = ["train", "--dataset", "mnist", "--spec", str(tmp_path), "--out", "x"]
    status, _, stderr = run_cli(arguments, capsys)
    assert status == 2 and f"--spec {tmp_path} is a folder, not a regular file" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_a_bad_limit_variable_is_one_line_with_status_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_PARAMS", "lots")
    arguments = ["train", "--dataset", "mnist", "--out", str(tmp_path / "out")]
    status, _, stderr = run_cli(arguments, capsys)
    assert status == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "CNNVIZ_MAX_PARAMS must be a whole number" in stderr


def test_limit_variables_change_what_train_accepts(input_files, capsys, monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_LAYERS", "3")
    arguments = ["train", "--dataset", "mnist", "--out", str(input_files / "out")]
    status, _, stderr = run_cli([*arguments, "--spec", str(input_files / "layers.json")], capsys)
    assert status == 2
    assert "this server allows at most 3" in stderr


@pytest.mark.trains
def test_no_limits_trains_a_model_over_the_parameter_limit(tmp_path, capsys):
    # 784 * 6,400 + 6,400 + 64,010 = 5,088,010 parameters: just over the default 5 M.
    layers = [{"type": "Flatten"}, {"type": "Dense", "units": 6400}, TINY_LAYERS[-1]]
    spec_path = write_spec(tmp_path / "big.json", {"layers": layers})
    arguments = ["train", "--dataset", "mnist", "--spec", str(spec_path), "--limit", "100"]
    arguments += ["--out", str(tmp_path / "out")]
    status, _, stderr = run_cli(arguments, capsys)
    assert status == 2 and "5,088,010 parameters" in stderr
    status, stdout, _ = run_cli([*arguments, "--no-limits"], capsys)
    assert status == 0
    assert last_json_line(stdout)["params"] == 5_088_010


def test_train_help_says_float_images_are_refused_and_names_the_limits(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "float images scaled 0-1 are refused" in text
    assert "--no-limits" in text and "CNNVIZ_MAX_PARAMS" in text


def test_app_passes_limit_flags_to_the_server_through_the_environment(capsys, monkeypatch):
    seen = {}

    class FakeProcess:
        def __init__(self, command, env, cwd):
            seen.update(env)

        def wait(self):
            return 0

    monkeypatch.setattr(launcher.subprocess, "Popen", FakeProcess)
    status = cli.main(["app", "--max-params", "1000000", "--max-layers", "20", "--no-limits"])
    assert status == 0
    assert seen["CNNVIZ_MAX_PARAMS"] == "1000000"
    assert seen["CNNVIZ_MAX_LAYERS"] == "20"
    assert seen["CNNVIZ_NO_LIMITS"] == "1"


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (["--max-params", "0"], "--max-params must be at least 1"),
        (["--max-layers", "1000"], "--max-layers must be at most 500"),
        (["--max-memory-mb", "big"], "--max-memory-mb must be a whole number"),
    ],
)
def test_app_rejects_bad_limit_flags(arguments, expected, capsys):
    status, _, stderr = run_cli(["app", *arguments], capsys)
    assert status == 2
    assert expected in stderr and len(stderr.strip().splitlines()) == 1


def test_train_without_required_arguments_is_an_argparse_usage_error(capsys):
    status, _, stderr = run_cli(["train", "--dataset", "mnist"], capsys)
    assert status == 2
    assert "--out" in stderr


def test_train_help_lists_every_preset_with_its_description(capsys):
    status, stdout, _ = run_cli(["train", "--help"], capsys)
    assert status == 0
    for name, preset in presets.PRESETS.items():
        assert name in stdout
        assert " ".join(preset.description.split()[:4]) in " ".join(stdout.split())


# ----- cnnviz train: training -----


@pytest.mark.trains
def test_train_accepts_a_spec_file_holding_only_layers(tmp_path, capsys):
    spec_path = write_spec(tmp_path / "layers_only.json", {"layers": TINY_LAYERS})
    out_dir = tmp_path / "run"
    arguments = ["train", "--dataset", "mnist", "--spec", str(spec_path), "--limit", "200"]
    status, stdout, stderr = run_cli([*arguments, "--out", str(out_dir)], capsys)

    assert status == 0, stderr
    summary = last_json_line(stdout)
    assert summary["spec"] == str(spec_path)
    assert summary["preset"] is None
    assert summary["state"] == "finished"
    assert summary["epochs"] == 1
    assert json.loads((out_dir / "spec.json").read_text()) == {"layers": TINY_LAYERS}
    recorded = json.loads((out_dir / "history.json").read_text())
    assert recorded["settings"]["batch_size"] == 128  # the defaults without a preset
    assert recorded["settings"]["learning_rate"] == 0.001


@pytest.mark.trains
def test_a_failed_training_still_writes_the_json_line_and_exits_1(tmp_path, capsys, monkeypatch):
    from cnnviz.training.job import TrainingJob

    def fail(job):
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(TrainingJob, "_train_segment", fail)
    arguments = ["train", "--dataset", "mnist", "--preset", "tiny", "--limit", "100"]
    status, stdout, stderr = run_cli([*arguments, "--out", str(tmp_path / "run")], capsys)

    assert status == 1
    summary = last_json_line(stdout)
    assert summary["state"] == "failed"
    assert "the disk caught fire" in summary["message"]
    assert "the disk caught fire" in stderr
    assert (tmp_path / "run" / "history.json").is_file()


@pytest.mark.trains
def test_train_end_to_end_in_a_subprocess(tmp_path):
    import keras

    out_dir = tmp_path / "nested" / "run"
    arguments = ["train", "--dataset", "mnist", "--limit", "500", "--epochs", "1"]
    result = run_command([*arguments, "--out", str(out_dir)])

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = last_json_line(result.stdout)
    assert set(summary) >= SUMMARY_KEYS
    assert summary["dataset"] == "mnist"
    assert summary["data_source"] == "sample"
    assert summary["preset"] == "keras_example"
    assert summary["state"] == "finished"
    assert summary["epochs"] == 1
    assert 0 < summary["test_accuracy"] <= 1
    assert summary["train_seconds"] > 0
    assert summary["samples_per_second"] > 0
    for name in ("model.keras", "spec.json", "history.json"):
        assert (out_dir / name).is_file()
    recorded = json.loads((out_dir / "history.json").read_text())
    assert len(recorded["history"]["epoch"]["loss"]) == 1
    assert recorded["settings"]["train_limit"] == 500
    assert recorded["results"]["test_accuracy"] == summary["test_accuracy"]

    model = keras.saving.load_model(out_dir / "model.keras", safe_mode=True)
    assert model.count_params() == summary["params"]
    images = datasets.load_dataset("mnist").x_test[:4]
    assert np.allclose(model.predict(images, verbose=0).sum(axis=1), 1, atol=1e-4)


@pytest.mark.trains
@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_ctrl_c_stops_training_and_still_writes_the_outputs(tmp_path):
    out_dir = tmp_path / "run"
    # --no-limits: 200 epochs is over the server limit, and never all run here.
    arguments = [
        "train",
        "--dataset",
        "mnist",
        "--preset",
        "tiny",
        "--epochs",
        "200",
        "--no-limits",
    ]
    environment = {**os.environ, "CNNVIZ_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnviz.cli", *arguments, "--out", str(out_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        # Without a terminal, `train` prints one line per epoch: after the first, interrupt.
        for line in process.stderr:
            if line.startswith("epoch 1/"):
                break
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=SUBPROCESS_SECONDS)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    summary = last_json_line(stdout)
    assert summary["state"] == "stopped"
    assert 1 <= summary["epochs"] < 200
    for name in ("model.keras", "spec.json", "history.json"):
        assert (out_dir / name).is_file()


def make_status(state, **values):
    from cnnviz.training.job_interface import JobStatus

    fields = {
        "state": state,
        "message": "",
        "queue_position": None,
        "epoch": 1,
        "progress": 1.5,
        "target_epochs": 3,
        "batch": 5,
        "batches_per_epoch": 10,
        "samples_per_second": 1234.5,
        "elapsed_seconds": 10.0,
        "eta_seconds": 42.4,
        "test_accuracy": None,
        "test_loss": None,
        **values,
    }
    return JobStatus(**fields)


def test_format_progress_shows_the_epoch_batch_speed_and_time_left():
    history = {"batch": {"epoch": [0.1, 0.2], "loss": [0.5, 0.3], "accuracy": [0.5, 1.0]}}
    line = progress.format_progress(make_status("running", history=history))
    assert line.split(" | ") == [
        "epoch 2/3",
        "batch 5/10",
        "loss 0.4000",
        "accuracy 75.00%",
        "1,234 images/s",
        "ETA 0:42",
    ]
    assert "place 2" in progress.format_progress(make_status("queued", queue_position=2))
    assert progress.format_progress(make_status("running")).endswith("starting")
    finished = progress.format_progress(make_status("finished", progress=3.0, history=history))
    assert finished.startswith("finished after 3/3 epochs")


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


class FakeJob:
    """Ends after two polls; its status is the one given."""

    def __init__(self, status):
        self.polls, self._status = 0, status

    @property
    def is_active(self):
        self.polls += 1
        return self.polls <= 2

    def wait(self):
        pass

    def status(self):
        return self._status


EPOCH_HISTORY = {
    "epoch": {
        "epoch": [1.0, 2.0],
        "loss": [0.5, 0.25],
        "accuracy": [0.5, 0.75],
        "val_loss": [0.6, None],
        "val_accuracy": [0.4, None],
    },
    "batch": {"epoch": [0.5], "loss": [0.3], "accuracy": [0.9]},
}


def test_a_terminal_gets_rich_progress_bar_of_the_epochs(monkeypatch):
    monkeypatch.setattr(progress, "POLL_SECONDS", 0.0)
    stream = FakeTerminal()
    status = make_status("running", history=EPOCH_HISTORY)  # 1.5 of 3 epochs
    with progress.ProgressReporter(stream) as reporter:
        reporter.follow(FakeJob(status))
    text = stream.getvalue()
    assert "\x1b[" in text  # drawn with a terminal's escape codes, in place
    assert "━" in text  # rich's bar
    assert "epoch 2/3" in text and " 50%" in text and "batch 5/10" in text
    assert "epoch 1/3:" not in text  # no epoch lines on a terminal


def test_elsewhere_each_epoch_is_one_plain_line(monkeypatch):
    monkeypatch.setattr(progress, "POLL_SECONDS", 0.0)
    stream = io.StringIO()
    status = make_status("running", history=EPOCH_HISTORY)
    with progress.ProgressReporter(stream) as reporter:
        reporter.follow(FakeJob(status))
        reporter.note("a note")
    assert stream.getvalue().splitlines() == [
        "epoch 1/3: loss 0.5000, accuracy 50.00%, val_loss 0.6000, val_accuracy 40.00%",
        "epoch 2/3: loss 0.2500, accuracy 75.00%",
        "a note",
    ]


# ----- cnnviz bench -----


@pytest.mark.trains
def test_bench_quick_compares_both_paths_for_each_batch_size():
    result = run_command(["bench", "--quick"])
    assert result.returncode == 0, result.stderr
    report = last_json_line(result.stdout)
    assert report["dataset"] == "mnist"
    assert report["rounds"] <= 2
    assert report["train_images"] > 0
    assert [item["batch_size"] for item in report["results"]] == [32, 128]
    for item in report["results"]:
        assert item["plain_samples_per_second"] > 0
        assert item["app_samples_per_second"] > 0
        assert item["ratio"] > 0
        assert item["cpu_ratio"] > 0


@pytest.mark.trains
def test_run_benchmark_alternates_the_sides_and_reports_medians():
    from cnnviz.bench import training_path

    dataset = datasets.load_dataset("mnist")
    report = training_path.run_benchmark(
        dataset, {"layers": TINY_LAYERS}, [50], rounds=2, train_limit=200, poll_seconds=0.05
    )
    assert (report.train_images, report.validation_images) == (180, 20)
    assert report.params == 40 + 13 * 13 * 4 * 10 + 10
    (result,) = report.results
    assert [measurement.first for measurement in result.rounds] == ["plain", "app"]
    for measurement in result.rounds:
        assert measurement.plain.samples == measurement.app.samples == 180
        assert measurement.app.seconds > 0
        assert measurement.app.cpu_seconds > 0
        assert measurement.app_samples_per_second == pytest.approx(180 / measurement.app.seconds)
        assert measurement.cpu_ratio > 0
    assert result.ratio == pytest.approx(
        result.app_samples_per_second / result.plain_samples_per_second
    )
    as_json = json.loads(json.dumps(report.as_dict()))
    assert as_json["results"][0]["batch_size"] == 50
    assert as_json["rounds"] == 2
    with pytest.raises(ValueError, match="rounds"):
        training_path.run_benchmark(dataset, {"layers": TINY_LAYERS}, [50], rounds=0)


@pytest.mark.parametrize(
    ("arguments", "expected_word"),
    [
        (["--batch-sizes", "32,big"], "--batch-sizes"),
        (["--batch-sizes", "0"], "at least 1"),
        (["--rounds", "0"], "--rounds"),
        (["--dataset", "svhn"], "mnist"),
        (["--preset", "alexnet"], "keras_example"),
    ],
)
def test_bench_reports_bad_arguments_in_one_line(arguments, expected_word, capsys):
    status, _, stderr = run_cli(["bench", *arguments], capsys)
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cnnviz bench: error: ")
    assert expected_word in lines[0]


# ----- cnnviz app (Streamlit is never started) -----


def test_app_with_a_missing_data_dir_exits_2_with_a_clear_line(tmp_path, capsys):
    status, _, stderr = run_cli(["app", "--data-dir", str(tmp_path / "nowhere")], capsys)
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cnnviz app: error: ")
    assert "does not exist" in lines[0]


def test_app_without_app_py_exits_2_with_a_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(app_command, "app_script_path", lambda: tmp_path / "app.py")
    status, _, stderr = run_cli(["app"], capsys)
    assert status == 2
    assert stderr.startswith("cnnviz app: error: cannot find the app")
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "arguments", [["--port", "0"], ["--port", "http"], ["--max-trainings", "0"]]
)
def test_app_rejects_bad_numbers(arguments, capsys):
    status, _, stderr = run_cli(["app", *arguments], capsys)
    assert status == 2
    assert stderr.startswith("cnnviz app: error: ")


def test_app_rejects_a_bad_max_trainings_variable(capsys, monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "many")
    status, _, stderr = run_cli(["app"], capsys)
    assert status == 2
    assert stderr.startswith("cnnviz app: error: CNNVIZ_MAX_TRAININGS")


def test_app_passes_its_options_to_streamlit_through_the_environment(tmp_path, capsys, monkeypatch):
    launched = {}

    def fake_run_server(command, environment, cwd):
        launched.update(command=command, env=environment, cwd=cwd)
        return 3

    app_path = tmp_path / "app.py"
    app_path.write_text("")
    for name in ("pages", "assets", ".streamlit"):
        (tmp_path / name).mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text("")
    monkeypatch.setattr(app_command, "app_script_path", lambda: app_path)
    monkeypatch.setattr(launcher, "run_server", fake_run_server)
    arguments = ["app", "--data-dir", str(tmp_path), "--port", "8765", "--max-trainings", "3"]
    status, _, _ = run_cli([*arguments, "--address", "127.0.0.1"], capsys)

    assert status == 3  # Streamlit's exit status is passed on
    command = launched["command"]
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(app_path)]
    assert command[command.index("--server.port") + 1] == "8765"
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    # Run from the app's folder, so that its .streamlit/config.toml applies.
    assert launched["cwd"] == app_path.parent
    assert launched["env"][datasets.DATA_DIR_ENV] == str(tmp_path.resolve())
    assert launched["env"]["CNNVIZ_MAX_TRAININGS"] == "3"
    assert launched["env"][launcher.ADDRESS_ENV] == "127.0.0.1"

    # The variable alone does what the flag does; without either, every interface (no option).
    monkeypatch.setenv(launcher.ADDRESS_ENV, "localhost")
    run_cli(["app"], capsys)
    assert launched["command"][launched["command"].index("--server.address") + 1] == "localhost"
    monkeypatch.delenv(launcher.ADDRESS_ENV)
    run_cli(["app"], capsys)
    assert "--server.address" not in launched["command"]


@pytest.mark.parametrize(
    "address, expected",
    [
        ("", "--address is empty"),
        ("no such host.invalid", "is not a known address"),
        # TEST-NET-1 (RFC 5737): never an address of this machine.
        ("192.0.2.1", "is not an address of this machine"),
    ],
)
def test_app_refuses_an_address_it_cannot_listen_on(address, expected, capsys, monkeypatch):
    monkeypatch.setattr(
        launcher, "run_server", lambda *arguments: pytest.fail("the server was started")
    )
    status, _, stderr = run_cli(["app", "--address", address], capsys)
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cnnviz app: error: ")
    assert expected in lines[0]
    assert "127.0.0.1 (this machine only)" in lines[0]


def test_streamlit_runs_headless_without_a_terminal():
    assert "--server.headless" in launcher.streamlit_command(Path("app.py"), 8501, headless=True)
    assert "--server.headless" not in launcher.streamlit_command(
        Path("app.py"), 8501, headless=False
    )


def test_streamlit_settings_ship_beside_the_app():
    """The settings the class server relies on are in the config `cnnviz app` runs with."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    config_path = app_command.app_script_path().parent / ".streamlit" / "config.toml"
    config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["fileWatcherType"] == "none"
    assert config["browser"]["gatherUsageStats"] is False


def test_app_script_path_points_into_the_source_checkout():
    path = app_command.app_script_path()
    assert path.name == "app.py"
    assert path.parent == Path(app_command.__file__).resolve().parents[2]
    assert app_files.missing_files(path.parent) == []


def test_an_installed_wheels_copy_of_the_app_is_found_first(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "cnnviz"
    packaged = package / app_files.PACKAGED_DIR_NAME
    packaged.mkdir(parents=True)
    monkeypatch.setattr(app_files, "PACKAGE_DIR", package)
    # An incomplete copy (no app.py) is not taken for the app.
    assert app_files.app_dir() == package.parent
    (packaged / "app.py").write_text("")
    assert app_files.app_dir() == packaged
    assert app_command.app_script_path() == packaged / "app.py"
    assert app_files.assets_dir() == packaged / "assets"
    assert app_files.missing_files() == ["pages", "assets", ".streamlit/config.toml"]


def test_app_names_the_missing_app_files(tmp_path, capsys, monkeypatch):
    (tmp_path / "app.py").write_text("")
    (tmp_path / "pages").mkdir()
    monkeypatch.setattr(app_command, "app_script_path", lambda: tmp_path / "app.py")
    status, _, stderr = run_cli(["app"], capsys)
    assert status == 2
    assert stderr.startswith(
        f"cnnviz app: error: cannot find the app's assets, .streamlit/config.toml in {tmp_path};"
    )
