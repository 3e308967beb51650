"""Students' display names: plain text, at most MAX_NAME_LENGTH characters, "Student N" when
none was given. A name is shown as text, never as HTML; where it goes into Markdown, its
special characters are escaped with `markdown_text`.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_LENGTH = 40
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$])")


def clean_name(text: str | None) -> str | None:
    """A typed name as kept: control characters dropped, spaces collapsed; None when empty.

    Raises:
        ValueError: when it is longer than MAX_NAME_LENGTH characters.
    """
    if text is None:
        return None
    printable = "".join(
        " " if unicodedata.category(char).startswith("C") else char for char in str(text)
    )
    name = " ".join(printable.split())
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"A name has at most {MAX_NAME_LENGTH} characters; shorten it. "
            f"Received: {len(name)} characters"
        )
    return name or None


def display_name(name: str | None, number: int) -> str:
    """The name as the teacher sees it: the student's own, or "Student N"."""
    return name if name else f"Student {number}"


def markdown_text(text: str) -> str:
    """`text` with every Markdown-special character escaped, so it shows as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
