"""The server-side workspace registry: ids, reattaching, expiry, caps and release."""

from __future__ import annotations

import threading
import time

import pytest

from cnnviz.store import blobs, workspace_limits, workspace_records, workspaces
from cnnviz.store.workspace_records import GoneReason, GoneRecord, GoneRecords
from cnnviz.store.workspaces import ServerFull, WorkspaceRegistry
from cnnviz.ui import saving, workspace_data
from cnnviz.ui import state as keys
from helpers.jobs import FakeJob

HOUR = 3600.0


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# 14:05 on a day, in the server's local time: what the records show as "14:05".
WALL_TIME = time.mktime((2025, 3, 4, 14, 5, 30, 0, 0, -1))


def make_registry(clock: FakeClock, **limits) -> WorkspaceRegistry:
    """A registry with the app's own hooks (busy, memory estimate, release) and fake clocks."""
    return WorkspaceRegistry(
        clock=clock,
        wall_clock=lambda: WALL_TIME + clock.now - 1000.0,
        is_busy=keys.is_busy,
        estimate_bytes=keys.estimate_bytes,
        release=keys.release,
        new_data=keys.WorkspaceData,
        **limits,
    )


def test_ids_are_url_safe_and_carry_128_random_bits():
    ids = {workspaces.new_workspace_id() for _ in range(2000)}
    assert len(ids) == 2000
    for workspace_id in list(ids)[:50]:
        # 16 bytes in URL-safe base64 without padding: 22 characters of [A-Za-z0-9_-].
        assert len(workspace_id) == 22
        assert all(char.isalnum() or char in "-_" for char in workspace_id)
    # Each is a name the store takes for a folder: a letter or digit first.
    assert all(workspace_id[0].isalnum() for workspace_id in ids)
    for workspace_id in ids:
        blobs.check_workspace_id(workspace_id)


def test_reattaching_finds_the_same_dict_and_records_sessions():
    clock = FakeClock()
    registry = make_registry(clock)
    first = registry.create("session-1")
    first.data["spec"] = {"layers": [1, 2]}
    again = registry.attach(first.id, "session-2")
    assert again is first
    assert again.data == {"spec": {"layers": [1, 2]}}
    assert again.sessions == {"session-1", "session-2"}
    assert registry.attach("no-such-id", "session-3") is None
    assert len(registry) == 1


def test_a_session_that_opens_another_workspace_leaves_the_first():
    registry = make_registry(FakeClock())
    one = registry.create("tab")
    two = registry.create("other")
    registry.attach(two.id, "tab")
    assert one.sessions == set()
    assert two.sessions == {"other", "tab"}
    # Once the second is dropped, the session can go back to the first.
    assert registry.remove(two.id)
    assert registry.attach(one.id, "tab") is one
    assert one.sessions == {"tab"}


def test_a_workspace_expires_after_the_stated_time_without_a_visit():
    clock = FakeClock()
    registry = make_registry(clock, max_age_seconds=2 * HOUR)
    kept = registry.create("a")
    dropped = registry.create("b")
    dropped.data[keys.JOB] = job = FakeJob(active=False)  # trained, and left
    clock.advance(1.5 * HOUR)
    assert registry.attach(kept.id, "a") is kept  # a visit resets the clock
    clock.advance(0.6 * HOUR)  # b: 2.1 hours since its last visit; a: 0.6
    assert registry.sweep() == 1
    assert kept.id in registry and dropped.id not in registry
    # Its model was let go, and the server remembers why and when the id went.
    assert job.disposed
    assert dropped.data == {}
    assert registry.why_gone(dropped.id) == GoneRecord(GoneReason.EXPIRED, WALL_TIME + 2.1 * HOUR)
    assert registry.why_gone(kept.id) is None


def test_an_expired_id_is_gone_even_before_a_sweep():
    clock = FakeClock()
    registry = make_registry(clock, max_age_seconds=HOUR)
    workspace = registry.create("a")
    clock.advance(HOUR + 1)
    assert registry.attach(workspace.id, "a") is None
    assert len(registry) == 0


