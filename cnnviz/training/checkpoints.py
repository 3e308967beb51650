"""A training job's state at the end of an epoch, as bytes the app can store and restore.

A Checkpoint holds what a job needs to go on after the server stopped: the float32 weights and
the optimizer's variables (so that Adam's moments go on), the epoch count and progress (so that
the next epoch visits the images in the order it would have: fitting.epoch_order), the recorded
history, the time and samples trained, the settings, and how the job stood (its state, message
and test accuracy). The app stores one per epoch; cnnviz.training.restoring builds a job from it.

The bytes are an uncompressed NumPy .npz (compressing would cost more time per epoch than it
saves on disk) read with allow_pickle=False, so a stored file can never run code: the arrays
are arrays, and the plain parts are one JSON text kept as a uint8 array.

No TensorFlow here: the store and the app read checkpoints without it.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import numpy as np

# Bumped when the layout changes, so that an older cnnviz refuses a newer file by name.
FORMAT_VERSION = 1
_META = "meta"
_WEIGHT = "weight_{}"
_OPTIMIZER = "optimizer_{}"
# What reading a truncated or garbled file raises, from zipfile, NumPy and json (whose
# JSONDecodeError and UnicodeDecodeError are ValueErrors).
_READ_ERRORS = (
    ValueError,
    OSError,
    EOFError,
    KeyError,
    TypeError,
    AttributeError,
    zipfile.BadZipFile,
)


@dataclass
class Checkpoint:
    """A job at the end of an epoch (or of a segment), enough to restore and continue it.

    Attributes:
        epochs_done: epochs trained over the job's life (a stopped epoch counts as one).
        progress: epochs of training done, a stopped epoch counting as the fraction trained.
        weights: float32 arrays in model.get_weights() order.
        optimizer_state: the optimizer's name and its variables' values in their order, or
            None when the optimizer starts afresh.
        history: the recorded history (cnnviz.training.job_interface.empty_history's layout).
        train_seconds: wall time spent training over all segments.
        samples_trained: images trained over all segments.
        settings: dataclasses.asdict of the segment's TrainingSettings.
        state: the job's state (a JobState value) when the checkpoint was taken.
        message: the job's message then.
        test_accuracy: the last measured test accuracy, if any.
        test_loss: the last measured test loss, if any.
    """

    epochs_done: int
    progress: float
    weights: list[np.ndarray]
    optimizer_state: tuple[str, list[np.ndarray]] | None
    history: dict
    train_seconds: float
    samples_trained: int
    settings: dict
    state: str
    message: str
    test_accuracy: float | None
    test_loss: float | None

    def to_bytes(self) -> bytes:
        """The checkpoint as .npz bytes (see the module's docstring)."""
        optimizer_name, optimizer_values = self.optimizer_state or (None, [])
        meta = {
            "format": FORMAT_VERSION,
            "epochs_done": int(self.epochs_done),
            "progress": float(self.progress),
            "history": self.history,
            "train_seconds": float(self.train_seconds),
            "samples_trained": int(self.samples_trained),
            "settings": self.settings,
            "state": str(self.state),
            "message": self.message,
            "test_accuracy": _float_or_none(self.test_accuracy),
            "test_loss": _float_or_none(self.test_loss),
            "weight_count": len(self.weights),
            "optimizer": None if optimizer_name is None else str(optimizer_name),
            "optimizer_count": len(optimizer_values),
        }
        text = json.dumps(meta, allow_nan=True).encode("utf-8")
        arrays = {_META: np.frombuffer(text, dtype=np.uint8)}
        for number, array in enumerate(self.weights):
            arrays[_WEIGHT.format(number)] = np.asarray(array)
        for number, array in enumerate(optimizer_values):
            arrays[_OPTIMIZER.format(number)] = np.asarray(array)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Checkpoint:
        """A checkpoint from to_bytes()'s bytes.

        Raises:
            ValueError: when the bytes are not a whole checkpoint (truncated, damaged, or from
                a newer cnnviz).
        """
        try:
            archive = np.load(io.BytesIO(data), allow_pickle=False)
            meta = json.loads(bytes(archive[_META]).decode("utf-8"))
            version = meta.get("format")
        except _READ_ERRORS as error:
            raise _damaged(data, error) from error
        with archive:
            if version != FORMAT_VERSION:
                raise ValueError(
                    f"This checkpoint has format {version!r}, this cnnviz reads format "
                    f"{FORMAT_VERSION}: upgrade cnnviz to restore it."
                )
            try:
                return cls._from_parts(meta, archive)
            except _READ_ERRORS as error:
                raise _damaged(data, error) from error

    @classmethod
    def _from_parts(cls, meta: dict, archive) -> Checkpoint:
        weights = [archive[_WEIGHT.format(n)] for n in range(meta["weight_count"])]
        values = [archive[_OPTIMIZER.format(n)] for n in range(meta["optimizer_count"])]
        optimizer = meta["optimizer"]
        return cls(
            epochs_done=int(meta["epochs_done"]),
            progress=float(meta["progress"]),
            weights=weights,
            optimizer_state=None if optimizer is None else (optimizer, values),
            history=meta["history"],
            train_seconds=float(meta["train_seconds"]),
            samples_trained=int(meta["samples_trained"]),
            settings=meta["settings"],
            state=meta["state"],
            message=meta["message"],
            test_accuracy=meta["test_accuracy"],
            test_loss=meta["test_loss"],
        )


def _float_or_none(value) -> float | None:
    return None if value is None else float(value)


def _damaged(data, error: BaseException) -> ValueError:
    size = len(data) if isinstance(data, (bytes, bytearray, memoryview)) else "?"
    return ValueError(
        f"This training checkpoint is damaged or incomplete ({type(error).__name__}: {error}); "
        f"it cannot be restored. Received: {size} bytes. Continue from an earlier run, or train "
        "again."
    )
