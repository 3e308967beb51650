"""The data sets: what they are, and loading them from the best source available.

Loading order for each data set:

1. a local folder (``data_dir`` argument, or the ``CNNVIZ_DATA_DIR`` environment variable)
   holding a Keras-layout ``<name>.npz`` with x_train, y_train, x_test and y_test;
2. Keras's own ``load_data()``: its cache in ~/.keras/datasets, or a download where there is
   internet (skipped when ``CNNVIZ_OFFLINE=1``);
3. the small sample bundled in assets/samples, cut from the real data.

Images come back as uint8 arrays of shape (N, height, width, channels) and labels as int64
arrays of shape (N,). The arrays are read-only because one copy is shared by every session.
"""

from __future__ import annotations

import logging
import os
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnviz import app_files
from cnnviz.data import file_reading, keras_source

DATA_DIR_ENV = "CNNVIZ_DATA_DIR"
OFFLINE_ENV = "CNNVIZ_OFFLINE"
SAMPLES_DIR = app_files.assets_dir() / "samples"
ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")
DOWNLOAD_SOCKET_TIMEOUT = 10.0  # seconds a download may wait for the network at any one time

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetInfo:
    """What a data set is, before any of it is loaded."""

    name: str
    title: str
    input_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    full_sizes: tuple[int, int]  # training and test images in the full set
    credit: str

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def file_name(self) -> str:
        return f"{self.name}.npz"


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            "mnist",
            "MNIST",
            (28, 28, 1),
            tuple(str(digit) for digit in range(10)),
            (60000, 10000),
            "MNIST by Yann LeCun, Corinna Cortes and Christopher Burges (CC BY-SA 3.0).",
        ),
        DatasetInfo(
            "fashion_mnist",
            "Fashion-MNIST",
            (28, 28, 1),
            (
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ),
            (60000, 10000),
            "Fashion-MNIST by Zalando Research, Han Xiao, Kashif Rasul and Roland Vollgraf "
            "(MIT licence).",
        ),
        DatasetInfo(
            "cifar10",
            "CIFAR-10",
            (32, 32, 3),
            (
                "airplane",
                "automobile",
                "bird",
                "cat",
                "deer",
                "dog",
                "frog",
                "horse",
                "ship",
                "truck",
            ),
            (50000, 10000),
            "CIFAR-10 by Alex Krizhevsky, Vinod Nair and Geoffrey Hinton.",
        ),
    )
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded data set and where it came from.

    Attributes:
        source: "local", "keras" or "sample".
        location: the file or cache it was read from, for messages.
    """

    info: DatasetInfo
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    location: str

    @property
    def is_sample(self) -> bool:
        return self.source == "sample"

    @property
    def num_classes(self) -> int:
        return self.info.num_classes

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.info.input_shape

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.info.class_names

    def describe_source(self) -> str:
        """One sentence on what is loaded, e.g. for a sidebar."""
        counts = f"{len(self.x_train):,} training and {len(self.x_test):,} test images"
        where = {
            "local": f"from {self.location}",
            "keras": "from Keras's data set cache",
            "sample": "the small sample bundled with cnnviz",
            "own": f"made in {self.location}",
        }[self.source]
        return f"{self.info.title}: {counts}, {where}."

    def sample_notice(self) -> str | None:
        """When the bundled sample is in use, say so and how to get the full set."""
        if not self.is_sample:
            return None
        full_train, full_test = self.info.full_sizes
        return (
            f"You are using a small sample of {self.info.title}: {len(self.x_train):,} training "
            f"and {len(self.x_test):,} test images instead of the full {full_train:,} and "
            f"{full_test:,}, because the full set could not be loaded on this computer. "
            f"Everything works; accuracy is just a little lower. To use the full set, whoever "
            f"runs cnnviz can connect it to the internet once (Keras downloads the data and "
            f"keeps it), or put {self.info.file_name} in a folder and start cnnviz with "
            f"--data-dir FOLDER (or {DATA_DIR_ENV}=FOLDER)."
        )


def get_info(name: str) -> DatasetInfo:
    """The DatasetInfo for a name such as 'mnist'.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}. Choose one of: {', '.join(DATASETS)}.")
    return DATASETS[name]


