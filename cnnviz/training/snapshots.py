"""A job's weights at each epoch, kept small enough to hold many for replaying training.

Full weights in float16 (half of float32's size, and plenty for drawing), from epoch 0 (the
random start) on. The store has two caps: SNAPSHOT_MAX_COUNT snapshots and SNAPSHOT_MAX_BYTES in
total. Beyond either it thins evenly: it keeps every k-th snapshot (k = 1, 2, 4, ..., doubled
whenever the caps are reached) and always the newest, so the kept epochs are evenly spaced from
the start. A model so large that two snapshots exceed the byte cap still keeps two (the start and
the newest), so replay always has both ends.
"""

from __future__ import annotations

import io
import threading
import zipfile

import numpy as np

SNAPSHOT_MAX_COUNT = 30
SNAPSHOT_MAX_BYTES = 64 * 1024 * 1024
FLOAT16_MAX = float(np.finfo(np.float16).max)


def to_float16(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Copies of the arrays in float16, clipped to its range so huge weights do not become inf."""
    return [
        np.clip(array, -FLOAT16_MAX, FLOAT16_MAX).astype(np.float16)
        if np.issubdtype(array.dtype, np.floating)
        else np.array(array)
        for array in weights
    ]


class WeightSnapshots:
    """Thread-safe list of (epoch, float16 weights in model.get_weights() order), size-capped.

    Args:
        max_count: keep at most this many snapshots (at least 2); SNAPSHOT_MAX_COUNT by default.
        max_bytes: keep at most this many bytes in all (but always 2 snapshots);
            SNAPSHOT_MAX_BYTES by default.
    """

    def __init__(self, max_count: int | None = None, max_bytes: int | None = None):
        self.max_count = max(2, SNAPSHOT_MAX_COUNT if max_count is None else max_count)
        self.max_bytes = SNAPSHOT_MAX_BYTES if max_bytes is None else max_bytes
        self._lock = threading.Lock()
        # (number of the snapshot in the order added, epoch, weights)
        self._items: list[tuple[int, float, list[np.ndarray]]] = []
        self._added = 0
        self._stride = 1

    def add(self, epoch: float, weights: list[np.ndarray]) -> None:
        """Keep the weights after `epoch` epochs (converted to float16), thinning if needed."""
        snapshot = to_float16(weights)
        size = sum(array.nbytes for array in snapshot)
        capacity = max(2, min(self.max_count, self.max_bytes // max(size, 1)))
        with self._lock:
            items = [*self._items, (self._added, epoch, snapshot)]
            self._added += 1
            while True:
                newest = items[-1]
                items = [item for item in items[:-1] if item[0] % self._stride == 0] + [newest]
                if len(items) <= capacity:
                    break
                self._stride *= 2
            self._items = items

    def items(self) -> list[tuple[float, list[np.ndarray]]]:
        """The kept snapshots, oldest first (the arrays are shared: do not write to them)."""
        with self._lock:
            return [(epoch, weights) for _, epoch, weights in self._items]

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(array.nbytes for _, _, weights in self._items for array in weights)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items = []
            self._added = 0
            self._stride = 1


def snapshots_to_bytes(items: list[tuple[float, list[np.ndarray]]]) -> bytes:
    """Kept snapshots (epoch, float16 weights) as a NumPy archive without pickles."""
    arrays = {"epochs": np.array([epoch for epoch, _ in items], dtype=np.float64)}
    for number, (_, weights) in enumerate(items):
        arrays.update({f"s{number}_{index}": array for index, array in enumerate(weights)})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def snapshots_from_bytes(data: bytes) -> list[tuple[float, list[np.ndarray]]]:
    """The snapshots kept by snapshots_to_bytes, oldest first.

    Raises:
        ValueError: when the bytes are not such an archive.
    """
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            epochs = archive["epochs"]
            items = []
            for number, epoch in enumerate(epochs):
                weights, index = [], 0
                while f"s{number}_{index}" in archive.files:
                    weights.append(archive[f"s{number}_{index}"])
                    index += 1
                items.append((float(epoch), weights))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"The kept replay weights are damaged ({error}).") from None
    return items
