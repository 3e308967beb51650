"""The workspaces loaded on this server, so a student's work is at hand while they use it.

Each workspace is a plain dict of work under an unguessable id that travels in the page's URL;
reopening the URL from any browser session reattaches to the same dict. With a `load` function
(the app's store, cnnviz.ui.saving) the registry is a cache over kept work: it loads a workspace
on a visit and unloads idle ones for its caps (count and memory) or after an idle hour, never
one with a training queued or running; a newcomer who would need a busy one unloaded is refused
with ServerFull. Ids that are gone (deleted, expired) are remembered with why and when
(cnnviz.store.workspace_records). This module knows nothing about Streamlit or the dict's keys.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cnnviz.store.workspace_records import DEFAULT_RECORDS_KEPT, GoneReason, GoneRecord, GoneRecords

# The id is this many random bytes, URL-safe base64: 22 characters, 128 bits.
ID_BYTES = 16
# A loaded workspace nobody visits is unloaded (its work kept) after this long.
DEFAULT_MAX_AGE_HOURS = 1.0
DEFAULT_MAX_WORKSPACES = 200
DEFAULT_MAX_MEMORY_MB = 4096
# A sweep for expired workspaces runs at most this often on attach (it also runs on create).
SWEEP_INTERVAL_SECONDS = 30.0


_LOGGER = logging.getLogger(__name__)


@dataclass
class Workspace:
    """One user's work on the server.

    Attributes:
        id: the unguessable id in the URL.
        data: the work itself; the app's keys and values.
        last_visit: clock time of the last visit (a script run attached to it, or a sweep that
            found one of its sessions still connected).
        sessions: ids of the browser sessions attached to it (dead ones are pruned by sweeps).
    """

    id: str
    data: dict = field(default_factory=dict)
    last_visit: float = 0.0
    sessions: set[str] = field(default_factory=set)


class ServerFull(RuntimeError):
    """No workspace can be made: the caps are reached and every one that would have to make
    room has a training queued or running."""


def new_workspace_id() -> str:
    """A fresh id with 128 random bits, safe in a URL and as a folder name.

    It starts with a letter or digit (drawn again otherwise, 1 time in 32): the store names
    a folder after it, and a name starting with "-" reads as an option to many tools.
    """
    while True:
        workspace_id = secrets.token_urlsafe(ID_BYTES)
        if workspace_id[0].isalnum():
            return workspace_id


def _never_busy(_data: dict) -> bool:
    return False


def _no_estimate(_data: dict) -> int:
    return 0


def _clear(data: dict) -> None:
    data.clear()


class WorkspaceRegistry:
    """A thread-safe map from workspace id to Workspace, with expiry and caps.

    Args:
        max_age_seconds: a workspace no session is attached to is dropped this long after its
            last visit.
        max_workspaces: at most this many are kept; beyond it the least recently visited idle
            ones go first.
        max_memory_bytes: the estimated memory of all workspaces together is kept under this,
            evicting in the same order.
        clock: returns seconds; time.monotonic by default (tests pass a fake one).
        wall_clock: seconds since the epoch, for the records of dropped ids (time.time).
        is_busy: whether a workspace's data has a training queued or running; busy ones are
            never dropped, by the caps or by expiry.
        estimate_bytes: the memory a workspace's data holds (models, runs), in bytes.
        release: frees a dropped workspace's data (stops its training, drops its model); with
            `load`, it returns whether the work was kept (False for one nobody changed).
        new_data: makes a new workspace's (empty) data dict.
        records_kept: how many dropped or expired ids are remembered, at most.
        load: reads a workspace the registry does not hold from where its work is kept (the
            database), returning its data or None when there is none. With it, a workspace
            the caps or idleness push out is only unloaded (release must keep its work first):
            the next visit loads it again, and only `remove` makes an id gone.

    Raises:
        ValueError: when a limit is not positive.
    """

    def __init__(
        self,
        max_age_seconds: float = DEFAULT_MAX_AGE_HOURS * 3600,
        max_workspaces: int = DEFAULT_MAX_WORKSPACES,
        max_memory_bytes: int = DEFAULT_MAX_MEMORY_MB * 2**20,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        is_busy: Callable[[dict], bool] = _never_busy,
        estimate_bytes: Callable[[dict], int] = _no_estimate,
        release: Callable[[dict], None] = _clear,
        new_data: Callable[[], dict] = dict,
        records_kept: int = DEFAULT_RECORDS_KEPT,
        load: Callable[[str], dict | None] | None = None,
    ):
        if not max_age_seconds > 0:
            raise ValueError(f"max_age_seconds must be positive. Received: {max_age_seconds}")
        if max_workspaces < 1:
            raise ValueError(f"max_workspaces must be at least 1. Received: {max_workspaces}")
        if max_memory_bytes < 1:
            raise ValueError(f"max_memory_bytes must be positive. Received: {max_memory_bytes}")
        self.max_age_seconds = float(max_age_seconds)
        self.max_workspaces = int(max_workspaces)
        self.max_memory_bytes = int(max_memory_bytes)
        self._clock = clock
        self._wall_clock = wall_clock
        self._is_busy = is_busy
        self._estimate_bytes = estimate_bytes
        self._release = release
        self._new_data = new_data
        self._load = load
        self._gone = GoneRecords(records_kept)
        self._lock = threading.Lock()
        # One lock per id being loaded, so that two sessions opening the same address at once
        # load it once.
        self._loading: dict[str, threading.Lock] = {}
        self._workspaces: dict[str, Workspace] = {}
        self._workspace_of_session: dict[str, str] = {}
        self._last_sweep = clock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._workspaces)

    def __contains__(self, workspace_id: object) -> bool:
        with self._lock:
            return workspace_id in self._workspaces

    def create(
        self, session_id: str | None = None, is_session_alive: Callable[[str], bool] | None = None
    ) -> Workspace:
        """A new, empty workspace, attached to `session_id` when given.

        Expired workspaces are dropped first, then idle ones if the caps require it (least
        recently visited first; never the new one).

        Raises:
            ServerFull: when the new one would not fit under the caps even with every idle
                workspace dropped; then none is dropped for it.
        """
        with self._lock:
            dropped = self._drop_expired_locked(is_session_alive, keep=None)
            workspace_id = new_workspace_id()
            while workspace_id in self._workspaces or self._gone.get(workspace_id):
                workspace_id = new_workspace_id()  # 2**-128: but cheap to rule out
            workspace = Workspace(id=workspace_id, data=self._new_data(), last_visit=self._clock())
            self._workspaces[workspace_id] = workspace
            room = self._room_for_locked(workspace_id)
            if room is None:
                del self._workspaces[workspace_id]
            else:
                self._attach_locked(workspace, session_id)
                dropped += self._drop_locked(room, GoneReason.DROPPED)
        self._release_all(dropped)
        if room is None:
            _LOGGER.warning("server full: a new workspace was refused (%d kept)", len(self))
            raise ServerFull("The caps are reached and no workspace can make room.")
        return workspace

    def attach(
        self,
        workspace_id: str,
        session_id: str | None = None,
        is_session_alive: Callable[[str], bool] | None = None,
    ) -> Workspace | None:
        """The workspace with this id, marked as visited now by `session_id`; None when the
        server does not have it (see `why_gone`)."""
        dropped: list[Workspace] = []
        with self._lock:
            if self._clock() - self._last_sweep >= SWEEP_INTERVAL_SECONDS:
                dropped = self._sweep_locked(is_session_alive, keep=workspace_id)
            workspace = self._workspaces.get(workspace_id)
            if workspace is not None and self._expired_locked(workspace, is_session_alive):
                # Not swept yet, but past its time: it is gone just the same.
                dropped += self._drop_locked([workspace], GoneReason.EXPIRED)
                workspace = None
            if workspace is not None:
                self._attach_locked(workspace, session_id)
        self._release_all(dropped)
        if workspace is None and self._load is not None:
            workspace = self._load_into_memory(workspace_id, session_id)
        return workspace

    def _load_into_memory(self, workspace_id: str, session_id: str | None) -> Workspace | None:
        """Load a kept workspace (outside the registry's lock: reading a model takes time).

        Raises:
            ServerFull: when it would not fit under the caps even with every idle workspace
                unloaded.
        """
        with self._lock:
            loading = self._loading.setdefault(workspace_id, threading.Lock())
        with loading:
            with self._lock:
                workspace = self._workspaces.get(workspace_id)
                if workspace is not None:  # another session loaded it meanwhile
                    self._attach_locked(workspace, session_id)
                    return workspace
            try:
                data = self._load(workspace_id)
            finally:
                with self._lock:
                    self._loading.pop(workspace_id, None)
            if data is None:
                return None
            with self._lock:
                workspace = Workspace(id=workspace_id, data=data, last_visit=self._clock())
                self._workspaces[workspace_id] = workspace
                room = self._room_for_locked(workspace_id)
                if room is None:
                    del self._workspaces[workspace_id]
                    dropped = []
                else:
                    self._attach_locked(workspace, session_id)
                    dropped = self._drop_locked(room, GoneReason.DROPPED)
        self._release_all(dropped)
        if room is None:
            self._release_all([workspace])
            raise ServerFull("The caps are reached and no workspace can make room.")
        return workspace

    def has_live_session(self, workspace_id: str, is_session_alive: Callable[[str], bool]) -> bool:
        """Whether any session attached to the workspace is still connected."""
        with self._lock:
            workspace = self._workspaces.get(workspace_id)
            sessions = list(workspace.sessions) if workspace is not None else []
        return any(is_session_alive(session) for session in sessions)

    def sweep(self, is_session_alive: Callable[[str], bool] | None = None) -> int:
        """Drop expired workspaces and enforce the caps; return how many were dropped."""
        with self._lock:
            dropped = self._sweep_locked(is_session_alive, keep=None)
        self._release_all(dropped)
        return len(dropped)

    def remove(self, workspace_id: str) -> bool:
        """Drop and release one workspace now, busy or not; False when there was none."""
        with self._lock:
            workspace = self._workspaces.get(workspace_id)
            if workspace is not None:
                self._drop_locked([workspace], GoneReason.REMOVED)
        if workspace is None:
            return False
        self._release_all([workspace])
        return True

    def unload(self, workspace_id: str) -> bool:
        """Let go of one idle workspace now, as the caps would (its work is kept elsewhere)."""
        with self._lock:
            workspace = self._workspaces.get(workspace_id)
            if workspace is not None:
                self._drop_locked([workspace], GoneReason.DROPPED)
        if workspace is None:
            return False
        self._release_all([workspace], kept_elsewhere=True)
        return True

    def why_gone(self, workspace_id: str) -> GoneRecord | None:
        """Why and when the workspace with this id was let go of; None when the server has no
        record (it never had it since it started, or the record was pushed out by newer ones)."""
        return self._gone.get(workspace_id)

    def estimated_bytes(self) -> int:
        """The estimated memory of all workspaces together."""
        with self._lock:
            return sum(self._estimate_bytes(ws.data) for ws in self._workspaces.values())

    # ----- internals; the caller holds the lock -----

    def _attach_locked(self, workspace: Workspace, session_id: str | None) -> None:
        workspace.last_visit = self._clock()
        if session_id is None:
            return
        # A session shows one workspace at a time: if its URL changed, it leaves the old one.
        previous = self._workspace_of_session.get(session_id)
        if previous is not None and previous != workspace.id and previous in self._workspaces:
            self._workspaces[previous].sessions.discard(session_id)
        self._workspace_of_session[session_id] = workspace.id
        workspace.sessions.add(session_id)

    def _forget_sessions_locked(self, workspace: Workspace, sessions: set[str]) -> None:
        for session in sessions:
            if self._workspace_of_session.get(session) == workspace.id:
                del self._workspace_of_session[session]

    def _live_locked(
        self, workspace: Workspace, is_session_alive: Callable[[str], bool] | None
    ) -> bool:
        if is_session_alive is None:
            return False
        return any(is_session_alive(session) for session in workspace.sessions)

    def _expired_locked(
        self, workspace: Workspace, is_session_alive: Callable[[str], bool] | None
    ) -> bool:
        if self._live_locked(workspace, is_session_alive) or self._is_busy(workspace.data):
            return False
        return self._clock() - workspace.last_visit > self.max_age_seconds

    def _sweep_locked(
        self, is_session_alive: Callable[[str], bool] | None, keep: str | None
    ) -> list[Workspace]:
        dropped = self._drop_expired_locked(is_session_alive, keep)
        return dropped + self._drop_locked(self._over_caps_locked(keep), GoneReason.DROPPED)

    def _drop_expired_locked(
        self, is_session_alive: Callable[[str], bool] | None, keep: str | None
    ) -> list[Workspace]:
        now = self._clock()
        self._last_sweep = now
        expired = []
        for workspace in list(self._workspaces.values()):
            if is_session_alive is not None:
                gone = {s for s in workspace.sessions if not is_session_alive(s)}
                self._forget_sessions_locked(workspace, gone)
                workspace.sessions -= gone
                if workspace.sessions:
                    # Still open in a browser: that counts as a visit, however idle the tab.
                    workspace.last_visit = now
            if workspace.id != keep and self._expired_locked(workspace, None):
                expired.append(workspace)
        return self._drop_locked(expired, GoneReason.EXPIRED)

    def _drop_locked(self, workspaces: list[Workspace], reason: GoneReason) -> list[Workspace]:
        wall_time = self._wall_clock()
        # Kept work (a load function) is only unloaded by the caps and idleness: it comes back
        # on the next visit, so it is not gone.
        unloads = self._load is not None and reason != GoneReason.REMOVED
        for workspace in workspaces:
            del self._workspaces[workspace.id]
            self._forget_sessions_locked(workspace, workspace.sessions)
            if unloads:
                _LOGGER.info("workspace %s... unloaded (%s)", workspace.id[:4], reason.value)
                continue
            self._gone.add(workspace.id, reason, wall_time)
            _LOGGER.info("workspace %s... %s", workspace.id[:4], reason.value)
        return workspaces

    def loaded(self) -> list[tuple[str, dict, float]]:
        """(id, data, last visit on the registry's clock) of every workspace held now."""
        with self._lock:
            return [(ws.id, ws.data, ws.last_visit) for ws in self._workspaces.values()]

    def forget(self, workspace_id: str, reason: GoneReason) -> None:
        """Remember that an id not held in memory is gone (say a kept workspace expired)."""
        with self._lock:
            self._gone.add(workspace_id, reason, self._wall_clock())

    def _droppable_locked(self, keep: str | None) -> list[Workspace]:
        # Least valuable first: unattached before attached, then least recently visited. A
        # workspace with a training is never among them: dropping it would lose the run.
        return sorted(
            (
                ws
                for ws in self._workspaces.values()
                if ws.id != keep and not self._is_busy(ws.data)
            ),
            key=lambda ws: (bool(ws.sessions), ws.last_visit),
        )

    def _over_caps_locked(self, keep: str | None) -> list[Workspace]:
        """Idle workspaces to drop, in order, until the caps hold or none is left to drop."""
        sizes = {ws.id: self._estimate_bytes(ws.data) for ws in self._workspaces.values()}
        count, total = len(sizes), sum(sizes.values())
        chosen = []
        for workspace in self._droppable_locked(keep):
            if count <= self.max_workspaces and total <= self.max_memory_bytes:
                break
            chosen.append(workspace)
            count -= 1
            total -= sizes[workspace.id]
        return chosen

    def _room_for_locked(self, new_id: str) -> list[Workspace] | None:
        """The idle workspaces to drop so that `new_id` (already added) fits under the caps;
        None when dropping every idle one would still not make it fit."""
        chosen = self._over_caps_locked(keep=new_id)
        chosen_ids = {ws.id for ws in chosen}
        left = [ws for ws in self._workspaces.values() if ws.id not in chosen_ids]
        total = sum(self._estimate_bytes(ws.data) for ws in left)
        if len(left) > self.max_workspaces or total > self.max_memory_bytes:
            return None
        return chosen

    def _release_all(self, workspaces: list[Workspace], kept_elsewhere: bool = False) -> None:
        # Outside the registry's lock: releasing stops a training, which takes the job's locks.
        for workspace in workspaces:
            try:
                kept = self._release(workspace.data)
            except Exception:  # one broken release must not keep the others' memory
                _LOGGER.exception("releasing a workspace failed")
                kept = None
            workspace.sessions.clear()
            if (
                kept is False
                and not kept_elsewhere
                and self._load is not None
                and not self._gone.get(workspace.id)
            ):
                # Unloaded but not kept (nobody changed it): a visit to its address gets a
                # fresh workspace without a word, as there was nothing to lose.
                self._gone.add(workspace.id, GoneReason.UNCHANGED, self._wall_clock())
