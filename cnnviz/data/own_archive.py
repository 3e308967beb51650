"""Reading class folders of pictures, from a .zip or a folder on disk, into an own data set.

The layout is Keras's ``image_dataset_from_directory``: one folder per class, named after it,
holding that class's pictures; classes are labelled in the sorted order of their names.
A single folder wrapping all class folders (as zipping a folder makes) is looked through.
Pictures in folders nested inside a class folder belong to that class, as in Keras.

A zip is untrusted: archive_entries.py lists and reads its files with checks and caps, and
nothing is extracted to disk. Files that are not pictures are skipped and counted.

Folders whose names differ only in case (``Cat/`` and ``cat/``) are one class: a zip gives no
way to rename them, so their pictures are merged and a note says so. Identical pictures in a
class are kept once and counted; the same picture in two classes stays in both, with a note.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

from cnnviz.data import archive_entries, datasets, extra_datasets, file_reading, own_data
from cnnviz.data.archive_entries import Entry

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")
# Folders and files that operating systems add to archives; never a class or a picture.
_SYSTEM_NAMES = ("__MACOSX", "Thumbs.db", "desktop.ini")


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
            megabytes = archive_entries.MAX_FILE_BYTES // 2**20
            notes.append(f"{self.too_large} file(s) over {megabytes} MB were skipped.")
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


def _classify(entries: list[Entry], report: ImportReport) -> dict[str, list[Entry]]:
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
        entries = [Entry(entry.parts[1:], entry.size, entry.read) for entry in entries]
    classes: dict[str, list[Entry]] = {}
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


def _check_counts(classes: dict[str, list[Entry]], max_images: int) -> None:
    """Refuse too many classes or pictures before decoding any picture."""
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


def _prepare_class(
    group: list[Entry],
    class_name: str,
    input_shape,
    fit: str | own_data.Fit,
    report: ImportReport,
    owners: dict[str, str],
) -> list[np.ndarray]:
    """One class folder's pictures, prepared, each kept once; what was skipped is counted in
    the report, and `owners` (digest -> class) learns which class kept each picture first."""
    prepared, seen, shared = [], set(), set()
    for entry in group:
        try:
            image = own_data.prepare_file(entry.read(), input_shape, fit)
        except (archive_entries.TooLarge, file_reading.FileTooLarge):
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
    return prepared


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
    report = ImportReport()
    classes = _classify(archive_entries.source_entries(source), report)
    _check_counts(classes, max_images)
    taken: list[str] = []
    owners: dict[str, str] = {}  # image digest -> the first class that kept it
    for folder_name, group in classes.items():
        class_name = own_data.check_class_name(folder_name, taken)
        prepared = _prepare_class(group, class_name, input_shape, fit, report, owners)
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
