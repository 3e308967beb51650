"""Tests for cnnviz.training.scheduler: slots, the visible queue and cancellation (threads only)."""

import threading

import pytest

from cnnviz.training import scheduler
from helpers.jobs import wait_until

# Generous: these only bound how long a broken test hangs, they are never asserted on.
WAIT_SECONDS = 10.0


class Waiter:
    """A ticket acquiring a slot in its own thread, as a TrainingJob's thread does."""

    def __init__(self, pool: scheduler.TrainingScheduler):
        self.pool = pool
        self.cancel = threading.Event()
        self.result: bool | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.result = self.pool.acquire(self, self.cancel.is_set)
        self.done.set()

    def wait_queued(self) -> None:
        wait_until(lambda: self.pool.position(self) is not None, WAIT_SECONDS)

    def wait_done(self) -> bool:
        assert self.done.wait(WAIT_SECONDS), "acquire did not return"
        return self.result


def test_one_slot_serves_tickets_in_arrival_order():
    pool = scheduler.TrainingScheduler(1)
    first = Waiter(pool)
    assert first.wait_done() is True
    second = Waiter(pool)
    second.wait_queued()
    third = Waiter(pool)
    third.wait_queued()
    assert (pool.position(second), pool.position(third)) == (1, 2)
    assert pool.position(first) is None
    assert (pool.running_count, pool.waiting_count) == (1, 2)

    pool.release(first)
    assert second.wait_done() is True
    assert pool.position(third) == 1
    assert not third.done.is_set()

    pool.release(second)
    assert third.wait_done() is True
    assert pool.waiting_count == 0
    pool.release(third)
    assert pool.running_count == 0


def test_release_lets_the_next_ticket_start():
    pool = scheduler.TrainingScheduler(1)
    holder = object()
    assert pool.acquire(holder, lambda: False)
    waiter = Waiter(pool)
    waiter.wait_queued()
    assert not waiter.done.wait(0.3)  # still waiting: the slot is taken
    pool.release(holder)
    assert waiter.wait_done() is True
    assert pool.running_count == 1


def test_cancelling_a_waiting_ticket_leaves_the_queue_and_frees_its_place():
    pool = scheduler.TrainingScheduler(1)
    holder = object()
    assert pool.acquire(holder, lambda: False)
    leaving = Waiter(pool)
    leaving.wait_queued()
    staying = Waiter(pool)
    staying.wait_queued()
    assert pool.position(staying) == 2

    leaving.cancel.set()
    pool.wake()
    assert leaving.wait_done() is False
    assert pool.position(leaving) is None
    assert pool.position(staying) == 1
    assert pool.running_count == 1

    pool.release(holder)
    assert staying.wait_done() is True


def test_a_ticket_cancelled_before_its_turn_never_runs():
    pool = scheduler.TrainingScheduler(1)
    assert pool.acquire(object(), lambda: True) is False
    assert (pool.running_count, pool.waiting_count) == (0, 0)


def test_two_slots_run_two_tickets_at_once():
    pool = scheduler.TrainingScheduler(2)
    first, second = Waiter(pool), Waiter(pool)
    assert first.wait_done() is True
    assert second.wait_done() is True
    assert pool.running_count == 2
    third = Waiter(pool)
    third.wait_queued()
    assert pool.position(third) == 1
    pool.release(second)
    assert third.wait_done() is True
    assert pool.running_count == 2


def test_default_max_concurrent_honours_the_environment(monkeypatch):
    monkeypatch.setenv(scheduler.MAX_TRAININGS_ENV, "3")
    assert scheduler.default_max_concurrent() == 3
    assert scheduler.TrainingScheduler().max_concurrent == 3
    monkeypatch.setenv(scheduler.MAX_TRAININGS_ENV, " ")
    assert scheduler.default_max_concurrent() >= 1
    monkeypatch.delenv(scheduler.MAX_TRAININGS_ENV)
    assert scheduler.default_max_concurrent() >= 1


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_default_max_concurrent_rejects_bad_values(monkeypatch, value):
    monkeypatch.setenv(scheduler.MAX_TRAININGS_ENV, value)
    with pytest.raises(ValueError, match=scheduler.MAX_TRAININGS_ENV):
        scheduler.default_max_concurrent()


def test_scheduler_rejects_fewer_than_one_slot():
    with pytest.raises(ValueError, match="at least 1"):
        scheduler.TrainingScheduler(0)


def test_a_freed_slot_goes_to_the_first_waiting_ticket_at_once():
    """The counts never show a free slot beside a waiting ticket, and the ticket's own
    on_granted runs in the same instant as the hand-over."""
    pool = scheduler.TrainingScheduler(2)
    first, second, third = object(), object(), object()
    events = []
    pool.enqueue(first, on_granted=lambda: events.append("first granted"))
    pool.enqueue(second, on_granted=lambda: events.append("second granted"))
    pool.enqueue(
        third,
        on_queued=lambda: events.append("third queued"),
        on_granted=lambda: events.append(("third granted", pool.running_count)),
    )
    assert events == ["first granted", "second granted", "third queued"]
    with pool.view(third) as view:
        assert view == scheduler.SlotView(slots=2, running=2, waiting=1, position=1)
    pool.release(first)
    # Before release returns, and with no thread of its own: the third holds the slot.
    assert events[-1] == ("third granted", 2)
    with pool.view(third) as view:
        assert view == scheduler.SlotView(slots=2, running=2, waiting=0, position=None)
    # Its thread's acquire finds the slot already held, and does not queue it again.
    assert pool.acquire(third, lambda: False) is True
    assert (pool.running_count, pool.waiting_count) == (2, 0)


def test_a_ticket_cancelled_after_its_slot_was_granted_gives_it_back():
    pool = scheduler.TrainingScheduler(1)
    holder, waiting, next_one = object(), object(), object()
    assert pool.acquire(holder, lambda: False)
    pool.enqueue(waiting)
    pool.enqueue(next_one)
    pool.release(holder)  # the slot goes to `waiting` ...
    assert pool.position(next_one) == 1
    # ... whose thread then sees its stop: the slot moves on to the next at once.
    assert pool.acquire(waiting, lambda: True) is False
    assert pool.position(next_one) is None and pool.running_count == 1
    assert pool.acquire(next_one, lambda: False) is True
