"""The files of a .zip or a folder, listed safely and read one at a time with a cap.

A zip is untrusted: its size, its number of entries and the total size its entries claim
unpacked are checked before anything is unpacked, every entry is read with a cap on its size,
and an entry name that climbs out of the archive (``../x``, ``/etc/x``) refuses the whole file.
Nothing is extracted to disk. own_archive.py makes class folders of pictures from the entries.
"""

from __future__ import annotations

import functools
import io
import lzma
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cnnviz.data import file_reading, images

MAX_ARCHIVE_BYTES = file_reading.ZIP_BYTES  # the zip file itself
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # what its entries claim to hold, all together
MAX_ENTRIES = 20_000
MAX_FILE_BYTES = images.MAX_FILE_BYTES
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class Entry:
    """One file in a zip or a folder: where it is, its claimed size, and how to read it."""

    parts: tuple[str, ...]  # the path inside the archive or folder, split into names
    size: int
    read: Callable[[], bytes]


def _unsafe(name: str) -> bool:
    parts = name.split("/")
    return name.startswith("/") or "\\" in name or bool(_DRIVE.match(name)) or ".." in parts


def zip_entries(data: bytes) -> list[Entry]:
    """The files of a zip, checked before anything is unpacked; each read with a cap."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ValueError(
            f"The zip file is {len(data) / 2**20:,.0f} MB; at most "
            f"{MAX_ARCHIVE_BYTES // 2**20} MB are accepted. Split it into smaller zips."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        # NotImplementedError: a zip format version Python's zipfile cannot read.
        raise ValueError(
            "The file is not a readable .zip archive. Zip a folder that holds one folder per "
            "class and upload that."
        ) from None
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ValueError(
            f"The zip holds {len(infos):,} entries; at most {MAX_ENTRIES:,} are accepted."
        )
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValueError(
            f"The zip would unpack to {unpacked / 2**20:,.0f} MB; at most "
            f"{MAX_UNPACKED_BYTES // 2**20:,} MB are accepted. Nothing was unpacked."
        )
    for info in infos:
        if _unsafe(info.filename):
            raise ValueError(
                f"The zip holds an entry whose path leads outside the archive "
                f"({info.filename[:80]!r}); it was refused as a whole. Zip the class folders "
                f"again with an ordinary zip tool."
            )

    def reader(info: zipfile.ZipInfo) -> Callable[[], bytes]:
        def read() -> bytes:
            if info.flag_bits & 0x1:
                raise ValueError("it is encrypted")
            # The size an entry claims can lie; reading one byte past the cap tells.
            try:
                with archive.open(info) as file:
                    contents = file.read(MAX_FILE_BYTES + 1)
            except NotImplementedError:
                # Python's zipfile reads stored, deflated, bzip2 and lzma entries only.
                raise ValueError("it is packed in a way this server cannot unpack") from None
            except (zlib.error, lzma.LZMAError):
                raise ValueError("its packed data is damaged") from None
            if len(contents) > MAX_FILE_BYTES:
                raise TooLarge
            return contents

        return read

    return [
        Entry(tuple(PurePosixPath(info.filename).parts), info.file_size, reader(info))
        for info in infos
        if not info.is_dir()
    ]


def folder_entries(folder: Path) -> list[Entry]:
    """The regular files under a folder (links not followed), each read later with a cap."""
    entries = []
    for root, folders, files in os.walk(folder):  # symbolic links to folders are not followed
        folders.sort()
        for name in sorted(files):
            path = Path(root, name)
            if path.is_symlink() or not path.is_file():
                continue
            # Read later, one at a time, to at most the picture cap (FileTooLarge beyond it).
            read = functools.partial(file_reading.read_bytes, path, "The picture", MAX_FILE_BYTES)
            entries.append(Entry(path.relative_to(folder).parts, path.stat().st_size, read))
            if len(entries) > MAX_ENTRIES:
                raise ValueError(f"{folder} holds over {MAX_ENTRIES:,} files; too many to read.")
    return entries


class TooLarge(Exception):
    """An entry unpacked to more than MAX_FILE_BYTES."""


def source_entries(source: bytes | str | os.PathLike) -> list[Entry]:
    """The entries of a zip's bytes, a folder, or a .zip file read up to the cap."""
    if isinstance(source, (bytes, bytearray)):
        return zip_entries(bytes(source))
    path = Path(source).expanduser()
    if path.is_dir():
        return folder_entries(path)
    # Only a regular file, read no further than the cap (/dev/zero never ends).
    what = "The folder or zip of class folders"
    return zip_entries(file_reading.read_bytes(path, what, MAX_ARCHIVE_BYTES))