def standardise(info: DatasetInfo, arrays: dict, origin: str) -> tuple[np.ndarray, ...]:
    """Check Keras-layout arrays against a data set's facts; return read-only copies.

    Every data set passes here, built-in or not (extra_datasets.py makes the others). Returns
    (x_train, y_train, x_test, y_test), images with a channel axis; raises ValueError, starting
    with `origin`, for a wrong image shape, mismatched or empty splits, or bad labels.
    """
    result = []
    for split in ("train", "test"):
        images, labels = np.asarray(arrays[f"x_{split}"]), np.asarray(arrays[f"y_{split}"])
        if images.ndim == 3:
            images = images[..., np.newaxis]
        labels = labels.reshape(-1)
        if images.shape[1:] != info.input_shape:
            raise ValueError(
                f"{origin}: x_{split} holds images of shape {images.shape[1:]}, but "
                f"{info.title} images are {info.input_shape}. Check that the file is the right "
                f"data set."
            )
        if len(images) != len(labels) or len(images) == 0:
            raise ValueError(
                f"{origin}: x_{split} has {len(images)} images but y_{split} has {len(labels)} "
                f"labels; they must match and not be empty."
            )
        labels = _checked_labels(labels, f"{origin}: y_{split}", info.num_classes)
        images = _checked_pixels(images, f"{origin}: x_{split}")
        labels = labels.astype(np.int64)
        images.flags.writeable = False
        labels.flags.writeable = False
        result += [images, labels]
    return tuple(result)


def _checked_labels(labels: np.ndarray, where: str, num_classes: int) -> np.ndarray:
    """Labels as whole numbers 0..num_classes-1, or a ValueError saying what they are."""
    if labels.dtype.kind in "f":
        whole = bool(np.all(np.isfinite(labels)) and np.all(labels == np.round(labels)))
        if not whole:
            raise ValueError(
                f"{where} holds fractional or missing labels; labels must be whole numbers "
                f"0..{num_classes - 1}, one class index per image."
            )
    elif labels.dtype.kind not in "iub":
        raise ValueError(
            f"{where} holds labels of type {labels.dtype} (e.g. {labels[0]!r:.40}); labels must "
            f"be whole numbers 0..{num_classes - 1}, one class index per image. Map class names "
            f"to their index before saving."
        )
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"{where} holds labels outside 0..{num_classes - 1}.")
    return labels


def _checked_pixels(images: np.ndarray, where: str) -> np.ndarray:
    """Images as uint8 pixel values 0-255, or a ValueError saying how to convert them.

    Whole-numbered values 0-255 of any numeric type are accepted as they are. Floating-point
    images scaled to 0-1 are refused rather than rescaled: a guessed scale would silently
    change what a file means, and a cast would make them black.
    """
    if images.dtype == np.uint8:
        return np.ascontiguousarray(images)
    if images.dtype.kind not in "iuf" or images.size == 0:
        raise ValueError(
            f"{where} holds values of type {images.dtype}; images must be numbers 0-255 "
            f"(uint8, as in Keras's files)."
        )
    if images.dtype.kind == "f" and not np.all(np.isfinite(images)):
        raise ValueError(f"{where} holds NaN or infinite pixel values; they must be 0-255.")
    low, high = images.min(), images.max()
    if images.dtype.kind == "f" and low >= 0 and high <= 1:
        raise ValueError(
            f"{where} holds floating-point pixels scaled 0-1; cnnviz reads pixel values 0-255 "
            f"as Keras's files store them. Save (x * 255).round().astype('uint8') instead."
        )
    if low < 0 or high > 255 or not np.all(images == np.round(images)):
        raise ValueError(
            f"{where} holds pixel values from {low:g} to {high:g}; they must be whole numbers "
            f"0-255 (uint8, as in Keras's files)."
        )
    return np.ascontiguousarray(images, dtype=np.uint8)


