"""How long importing a zip of class folders takes: `cnnviz bench own-data`.

Makes a zip of 32x32 JPEGs in ten class folders (cut from a CIFAR-10 JPEG file when one is
given, else pictures of random noise, which compress worst) and times reading it into 32x32
RGB images as the My data page and `cnnviz data` do. Prints one line per round and a JSON
summary with the median.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import zipfile

import numpy as np
from PIL import Image

from cnnviz.data import own_archive

CLASSES = 10


def noise_jpegs(count: int, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    pictures = []
    for _ in range(count):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buffer, "JPEG")
        pictures.append(buffer.getvalue())
    return pictures


def cifar_jpegs(path: str, count: int) -> list[bytes]:
    """The first `count` JPEGs of a file holding `jpeg` bytes and their `offsets`."""
    with np.load(path, allow_pickle=False) as archive:
        jpegs, offsets = archive["jpeg"], archive["offsets"]
        return [jpegs[offsets[i] : offsets[i + 1]].tobytes() for i in range(count)]


def make_zip(pictures: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, picture in enumerate(pictures):
            archive.writestr(f"pictures/class{number % CLASSES}/{number:05d}.jpg", picture)
    return buffer.getvalue()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--images", type=int, default=1000, help="pictures in the zip")
    parser.add_argument("--rounds", type=int, default=3, help="timed imports")
    parser.add_argument("--cifar-jpeg", help="a cifar10-jpeg.npz to cut the pictures from")


def run(arguments: argparse.Namespace) -> dict:
    """Time `rounds` imports of one zip; print each, return the summary."""
    if arguments.images < 1 or arguments.rounds < 1:
        raise ValueError(
            f"--images and --rounds must be at least 1. Received: {arguments.images}, "
            f"{arguments.rounds}"
        )
    if arguments.cifar_jpeg:
        pictures = cifar_jpegs(arguments.cifar_jpeg, arguments.images)
    else:
        pictures = noise_jpegs(arguments.images)
    data = make_zip(pictures)
    seconds = []
    for round_number in range(1, arguments.rounds + 1):
        start = time.perf_counter()
        report = own_archive.read_class_folders(data, (32, 32, 3))
        seconds.append(time.perf_counter() - start)
        print(
            f"round {round_number}: {report.total_images} pictures in {seconds[-1]:.2f} s "
            f"({report.total_images / seconds[-1]:,.0f} pictures/s)",
            flush=True,
        )
    return {
        "images": arguments.images,
        "zip_bytes": len(data),
        "source": "cifar10 jpeg" if arguments.cifar_jpeg else "noise jpeg",
        "median_seconds": round(statistics.median(seconds), 3),
        "seconds": [round(value, 3) for value in seconds],
    }
