"""Giving a dropped model's memory back to the operating system.

A Keras model that is no longer referenced is not all freed by Python's garbage collector: the
compiled training, test and prediction functions (tf.function traces) hold graphs and keep the
model's variables alive through reference cycles, and glibc keeps freed blocks in its heap
instead of returning them. `release_model` breaks those references; `trim_heap` asks glibc to
return free heap pages (a no-op where glibc is absent).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import resource
import sys

# The model attributes holding compiled functions and their caches in Keras 3.
_COMPILED_ATTRIBUTES = (
    "train_function",
    "test_function",
    "predict_function",
    "_eval_epoch_iterator",
)


def release_model(model) -> None:
    """Drop the compiled functions and optimizer state a Keras model holds onto."""
    for name in _COMPILED_ATTRIBUTES:
        if getattr(model, name, None) is not None:
            # A read-only attribute in some Keras version is left alone.
            with contextlib.suppress(AttributeError):
                setattr(model, name, None)


@functools.cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    library = ctypes.CDLL(name)
    return library if hasattr(library, "malloc_trim") else None


def trim_heap() -> None:
    """Return freed heap memory to the operating system (glibc's malloc_trim(0))."""
    library = _libc()
    if library is not None:
        library.malloc_trim(0)


def resident_megabytes() -> float:
    """The process's resident memory now, in MB (from /proc; the peak where /proc is absent)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