def check_unpacked_size(file, origin: str, max_bytes: int) -> None:
    """Refuse an .npz (a zip archive) whose arrays would unpack to more than max_bytes.

    Reads only the archive's directory, before any array is unpacked; leaves the file at its
    start. A file that is not a zip at all is left for np.load to refuse.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile:
        unpacked = 0
    file.seek(0)
    if unpacked > max_bytes:
        raise ValueError(
            f"{origin}: its arrays unpack to {unpacked / 2**20:,.0f} MB; at most "
            f"{max_bytes / 2**20:,.0f} MB are accepted."
        )


def read_npz(path: Path, info: DatasetInfo) -> tuple[np.ndarray, ...]:
    """Read a Keras-layout .npz file: x_train, y_train, x_test, y_test.

    Raises:
        ValueError: when the file is unreadable or does not hold this data set.
    """
    not_npz = (
        f"{path} is not a Keras-layout .npz data set file. It must be a NumPy .npz archive "
        f"holding x_train, y_train, x_test and y_test (np.savez writes one)."
    )
    # Only a regular file of a sensible size is opened (a named pipe would block for ever).
    path = file_reading.check_file(path, "The data set file", file_reading.NPZ_BYTES)
    try:
        # Opening the file ourselves makes sure it is closed even when numpy gives up on it.
        with open(path, "rb") as file:
            check_unpacked_size(file, str(path), file_reading.NPZ_BYTES)
            archive = np.load(file, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError(not_npz)
            with archive:
                missing = [name for name in ARRAY_NAMES if name not in archive.files]
                if missing:
                    raise ValueError(
                        f"{path} is not a Keras-layout data set file: it lacks "
                        f"{', '.join(missing)}. It needs x_train, y_train, x_test and y_test."
                    )
                arrays = {name: archive[name] for name in ARRAY_NAMES}
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"Could not read {path}: {error}. Is it a NumPy .npz file?") from None
    except ValueError as error:
        # numpy's own messages name neither the file nor a safe fix (they suggest pickles).
        if str(error).startswith(str(path)):
            raise
        raise ValueError(not_npz) from None
    return standardise(info, arrays, str(path))


def _load_with_keras(info: DatasetInfo) -> tuple[np.ndarray, ...]:
    # Imported here: Keras pulls in TensorFlow (seconds), and most loads never get this far.
    import keras

    module = getattr(keras.datasets, info.name)
    # Keras downloads with no timeout, so a network that silently drops traffic would stall the
    # app's first screen. A socket timeout bounds each network wait (not the whole download);
    # Streamlit's own sockets are non-blocking and unaffected.
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_SOCKET_TIMEOUT)
    try:
        (x_train, y_train), (x_test, y_test) = module.load_data()
    finally:
        socket.setdefaulttimeout(previous_timeout)
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return standardise(info, arrays, f"Keras's {info.name} data set")


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path | None:
    """The local data folder to use: the argument, else the environment variable, else None.

    Raises:
        ValueError: when a folder is named but does not exist.
    """
    chosen = data_dir if data_dir not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
    if chosen is None:
        return None
    path = Path(chosen).expanduser()
    if path.exists() and not path.is_dir():
        # A file, a device or a pipe: say what it is rather than that it is missing.
        file_reading.check_folder(path, "The data folder")
    if not path.is_dir():
        raise ValueError(
            f"The data folder {path} does not exist. Create it and put the data set files "
            f"(mnist.npz, fashion_mnist.npz, cifar10.npz) in it, or leave the folder out to use "
            f"Keras's cache or the bundled sample."
        )
    return path


def load_dataset(
    name: str,
    data_dir: str | os.PathLike | None = None,
    allow_download: bool | None = None,
) -> Dataset:
    """Load a data set from the first source that has it (see the module docstring).

    Args:
        name: "mnist", "fashion_mnist" or "cifar10".
        data_dir: a folder holding <name>.npz; defaults to $CNNVIZ_DATA_DIR.
        allow_download: whether to try Keras's load_data(); defaults to True unless
            CNNVIZ_OFFLINE=1.

    Raises:
        ValueError: for an unknown name, a missing folder, or a local file that is broken.
    """
    info = get_info(name)
    folder = resolve_data_dir(data_dir)
    # exists(), not is_file(): a <name>.npz that is not a regular file is refused, not passed over.
    if folder is not None and (folder / info.file_name).exists():
        path = folder / info.file_name
        return Dataset(info, *read_npz(path, info), source="local", location=str(path))
    if allow_download is None:
        allow_download = os.environ.get(OFFLINE_ENV, "") not in ("1", "true", "yes")
    # Asked first, because trying costs a TensorFlow import (seconds) on a server's first page.
    reason = keras_source.why_keras_cannot_load(name) if allow_download else None
    if reason is not None:
        _LOGGER.warning("Keras could not load %s (%s); using the bundled sample.", name, reason)
    elif allow_download:
        try:
            return Dataset(info, *_load_with_keras(info), source="keras", location="Keras")
        except Exception as error:  # noqa: BLE001 - any failure here means "use the sample"
            _LOGGER.warning("Keras could not load %s (%s); using the bundled sample.", name, error)
    path = SAMPLES_DIR / info.file_name
    return Dataset(info, *read_npz(path, info), source="sample", location=str(path))
