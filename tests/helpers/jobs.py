"""Training jobs in tests: small specs, a job with small settings, and waiting on it.

cnnviz.training.job (and so TensorFlow) is imported only when a job is made, so that a test of the
scheduler can wait with `wait_until` without it.
"""

from __future__ import annotations

import dataclasses
import time

from cnnviz.training import presets
from cnnviz.training import settings as training_settings
from cnnviz.training.job_state import JobState

# Only bounds how long a broken test hangs; never asserted on.
WAIT_SECONDS = 180.0
# The smallest preset: one convolution, quick to train.
TINY_SPEC = presets.preset_spec("tiny", (28, 28, 1), 10)
# Large enough that a batch takes some milliseconds, so a stop lands within a batch or two.
SLOWER_SPEC = {
    "layers": [
        {"type": "Conv2D", "filters": 32, "kernel_size": 3, "activation": "relu"},
        {"type": "MaxPooling2D", "pool_size": 2},
        {"type": "Flatten"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
}
SMALL_SETTINGS = {"epochs": 1, "batch_size": 64, "train_limit": 300}
_SETTING_NAMES = {field.name for field in dataclasses.fields(training_settings.TrainingSettings)}


def make_job(dataset, spec=TINY_SPEC, *, job_class=None, scheduler=None, **values):
    """A job on its own one-slot scheduler (unless given one), with small settings.

    Keywords that name a TrainingSettings field change that setting; the others (name,
    owner_alive, pool, ...) go to the job's class, TrainingJob unless `job_class` says otherwise.
    """
    from cnnviz.training.job import TrainingJob
    from cnnviz.training.scheduler import TrainingScheduler

    settings = {**SMALL_SETTINGS}
    options = {}
    for key, value in values.items():
        (settings if key in _SETTING_NAMES else options)[key] = value
    return (job_class or TrainingJob)(
        spec,
        dataset,
        training_settings.TrainingSettings(**settings),
        scheduler=scheduler or TrainingScheduler(1),
        **options,
    )


def run_to_end(job, timeout: float = WAIT_SECONDS, **start_options):
    """Start the job, wait for it to end and return its status, whatever its state."""
    job.start(**start_options)
    assert job.wait(timeout), "the job did not end"
    return job.status()


def run_to_finish(job, timeout: float = WAIT_SECONDS, **start_options):
    """Start the job, wait for it, check that it finished, and return its status."""
    status = run_to_end(job, timeout, **start_options)
    assert status.state == JobState.FINISHED, status.message
    return status


def wait_until(condition, timeout: float = WAIT_SECONDS) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


class FakeJob:
    """Stands in for a training job where only what the workspace registry reads matters:
    its size, whether it is active, and dispose() (whose timeouts it records)."""

    def __init__(self, params: int = 1000, active: bool = False) -> None:
        self.params = params
        self.is_active = active
        self.dispose_timeouts: list[float | None] = []

    @property
    def disposed(self) -> bool:
        return bool(self.dispose_timeouts)

    def dispose(self, timeout: float | None = None) -> bool:
        self.dispose_timeouts.append(timeout)
        self.is_active = False
        return True
