"""Hand-outs: what a teacher sends to the class, checked before it is stored, and which of them
a student still has to see (those not dismissed).
"""

from __future__ import annotations

import copy

from cnnviz.model import spec as spec_module
from cnnviz.store.classroom import Handout
from cnnviz.training.settings import TrainingSettings

MAX_TITLE_LENGTH = 80


def make_content(
    spec: dict, title: str, settings: dict | None = None, dataset: str | None = None
) -> dict:
    """A hand-out's plain content, checked.

    Args:
        spec: the layers to send (checked layer by layer with cnnviz.model.spec).
        title: what the student reads ("the Keras example", "your Build layers").
        settings: Train page settings to send too, or None.
        dataset: a data set's name to send too (a built-in or a data-folder one), or None.

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
    }


def describe(content: dict) -> str:
    """What comes with a hand-out, in words: "layers", "layers, training settings and ..."."""
    parts = [f"{len(content.get('spec', {}).get('layers', []))} layers"]
    if content.get("settings"):
        parts.append("training settings")
    if content.get("dataset"):
        parts.append(f"the data set {content['dataset'].removeprefix('local:')}")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def pending(handouts: list[Handout], dismissed: list[int] | None) -> list[Handout]:
    """The hand-outs a student has not dismissed (or loaded), newest first."""
    gone = set(dismissed or [])
    return [handout for handout in handouts if handout.handout_id not in gone]
