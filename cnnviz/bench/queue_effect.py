"""Does a queue of waiting trainings slow the one that is running?

Measured for `cnnviz bench queue` (and `cnnviz bench --queued-jobs N`): one job trains an epoch
alone, then an epoch with N more jobs waiting behind it for the only training slot, alternating,
and the two speeds are compared. Waiting jobs only poll a condition a few times a second, so
the ratio should be 1.
"""

from __future__ import annotations

import statistics
import time

from cnnviz.data.datasets import Dataset
from cnnviz.training import settings as training_settings
from cnnviz.training.job import TrainingJob
from cnnviz.training.job_state import JobState, StopReason
from cnnviz.training.scheduler import TrainingScheduler

# How often (seconds) the benchmark looks at the running job while it trains.
WATCH_SECONDS = 0.005


def _epoch_speed(
    job: TrainingJob,
    settings: training_settings.TrainingSettings,
    waiting: list[TrainingJob],
) -> tuple[float, list[int | None]]:
    """Images per second of one epoch of `job`, with the `waiting` jobs queued behind it.

    Returns:
        The speed, and the queue positions the waiting jobs had while it trained.
    """
    seconds_before, samples_before = job.train_seconds, job.samples_trained
    job.start(epochs=1, settings=settings)
    while job.state == JobState.QUEUED:
        time.sleep(WATCH_SECONDS)
    for other in waiting:
        other.start(epochs=1)
    positions = [job.scheduler.position(other) for other in waiting]
    # Cancel the waiting jobs as soon as the epoch's fit ends, while they are still queued:
    # the running job keeps its slot until it has measured its test accuracy.
    while job.train_seconds == seconds_before and job.is_active:
        time.sleep(WATCH_SECONDS)
    for other in waiting:
        other.stop(StopReason.USER)
    job.wait()
    for other in waiting:
        other.wait()
    if job.state != JobState.FINISHED:
        raise RuntimeError(f"The running job ended {job.state}: {job.message}")
    samples = job.samples_trained - samples_before
    return samples / (job.train_seconds - seconds_before), positions


def measure_queue_effect(
    dataset: Dataset,
    spec: dict,
    settings: training_settings.TrainingSettings,
    waiting_jobs: int,
    rounds: int,
) -> dict:
    """Compare a job's speed alone and with `waiting_jobs` queued behind it.

    Returns:
        A dict with the median images per second alone and queued, their ratio, the median of
        each round's ratio, the queue positions seen, and every round's figures.
    """
    if waiting_jobs < 1 or rounds < 1:
        raise ValueError("waiting_jobs and rounds must be at least 1.")
    scheduler = TrainingScheduler(1)
    running = TrainingJob(spec, dataset, settings, scheduler=scheduler, name="running")
    waiting = [
        TrainingJob(spec, dataset, settings, scheduler=scheduler, name=f"waiting {n}")
        for n in range(1, waiting_jobs + 1)
    ]
    _epoch_speed(running, settings, [])  # warm-up: compiles the training step
    alone, queued, positions = [], [], []
    for round_number in range(rounds):
        # Alternate which comes first, so a drift in the machine's load favours neither.
        order = ("alone", "queued") if round_number % 2 == 0 else ("queued", "alone")
        for kind in order:
            speed, seen = _epoch_speed(running, settings, waiting if kind == "queued" else [])
            (queued if kind == "queued" else alone).append(speed)
            positions = seen or positions
    alone_median, queued_median = statistics.median(alone), statistics.median(queued)
    # Each round's two epochs run back to back, so their ratio shares the machine's load of the
    # moment; on a shared machine this median is steadier than the ratio of the medians.
    round_ratio = statistics.median(q / a for q, a in zip(queued, alone, strict=True))
    return {
        "waiting_jobs": waiting_jobs,
        "queue_positions": positions,
        "alone_samples_per_second": round(alone_median, 1),
        "queued_samples_per_second": round(queued_median, 1),
        "ratio": round(queued_median / alone_median, 4),
        "round_ratio": round(round_ratio, 4),
        "alone_rounds": [round(speed, 1) for speed in alone],
        "queued_rounds": [round(speed, 1) for speed in queued],
    }


def describe(result: dict) -> str:
    """One line of figures for the terminal."""
    return (
        f"with {result['waiting_jobs']} trainings queued behind it: alone "
        f"{result['alone_samples_per_second']:,.0f} images/s, queued "
        f"{result['queued_samples_per_second']:,.0f} images/s, ratio {result['ratio']:.3f} "
        f"(median of round ratios {result['round_ratio']:.3f})"
    )
