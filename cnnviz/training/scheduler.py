"""Fair sharing of the CPU: at most N trainings at once per server, the rest wait in order.

Thirty students on a two-core server cannot all train at full speed at the same time; running
them all at once would make every run crawl. The scheduler lets a fixed number train (one per
core by default) and keeps the others in a first-come, first-served queue whose positions the
app shows.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True)
class SlotView:
    """The scheduler's counts and one ticket's place, all read at one instant.

    Attributes:
        slots: trainings allowed at once.
        running: tickets holding a slot.
        waiting: tickets in the queue. Never more than zero while a slot is free: a freed slot
            goes to the first in the queue at once.
        position: the ticket's 1-based place in the queue; None when it is not waiting.
    """

    slots: int
    running: int
    waiting: int
    position: int | None


class TrainingScheduler:
    """A counting slot pool with a visible first-in, first-out waiting queue.

    A slot is handed over under the pool's lock: the moment one is freed, the first ticket in
    the queue holds it, so the counts never show a free slot beside a waiting ticket. A ticket
    may pass `on_queued` and `on_granted` functions, called under the same lock when it joins
    the queue and when it gets its slot, so that a job's own state changes at the instant the
    counts do (they may take the job's lock: the order is always scheduler, then job).
    """

    def __init__(self, max_concurrent: int | None = None):
        if max_concurrent is None:
            max_concurrent = default_max_concurrent()
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1. Received: {max_concurrent}")
        self.max_concurrent = max_concurrent
        self._condition = threading.Condition()
        self._waiting: deque[object] = deque()
        self._running: set[int] = set()
        self._on_granted: dict[int, Callable[[], None]] = {}

    def enqueue(
        self,
        ticket: object,
        on_queued: Callable[[], None] | None = None,
        on_granted: Callable[[], None] | None = None,
    ) -> None:
        """Put `ticket` at the end of the queue now (it gets a slot at once if one is free);
        `acquire` then waits for that slot. Does nothing for a ticket already queued or
        running."""
        with self._condition:
            if id(ticket) in self._running or self._is_waiting_locked(ticket):
                return
            self._waiting.append(ticket)
            if on_granted is not None:
                self._on_granted[id(ticket)] = on_granted
            if on_queued is not None:
                on_queued()
            self._grant_locked()

    def acquire(self, ticket: object, cancelled: Callable[[], bool]) -> bool:
        """Wait for a training slot; return False if `cancelled()` became true first.

        Args:
            ticket: any object identifying the job (compared by identity); queued now unless
                `enqueue` queued it already.
            cancelled: polled while waiting; a True answer leaves the queue (or gives back a
                slot granted meanwhile).
        """
        with self._condition:
            if cancelled():  # before joining: a ticket cancelled in time never holds a slot
                self._leave_locked(ticket)
                return False
            self.enqueue(ticket)
            while True:
                if cancelled():
                    self._leave_locked(ticket)
                    return False
                if id(ticket) in self._running:
                    return True
                self._condition.wait(_POLL_SECONDS)

    def release(self, ticket: object) -> None:
        """Give the slot back; the first ticket in the queue holds it at once."""
        with self._condition:
            self._leave_locked(ticket)

    def position(self, ticket: object) -> int | None:
        """1-based place in the waiting queue, or None when not waiting."""
        with self._condition:
            return self._position_locked(ticket)

    @contextlib.contextmanager
    def view(self, ticket: object) -> Iterator[SlotView]:
        """The counts and `ticket`'s place, holding the pool's lock for the block, so that a
        job can read its own state in the same instant (its lock inside this one)."""
        with self._condition:
            yield SlotView(
                slots=self.max_concurrent,
                running=len(self._running),
                waiting=len(self._waiting),
                position=self._position_locked(ticket),
            )

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

    # ----- internals; the caller holds the lock -----

    def _is_waiting_locked(self, ticket: object) -> bool:
        return any(waiting is ticket for waiting in self._waiting)

    def _position_locked(self, ticket: object) -> int | None:
        for place, waiting in enumerate(self._waiting, start=1):
            if waiting is ticket:
                return place
        return None

    def _leave_locked(self, ticket: object) -> None:
        # Out of the queue or out of its slot, whichever it is in; the freed place goes on.
        self._running.discard(id(ticket))
        if self._is_waiting_locked(ticket):
            self._waiting.remove(ticket)
        self._on_granted.pop(id(ticket), None)
        self._grant_locked()

    def _grant_locked(self) -> None:
        while self._waiting and len(self._running) < self.max_concurrent:
            ticket = self._waiting.popleft()
            self._running.add(id(ticket))
            on_granted = self._on_granted.pop(id(ticket), None)
            if on_granted is not None:
                on_granted()
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
