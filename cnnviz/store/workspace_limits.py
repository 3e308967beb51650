"""The workspace registry's limits, from CNNVIZ_* variables.

CNNVIZ_MAX_WORKSPACES is how many workspaces are loaded in memory at once and
CNNVIZ_WORKSPACE_MEMORY_MB what their models may take together; beyond them idle workspaces are
unloaded (their work stays in the store). How long work is kept at all is the store's setting
(CNNVIZ_WORKSPACE_DAYS, cnnviz.store.settings).
"""

from __future__ import annotations

import os

from cnnviz.quantities import number_setting
from cnnviz.store.workspaces import (
    DEFAULT_MAX_AGE_HOURS,
    DEFAULT_MAX_MEMORY_MB,
    DEFAULT_MAX_WORKSPACES,
)

COUNT_VARIABLE = "CNNVIZ_MAX_WORKSPACES"
MEMORY_VARIABLE = "CNNVIZ_WORKSPACE_MEMORY_MB"


def _positive_number(variable: str, default: float) -> float:
    return number_setting(os.environ, variable, default)


def registry_settings_from_environment() -> dict:
    """The registry's limits from CNNVIZ_MAX_WORKSPACES (workspaces loaded at once) and
    CNNVIZ_WORKSPACE_MEMORY_MB, as keyword arguments for WorkspaceRegistry.

    How long work is kept is the store's setting (CNNVIZ_WORKSPACE_DAYS); a loaded workspace
    nobody visits is unloaded after DEFAULT_MAX_AGE_HOURS.

    Raises:
        ValueError: naming the variable when one is not a positive number.
    """
    hours = DEFAULT_MAX_AGE_HOURS
    count = _positive_number(COUNT_VARIABLE, DEFAULT_MAX_WORKSPACES)
    megabytes = _positive_number(MEMORY_VARIABLE, DEFAULT_MAX_MEMORY_MB)
    return {
        "max_age_seconds": hours * 3600,
        "max_workspaces": max(1, int(count)),
        "max_memory_bytes": max(1, int(megabytes * 2**20)),
    }
