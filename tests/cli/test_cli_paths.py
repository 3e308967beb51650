"""Every path a `cnnviz` command reads must be a regular file (or a folder where one is meant).

Each path argument (train --spec and --dataset FILE.npz, inspect --model and --image, data --from,
export --spec) and the data folder's .npz files are given /dev/zero, a named pipe, a folder, a
missing path and a file over a cap made small for the test: each must end with exit status 2 and
one line on stderr naming the path and what is wrong, at once (never reading for ever, never
waiting on a pipe).
"""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

import numpy as np
import pytest

from cnnviz.cli import data_command, inspect_command
from cnnviz.cli import main as cli

# Imported before any test makes file_reading's caps small: their own caps copy those at import.
from cnnviz.data import archive_entries, datasets, extra_datasets, file_reading, own_archive
from helpers.files import png

# A command that hangs on a named pipe (or reads /dev/zero for ever) fails after this long.
SECONDS_ALLOWED = 60
DEV_ZERO = Path("/dev/zero")

# What each kind of bad path must make the message say.
PROBLEMS = {
    "dev_zero": "is a device, not a regular file",
    "fifo": "is a named pipe, not a regular file",
    "folder": "is a folder, not a regular file",
    "missing": "does not exist",
    "over_cap": "is larger than",
}


DIGIT_PNG = png(np.full((28, 28), 200, np.uint8))


@pytest.fixture
def files(tmp_path, monkeypatch):
    """Good files for the arguments not under test, and caps small enough to pass cheaply."""
    (tmp_path / "digit.png").write_bytes(DIGIT_PNG)
    (tmp_path / "model.keras").write_bytes(b"PK\x03\x04 not read: the image fails first")
    monkeypatch.setattr(file_reading, "IMAGE_BYTES", 1000)
    monkeypatch.setattr(file_reading, "KERAS_BYTES", 1000)
    monkeypatch.setattr(file_reading, "ZIP_BYTES", 1000)
    monkeypatch.setattr(file_reading, "NPZ_BYTES", 1000)
    monkeypatch.setenv("CNNVIZ_MAX_SPEC_KB", "1")
    monkeypatch.setenv("CNNVIZ_OFFLINE", "1")
    monkeypatch.delenv("CNNVIZ_DATA_DIR", raising=False)
    return tmp_path


def bad_path(kind: str, folder: Path, name: str) -> Path:
    """A path of this kind, named `name` where the name matters (the data folder's files)."""
    path = folder / name
    if kind == "dev_zero":
        if folder.name == "data":  # in the data folder: a link to the device
            path.symlink_to(DEV_ZERO)
            return path
        return DEV_ZERO
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "over_cap":
        path.write_bytes(b"x" * 2048)  # over every cap the `files` fixture sets
    return path


# Each command with the path under test as {path}, and the name the file takes.
COMMANDS = {
    "train --spec": (["train", "--dataset", "mnist", "--spec", "{path}"], "spec.json"),
    "train --dataset": (["train", "--dataset", "{path}"], "shapes.npz"),
    "inspect --image": (["inspect", "--model", "{tmp}/model.keras", "--image", "{path}"], "a.png"),
    "inspect --model": (["inspect", "--model", "{path}", "--image", "{tmp}/digit.png"], "m.keras"),
    "data --from": (["data", "--from", "{path}", "--image-size", "28"], "pictures.zip"),
    "export --spec": (
        ["export", "--spec", "{path}", "--dataset", "mnist", "--to", "json"],
        "s.json",
    ),
    "data folder mnist.npz": (
        ["train", "--dataset", "mnist", "--data-dir", "{tmp}/data"],
        "mnist.npz",
    ),
    "data folder local:NAME": (
        ["train", "--dataset", "local:shapes", "--data-dir", "{tmp}/data"],
        "shapes.npz",
    ),
}
CASES = [
    (command, kind)
    for command in COMMANDS
    for kind in PROBLEMS
    # A folder is what `data --from` is meant to take, and a data set of the data folder may be
    # a folder of class folders.
    if not (command in ("data --from", "data folder local:NAME") and kind == "folder")
    # A data set missing from the data folder is not an error: another source is used.
    and not (command.startswith("data folder") and kind == "missing")
]


def verb_of(arguments: list[str]) -> str:
    return arguments[0]


def test_the_readers_are_imported_before_the_caps_change():
    assert archive_entries.MAX_FILE_BYTES == file_reading.IMAGE_BYTES == 10 * 2**20
    assert {
        data_command,
        datasets,
        extra_datasets,
        inspect_command,
    }  # imported for the reason above


def _timeout(signum, frame):
    raise TimeoutError(f"the command still ran after {SECONDS_ALLOWED} s")


@pytest.mark.parametrize(("command", "kind"), CASES)
def test_a_bad_path_is_one_line_with_status_2(command, kind, files, capsys):
    template, name = COMMANDS[command]
    data_folder = files / "data"
    data_folder.mkdir()
    path = bad_path(kind, data_folder if "data folder" in command else files, name)
    arguments = [part.format(path=path, tmp=files) for part in template]
    out = files / "out"
    if verb_of(arguments) != "export":  # export prints to stdout
        arguments += ["--out", str(out / "x.npz" if command == "data --from" else out)]
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(SECONDS_ALLOWED)
    try:
        status = cli.main(arguments)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    stderr = capsys.readouterr().err
    lines = stderr.strip().splitlines()
    assert status == 2, stderr
    assert len(lines) == 1, stderr
    verb = arguments[0]
    assert lines[0].startswith(f"cnnviz {verb}: error: ")
    assert str(path) in lines[0]
    assert PROBLEMS[kind] in lines[0]
    assert not out.exists()


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    # Opening a named pipe for reading waits for a writer: the check comes first.
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    with pytest.raises(ValueError, match="named pipe"):
        file_reading.read_bytes(pipe, "--spec", 1000)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


def test_a_file_at_the_cap_is_read_and_one_byte_more_is_refused(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"a" * 100)
    assert file_reading.read_bytes(path, "the file", 100) == b"a" * 100
    with pytest.raises(file_reading.FileTooLarge) as refused:
        file_reading.read_bytes(path, "the file", 99)
    assert str(refused.value) == (
        f"the file {path} is larger than 99 bytes, the most cnnviz reads for it. "
        f"Received: 100 bytes or more."
    )


def test_a_folder_of_class_folders_reads_pictures_no_larger_than_the_cap(tmp_path, monkeypatch):
    for name in ("cat", "dog"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "1.png").write_bytes(DIGIT_PNG)
    os.mkfifo(tmp_path / "dog" / "2.png")  # never opened: not a regular file
    (tmp_path / "dog" / "3.png").write_bytes(DIGIT_PNG + b"\x00" * 5000)
    monkeypatch.setattr(archive_entries, "MAX_FILE_BYTES", 1000)
    report = own_archive.read_class_folders(tmp_path, (28, 28, 1))
    assert [len(group) for group in report.class_images] == [1, 1]
    assert report.too_large == 1


@pytest.mark.parametrize(
    ("kind", "problem"), [("dev_zero", "is a device"), ("fifo", "is a named pipe")]
)
def test_a_data_folder_that_is_no_folder_says_what_it_is(kind, problem, tmp_path, capsys):
    path = bad_path(kind, tmp_path, "data")
    arguments = ["train", "--dataset", "mnist", "--data-dir", str(path), "--out", str(tmp_path)]
    status = cli.main(arguments)
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert lines == [f"cnnviz train: error: The data folder {path} {problem}, not a folder."]
