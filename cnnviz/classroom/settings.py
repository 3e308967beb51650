"""The teacher's settings, all from CNNVIZ_* environment variables (`cnnviz app` sets them)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from cnnviz.data import file_reading
from cnnviz.quantities import number_setting

PASSWORD_VARIABLE = "CNNVIZ_TEACHER_PASSWORD"
EMAILS_VARIABLE = "CNNVIZ_TEACHER_EMAILS"
CLASS_HOURS_VARIABLE = "CNNVIZ_CLASS_HOURS"
# A lesson and a bit: students who visited in the last three hours make the class.
DEFAULT_CLASS_HOURS = 3.0
# How often the Teacher page's class view refreshes: while someone trains or waits to, and
# otherwise (new students, names, idle flags); and the leaderboard (issue 20).
CLASS_VIEW_TRAINING_SECONDS = 3
CLASS_VIEW_QUIET_SECONDS = 15
LEADERBOARD_SECONDS = 10


def teacher_password(environment: Mapping[str, str] | None = None) -> str | None:
    """The class password, or None when none is set (an empty value counts as none)."""
    environment = os.environ if environment is None else environment
    return environment.get(PASSWORD_VARIABLE) or None


def teacher_emails(environment: Mapping[str, str] | None = None) -> frozenset[str]:
    """The teachers' e-mail addresses allowed through Streamlit's login, lower-cased."""
    environment = os.environ if environment is None else environment
    text = environment.get(EMAILS_VARIABLE, "")
    return frozenset(part.strip().lower() for part in text.split(",") if part.strip())


def class_hours(environment: Mapping[str, str] | None = None) -> float:
    """How far back a visit counts for the class view, in hours.

    Raises:
        ValueError: when CNNVIZ_CLASS_HOURS is not a positive number.
    """
    environment = os.environ if environment is None else environment
    return number_setting(
        environment,
        CLASS_HOURS_VARIABLE,
        DEFAULT_CLASS_HOURS,
        what="a positive number of hours, for example 3",
    )


# A password file holds one line; anything much larger is not one.
PASSWORD_FILE_BYTES = 64 * 1024


def password_from_file(path: str | os.PathLike) -> str:
    """The class password kept in a file (its first line), for `--teacher-password-file`.

    A file, not a command-line argument: arguments show in `ps` to everyone on the machine.

    Raises:
        ValueError: when the file cannot be read or holds no password.
    """
    # Read like every path the command takes: a regular file, capped (never /dev/zero or a
    # pipe that would never end).
    data = file_reading.read_bytes(path, "--teacher-password-file", PASSWORD_FILE_BYTES)
    try:
        first_line = data.decode("utf-8").split("\n", 1)[0]
    except UnicodeDecodeError:
        raise ValueError(
            "--teacher-password-file is not UTF-8 text. Give a text file whose first line is "
            f"the class password. Received: {str(path)!r}"
        ) from None
    password = first_line.rstrip("\r\n")
    if not password.strip():
        raise ValueError(
            "--teacher-password-file's first line is empty: write the class password on it. "
            f"Received: {str(path)!r}"
        )
    return password
