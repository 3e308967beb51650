"""The teacher's sign-in rules, apart from Streamlit so that a fake clock can test them.

A wrong password costs time twice over: the session that tried waits longer after each wrong
try (1, 2, 4 ... s, at most MAX_SESSION_DELAY, so the teacher who mistyped is never locked out
for long), and the whole server takes at most one wrong try a second (a guesser opening new
sessions gains nothing). The password is compared in constant time and never logged.
"""

from __future__ import annotations

import enum
import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_LOGGER = logging.getLogger(__name__)

FIRST_SESSION_DELAY = 1.0
MAX_SESSION_DELAY = 30.0
SERVER_INTERVAL = 1.0


class Outcome(enum.StrEnum):
    """What became of a try."""

    SIGNED_IN = "signed_in"
    WRONG = "wrong"
    # Not checked: this session must wait (its last tries were wrong) ...
    WAIT_SESSION = "wait_session"
    # ... or another wrong try on this server was made less than a second ago.
    WAIT_SERVER = "wait_server"


@dataclass
class SessionTries:
    """One browser session's wrong tries; kept in that session only."""

    wrong: int = 0
    next_try_at: float = float("-inf")


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    wait_seconds: float = 0.0


def session_delay(wrong: int) -> float:
    """How long a session waits after its `wrong`-th wrong try (doubling, capped)."""
    if wrong <= 0:
        return 0.0
    return min(FIRST_SESSION_DELAY * 2 ** (wrong - 1), MAX_SESSION_DELAY)


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison of the typed password with the class password."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class Gate:
    """The server's one gate for teacher passwords: one per process (see GATE).

    Args:
        clock: monotonic seconds (tests pass a fake one).
        server_interval: the least time between two wrong tries on the whole server.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, server_interval: float = SERVER_INTERVAL
    ):
        self.clock = clock
        self.server_interval = server_interval
        self._lock = threading.Lock()
        self._last_wrong = float("-inf")

    def try_password(self, tries: SessionTries, given: str, expected: str) -> Verdict:
        """Checks a typed password under both delays; updates `tries`.

        Args:
            tries: the session's record of wrong tries.
            given: what was typed.
            expected: the class password.
        """
        with self._lock:
            now = self.clock()
            if now < tries.next_try_at:
                return Verdict(Outcome.WAIT_SESSION, tries.next_try_at - now)
            server_free_at = self._last_wrong + self.server_interval
            if now < server_free_at:
                return Verdict(Outcome.WAIT_SERVER, server_free_at - now)
            if password_matches(given, expected):
                tries.wrong = 0
                tries.next_try_at = float("-inf")
                return Verdict(Outcome.SIGNED_IN)
            self._last_wrong = now
            tries.wrong += 1
            delay = session_delay(tries.wrong)
            tries.next_try_at = now + delay
        # Logged without the password, and without any part of it.
        _LOGGER.warning(
            "A wrong teacher password was tried (wrong try %d of that browser session).",
            tries.wrong,
        )
        return Verdict(Outcome.WRONG, delay)


GATE = Gate()


def email_allowed(email: str | None, allowed: Iterable[str]) -> bool:
    """Whether a signed-in e-mail address is on the teachers' allow-list (case-insensitive)."""
    if not email:
        return False
    return email.strip().lower() in {address.strip().lower() for address in allowed}
