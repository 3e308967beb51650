"""Data sets other than the three built-in ones, made from arrays or read from files.

A student's own pictures (own_data.py), a teacher's .npz files and class folders in the data
folder (data_folder.py), and .npz files named on the command line all become a `Dataset` here,
checked like the built-in ones. Their .npz files add an array `class_names` (strings) to
Keras's layout, so the classes keep their names.
"""

from __future__ import annotations

import contextlib
import io
import os
import zipfile

import numpy as np

from cnnviz.data import file_reading
from cnnviz.data.datasets import (
    ARRAY_NAMES,
    Dataset,
    DatasetInfo,
    check_unpacked_size,
    standardise,
)

CLASS_NAMES_ARRAY = "class_names"
MAX_OTHER_CLASSES = 100
OTHER_SIZE_RANGE = (8, 128)  # smallest and largest side of other data sets' images
# An uploaded .npz is a zip archive that may be compressed: its arrays are checked to fit this
# before any is unpacked.
MAX_UPLOAD_NPZ_BYTES = 200 * 1024 * 1024


def dataset_from_arrays(
    x_train,
    y_train,
    x_test,
    y_test,
    class_names,
    name: str,
    title: str,
    location: str,
    source: str = "own",
) -> Dataset:
    """A Dataset made from arrays and class names, checked like the built-in ones.

    Args:
        x_train, x_test: uint8 images (N, height, width) or (N, height, width, channels).
        y_train, y_test: labels 0..len(class_names) - 1.
        class_names: one name per class.
        name: the data set's identifier (runs record it), title: its name for people.
        location: where it came from, for messages. source: "own" or "local".

    Raises:
        ValueError: for arrays or class names that do not make a data set.
    """
    names = tuple(str(class_name) for class_name in class_names)
    if not 2 <= len(names) <= MAX_OTHER_CLASSES or len(set(names)) != len(names):
        raise ValueError(
            f"{location}: a data set needs 2 to {MAX_OTHER_CLASSES} classes with different "
            f"names. Received: {len(names)} class names."
        )
    images = np.asarray(x_train)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    low, high = OTHER_SIZE_RANGE
    if (
        images.ndim != 4
        or images.shape[3] not in (1, 3)
        or not all(low <= side <= high for side in images.shape[1:3])
    ):
        raise ValueError(
            f"{location}: x_train must hold gray or RGB images {low} to {high} pixels a side, "
            f"shaped (N, height, width, channels). Received: shape {images.shape}"
        )
    for array in (x_train, x_test):
        if np.asarray(array).dtype != np.uint8:
            raise ValueError(
                f"{location}: images must be uint8 (0..255). Received: {np.asarray(array).dtype}"
            )
    info = DatasetInfo(
        name,
        title,
        tuple(int(side) for side in images.shape[1:]),
        names,
        (len(images), len(np.asarray(x_test))),
        "",
    )
    arrays = {"x_train": images, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return Dataset(info, *standardise(info, arrays, location), source=source, location=location)


def npz_bytes(dataset: Dataset) -> bytes:
    """The data set as a Keras-layout .npz file with its class names, ready to download."""
    buffer = io.BytesIO()
    arrays = {name: getattr(dataset, name) for name in ARRAY_NAMES}
    if arrays["x_train"].shape[-1] == 1:
        # Keras's gray data sets store (N, height, width); its loaders and ours accept that.
        arrays = {
            name: array[..., 0] if name.startswith("x") else array for name, array in arrays.items()
        }
    np.savez_compressed(buffer, **arrays, class_names=np.array(dataset.class_names, dtype=str))
    return buffer.getvalue()


def read_labelled_npz(
    source, name: str, title: str, source_kind: str = "local", max_bytes: int | None = None
) -> Dataset:
    """Read a Keras-layout .npz with class names (a path, bytes or a binary file).

    Without `class_names` the classes are named 0, 1, ... up to the largest label.

    Args:
        max_bytes: refuse files whose arrays unpack to more than this (for uploads).

    Raises:
        ValueError: when the file is not such a data set, with what is wrong.
    """
    origin = str(source) if isinstance(source, (str, os.PathLike)) else title
    if isinstance(source, (str, os.PathLike)):
        # A path is read only when it is a regular file of a sensible size (not /dev/zero).
        source = file_reading.check_file(source, "The data set file", file_reading.NPZ_BYTES)
        max_bytes = file_reading.NPZ_BYTES if max_bytes is None else max_bytes
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(bytes(source))
    try:
        with contextlib.ExitStack() as stack:
            file = source if hasattr(source, "read") else stack.enter_context(open(source, "rb"))
            if max_bytes is not None:
                check_unpacked_size(file, origin, max_bytes)
            archive = stack.enter_context(np.load(file, allow_pickle=False))
            missing = [key for key in ARRAY_NAMES if key not in archive.files]
            if missing:
                raise ValueError(
                    f"{origin} is not a Keras-layout data set file: it lacks {', '.join(missing)}."
                    f" It needs x_train, y_train, x_test and y_test (and may name its classes "
                    f"in {CLASS_NAMES_ARRAY})."
                )
            arrays = {key: archive[key] for key in ARRAY_NAMES}
            if CLASS_NAMES_ARRAY in archive.files:
                class_names = [str(item) for item in archive[CLASS_NAMES_ARRAY].reshape(-1)]
            else:
                labels = np.concatenate([arrays["y_train"].reshape(-1), arrays["y_test"]])
                top = int(labels.max()) if labels.size else 0
                class_names = [str(label) for label in range(top + 1)]
    except (OSError, zipfile.BadZipFile, EOFError, AttributeError) as error:
        raise ValueError(f"Could not read {origin}: {error}. Is it a NumPy .npz file?") from None
    except ValueError as error:
        if str(error).startswith(origin):
            raise
        raise ValueError(
            f"{origin} is not a Keras-layout .npz data set file (a NumPy archive holding "
            f"x_train, y_train, x_test and y_test, without pickled objects)."
        ) from None
    for key in ("y_train", "y_test"):
        if not np.issubdtype(arrays[key].dtype, np.integer):
            raise ValueError(f"{origin}: {key} must hold whole-number labels.")
    return dataset_from_arrays(
        **arrays,
        class_names=class_names,
        name=name,
        title=title,
        location=origin,
        source=source_kind,
    )
