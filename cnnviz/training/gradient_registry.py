"""Letting go of the gradient functions TensorFlow registers for each traced training step.

Every time Keras traces a model's training step, TensorFlow's `custom_gradient` registers a
gradient function under a fresh name ("CustomGradient-123") in a process-wide registry and never
removes it. That function's closure holds the traced graph, so each model a server ever trained
stays in memory after the model itself is gone: about 5-10 MB per build-and-train on the Keras
example, which a class of students pressing Train and Reset turns into hundreds of MB.

A registration is only read while the graph it belongs to is being traced, and a job traces
its graphs on its own thread. So each job notes the names its thread registered and, once it is
disposed of and its thread has ended, removes them. `install()` wraps the registry's `register`
method to do the noting; tests/training/test_gradient_registry.py checks that the TensorFlow
internal it relies on still exists.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_noted = threading.local()
_install_lock = threading.Lock()
_installed = False


def _registry():
    from tensorflow.python.framework import ops  # only where TensorFlow is already loaded

    return getattr(ops, "_gradient_registry", None)


def install() -> bool:
    """Wrap TensorFlow's gradient registry so that registrations can be noted per thread.

    Returns:
        True when the registry was found (and wrapped, once per process).
    """
    global _installed
    registry = _registry()
    if registry is None or not isinstance(getattr(registry, "_registry", None), dict):
        return False
    with _install_lock:
        if _installed:
            return True
        # Registry objects have read-only attributes, so the class's method is wrapped; only
        # registrations in the gradient registry are noted.
        registry_class = type(registry)
        original = registry_class.register

        def register(self, candidate, name=None):
            original(self, candidate, name)
            names = getattr(_noted, "names", None)
            if self is registry and names is not None and name is not None:
                names.append(name)

        registry_class.register = register
        _installed = True
    return True


@contextlib.contextmanager
def noting_registrations() -> Iterator[list[str]]:
    """Collect the names of the gradient functions this thread registers inside the block."""
    names: list[str] = []
    previous = getattr(_noted, "names", None)
    _noted.names = names
    try:
        yield names
    finally:
        _noted.names = previous


def forget(names: list[str]) -> int:
    """Remove these registrations; return how many were there.

    Only for names whose graphs nobody will trace or differentiate again (a disposed model's).
    """
    registry = _registry()
    if registry is None:
        return 0
    entries = registry._registry
    return sum(entries.pop(name, None) is not None for name in names)
