"""`cnnviz data` and `cnnviz train --dataset FILE.npz`, and a preset learning an own data set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.data import extra_datasets
from helpers.commands import run_cli
from helpers.paths import SHARED_DATASETS

SHAPES = ("bar", "column", "square")
CIFAR_JPEG = SHARED_DATASETS / "cifar10-jpeg.npz"


def shape_picture(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A dark shape somewhere on a light, noisy 40x40 background (white paper, dark pen)."""
    picture = rng.normal(220, 15, (40, 40)).clip(0, 255)
    top, left = rng.integers(4, 16, size=2)
    if kind == "bar":
        picture[top + 8 : top + 14, 4:36] = 30
    elif kind == "column":
        picture[4:36, left + 8 : left + 14] = 30
    else:
        picture[top : top + 20, left : left + 20] = 30
        picture[top + 5 : top + 15, left + 5 : left + 15] = 220
    return picture.astype(np.uint8)


def write_shape_folders(folder: Path, per_class: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for kind in SHAPES:
        (folder / kind).mkdir(parents=True)
        for number in range(per_class):
            Image.fromarray(shape_picture(kind, rng)).save(folder / kind / f"{number}.png")
    return folder


def test_data_writes_the_file_and_one_json_line(tmp_path, capsys):
    source = write_shape_folders(tmp_path / "shapes", 10)
    (source / "bar" / "notes.txt").write_text("not a picture")
    out = tmp_path / "made" / "shapes.npz"
    status, stdout, stderr = run_cli(
        ["data", "--from", str(source), "--image-size", "28", "--out", str(out)], capsys
    )
    assert status == 0, stderr
    assert len(stdout.strip().splitlines()) == 1
    summary = json.loads(stdout)
    assert summary["classes"] == list(SHAPES) and summary["shape"] == [28, 28, 1]
    assert summary["train_counts"] == [8, 8, 8] and summary["test_counts"] == [2, 2, 2]
    assert summary["notes"] == ["1 file(s) that are not pictures were skipped."]
    loaded = extra_datasets.read_labelled_npz(out, "shapes", "shapes")
    assert loaded.class_names == SHAPES and len(loaded.x_test) == 6


def test_data_takes_colour_fit_and_test_fraction(tmp_path, capsys):
    source = write_shape_folders(tmp_path / "shapes", 10)
    out = tmp_path / "shapes.npz"
    arguments = ["data", "--from", str(source), "--image-size", "64", "--color", "gray"]
    arguments += ["--fit", "pad", "--test-fraction", "0.3", "--out", str(out)]
    status, stdout, _ = run_cli(arguments, capsys)
    assert status == 0
    summary = json.loads(stdout)
    assert summary["shape"] == [64, 64, 1] and summary["test_counts"] == [3, 3, 3]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--image-size": "30"}, "must be one of 28, 32, 64"),
        ({"--image-size": "big"}, "must be one of 28, 32, 64"),
        ({"--test-fraction": "0.9"}, "from 0.05 to 0.5"),
        ({"--out": "shapes.txt"}, "--out must name an .npz file"),
        ({"--from": "missing"}, "does not exist"),
    ],
)
def test_data_bad_arguments_exit_2_with_one_line(tmp_path, capsys, change, message):
    source = write_shape_folders(tmp_path / "shapes", 3)
    options = {"--from": str(source), "--image-size": "28", "--out": str(tmp_path / "s.npz")}
    options.update(change)
    if change.get("--from") == "missing":
        options["--from"] = str(tmp_path / "missing")
    arguments = ["data", *[item for pair in options.items() for item in pair]]
    status, stdout, stderr = run_cli(arguments, capsys)
    assert status == 2 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and message in stderr
    assert stderr.startswith("cnnviz data: error:")


def test_data_bad_inputs_exit_2_with_one_line(tmp_path, capsys):
    single = tmp_path / "single"
    (single / "cat").mkdir(parents=True)
    for number in range(3):
        Image.fromarray(np.full((8, 8), number * 50, np.uint8)).save(
            single / "cat" / f"{number}.png"
        )
    status, _, stderr = run_cli(
        ["data", "--from", str(single), "--image-size", "28", "--out", str(tmp_path / "s.npz")],
        capsys,
    )
    assert status == 2 and "at least 2 classes" in stderr and len(stderr.splitlines()) == 1
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../etc/cat/1.png", b"x")
    status, _, stderr = run_cli(
        ["data", "--from", str(evil), "--image-size", "28", "--out", str(tmp_path / "s.npz")],
        capsys,
    )
    assert status == 2 and "leads outside the archive" in stderr
    assert not (tmp_path / "s.npz").exists()


