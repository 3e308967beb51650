"""The data folder's other data sets: .npz files and folders of class folders, by "local:NAME".

A teacher puts them in the data folder ($CNNVIZ_DATA_DIR) beside the built-in data sets; the
sidebar and `cnnviz train --dataset local:NAME` list and load them. An .npz file is read by
extra_datasets.py, a folder of class folders by own_archive.py, so this module sits above both.
"""

from __future__ import annotations

import os
from pathlib import Path

from cnnviz.data import datasets, extra_datasets, own_archive

LOCAL_PREFIX = "local:"  # names of data sets found in the data folder, e.g. "local:shapes"


def find_local_datasets(data_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """Data sets other than the built-in ones in the data folder, by name ("local:NAME").

    They are the .npz files other than mnist.npz, fashion_mnist.npz and cifar10.npz, and the
    folders holding class folders of pictures (Keras's image_dataset_from_directory layout).
    """
    folder = datasets.resolve_data_dir(data_dir)
    if folder is None:
        return {}
    builtin = {info.file_name for info in datasets.DATASETS.values()}
    found = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        # Any entry named *.npz is listed, so one that is not a regular file (a named pipe) is
        # refused with a message when chosen rather than missing without a word.
        if not path.is_dir() and path.suffix == ".npz" and path.name not in builtin:
            found[LOCAL_PREFIX + path.stem] = path
        elif path.is_dir() and any(child.is_dir() for child in path.iterdir()):
            found[LOCAL_PREFIX + path.name] = path
    return found


def load_local_dataset(name: str, data_dir: str | os.PathLike | None = None) -> datasets.Dataset:
    """Load a data set that find_local_datasets lists.

    A folder of class folders becomes 32x32 RGB images (centre crop), a fifth of each class kept
    for testing; `cnnviz data` makes an .npz of other sizes.

    Raises:
        ValueError: for an unknown name or a data set that cannot be read.
    """
    found = find_local_datasets(data_dir)
    if name not in found:
        raise ValueError(
            f"There is no data set {name!r} in the data folder. Found: "
            f"{', '.join(found) or 'none'}."
        )
    path, title = found[name], name[len(LOCAL_PREFIX) :]
    if not path.is_dir():
        return extra_datasets.read_labelled_npz(path, name, title)
    return own_archive.dataset_from_source(path, name=name, title=title, source_kind="local")
