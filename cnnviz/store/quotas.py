"""The store's disk quotas: per workspace and for the whole server, checked before a write."""

from __future__ import annotations

from cnnviz.store.settings import MEBIBYTE, StoreSettings


class QuotaExceeded(ValueError):
    """A file would take a workspace or the server past its disk quota; nothing was written."""


def check_quotas(settings: StoreSettings, name: str, size: int, used: int, total: int) -> None:
    """Refuses a file that would pass the workspace's or the server's quota.

    Args:
        settings: the store's settings (the quotas).
        name: the file's name, for the message.
        size: the file's size in bytes.
        used: the workspace's bytes without this file's old version.
        total: the server's bytes without this file's old version.

    Raises:
        QuotaExceeded: saying which quota, how full it is and what the student can do.
    """
    limit = settings.workspace_quota_bytes
    if used + size > limit:
        raise QuotaExceeded(
            f"This workspace keeps {_mb(used)} of files, its limit is {_mb(limit)}: saving "
            f"'{name}' ({_mb(size)}) would pass it, so it was not saved. Delete runs you no "
            "longer need, or download everything and start a fresh workspace."
        )
    limit = settings.server_quota_bytes
    if total + size > limit:
        raise QuotaExceeded(
            f"The server keeps {_mb(total)} of files for all students, its limit is "
            f"{_mb(limit)}: '{name}' ({_mb(size)}) was not saved. Delete runs you no longer "
            "need, and ask your teacher to raise CNNVIZ_SERVER_DISK_MB."
        )


def _mb(size: int) -> str:
    return f"{size / MEBIBYTE:,.1f} MB"
