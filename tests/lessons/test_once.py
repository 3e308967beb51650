"""The once-per-key store behind lesson 7's shared comparisons."""

import threading
import time

import pytest

from cnnviz.lessons import once


def test_thirty_concurrent_callers_of_one_key_cause_one_computation():
    store = once.OncePerKey()
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)  # long enough that every thread arrives while it runs
        return {"curve": [3, 2, 1]}

    start = threading.Barrier(30)
    results = [None] * 30

    def ask(index):
        start.wait()
        results[index] = store.get("rate=0.01", slow)

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and store.computations == 1
    assert all(result is results[0] for result in results)  # one shared value


def test_different_keys_do_not_wait_for_each_other():
    store = once.OncePerKey()
    slow_started = threading.Event()
    release = threading.Event()

    def slow():
        slow_started.set()
        release.wait(5)
        return "slow"

    thread = threading.Thread(target=store.get, args=("a", slow))
    thread.start()
    slow_started.wait(5)
    # While "a" computes, "b" answers at once.
    assert store.get("b", lambda: "quick") == "quick"
    assert not store.has("a") and store.has("b")
    release.set()
    thread.join()
    assert store.get("a", lambda: "never") == "slow"
    assert store.computations == 2


def test_a_failed_computation_leaves_no_value_and_the_next_caller_retries():
    store = once.OncePerKey()

    def fail():
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        store.get("k", fail)
    assert not store.has("k")
    assert store.get("k", lambda: 7) == 7


def test_the_oldest_finished_value_goes_first_past_the_limit():
    store = once.OncePerKey(max_entries=2)
    for key in "abc":
        store.get(key, lambda key=key: key)
    assert [store.has(key) for key in "abc"] == [False, True, True]
    store.clear()
    assert not store.has("b") and not store.has("c")