def test_a_connected_session_keeps_an_idle_workspace():
    clock = FakeClock()
    registry = make_registry(clock, max_age_seconds=HOUR)
    workspace = registry.create("open-tab")
    connected = {"open-tab"}
    clock.advance(3 * HOUR)  # the tab stays open, with no clicks
    assert registry.sweep(lambda session: session in connected) == 0
    assert registry.has_live_session(workspace.id, lambda session: session in connected)
    # The tab closes: the stated time runs from the last sweep that saw it.
    connected.clear()
    clock.advance(HOUR - 1)
    assert registry.sweep(lambda session: session in connected) == 0
    assert workspace.sessions == set()  # the dead session was pruned
    clock.advance(2)
    assert registry.sweep(lambda session: session in connected) == 1


def test_live_session_follows_the_workspace_not_one_session():
    registry = make_registry(FakeClock())
    workspace = registry.create("before-reload")
    connected = {"before-reload"}

    def alive(session):
        return session in connected

    assert registry.has_live_session(workspace.id, alive)
    connected.clear()  # the page reloads: the old session ends ...
    assert not registry.has_live_session(workspace.id, alive)
    registry.attach(workspace.id, "after-reload")  # ... and the new one attaches
    connected.add("after-reload")
    assert registry.has_live_session(workspace.id, alive)
    assert not registry.has_live_session("unknown", alive)


def test_the_count_cap_evicts_the_least_recently_visited_idle_workspace_first():
    clock = FakeClock()
    registry = make_registry(clock, max_workspaces=3)
    oldest_training = registry.create()
    oldest_training.data[keys.JOB] = training = FakeJob(active=True)
    clock.advance(10)
    old_idle = registry.create()
    clock.advance(10)
    newer_idle = registry.create()
    clock.advance(10)
    newest = registry.create()  # a fourth: one must go
    assert old_idle.id not in registry
    assert all(ws.id in registry for ws in (oldest_training, newer_idle, newest))
    assert not training.disposed  # the training was not touched
    assert registry.why_gone(old_idle.id).reason == GoneReason.DROPPED


def test_a_training_or_queued_workspace_is_never_dropped_and_a_newcomer_hears_server_full():
    clock = FakeClock()
    registry = make_registry(clock, max_workspaces=2)
    training = registry.create("a")
    training.data[keys.JOB] = running = FakeJob(active=True)
    clock.advance(10)
    queued = registry.create("b")
    queued.data[keys.JOB] = waiting = FakeJob(active=True)  # queued counts as busy too
    clock.advance(10)
    with pytest.raises(ServerFull):
        registry.create("c")
    # Nothing was dropped for the refused newcomer, and it left nothing behind.
    assert len(registry) == 2 and training.id in registry and queued.id in registry
    assert not running.disposed and not waiting.disposed
    # Neither a sweep nor the stated time drops a training: the run would be lost.
    clock.advance(10 * HOUR)
    assert registry.sweep() == 0
    assert registry.attach(training.id, "a") is training
    assert registry.attach(queued.id, "b") is queued
    # Once a training ends, its workspace can make room again.
    waiting.is_active = False
    clock.advance(5)
    newcomer = registry.create("c")
    assert newcomer.id in registry and queued.id not in registry
    assert waiting.disposed and not running.disposed
    assert registry.why_gone(queued.id) == GoneRecord(
        GoneReason.DROPPED, WALL_TIME + 10 * HOUR + 25
    )


def test_the_memory_cap_drops_idle_ones_for_a_newcomer_but_never_a_training():
    clock = FakeClock()
    empty = workspace_data.BYTES_PER_WORKSPACE
    # Room for one 1 M-parameter model (16 MB) and two empty workspaces.
    registry = make_registry(clock, max_memory_bytes=16_000_000 + 3 * empty)
    big = registry.create()
    big.data[keys.JOB] = training = FakeJob(params=1_000_000, active=True)
    clock.advance(1)
    idle = registry.create()
    clock.advance(1)
    second = registry.create()  # fits beside them
    assert len(registry) == 3
    clock.advance(1)
    third = registry.create()  # the idle one least recently visited makes room
    assert idle.id not in registry and second.id in registry and third.id in registry
    second.data[keys.JOB] = FakeJob(params=0, active=True)
    third.data[keys.JOB] = FakeJob(params=0, active=True)
    with pytest.raises(ServerFull):
        registry.create()
    assert len(registry) == 3 and not training.disposed


