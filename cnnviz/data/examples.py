"""Bundled example pictures: two test images of every class of every data set, one file each.

    python -m cnnviz.data.examples SOURCE_DIR

writes assets/examples/<data set>/<class number>_<a|b>.png from the test split of
SOURCE_DIR/<data set>.npz (Keras layout), falling back to the bundled sample's test split for a
data set the folder does not hold. The pictures are the first two test images of each class, so
cutting them again gives the same files. They are PNG files on purpose: picking one goes through
the same decoding as an upload.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image

from cnnviz import app_files
from cnnviz.data.datasets import DATASETS, SAMPLES_DIR, read_npz

EXAMPLES_DIR = app_files.assets_dir() / "examples"
PER_CLASS = 2
SUFFIXES = "ab"


def example_files(dataset_name: str, folder: Path = EXAMPLES_DIR) -> list[tuple[int, Path]]:
    """(class number, file) of each bundled example of a data set, by class then suffix.

    Raises:
        ValueError: for a data set cnnviz does not know.
    """
    if dataset_name not in DATASETS:
        raise ValueError(
            f"Unknown data set {dataset_name!r}. Choose one of: {', '.join(DATASETS)}."
        )
    files = []
    for path in sorted((folder / dataset_name).glob("*.png")):
        number, _, _ = path.stem.partition("_")
        if number.isdigit():
            files.append((int(number), path))
    return sorted(files, key=lambda item: (item[0], item[1].name))


def _encode_png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(buffer, "PNG")
    return buffer.getvalue()


def write_examples(name: str, source_dir: Path | None, out_dir: Path = EXAMPLES_DIR) -> Path:
    """Write out_dir/<name>/*.png: the first PER_CLASS test images of each class."""
    info = DATASETS[name]
    source = source_dir / info.file_name if source_dir is not None else None
    if source is None or not source.exists():
        source = SAMPLES_DIR / info.file_name
    _, _, x_test, y_test = read_npz(source, info)
    target = out_dir / name
    target.mkdir(parents=True, exist_ok=True)
    for label in range(info.num_classes):
        chosen = np.flatnonzero(y_test == label)[:PER_CLASS]
        for suffix, index in zip(SUFFIXES[: len(chosen)], chosen, strict=True):
            pixels = x_test[index].reshape(info.input_shape)
            (target / f"{label}_{suffix}.png").write_bytes(_encode_png(pixels))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnviz.data.examples", description=__doc__)
    parser.add_argument("source_dir", type=Path, nargs="?", help="folder of Keras-layout .npz")
    arguments = parser.parse_args(argv)
    for name in DATASETS:
        print(write_examples(name, arguments.source_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
