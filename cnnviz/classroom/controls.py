"""Classroom controls (issue 20): what a teacher fixes for the whole class, as plain data kept
in the database (cnnviz.store.class_settings) and applied on the next script run.

- a fixed data set: the sidebar offers only it;
- caps on epochs and parameters, below the server's own limits, for trainings started after;
- hidden pages: a hidden page refuses inside itself, and the sidebar leaves it out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cnnviz.data.datasets import DATASETS
from cnnviz.model.spec_limits import Limits

# Pages a teacher may hide, by their script's name (pages/<name>.py), with their titles.
# Start (the way in) and Teacher (the way back) are never hidden.
HIDEABLE_PAGES = {
    "learn": "Learn",
    "my_data": "My data",
    "build": "Build",
    "train": "Train",
    "inspect": "Inspect",
    "evaluate": "Evaluate",
    "compare": "Compare",
    "leaderboard": "Leaderboard",
}


@dataclass(frozen=True)
class Controls:
    """The class's controls; the defaults change nothing.

    Attributes:
        dataset: the one data set students may choose, or None for any.
        max_epochs: epochs per training (one press of Train or Continue), or None.
        max_params: parameters per model, or None.
        hidden_pages: page names (keys of HIDEABLE_PAGES) students cannot open.
    """

    dataset: str | None = None
    max_epochs: int | None = None
    max_params: int | None = None
    hidden_pages: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "hidden_pages": list(self.hidden_pages)}

    @classmethod
    def from_dict(cls, values: dict | None) -> Controls:
        """Controls from to_dict's data; unknown pages and data sets are dropped, so that a
        setting kept by another version never locks a class out."""
        values = values or {}
        dataset = values.get("dataset")
        pages = values.get("hidden_pages") or []
        return cls(
            dataset=dataset if dataset in DATASETS else None,
            max_epochs=_cap(values.get("max_epochs")),
            max_params=_cap(values.get("max_params")),
            hidden_pages=tuple(page for page in pages if page in HIDEABLE_PAGES),
        )

    def is_hidden(self, page: str) -> bool:
        return page in self.hidden_pages


def _cap(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def make(
    dataset: str | None = None,
    max_epochs: int | None = None,
    max_params: int | None = None,
    hidden_pages=(),
    server: Limits | None = None,
) -> Controls:
    """Checked controls.

    Raises:
        ValueError: for an unknown data set or page, or a cap that is not a whole number of 1
            or more, or not below the server's own limit (which applies anyway).
    """
    if dataset is not None and dataset not in DATASETS:
        raise ValueError(
            f"The class's data set must be one of {', '.join(DATASETS)}. Received: {dataset!r}"
        )
    unknown = [page for page in hidden_pages if page not in HIDEABLE_PAGES]
    if unknown:
        raise ValueError(
            f"Only these pages can be hidden: {', '.join(HIDEABLE_PAGES)}. Received: {unknown}"
        )
    server = server or Limits()
    for name, value, limit in (
        ("epoch cap", max_epochs, server.max_epochs),
        ("parameter cap", max_params, server.max_params),
    ):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"The class's {name} must be a whole number, 1 or more. Received: {value!r}"
            )
        if limit is not None and value > limit:
            raise ValueError(
                f"The class's {name} must be at most the server's own limit, {limit:,}. "
                f"Received: {value:,}"
            )
    return Controls(dataset, max_epochs, max_params, tuple(sorted(set(hidden_pages))))


def class_limits(server: Limits, controls: Controls) -> Limits:
    """The server's limits lowered by the class's caps (the lower of the two applies)."""

    def lower(own: int | None, cap: int | None) -> int | None:
        if cap is None:
            return own
        return cap if own is None else min(own, cap)

    return dataclasses.replace(
        server,
        max_params=lower(server.max_params, controls.max_params),
        max_epochs=lower(server.max_epochs, controls.max_epochs),
    )


def params_problem(params: int, controls: Controls) -> str | None:
    """The message refusing a model over the class's parameter cap, or None.

    Worded as the server's own limit is (cnnviz.training.limits.check_size), naming the
    teacher's cap: the server's limit is checked first, so this one is always the lower.
    """
    cap = controls.max_params
    if cap is None or params <= cap:
        return None
    return (
        f"The model has {params:,} parameters; your teacher allows at most {cap:,} in this "
        "class. Give the largest layer fewer units or filters, or add pooling before the "
        f"Flatten. Received: params={params:,}"
    )


def epochs_problem(epochs: int, controls: Controls) -> str | None:
    """The message refusing a training over the class's epoch cap, or None."""
    cap = controls.max_epochs
    if cap is None or epochs <= cap:
        return None
    return (
        f"epochs must be at most {cap} in this class (your teacher's cap); train in several "
        f"parts with Continue if you need more. Received: epochs={epochs}"
    )
