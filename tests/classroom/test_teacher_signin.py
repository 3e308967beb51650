"""The teacher's sign-in rules with a fake clock: delays per session and for the server."""

from __future__ import annotations

import logging

import pytest

from cnnviz.classroom import signin
from cnnviz.classroom.signin import Gate, Outcome, SessionTries

PASSWORD = "correct horse"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def gate(clock):
    return Gate(clock=clock)


def test_the_right_password_signs_in(gate):
    verdict = gate.try_password(SessionTries(), PASSWORD, PASSWORD)
    assert verdict.outcome == Outcome.SIGNED_IN


def test_a_wrong_password_is_refused_and_the_session_waits_longer_each_time(gate, clock):
    tries = SessionTries()
    waits = []
    for _ in range(4):
        verdict = gate.try_password(tries, "guess", PASSWORD)
        assert verdict.outcome == Outcome.WRONG
        waits.append(verdict.wait_seconds)
        # Too early: refused without checking, even the right password.
        early = gate.try_password(tries, PASSWORD, PASSWORD)
        assert early.outcome == Outcome.WAIT_SESSION
        assert early.wait_seconds == pytest.approx(verdict.wait_seconds)
        clock.now += verdict.wait_seconds
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert gate.try_password(tries, PASSWORD, PASSWORD).outcome == Outcome.SIGNED_IN
    assert tries.wrong == 0


def test_the_session_delay_is_capped_so_the_teacher_is_never_locked_out_long(gate, clock):
    tries = SessionTries()
    for _ in range(20):
        verdict = gate.try_password(tries, "guess", PASSWORD)
        clock.now += verdict.wait_seconds
    assert verdict.wait_seconds == signin.MAX_SESSION_DELAY == 30.0
    assert gate.try_password(tries, PASSWORD, PASSWORD).outcome == Outcome.SIGNED_IN


def test_the_server_takes_at_most_one_wrong_try_a_second_from_any_sessions(gate, clock):
    # A guesser with a fresh session per try still gets one guess a second.
    assert gate.try_password(SessionTries(), "guess 1", PASSWORD).outcome == Outcome.WRONG
    clock.now += 0.5
    second = gate.try_password(SessionTries(), "guess 2", PASSWORD)
    assert second.outcome == Outcome.WAIT_SERVER
    assert second.wait_seconds == pytest.approx(0.5)
    clock.now += 0.5
    assert gate.try_password(SessionTries(), "guess 3", PASSWORD).outcome == Outcome.WRONG
    clock.now += 1.0
    # The teacher, a second after the last wrong try, gets in.
    assert gate.try_password(SessionTries(), PASSWORD, PASSWORD).outcome == Outcome.SIGNED_IN


def test_a_wrong_try_is_logged_without_the_password(gate, caplog):
    with caplog.at_level(logging.WARNING, logger="cnnviz.classroom.signin"):
        gate.try_password(SessionTries(), "hunter2-secret", PASSWORD)
    assert "wrong teacher password" in caplog.text
    assert "hunter2" not in caplog.text and PASSWORD not in caplog.text


def test_the_comparison_is_exact_and_takes_unicode():
    assert signin.password_matches("pässwörd", "pässwörd")
    assert not signin.password_matches("pässwörd ", "pässwörd")
    assert not signin.password_matches("", "x")


@pytest.mark.parametrize(
    ("email", "allowed"),
    [("Teacher@School.org", True), (" teacher@school.org ", True), ("pupil@school.org", False)],
)
def test_the_allow_list_matches_emails_case_insensitively(email, allowed):
    assert signin.email_allowed(email, {"teacher@school.org", "head@school.org"}) is allowed


def test_no_email_is_never_allowed():
    assert not signin.email_allowed(None, {"teacher@school.org"})
    assert not signin.email_allowed("", {""})
