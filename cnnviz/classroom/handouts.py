"""Hand-outs: what a teacher sends to the class, checked before it is stored, and which of them
a student still has to see (those not dismissed).
"""

from __future__ import annotations

import copy

from cnnviz.model import spec as spec_module
from cnnviz.store.classroom import Handout
from cnnviz.training.settings import TrainingSettings

MAX_TITLE_LENGTH = 80
# A data set the teacher uploaded travels with its hand-out: content["dataset"] says UPLOADED,
# and a student who loads it gets the data set named dataset_name(handout_id).
UPLOADED = "uploaded"
PREFIX = "handout:"


def dataset_name(handout_id: int) -> str:
    """The name of the data set handed out with this hand-out ("handout:3")."""
    return f"{PREFIX}{int(handout_id)}"


def handout_id_of(name: str) -> int | None:
    """The hand-out a data set name comes from, or None for any other name."""
    if not name.startswith(PREFIX) or not name[len(PREFIX) :].isdigit():
        return None
    return int(name[len(PREFIX) :])


def make_content(
    spec: dict,
    title: str,
    settings: dict | None = None,
    dataset: str | None = None,
    dataset_title: str | None = None,
) -> dict:
    """A hand-out's plain content, checked.

    Args:
        spec: the layers to send (checked layer by layer with cnnviz.model.spec).
        title: what the student reads ("the Keras example", "your Build layers").
        settings: Train page settings to send too, or None.
        dataset: a data set's name to send too (a built-in or a data-folder one), UPLOADED
            for an uploaded .npz kept with the hand-out, or None.
        dataset_title: what students read for an uploaded data set.

    Raises:
        ValueError: naming what is wrong with the spec or the settings.
    """
    spec_module.check_layers(spec)
    if settings is not None:
        known = TrainingSettings.__dataclass_fields__
        unknown = sorted(set(settings) - set(known))
        if unknown:
            raise ValueError(
                f"Unknown training settings in the hand-out: {', '.join(unknown)}. "
                f"Use the Train page's settings. Received: {sorted(settings)}"
            )
    return {
        "title": str(title)[:MAX_TITLE_LENGTH],
        "spec": copy.deepcopy(spec),
        "settings": copy.deepcopy(settings),
        "dataset": dataset,
        "dataset_title": dataset_title,
    }


def describe(content: dict) -> str:
    """What comes with a hand-out, in words: "layers", "layers, training settings and ..."."""
    parts = [f"{len(content.get('spec', {}).get('layers', []))} layers"]
    if content.get("settings"):
        parts.append("training settings")
    if content.get("dataset"):
        title = content.get("dataset_title") or content["dataset"].removeprefix("local:")
        parts.append(f"the data set {title}")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def pending(handouts: list[Handout], dismissed: list[int] | None) -> list[Handout]:
    """The hand-outs a student has not dismissed (or loaded), newest first."""
    gone = set(dismissed or [])
    return [handout for handout in handouts if handout.handout_id not in gone]
