"""Reading class folders of pictures, from a .zip or a folder on disk, into an own data set.

The layout is Keras's ``image_dataset_from_directory``: one folder per class, named after it,
holding that class's pictures; classes are labelled in the sorted order of their names.
A single folder wrapping all class folders (as zipping a folder makes) is looked through.
Pictures in folders nested inside a class folder belong to that class, as in Keras.

A zip is untrusted: its size, its number of entries and the total size its entries claim
unpacked are checked before anything is unpacked, every entry is read with a cap on its size,
and an entry name that climbs out of the archive (``../x``, ``/etc/x``) refuses the whole file.
Nothing is extracted to disk. Files that are not pictures are skipped and counted.

Folders whose names differ only in case (``Cat/`` and ``cat/``) are one class: a zip gives no
way to rename them, so their pictures are merged and a note says so. Identical pictures in a
class are kept once and counted; the same picture in two classes stays in both, with a note.
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
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from cnnviz.data import datasets, extra_datasets, file_reading, images, own_data

MAX_ARCHIVE_BYTES = file_reading.ZIP_BYTES  # the zip file itself
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # what its entries claim to hold, all together
MAX_ENTRIES = 20_000
MAX_FILE_BYTES = images.MAX_FILE_BYTES
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")
# Folders and files that operating systems add to archives; never a class or a picture.
_SYSTEM_NAMES = ("__MACOSX", "Thumbs.db", "desktop.ini")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class _Entry:
    parts: tuple[str, ...]  # the path inside the archive or folder, split into names
    size: int
    read: Callable[[], bytes]


@dataclass
class ImportReport:
    """The classes and pictures read from an archive or folder, and what was left out."""

    class_names: list[str] = field(default_factory=list)
    class_images: list[list[np.ndarray]] = field(default_factory=list)
    non_images: int = 0
    unreadable: int = 0
    first_unreadable: str = ""
    too_large: int = 0
    loose_files: int = 0
    nested: int = 0
    empty_classes: list[str] = field(default_factory=list)
    duplicates: int = 0
    # (the class name used, the folder names merged into it) for folders differing in case
    merged_folders: list[tuple[str, list[str]]] = field(default_factory=list)
    in_several_classes: int = 0  # pictures kept in more than one class
    added: list[int] = field(default_factory=list)  # per class, what `add_to` added

    @property
    def total_images(self) -> int:
        return sum(len(group) for group in self.class_images)

    def notes(self) -> list[str]:
        """One sentence per kind of thing left out or worth knowing."""
        notes = []
        if self.non_images:
            notes.append(f"{self.non_images} file(s) that are not pictures were skipped.")
        if self.unreadable:
            notes.append(
                f"{self.unreadable} picture(s) could not be read and were skipped (the first: "
                f"{self.first_unreadable})"
            )
        if self.too_large:
            notes.append(
                f"{self.too_large} file(s) over {MAX_FILE_BYTES // 2**20} MB were skipped."
            )
        if self.loose_files:
            notes.append(
                f"{self.loose_files} file(s) outside any class folder were skipped: put each "
                f"picture in the folder of its class."
            )
        if self.nested:
            notes.append(
                f"{self.nested} picture(s) in folders inside a class folder were counted for "
                f"that class."
            )
        if self.empty_classes:
            notes.append(
                f"Class folder(s) without usable pictures were left out: "
                f"{', '.join(self.empty_classes)}."
            )
        for class_name, folders in self.merged_folders:
            notes.append(
                f"Folders {' and '.join(folders)} differ only in upper and lower case, so their "
                f"pictures were put together in one class, {class_name}."
            )
        if self.duplicates:
            notes.append(
                f"{self.duplicates} duplicate picture(s) were skipped: a class keeps each "
                f"identical picture once."
            )
        if self.in_several_classes:
            notes.append(
                f"{self.in_several_classes} picture(s) are in more than one class. A network "
                f"cannot give one picture two answers: keep each in the class it belongs to."
            )
        return notes


def _unsafe(name: str) -> bool:
    parts = name.split("/")
    return name.startswith("/") or "\\" in name or bool(_DRIVE.match(name)) or ".." in parts


def _zip_entries(data: bytes) -> list[_Entry]:
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
                raise _TooLarge
            return contents

        return read

    return [
        _Entry(tuple(PurePosixPath(info.filename).parts), info.file_size, reader(info))
        for info in infos
        if not info.is_dir()
    ]


def _folder_entries(folder: Path) -> list[_Entry]:
    entries = []
    for root, folders, files in os.walk(folder):  # symbolic links to folders are not followed
        folders.sort()
        for name in sorted(files):
            path = Path(root, name)
            if path.is_symlink() or not path.is_file():
                continue
            # Read later, one at a time, to at most the picture cap (FileTooLarge beyond it).
            read = functools.partial(file_reading.read_bytes, path, "The picture", MAX_FILE_BYTES)
            entries.append(_Entry(path.relative_to(folder).parts, path.stat().st_size, read))
            if len(entries) > MAX_ENTRIES:
                raise ValueError(f"{folder} holds over {MAX_ENTRIES:,} files; too many to read.")
    return entries


class _TooLarge(Exception):
    """An entry unpacked to more than MAX_FILE_BYTES."""


def _classify(entries: list[_Entry], report: ImportReport) -> dict[str, list[_Entry]]:
    """Group picture entries by class folder, counting what is left out."""
    entries = [
        entry
        for entry in entries
        if not any(part.startswith(".") or part in _SYSTEM_NAMES for part in entry.parts)
    ]
    # Look through single folders that wrap everything, e.g. "pictures/cat/1.png".
    # A file beside the class folders (say a README) does not stop the looking through.
    while all(len(entry.parts) >= 2 for entry in entries) and any(
        len(entry.parts) >= 3 for entry in entries
    ):
        if len({entry.parts[0] for entry in entries}) != 1:
            break
        entries = [_Entry(entry.parts[1:], entry.size, entry.read) for entry in entries]
    classes: dict[str, list[_Entry]] = {}
    folders: dict[str, set[str]] = {}  # the folder names of one class, by class key
    for entry in entries:
        if len(entry.parts) < 2:
            report.loose_files += 1
            continue
        # Class names compare without case and extra spaces (as own_data.check_class_name).
        key = " ".join(entry.parts[0].split()).casefold()
        folders.setdefault(key, set()).add(entry.parts[0])
        group = classes.setdefault(key, [])
        if not entry.parts[-1].lower().endswith(IMAGE_EXTENSIONS):
            report.non_images += 1
            continue
        report.nested += len(entry.parts) > 2
        group.append(entry)
    named = {}
    for key, group in classes.items():
        names = sorted(folders[key])
        # The first name in Keras's sorted order names the class; its label follows from it.
        named[names[0]] = group
        if len(names) > 1:
            report.merged_folders.append((" ".join(names[0].split()), names))
    report.merged_folders.sort()
    return dict(sorted(named.items()))


def read_class_folders(
    source: bytes | str | os.PathLike,
    input_shape,
    fit: str | own_data.Fit = own_data.Fit.CROP,
    max_images: int = own_data.MAX_IMAGES,
) -> ImportReport:
    """Read and prepare the pictures of a zip's (bytes) or a folder's class folders.

    Args:
        source: the .zip file's bytes, or the path of a folder or a .zip file.
        input_shape: the size to prepare pictures to, e.g. (32, 32, 3).
        max_images: refuse sources with more pictures than this (before decoding any).

    Raises:
        ValueError: for a source that is not such an archive or folder, breaks a limit, holds
            no pictures or more than 20 classes.
    """
    if isinstance(source, (bytes, bytearray)):
        entries = _zip_entries(bytes(source))
    else:
        path = Path(source).expanduser()
        if path.is_dir():
            entries = _folder_entries(path)
        else:
            # Only a regular file, read no further than the cap (/dev/zero never ends).
            what = "The folder or zip of class folders"
            entries = _zip_entries(file_reading.read_bytes(path, what, MAX_ARCHIVE_BYTES))
    report = ImportReport()
    classes = _classify(entries, report)
    if len(classes) > own_data.MAX_CLASSES:
        raise ValueError(
            f"Found {len(classes)} class folders; a data set can have at most "
            f"{own_data.MAX_CLASSES}."
        )
    pictures = sum(len(group) for group in classes.values())
    if pictures > max_images:
        raise ValueError(
            f"Found {pictures:,} pictures; at most {max_images:,} more fit in the data set "
            f"(the limit is {own_data.MAX_IMAGES:,} a data set). Nothing was added."
        )
    taken: list[str] = []
    owners: dict[str, str] = {}  # image digest -> the first class that kept it
    for folder_name, group in classes.items():
        class_name = own_data.check_class_name(folder_name, taken)
        prepared, seen, shared = [], set(), set()
        for entry in group:
            try:
                image = own_data.prepare_file(entry.read(), input_shape, fit)
            except (_TooLarge, file_reading.FileTooLarge):
                report.too_large += 1
                continue
            except (ValueError, zipfile.BadZipFile, OSError, EOFError) as error:
                report.unreadable += 1
                if not report.first_unreadable:
                    report.first_unreadable = f"{'/'.join(entry.parts)}: {error}"
                continue
            digest = own_data.image_digest(image)
            if digest in seen:
                report.duplicates += 1
                continue
            seen.add(digest)
            prepared.append(image)
            if owners.setdefault(digest, class_name) != class_name:
                shared.add(digest)
        report.in_several_classes += len(shared)
        if prepared:
            taken.append(class_name)
            report.class_names.append(class_name)
            report.class_images.append(prepared)
        else:
            report.empty_classes.append(class_name)
    if not report.class_names:
        raise ValueError(
            "Found no pictures in class folders. Put each class's PNG or JPEG pictures in a "
            "folder named after the class, and zip the folders together."
            + (f" Skipped: {' '.join(report.notes())}" if report.notes() else "")
        )
    return report


def add_to(own: own_data.OwnData, report: ImportReport) -> None:
    """Add what was read to an own data set: classes are matched by name, new ones added.

    Raises:
        ValueError: when the classes or pictures would pass a limit; then nothing is added.
    """
    existing = {name.casefold(): index for index, name in enumerate(own.class_names)}
    new = [name for name in report.class_names if name.casefold() not in existing]
    if len(own.class_names) + len(new) > own_data.MAX_CLASSES:
        raise ValueError(
            f"Adding {len(new)} new class(es) to {len(own.class_names)} would pass the limit of "
            f"{own_data.MAX_CLASSES} classes. Nothing was added."
        )
    if report.total_images > own.room():
        raise ValueError(own_data.too_many_images_message(own.total_images, report.total_images))
    for name, group in zip(report.class_names, report.class_images, strict=True):
        index = existing.get(name.casefold())
        if index is None:
            index = own.add_class(name)
        result = own.add_images(index, group)
        report.duplicates += result.duplicates
        report.added.append(result.added)


def dataset_from_source(
    source,
    input_shape=(32, 32, 3),
    fit: str | own_data.Fit = own_data.Fit.CROP,
    test_fraction: float = own_data.DEFAULT_TEST_FRACTION,
    name: str = "own",
    title: str = "My data",
    source_kind: str = "own",
) -> datasets.Dataset:
    """A folder of class folders or a zip (path or bytes) as a split data set.

    Raises:
        ValueError: for anything `read_class_folders` refuses, a single class, a class with
            fewer than two pictures, or a bad test fraction.
    """
    return build(source, input_shape, fit, test_fraction, name, title, source_kind)[0]


def build(
    source,
    input_shape=(32, 32, 3),
    fit: str | own_data.Fit = own_data.Fit.CROP,
    test_fraction: float = own_data.DEFAULT_TEST_FRACTION,
    name: str = "own",
    title: str = "My data",
    source_kind: str = "own",
) -> tuple[datasets.Dataset, ImportReport]:
    """Like `dataset_from_source`, also returning the report of what was read."""
    test_fraction = own_data.check_test_fraction(test_fraction)
    report = read_class_folders(source, input_shape, fit)
    own = own_data.OwnData(input_shape=input_shape, fit=fit)
    add_to(own, report)
    problems = own.problems()
    if problems:
        found = ", ".join(
            f"{class_name} ({count})"
            for class_name, count in zip(own.class_names, own.counts(), strict=True)
        )
        raise ValueError(" ".join([f"{problems[0]} Found: {found}.", *report.notes()]))
    arrays = own_data.split([np.stack(group) for group in own.class_images], test_fraction)
    location = str(source) if not isinstance(source, (bytes, bytearray)) else "an uploaded zip"
    dataset = extra_datasets.dataset_from_arrays(
        *arrays,
        class_names=own.class_names,
        name=name,
        title=title,
        location=location,
        source=source_kind,
    )
    return dataset, report