def test_train_refuses_a_missing_or_broken_dataset_file(tmp_path, capsys):
    status, _, stderr = run_cli(
        ["train", "--dataset", str(tmp_path / "none.npz"), "--out", str(tmp_path / "run")], capsys
    )
    assert status == 2 and "does not exist" in stderr
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"nonsense")
    status, _, stderr = run_cli(
        ["train", "--dataset", str(broken), "--out", str(tmp_path / "run")], capsys
    )
    assert status == 2 and "not a Keras-layout .npz" in stderr


@pytest.mark.trains
def test_a_preset_learns_a_small_own_data_set_well_above_chance(tmp_path, capsys):
    source = write_shape_folders(tmp_path / "shapes", 40)
    data_file = tmp_path / "shapes.npz"
    status, _, stderr = run_cli(
        ["data", "--from", str(source), "--image-size", "28", "--out", str(data_file)], capsys
    )
    assert status == 0, stderr
    arguments = ["train", "--dataset", str(data_file), "--preset", "tiny", "--epochs", "5"]
    arguments += ["--batch-size", "8", "--out", str(tmp_path / "run")]
    status, stdout, stderr = run_cli(arguments, capsys)
    assert status == 0, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["dataset"] == "shapes" and summary["data_source"] == "local"
    # Three classes: chance is 33 %; 24 test pictures.
    assert summary["test_accuracy"] >= 0.8, summary
    assert (tmp_path / "run" / "model.keras").is_file()


def cifar_class_zip(path: Path, per_class: int) -> Path:
    """A zip of CIFAR-10 class folders of JPEGs, cut from the shared full data set."""
    archive = np.load(CIFAR_JPEG, allow_pickle=False)
    jpegs, offsets, labels = archive["jpeg"], archive["offsets"], archive["label"]
    names = [str(name) for name in archive["classes"]]
    with zipfile.ZipFile(path, "w") as output:
        for label, name in enumerate(names):
            for number, index in enumerate(np.flatnonzero(labels == label)[:per_class]):
                data = jpegs[offsets[index] : offsets[index + 1]].tobytes()
                output.writestr(f"cifar10/{name}/{number:04d}.jpg", data)
    return path


@pytest.mark.trains
@pytest.mark.skipif(not CIFAR_JPEG.exists(), reason="the shared CIFAR-10 JPEG file is missing")
def test_cifar10_class_folders_zip_through_data_and_train(tmp_path):
    zip_path = cifar_class_zip(tmp_path / "cifar10.zip", 300)
    environment = {**os.environ, "CNNVIZ_OFFLINE": "1"}
    data_file = tmp_path / "cifar_own.npz"
    made = subprocess.run(
        [sys.executable, "-m", "cnnviz.cli", "data", "--from", str(zip_path)]
        + ["--image-size", "32", "--out", str(data_file)],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    assert summary["classes"][:3] == ["airplane", "automobile", "bird"]
    assert summary["train"] == 2400 and summary["test"] == 600
    trained = subprocess.run(
        [sys.executable, "-m", "cnnviz.cli", "train", "--dataset", str(data_file)]
        + ["--preset", "keras_example", "--epochs", "5", "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
    )
    assert trained.returncode == 0, trained.stderr
    result = json.loads(trained.stdout.strip().splitlines()[-1])
    assert result["test_accuracy"] > 0.2, result  # ten classes: chance is 10 %


def test_train_refuses_an_unknown_shared_data_set_naming_those_found(tmp_path, capsys):
    source = write_shape_folders(tmp_path / "shapes", 3)
    arguments = ["train", "--dataset", "local:nope", "--data-dir", str(tmp_path)]
    status, _, stderr = run_cli([*arguments, "--out", str(tmp_path / "run")], capsys)
    assert status == 2 and "no data set 'local:nope'" in stderr
    assert "Found: local:shapes" in stderr and source.is_dir()


def test_data_counts_duplicates_in_its_summary_and_its_error(tmp_path, capsys):
    rng = np.random.default_rng(5)
    source = tmp_path / "pets"
    for name in ("cat", "dog"):
        (source / name).mkdir(parents=True)
        picture = rng.integers(0, 256, (28, 28), dtype=np.uint8)
        for number in range(10):
            Image.fromarray(picture).save(source / name / f"{number}.png")
    out = tmp_path / "pets.npz"
    arguments = ["data", "--from", str(source), "--image-size", "28", "--out", str(out)]
    status, _, stderr = run_cli(arguments, capsys)
    assert status == 2 and "Found: cat (1), dog (1). 18 duplicate picture(s)" in stderr
    for name in ("cat", "dog"):
        Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(
            source / name / "other.png"
        )
    status, stdout, stderr = run_cli(arguments, capsys)
    assert status == 0, stderr
    summary = json.loads(stdout)
    assert summary["train"] + summary["test"] == 4
    assert any("18 duplicate picture(s) were skipped" in note for note in summary["notes"])
