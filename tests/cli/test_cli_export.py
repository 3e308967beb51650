"""`cnnviz export`: code and JSON on stdout; exit status 2 and one line on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cnnviz.cli import main as cli
from cnnviz.export import python_code
from cnnviz.training import presets


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(presets.preset_spec("keras_example", (28, 28, 1), 10)))
    return path


@pytest.mark.parametrize("to", python_code.FORMATS)
def test_export_prints_what_the_library_writes(spec_file, to, capsys):
    assert cli.main(["export", "--spec", str(spec_file), "--dataset", "mnist", "--to", to]) == 0
    expected = python_code.export_text(json.loads(spec_file.read_text()), (28, 28, 1), 10, to)
    assert capsys.readouterr().out == expected


def test_exported_keras_code_runs(spec_file, capsys):
    cli.main(["export", "--spec", str(spec_file), "--dataset", "cifar10", "--to", "keras"])
    namespace: dict = {}
    exec(capsys.readouterr().out, namespace)  # noqa: S102 - our own generated code
    # By hand: 3*3*3*32+32 + 3*3*32*64+64 + (6*6*64)*128+128 + 128*10+10 on 32x32x3 images.
    assert namespace["build_model"]().count_params() == 896 + 18_496 + 295_040 + 1_290


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--dataset", "mnist", "--to", "onnx"], "--to must be one of keras, pytorch, json"),
        (["--dataset", "imagenet", "--to", "keras"], "Unknown data set 'imagenet'"),
        (["--dataset", "mnist", "--to", "keras", "--spec", "missing.json"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(spec_file, arguments, message, capsys):
    if "--spec" not in arguments:
        arguments = [*arguments, "--spec", str(spec_file)]
    assert cli.main(["export", *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err
    assert captured.err.startswith("cnnviz export: error: ")


def test_a_spec_that_does_not_fit_names_the_layer(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"layers": [{"type": "Dense", "units": 10}]}))
    assert cli.main(["export", "--spec", str(path), "--dataset", "mnist", "--to", "json"]) == 2
    assert "Layer 1 (Dense)" in capsys.readouterr().err


def test_the_installed_command_exits_2_on_bad_input(spec_file):
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz.cli", "export", "--spec", str(spec_file)]
        + ["--dataset", "mnist", "--to", "caffe"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
