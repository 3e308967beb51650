"""Cut the small data set samples bundled in assets/samples from the full data sets.

    python -m cnnviz.data.samples SOURCE_DIR

reads SOURCE_DIR/mnist.npz, fashion_mnist.npz and cifar10.npz (Keras layout) and writes
class-balanced random samples of them to assets/samples. Fashion-MNIST's original IDX files
(as Debian's dataset-fashion-mnist package installs them) can be turned into a Keras-layout
.npz first with ``python -m cnnviz.data.samples --fashion-idx IDX_DIR OUT_DIR``.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np

from cnnviz.data.datasets import DATASETS, SAMPLES_DIR, read_npz

# Training and test images per sample; assets/ must stay under 15 MB in all.
SAMPLE_SIZES = {"mnist": (6000, 1000), "fashion_mnist": (6000, 1000), "cifar10": (2000, 500)}


def balanced_indices(labels: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` indices with (nearly) the same number of each class, in ascending order."""
    classes = np.unique(labels)
    per_class = count // len(classes)
    chosen = [
        rng.choice(np.flatnonzero(labels == label), per_class, replace=False) for label in classes
    ]
    return np.sort(np.concatenate(chosen))


def write_sample(name: str, source_dir: Path, out_dir: Path = SAMPLES_DIR, seed: int = 0) -> Path:
    """Write out_dir/<name>.npz, a balanced sample of source_dir/<name>.npz."""
    info = DATASETS[name]
    x_train, y_train, x_test, y_test = read_npz(source_dir / info.file_name, info)
    rng = np.random.default_rng(seed)
    train_count, test_count = SAMPLE_SIZES[name]
    train = balanced_indices(y_train, train_count, rng)
    test = balanced_indices(y_test, test_count, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / info.file_name
    np.savez_compressed(
        path,
        x_train=x_train[train],
        y_train=y_train[train].astype(np.uint8),
        x_test=x_test[test],
        y_test=y_test[test].astype(np.uint8),
    )
    return path


def _read_idx(path: Path, header_bytes: int) -> np.ndarray:
    with gzip.open(path) as file:
        return np.frombuffer(file.read(), np.uint8, offset=header_bytes)


def fashion_idx_to_npz(idx_dir: Path, out_dir: Path) -> Path:
    """Turn Fashion-MNIST's four IDX .gz files into a Keras-layout fashion_mnist.npz."""
    arrays = {
        "x_train": _read_idx(idx_dir / "train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28),
        "y_train": _read_idx(idx_dir / "train-labels-idx1-ubyte.gz", 8),
        "x_test": _read_idx(idx_dir / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28),
        "y_test": _read_idx(idx_dir / "t10k-labels-idx1-ubyte.gz", 8),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "fashion_mnist.npz"
    np.savez(path, **arrays)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("source_dir", type=Path, nargs="?", help="folder with the full .npz files")
    parser.add_argument("--fashion-idx", nargs=2, type=Path, metavar=("IDX_DIR", "OUT_DIR"))
    arguments = parser.parse_args()
    if arguments.fashion_idx:
        print(f"wrote {fashion_idx_to_npz(*arguments.fashion_idx)}")
        return
    if arguments.source_dir is None:
        parser.error("give SOURCE_DIR or --fashion-idx IDX_DIR OUT_DIR")
    for name in SAMPLE_SIZES:
        path = write_sample(name, arguments.source_dir)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