def test_a_newcomer_is_refused_without_dropping_idle_ones_that_would_not_make_room():
    clock = FakeClock()
    empty = workspace_data.BYTES_PER_WORKSPACE
    registry = make_registry(clock, max_memory_bytes=16_000_000 + empty + empty // 2)
    big = registry.create()
    idle = registry.create()
    # The model is built after both were made: the training alone leaves no room for two.
    big.data[keys.JOB] = FakeJob(params=1_000_000, active=True)
    with pytest.raises(ServerFull):
        registry.create()
    # Dropping the idle one would not have let the newcomer in, so it stays.
    assert idle.id in registry and registry.why_gone(idle.id) is None


def test_the_memory_cap_counts_model_parameters_and_runs():
    clock = FakeClock()
    # Room for two 1 M-parameter models (16 MB each with optimizer state), not three.
    registry = make_registry(clock, max_memory_bytes=40 * 2**20)
    first = registry.create()
    first.data[keys.JOB] = FakeJob(params=1_000_000)
    clock.advance(1)
    second = registry.create()
    second.data[keys.JOB] = FakeJob(params=1_000_000)
    assert registry.estimated_bytes() == 2 * (16_000_000 + workspace_data.BYTES_PER_WORKSPACE)
    clock.advance(1)
    third = registry.create()
    third.data[keys.JOB] = FakeJob(params=1_000_000)
    registry.sweep()
    assert first.id not in registry
    assert second.id in registry and third.id in registry
    # Kept runs count as well.
    assert keys.estimate_bytes({keys.RUNS: [object()] * 3}) == (
        workspace_data.BYTES_PER_WORKSPACE + 3 * workspace_data.BYTES_PER_RUN
    )


def test_release_disposes_of_the_job_without_waiting_for_it():
    registry = make_registry(FakeClock())
    workspace = registry.create()
    job = FakeJob(active=True)
    workspace.data[keys.JOB] = job
    workspace.data[keys.SPEC] = {"layers": []}
    assert registry.remove(workspace.id)
    # The page that triggered the release must not wait for a training to wind down.
    assert job.dispose_timeouts == [0]
    assert workspace.data == {}
    assert not registry.remove(workspace.id)


def test_a_failing_release_does_not_stop_the_others():
    released = []

    def release(data):
        if data.get("broken"):
            raise RuntimeError("cannot release")
        released.append(data["name"])

    clock = FakeClock()
    registry = WorkspaceRegistry(max_age_seconds=10, clock=clock, release=release)
    registry.create().data.update(name="a", broken=True)
    registry.create().data.update(name="b")
    clock.advance(11)
    assert registry.sweep() == 2
    assert released == ["b"]


def test_many_threads_create_and_attach_at_once():
    registry = WorkspaceRegistry(max_workspaces=1000)
    created: list[str] = []
    errors: list[BaseException] = []

    def student(number: int) -> None:
        try:
            workspace = registry.create(f"session-{number}")
            created.append(workspace.id)
            for _ in range(50):
                assert registry.attach(workspace.id, f"session-{number}") is workspace
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=student, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(created)) == 30 and len(registry) == 30


@pytest.mark.parametrize(
    ("keyword", "value"),
    [("max_age_seconds", 0), ("max_workspaces", 0), ("max_memory_bytes", -1)],
)
def test_limits_must_be_positive(keyword, value):
    with pytest.raises(ValueError, match=keyword):
        WorkspaceRegistry(**{keyword: value})


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(workspace_limits.COUNT_VARIABLE, "40")
    monkeypatch.setenv(workspace_limits.MEMORY_VARIABLE, "512")
    # How long work is kept is the store's setting now (CNNVIZ_WORKSPACE_DAYS): the registry
    # only unloads an idle workspace after an hour, whatever the old variable says.
    monkeypatch.setenv("CNNVIZ_WORKSPACE_HOURS", "0.5")
    limits = workspace_limits.registry_settings_from_environment()
    assert limits == {
        "max_age_seconds": workspaces.DEFAULT_MAX_AGE_HOURS * 3600,
        "max_workspaces": 40,
        "max_memory_bytes": 512 * 2**20,
    }


