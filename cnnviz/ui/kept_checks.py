"""Checking a kept workspace's plain data before the pages use it.

What comes back from the store was written by the app, but a workspace can also arrive as a
downloaded zip a student opened again, edited or not. Each kept key is checked the way the pages
expect it; a value that does not pass is left out (and logged), so the workspace opens with that
key's first value instead of a page failing on it. The student's other work is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cnnviz.classroom import names
from cnnviz.data import data_folder, datasets, own_data
from cnnviz.model import spec as spec_module
from cnnviz.quantities import is_whole_number
from cnnviz.training.settings import TrainingSettings
from cnnviz.ui import workspace_keys as keys

_LOGGER = logging.getLogger(__name__)


def _spec(value: Any) -> bool:
    try:
        spec_module.check_layers(value)
    except (ValueError, TypeError, RecursionError):
        return False
    return True


def _dataset(value: Any) -> bool:
    return isinstance(value, str) and (
        value in datasets.DATASETS
        or value == own_data.OWN_NAME
        or value.startswith(data_folder.LOCAL_PREFIX)
    )


def _whole_numbers(value: Any) -> bool:
    return isinstance(value, list) and all(is_whole_number(item) for item in value)


def _train_settings(value: Any) -> bool:
    if not isinstance(value, dict) or not set(value) <= set(keys.TRAIN_PAGE_SETTINGS):
        return False
    try:
        TrainingSettings(**value).check()
    except (ValueError, TypeError):
        return False
    return True


def _name(value: Any) -> bool:
    try:
        return isinstance(value, str) and names.clean_name(value) == value
    except ValueError:
        return False


def _progress(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and _whole_numbers(value.get("done", []))
        and isinstance(value.get("right", {}), dict)
    )


CHECKS: dict[str, Callable[[Any], bool]] = {
    keys.DATASET: _dataset,
    keys.SPEC: _spec,
    keys.LAYER_IDS: _whole_numbers,
    keys.NEXT_LAYER_ID: is_whole_number,
    keys.SPEC_UNDO: lambda value: value is None or _spec(value),
    keys.TRAIN_SETTINGS: _train_settings,
    keys.JOB_RUN_ID: lambda value: value is None or is_whole_number(value),
    keys.INSPECT: lambda value: isinstance(value, dict),
    keys.EVALUATE: lambda value: isinstance(value, dict),
    keys.LESSONS: _progress,
    keys.NAME: lambda value: value is None or _name(value),
    keys.HANDOUTS_DONE: _whole_numbers,
}


def checked_plain(plain: dict) -> dict:
    """The kept keys whose values pass their checks; the others are left out (and logged).

    The layer ids go with the spec: kept only when there is one per layer of the kept spec.
    """
    kept = {}
    for key, check in CHECKS.items():
        if key not in plain:
            continue
        if check(plain[key]):
            kept[key] = plain[key]
        else:
            _LOGGER.warning("a kept workspace's %s did not pass its check: left out", key)
    spec, ids = kept.get(keys.SPEC), kept.get(keys.LAYER_IDS)
    if spec is None:
        kept.pop(keys.LAYER_IDS, None)  # the first values make a spec and its ids together
    elif ids is None or len(ids) != len(spec["layers"]) or len(set(ids)) != len(ids):
        # Fresh ids for the kept layers, above any id the workspace may have handed out.
        start = max(kept.get(keys.NEXT_LAYER_ID, 1), max(ids or [0]) + 1)
        kept[keys.LAYER_IDS] = list(range(start, start + len(spec["layers"])))
        kept[keys.NEXT_LAYER_ID] = start + len(spec["layers"])
    return kept
