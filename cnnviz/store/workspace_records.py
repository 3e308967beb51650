"""Why a workspace id is no longer on the server, and what a student reads about it.

Work is kept in the database, so an id is gone only when its workspace was deleted or expired
(no visit for the retention time). The registry (cnnviz.store.workspaces) keeps a small record of
such ids: why and when. A student who comes back to that address then reads the true reason
("deleted at 14:05", "expired after 30 days") rather than a guess. An id with no record was
never kept: a mistyped address, or one that went before this server started. (A registry
without a database behind it drops work for its caps; it says so the same way.)

Plain text and data only; the pages show these messages (cnnviz.ui.state).
"""

from __future__ import annotations

import enum
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

# Records kept at most: about 100 bytes each, so the oldest go once a busy server has dropped
# this many workspaces (a class's worth many times over) and memory stays bounded.
DEFAULT_RECORDS_KEPT = 10_000

# The end of every "your workspace is gone" message: what the student can do now.
_WHAT_NOW = (
    "You have a fresh workspace; if you downloaded a spec or kept a share link, load it on the "
    "Build page."
)


class GoneReason(enum.StrEnum):
    """Why the registry let go of a workspace."""

    EXPIRED = "expired"  # no visit for the stated time
    DROPPED = "dropped"  # the server's caps needed room, and it was idle
    REMOVED = "removed"  # closed on purpose (registry.remove)
    UNCHANGED = "unchanged"  # unloaded without being kept: nobody had changed anything


@dataclass(frozen=True)
class GoneRecord:
    """One workspace id the registry let go of.

    Attributes:
        reason: why it went.
        wall_time: when, as seconds since the epoch (time.time), for showing the hour.
    """

    reason: GoneReason
    wall_time: float

    @property
    def clock_text(self) -> str:
        """The server's local time it went, as HH:MM."""
        return time.strftime("%H:%M", time.localtime(self.wall_time))


class GoneRecords:
    """A bounded, thread-safe map from workspace id to GoneRecord; the oldest go first.

    Args:
        limit: records kept at most.

    Raises:
        ValueError: when the limit is not positive.
    """

    def __init__(self, limit: int = DEFAULT_RECORDS_KEPT):
        if limit < 1:
            raise ValueError(f"limit must be at least 1. Received: limit={limit}")
        self.limit = int(limit)
        self._records: OrderedDict[str, GoneRecord] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def add(self, workspace_id: str, reason: GoneReason, wall_time: float) -> None:
        """Record that `workspace_id` went for `reason` at `wall_time`."""
        with self._lock:
            self._records.pop(workspace_id, None)
            self._records[workspace_id] = GoneRecord(GoneReason(reason), float(wall_time))
            while len(self._records) > self.limit:
                self._records.popitem(last=False)

    def get(self, workspace_id: str) -> GoneRecord | None:
        """The record of `workspace_id`, or None when it has none (or it was pushed out)."""
        with self._lock:
            return self._records.get(workspace_id)


def lost_message(record: GoneRecord | None, kept_for: str) -> str | None:
    """What a student reads when the address's workspace is no longer on the server.

    Args:
        record: the registry's record of the id, or None when it has none.
        kept_for: how long the server keeps a workspace after its last visit, in words
            ("30 days").

    Returns:
        The message, or None when there is nothing to say (nothing had been changed there).
    """
    if record is not None and record.reason == GoneReason.UNCHANGED:
        return None
    if record is None:
        return (
            "No workspace is kept at this address: it may be mistyped or cut short, deleted by "
            f"its owner, or not visited for {kept_for} (work is kept that long after the last "
            "visit). " + _WHAT_NOW
        )
    if record.reason == GoneReason.EXPIRED:
        return (
            f"This workspace expired after {kept_for} without a visit (at "
            f"{record.clock_text}); its layers, model and runs went with it. " + _WHAT_NOW
        )
    if record.reason == GoneReason.DROPPED:
        return (
            f"This workspace was dropped to make room at {record.clock_text}: the server had "
            "reached its limit of workspaces or memory, and yours was not training, so its "
            "layers, model and runs made way for another student's. " + _WHAT_NOW
        )
    return (
        f"This workspace was deleted at {record.clock_text}; its layers, models, runs and "
        "pictures went with it. " + _WHAT_NOW
    )


SERVER_FULL_MESSAGE = (
    "The server is full: it holds as many workspaces as its limits allow, and it cannot make "
    "room for yours without stopping other students' trainings. Try again in a few minutes, "
    "when a training has finished, or ask your teacher."
)
