"""Reading the files cnnviz is given: only regular files (or folders), never more than a cap.

Every path cnnviz reads (each CLI argument, the data folder's files, a folder of class folders'
pictures) goes through this module, and every upload in the app is held to a cap named here,
so the size limits have one source (the README's table lists them).

A path that names a device such as /dev/zero, a named pipe or a socket is refused before it is
read: /dev/zero never ends and opening a named pipe waits for a writer for ever. A file is
opened without waiting (O_NONBLOCK), checked again on the open descriptor (it may have been
swapped since), and read to at most its cap plus one byte, which tells a file at the cap from a
larger one without reading the rest.

Problems raise ValueError with one line naming the path and what is wrong; the CLI shows it
with exit status 2.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cnnviz.quantities import format_bytes

MB = 2**20

# ----- caps of the files read from disk (the CLI's arguments and the data folder) -----

# A picture (--image, the pictures of a folder of class folders or of a zip).
IMAGE_BYTES = 10 * MB
# A .keras model file (--model): a model at the parameter limit (5 M) with Adam's state takes
# 57 MB; a model of 25 M parameters (--no-limits) without it fits too.
KERAS_BYTES = 100 * MB
# A zip of class folders (--from).
ZIP_BYTES = 200 * MB
# A data set file (.npz) of the data folder or --dataset, and what its arrays unpack to: full
# CIFAR-10 unpacks to 184 MB.
NPZ_BYTES = 1024 * MB
# A spec file's cap is the server's limit (spec_limits.Limits.max_spec_kb, 256 KB by default).

# ----- caps of the app's uploads -----
# Streamlit holds each upload in the server's memory while its widget shows it, so these are
# chosen for a class of thirty uploading at once: 30 x 64 MB is about 1.9 GB (README, "Size
# limits"). Each uploader checks its own cap and says so in cnnviz's words.

UPLOAD_IMAGE_BYTES = IMAGE_BYTES
# A model at the parameter limit (5 M parameters) saved with Adam's state: 57 MB.
UPLOAD_KERAS_BYTES = 64 * MB
UPLOAD_ZIP_BYTES = 64 * MB
# A data set file downloaded from My data: 5,000 pictures of 64x64 RGB are 61 MB unpacked.
UPLOAD_NPZ_BYTES = 64 * MB
# The largest of the upload caps: `.streamlit/config.toml`'s server.maxUploadSize, in MB (a
# test holds them equal). Streamlit's browser side refuses larger files with its own message.
SERVER_UPLOAD_MB = max(UPLOAD_IMAGE_BYTES, UPLOAD_KERAS_BYTES, UPLOAD_ZIP_BYTES, UPLOAD_NPZ_BYTES)
SERVER_UPLOAD_MB //= MB

# What `stat` calls each kind of file that is not a regular file or a folder, for messages.
_KINDS = (
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def too_large_message(what: str, size: int, cap: int) -> str:
    """The one line for a file (or upload) over its cap; `size` may be a lower bound."""
    return (
        f"{what} is larger than {format_bytes(cap)}, the most cnnviz reads for it. "
        f"Received: {size:,} bytes or more."
    )


class FileTooLarge(ValueError):
    """A file or upload over its cap (a ValueError: the message is the one line to show)."""


def check_size(what: str, size: int, cap: int) -> None:
    """Raise FileTooLarge when an upload or a file of `size` bytes is over `cap`."""
    if size > cap:
        raise FileTooLarge(too_large_message(what, size, cap))


def check_upload(name: str, size: int, cap: int, advice: str) -> None:
    """Raise FileTooLarge when an upload is over its uploader's cap, in cnnviz's words.

    Args:
        name: the uploaded file's name.
        size: its size in bytes.
        cap: the uploader's cap (one of the UPLOAD_* caps).
        advice: what to do instead, one sentence.
    """
    if size > cap:
        raise FileTooLarge(
            f"{name} is {format_bytes(size)}; this server takes files of up to "
            f"{format_bytes(cap)} here. {advice}"
        )


def _stat(path: Path, what: str) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError:
        raise ValueError(f"{what} {path} does not exist.") from None
    except OSError as error:
        raise ValueError(f"cannot read {what} {path}: {error.strerror}.") from None


def check_file(
    path: str | os.PathLike, what: str, cap: int, wanted: str = "a file saved on disk"
) -> Path:
    """The path of a regular file of at most `cap` bytes, or a ValueError saying why not.

    For readers that open the file themselves (Keras, NumPy): nothing is opened here.

    Args:
        path: the path as given (a leading ~ is expanded).
        what: how messages name it, e.g. "--image" or "The data set file".
        cap: the most bytes accepted.
        wanted: what to give instead, for the message about a folder, a device or a pipe.
    """
    path = Path(path).expanduser()
    mode = _stat(path, what)
    if not stat.S_ISREG(mode.st_mode):
        raise ValueError(
            f"{what} {path} is {_kind(mode.st_mode)}, not a regular file; give {wanted}."
        )
    check_size(f"{what} {path}", mode.st_size, cap)
    return path


def check_folder(path: str | os.PathLike, what: str) -> Path:
    """The path of an existing folder, or a ValueError saying why not."""
    path = Path(path).expanduser()
    mode = _stat(path, what)
    if not stat.S_ISDIR(mode.st_mode):
        raise ValueError(f"{what} {path} is {_kind(mode.st_mode)}, not a folder.")
    return path


def read_bytes(path: str | os.PathLike, what: str, cap: int) -> bytes:
    """The bytes of a regular file of at most `cap` bytes, read without waiting or overrunning.

    Raises:
        ValueError: one line naming the path: missing, a folder, a device or pipe, unreadable
            or over the cap.
    """
    path = check_file(path, what, cap)
    try:
        # O_NONBLOCK: if the path became a named pipe since the check, open() must not wait.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise ValueError(f"cannot read {what} {path}: {error.strerror}.") from None
    with os.fdopen(descriptor, "rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"{what} {path} is {_kind(mode)}, not a regular file.")
        try:
            data = file.read(cap + 1)
        except OSError as error:
            raise ValueError(f"cannot read {what} {path}: {error.strerror}.") from None
    check_size(f"{what} {path}", len(data), cap)
    return data