@pytest.mark.parametrize("text", ["abc", "-1", "0", "nan", "inf"])
def test_a_bad_environment_value_is_named_in_the_message(monkeypatch, text):
    monkeypatch.setenv(workspace_limits.COUNT_VARIABLE, text)
    with pytest.raises(ValueError, match=rf"CNNVIZ_MAX_WORKSPACES.*{text!r}"):
        workspace_limits.registry_settings_from_environment()


def test_each_reason_has_its_own_true_message():
    dropped = workspace_records.lost_message(GoneRecord(GoneReason.DROPPED, WALL_TIME), "30 days")
    assert "dropped to make room at 14:05" in dropped
    assert "expired" not in dropped
    expired = workspace_records.lost_message(GoneRecord(GoneReason.EXPIRED, WALL_TIME), "30 days")
    assert "expired after 30 days without a visit" in expired and "14:05" in expired
    assert "dropped" not in expired
    removed = workspace_records.lost_message(GoneRecord(GoneReason.REMOVED, WALL_TIME), "30 days")
    assert "deleted at 14:05" in removed
    unknown = workspace_records.lost_message(None, "30 days")
    assert "mistyped" in unknown and "deleted" in unknown and "not visited for 30 days" in unknown
    for message in (dropped, expired, removed, unknown):
        assert "fresh workspace" in message and "share link" in message
    full = workspace_records.SERVER_FULL_MESSAGE
    assert full.startswith("The server is full:")
    assert "try again in a few minutes" in full.lower() and "teacher" in full


def test_the_app_reads_the_registrys_record_of_an_id(monkeypatch):
    clock = FakeClock()
    registry = make_registry(clock, max_workspaces=1)
    monkeypatch.setattr(saving, "registry", lambda: registry)
    first = registry.create()
    clock.advance(60)
    registry.create()  # the first makes room for it (a registry with nothing kept behind it)
    assert "dropped to make room at 14:06" in keys.lost_workspace_message(first.id)
    assert "mistyped" in keys.lost_workspace_message("never-heard-of")


def test_the_records_of_gone_ids_are_bounded_oldest_first():
    records = GoneRecords(limit=3)
    for number in range(5):
        records.add(f"id-{number}", GoneReason.DROPPED, WALL_TIME + number)
    assert len(records) == 3
    assert records.get("id-0") is None and records.get("id-1") is None
    assert records.get("id-4") == GoneRecord(GoneReason.DROPPED, WALL_TIME + 4)
    with pytest.raises(ValueError, match="limit"):
        GoneRecords(limit=0)
    # The registry's own records are bounded the same way.
    clock = FakeClock()
    registry = make_registry(clock, max_workspaces=1, records_kept=2)
    made = [registry.create() for _ in range(4)]
    assert [registry.why_gone(ws.id) is not None for ws in made] == [False, True, True, False]


def test_a_released_workspace_dict_is_marked_and_still_a_dict():
    registry = make_registry(FakeClock())
    workspace = registry.create()
    assert isinstance(workspace.data, keys.WorkspaceData) and not workspace.data.released
    workspace.data[keys.SPEC] = {"layers": []}
    registry.remove(workspace.id)
    assert workspace.data.released and workspace.data == {}
    # Outside a script run (no page to start over) a missing key is a KeyError as before.
    with pytest.raises(KeyError):
        workspace.data[keys.JOB]
    assert registry.why_gone(workspace.id).reason == GoneReason.REMOVED


def test_the_server_logs_a_bad_limit_and_keeps_the_defaults(monkeypatch, caplog, tmp_path):
    monkeypatch.setenv("CNNVIZ_STATE_DIR", str(tmp_path))
    monkeypatch.setenv(workspace_limits.COUNT_VARIABLE, "two")
    monkeypatch.setattr(saving, "_server", None)
    try:
        with caplog.at_level("ERROR", logger=saving.__name__):
            registry = keys.registry()
        assert registry.max_workspaces == workspaces.DEFAULT_MAX_WORKSPACES
        assert "CNNVIZ_MAX_WORKSPACES" in caplog.text and "'two'" in caplog.text
        assert keys.registry() is registry  # one per server
    finally:
        saving.shutdown()
