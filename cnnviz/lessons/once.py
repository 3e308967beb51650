"""Compute a value at most once per key for the whole process, however many ask at once.

Lesson 7 trains three optimizers for each setting a student picks. Thirty students asking for
the same setting at the same moment must cost the server one training, not thirty: the first
caller computes while the others wait on that key's own lock, then all share the result. A
different key does not wait for this one. A computation that fails (or is interrupted) leaves
no result, so the next caller tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    value: Any = None


class OncePerKey:
    """A process-wide store of computed values, one computation per key.

    Args:
        max_entries: how many finished values to keep; the oldest finished one goes first.
    """

    def __init__(self, max_entries: int = 32):
        self._guard = threading.Lock()  # held only to find or add a key's entry, never to compute
        self._entries: dict[Hashable, _Entry] = {}
        self._max_entries = max_entries
        self.computations = 0  # how many computations ran (tests and the benchmark count them)

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value for `key`, computing it with `compute()` only if no one has yet."""
        with self._guard:
            entry = self._entries.setdefault(key, _Entry())
        with entry.lock:  # the first caller computes; the others wait here for it
            if not entry.done:
                with self._guard:
                    self.computations += 1
                entry.value = compute()
                entry.done = True
                self._forget_oldest()
            return entry.value

    def has(self, key: Hashable) -> bool:
        """Whether the value for `key` is ready (asking costs nothing)."""
        entry = self._entries.get(key)
        return entry is not None and entry.done

    def clear(self) -> None:
        """Forget every finished value (for tests and the benchmark's cold measure)."""
        with self._guard:
            self._entries = {key: entry for key, entry in self._entries.items() if not entry.done}

    def _forget_oldest(self) -> None:
        with self._guard:
            finished = [key for key, entry in self._entries.items() if entry.done]
            for key in finished[: max(0, len(finished) - self._max_entries)]:
                del self._entries[key]
