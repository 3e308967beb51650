"""Fair sharing of the CPU: at most N trainings at once per server, the rest wait in order.

Thirty students on a two-core server cannot all train at full speed at the same time; running
them all at once would make every run crawl. The scheduler lets a fixed number train (one per
core by default) and keeps the others in a first-come, first-served queue whose positions the
app shows.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable

MAX_TRAININGS_ENV = "CNNVIZ_MAX_TRAININGS"

# How often a waiting job wakes up to check whether it was cancelled.
_POLL_SECONDS = 0.25


def default_max_concurrent() -> int:
    """One training per CPU core, unless CNNVIZ_MAX_TRAININGS says otherwise."""
    configured = os.environ.get(MAX_TRAININGS_ENV, "").strip()
    if configured:
        try:
            value = int(configured)
        except ValueError:
            raise ValueError(
                f"{MAX_TRAININGS_ENV} must be a whole number of at least 1. "
                f"Received: {configured!r}"
            ) from None
        if value < 1:
            raise ValueError(f"{MAX_TRAININGS_ENV} must be at least 1. Received: {value}")
        return value
    return max(1, os.cpu_count() or 1)


class TrainingScheduler:
    """A counting slot pool with a visible first-in, first-out waiting queue."""

    def __init__(self, max_concurrent: int | None = None):
        if max_concurrent is None:
            max_concurrent = default_max_concurrent()
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1. Received: {max_concurrent}")
        self.max_concurrent = max_concurrent
        self._condition = threading.Condition()
        self._waiting: deque[object] = deque()
        self._running: set[int] = set()

    def acquire(self, ticket: object, cancelled: Callable[[], bool]) -> bool:
        """Wait for a training slot; return False if `cancelled()` became true first.

        Args:
            ticket: any object identifying the job (compared by identity).
            cancelled: polled while waiting; a True answer leaves the queue.
        """
        with self._condition:
            self._waiting.append(ticket)
            try:
                while True:
                    if cancelled():
                        return False
                    if self._waiting[0] is ticket and len(self._running) < self.max_concurrent:
                        self._running.add(id(ticket))
                        return True
                    self._condition.wait(_POLL_SECONDS)
            finally:
                self._waiting.remove(ticket)
                # Whoever is first now may be able to start.
                self._condition.notify_all()

    def release(self, ticket: object) -> None:
        """Give the slot back so the next job in the queue can start."""
        with self._condition:
            self._running.discard(id(ticket))
            self._condition.notify_all()

    def position(self, ticket: object) -> int | None:
        """1-based place in the waiting queue, or None when not waiting."""
        with self._condition:
            for place, waiting in enumerate(self._waiting, start=1):
                if waiting is ticket:
                    return place
        return None

    @property
    def running_count(self) -> int:
        with self._condition:
            return len(self._running)

    @property
    def waiting_count(self) -> int:
        with self._condition:
            return len(self._waiting)

    def wake(self) -> None:
        """Make waiting jobs re-check their cancellation now rather than at the next poll."""
        with self._condition:
            self._condition.notify_all()


_default_scheduler: TrainingScheduler | None = None
_default_lock = threading.Lock()


def default_scheduler() -> TrainingScheduler:
    """The process-wide scheduler every session's jobs share."""
    global _default_scheduler
    with _default_lock:
        if _default_scheduler is None:
            _default_scheduler = TrainingScheduler()
        return _default_scheduler
