"""A class challenge (issue 20): a data set, limits and a deadline, and whether one run meets them.

The challenge is plain data kept in the database (cnnviz.store.class_settings). A run is judged
from the server's own record of it (cnnviz.training.runs.RunRecord.to_dict(), kept in the runs
table): its data set, spec, parameters, epochs and training images, and the test accuracy the
server measured on the test split. Nothing a student types enters the score.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

from cnnviz.data.datasets import DATASETS
from cnnviz.model.layer_types import LAYER_TYPES
from cnnviz.training.job_state import JobState

# States whose test accuracy was measured on a whole, settled model.
SCORED_STATES = (JobState.FINISHED, JobState.STOPPED)


@dataclass(frozen=True)
class Challenge:
    """What the teacher set.

    Attributes:
        title: shown above the leaderboard ("Best CIFAR-10 under 100,000 parameters").
        dataset: the data set's name (a key of cnnviz.data.datasets.DATASETS).
        max_params: parameters per model, or None for no limit.
        max_epochs: epochs a run trained in all (Continue adds to them), or None.
        max_train_images: training images per epoch, or None; a run on "all" images is over it.
        layer_types: the layer types allowed, or None for all.
        deadline: epoch seconds; runs finished later do not count. None: no deadline.
        started_at: epoch seconds when it was set; older runs are not part of it.
    """

    title: str
    dataset: str
    max_params: int | None = None
    max_epochs: int | None = None
    max_train_images: int | None = None
    layer_types: tuple[str, ...] | None = None
    deadline: float | None = None
    started_at: float = 0.0

    def to_dict(self) -> dict:
        values = asdict(self)
        values["layer_types"] = None if self.layer_types is None else list(self.layer_types)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> Challenge:
        """A challenge from to_dict's data, checked as `make` checks it.

        Raises:
            ValueError: for a value `make` would refuse.
        """
        return make(**{name: values.get(name) for name in cls.__dataclass_fields__})

    def limits_text(self) -> str:
        """The rules in one line, for students."""
        parts = [DATASETS[self.dataset].title if self.dataset in DATASETS else self.dataset]
        if self.max_params is not None:
            parts.append(f"at most {self.max_params:,} parameters")
        if self.max_epochs is not None:
            parts.append(f"at most {self.max_epochs} epochs")
        if self.max_train_images is not None:
            parts.append(f"at most {self.max_train_images:,} training images")
        if self.layer_types is not None:
            parts.append("layers: " + ", ".join(self.layer_types))
        if self.deadline is not None:
            parts.append("until " + time.strftime("%Y-%m-%d %H:%M", time.localtime(self.deadline)))
        return " · ".join(parts)


def _positive(name: str, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 1:
        raise ValueError(
            f"A challenge's {name} must be a whole number, 1 or more. Received: {value!r}"
        )
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"A challenge's {name} must be a whole number. Received: {value!r}")
    return int(value)


def make(
    title: str | None,
    dataset: str | None,
    max_params=None,
    max_epochs=None,
    max_train_images=None,
    layer_types=None,
    deadline=None,
    started_at=None,
) -> Challenge:
    """A checked challenge.

    Raises:
        ValueError: for an unknown data set or layer type, or a limit that is not a whole
            number of 1 or more, saying what to change.
    """
    if dataset not in DATASETS:
        raise ValueError(
            f"A challenge's data set must be one of {', '.join(DATASETS)}. Received: {dataset!r}"
        )
    if layer_types is not None:
        unknown = [name for name in layer_types if name not in LAYER_TYPES]
        if unknown:
            raise ValueError(
                f"A challenge allows only known layer types; {', '.join(map(str, unknown))} "
                f"is not one. Received: layer_types={list(layer_types)}"
            )
        if not layer_types:
            raise ValueError("A challenge must allow at least one layer type. Received: []")
        layer_types = tuple(sorted(layer_types))
    if deadline is not None and not (
        isinstance(deadline, (int, float)) and math.isfinite(deadline)
    ):
        raise ValueError(f"A challenge's deadline must be a time. Received: {deadline!r}")
    name = DATASETS[dataset].title
    return Challenge(
        title=(title or "").strip() or f"Best accuracy on {name}",
        dataset=dataset,
        max_params=_positive("parameter limit", max_params),
        max_epochs=_positive("epoch limit", max_epochs),
        max_train_images=_positive("training image limit", max_train_images),
        layer_types=layer_types,
        deadline=None if deadline is None else float(deadline),
        started_at=time.time() if started_at is None else float(started_at),
    )


def _layer_types(spec: dict) -> list[str]:
    layers = spec.get("layers") if isinstance(spec, dict) else None
    if not isinstance(layers, list):
        return []
    return [str(layer.get("type")) for layer in layers if isinstance(layer, dict)]


def reasons_not_counted(
    challenge: Challenge,
    record: dict,
    state: str,
    test_accuracy: float | None,
    finished_at: float,
) -> list[str]:
    """Why a run does not count, in words a student reads; an empty list when it counts.

    Args:
        record: the run's kept record (RunRecord.to_dict()).
        state: its row's state (a JobState value).
        test_accuracy: its row's test accuracy, measured by the server on the test split.
        finished_at: when its row last changed (for a finished run, when it finished).
    """
    reasons = []
    dataset = record.get("dataset")
    if dataset != challenge.dataset:
        title = DATASETS[dataset].title if dataset in DATASETS else (dataset or "unknown")
        reasons.append(f"trained on {title}, not {DATASETS[challenge.dataset].title}")
    if state not in SCORED_STATES or test_accuracy is None:
        reasons.append(
            "still training" if JobState(state).is_active else f"no test accuracy ({state})"
        )
    params = record.get("params")
    if challenge.max_params is not None and (
        not isinstance(params, int) or params > challenge.max_params
    ):
        reasons.append(
            f"{params:,} parameters, over {challenge.max_params:,}"
            if isinstance(params, int)
            else "no parameter count"
        )
    epochs = record.get("epochs")
    if challenge.max_epochs is not None and (
        not isinstance(epochs, (int, float)) or epochs > challenge.max_epochs + 1e-9
    ):
        reasons.append(f"{epochs:g} epochs, over {challenge.max_epochs}")
    limit = (record.get("settings") or {}).get("train_limit")
    if challenge.max_train_images is not None and (
        limit is None or limit > challenge.max_train_images
    ):
        used = "all training images" if limit is None else f"{limit:,} training images"
        reasons.append(f"{used}, over {challenge.max_train_images:,}")
    if challenge.layer_types is not None:
        banned = sorted(set(_layer_types(record.get("spec") or {})) - set(challenge.layer_types))
        if banned:
            reasons.append(f"uses {', '.join(banned)}, not allowed")
    if challenge.deadline is not None and finished_at > challenge.deadline:
        reasons.append("finished after the deadline")
    return reasons
