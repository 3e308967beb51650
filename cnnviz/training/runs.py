"""The runs a session has made: plain records for comparing, capped to bound memory."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field

from cnnviz.data.datasets import DATASETS
from cnnviz.model import spec_limits
from cnnviz.training import lr_schedules
from cnnviz.training import settings as training_settings
from cnnviz.training.job_interface import TrainingJobInterface

MAX_RUNS_KEPT = spec_limits.from_environment().max_runs_kept


@dataclass
class RunRecord:
    """What is kept of a run once it has finished or stopped: no model, only plain data."""

    run_id: int
    name: str
    dataset: str
    spec: dict
    settings: dict
    state: str
    message: str
    epochs: float
    params: int
    test_accuracy: float | None
    test_loss: float | None
    train_seconds: float
    samples_per_second: float | None
    history: dict = field(default_factory=dict)
    warning: str | None = None  # why the loss looked as if the network was not learning
    dataset_title: str | None = None  # as students read it (own data sets have no registry entry)

    @classmethod
    def from_job(cls, run_id: int, job: TrainingJobInterface) -> RunRecord:
        status = job.status()
        speed = job.samples_trained / job.train_seconds if job.train_seconds > 0 else None
        return cls(
            run_id=run_id,
            name=job.name,
            dataset=job.dataset.info.name,
            spec=copy.deepcopy(job.spec),
            settings=asdict(job.settings),
            state=str(status.state),
            message=status.message,
            epochs=round(status.progress, 2),
            params=job.params,
            test_accuracy=status.test_accuracy,
            test_loss=status.test_loss,
            train_seconds=job.train_seconds,
            samples_per_second=speed,
            history=status.history,
            warning=status.warning,
            dataset_title=job.dataset.info.title,
        )

    def to_dict(self) -> dict:
        """The record as plain data (JSON-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> RunRecord:
        """A record from to_dict's plain data; unknown keys are ignored, missing ones fail.

        Raises:
            ValueError: when a field the record needs is missing.
        """
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        try:
            return cls(**known)
        except TypeError as error:
            raise ValueError(f"A stored run record is incomplete: {error}.") from None

    def summary_row(self) -> dict:
        """One row of the comparison table, with the words students read."""
        settings = self.settings
        accuracy = self.test_accuracy
        return {
            "run": self.name,
            "data set": self.dataset_title
            or (DATASETS[self.dataset].title if self.dataset in DATASETS else self.dataset),
            "layers": len(self.spec.get("layers", [])),
            "parameters": f"{self.params:,}",
            "optimizer": training_settings.OPTIMIZER_TITLES.get(
                settings["optimizer"], settings["optimizer"]
            ),
            "learning rate": settings["learning_rate"],
            "batch size": settings["batch_size"],
            "schedule and tricks": recipe_words(settings),
            "training images": "all"
            if settings["train_limit"] is None
            else settings["train_limit"],
            "epochs": self.epochs,
            "test accuracy": "--" if accuracy is None else f"{accuracy:.2%}",
            "train seconds": round(self.train_seconds, 1),
            "status": self.state,
        }


def recipe_words(settings: dict) -> str:
    """The learning-rate schedule, label smoothing and test-time flips of settings, in words."""
    schedule = settings.get("lr_schedule", "constant")
    words = [lr_schedules.SCHEDULE_TITLES.get(schedule, schedule).lower()]
    if settings.get("label_smoothing"):
        words.append(f"label smoothing {settings['label_smoothing']:g}")
    if settings.get("test_time_flip"):
        words.append("test-time flip")
    if settings.get("mixed_precision"):
        words.append("bfloat16")
    return ", ".join(words)


class RunHistory:
    """The session's runs, newest last; a run that continues replaces its earlier record."""

    def __init__(self, max_runs: int = MAX_RUNS_KEPT):
        self.max_runs = max_runs
        self._records: list[RunRecord] = []
        self._next_id = 1
        # Counts changes, so that whoever keeps the runs (the app's saver) writes only new ones.
        self.revision = 0

    def new_run_id(self) -> int:
        """A fresh number for a run about to start, so its record can be found again."""
        run_id = self._next_id
        self._next_id += 1
        self.revision += 1
        return run_id

    def record(self, run_id: int, job: TrainingJobInterface) -> RunRecord:
        """Keep (or update) the record of a finished or stopped job."""
        record = RunRecord.from_job(run_id, job)
        self._records = [kept for kept in self._records if kept.run_id != run_id]
        self._records.append(record)
        # The oldest runs go first when the cap is reached.
        del self._records[: max(0, len(self._records) - self.max_runs)]
        self.revision += 1
        return record

    def remove(self, run_id: int) -> None:
        self._records = [kept for kept in self._records if kept.run_id != run_id]
        self.revision += 1

    def restore(self, records: list[RunRecord], next_id: int) -> None:
        """Take back kept records (oldest first) and the next run number, as stored."""
        self._records = sorted(records, key=lambda kept: kept.run_id)[-self.max_runs :]
        used = max((kept.run_id for kept in self._records), default=0)
        self._next_id = max(int(next_id), used + 1)

    @property
    def next_id(self) -> int:
        return self._next_id

    def records(self) -> list[RunRecord]:
        return list(self._records)

    def get(self, run_id: int) -> RunRecord | None:
        return next((kept for kept in self._records if kept.run_id == run_id), None)

    def __len__(self) -> int:
        return len(self._records)
