"""How much does running trainings on Ray cost against running them in this process?

Measured for `cnnviz bench ray` (and `cnnviz bench --queued-jobs N --ray-address ADDRESS`): N
trainings start at once and queue for the same number of slots (one per core here) in-process
and then on Ray, and the time until all have finished is compared. The difference, spread over
the rounds of trainings, is Ray's overhead, the figure the README's estimate for larger classes
uses.

Ray's trainer actors are long-lived (cnnviz.cluster.ray_actor.TrainerPool): a server starts them
once, at its first training, and every later training reuses them. That start (worker processes
importing TensorFlow) is timed on its own, before the clock, like the data set's `ray.put`; the
ratio counting it too is printed beside, for the first trainings after a server starts.
"""

from __future__ import annotations

import os
import statistics
import time

from cnnviz.cluster import executors
from cnnviz.data.datasets import Dataset
from cnnviz.training import settings as training_settings
from cnnviz.training.job import TrainingJob
from cnnviz.training.job_state import JobState
from cnnviz.training.scheduler import TrainingScheduler


def _time_all(make_jobs) -> tuple[list, float]:
    """Make and start every job at once; return them and the seconds until all have ended.

    Making the jobs is timed too: a student waits from pressing Train, and each side builds
    its models in its own place (in-process in the job, on Ray in the server's copy and in the
    actor).
    """
    started = time.perf_counter()
    jobs = make_jobs()
    for job in jobs:
        job.start()
    for job in jobs:
        job.wait()
    elapsed = time.perf_counter() - started
    for job in jobs:
        if job.state != JobState.FINISHED:
            raise RuntimeError(f"{job.name} ended {job.state}: {job.message}")
    return jobs, elapsed


def _time_on_ray(dataset, spec, settings, count: int, slots: int, address: str):
    """Time `count` trainings on Ray; return them, the seconds, and the one-off costs timed
    apart (the data set's ray.put, starting the pool of actors)."""
    executors.connect(address)
    from cnnviz.cluster import ray_jobs

    put_started = time.perf_counter()
    ray_jobs.dataset_ref(dataset)  # once per cluster, before the clock starts
    put_seconds = time.perf_counter() - put_started
    pool = ray_jobs.TrainerPool(slots, executors.cpus_per_training())
    try:
        pool_started = time.perf_counter()
        pool.warm()
        pool.idle_pids()  # every actor has started and imported TensorFlow
        pool_seconds = time.perf_counter() - pool_started
        ray_pool = TrainingScheduler(slots)
        remote, ray_seconds = _time_all(
            lambda: [
                ray_jobs.RayTrainingJob(
                    spec, dataset, settings, scheduler=ray_pool, pool=pool, name=f"ray {n}"
                )
                for n in range(1, count + 1)
            ]
        )
    finally:
        pool.close()
    return remote, ray_seconds, {"put": put_seconds, "pool": pool_seconds}


def measure_ray_against_local(
    dataset: Dataset,
    spec: dict,
    settings: training_settings.TrainingSettings,
    count: int,
    address: str,
    slots: int | None = None,
) -> dict:
    """Time `count` trainings in-process and on Ray with the same number of slots.

    Returns:
        A dict with both wall times, their ratio, the mean training time per job on each side
        and Ray's overhead per training.

    Raises:
        ValueError: when the count or slots are below 1, or the cluster cannot be used.
    """
    if count < 1:
        raise ValueError(f"--queued-jobs must be at least 1. Received: {count}")
    slots = slots or max(1, os.cpu_count() or 1)
    if slots < 1:
        raise ValueError(f"slots must be at least 1. Received: {slots}")
    executors.check_reachable(address)  # fail before the in-process half, not after
    # The in-process half first, before Ray starts: a new local Ray instance's own processes
    # are busy for some seconds, which would slow the in-process trainings.
    local_pool = TrainingScheduler(slots)
    local, local_seconds = _time_all(
        lambda: [
            TrainingJob(spec, dataset, settings, scheduler=local_pool, name=f"local {n}")
            for n in range(1, count + 1)
        ]
    )
    remote, ray_seconds, once = _time_on_ray(dataset, spec, settings, count, slots, address)
    local_train = statistics.mean(job.train_seconds for job in local)
    ray_train = statistics.mean(job.train_seconds for job in remote)
    waves = -(-count // slots)  # trainings run in this many rounds of `slots` at once
    return {
        "trainings": count,
        "slots": slots,
        "local_seconds": round(local_seconds, 2),
        "ray_seconds": round(ray_seconds, 2),
        "ratio": round(ray_seconds / local_seconds, 4),
        "pool_start_seconds": round(once["pool"], 2),
        "ratio_with_pool_start": round((ray_seconds + once["pool"]) / local_seconds, 4),
        "local_train_seconds_per_job": round(local_train, 2),
        "ray_train_seconds_per_job": round(ray_train, 2),
        "ray_overhead_seconds_per_wave": round((ray_seconds - local_seconds) / waves, 2),
        "dataset_put_seconds": round(once["put"], 3),
        "test_accuracy_local": [round(job.test_accuracy, 4) for job in local],
        "test_accuracy_ray": [round(job.test_accuracy, 4) for job in remote],
    }


def describe(result: dict) -> str:
    """One line of figures for the terminal."""
    return (
        f"{result['trainings']} trainings on {result['slots']} slots: in-process "
        f"{result['local_seconds']:.1f} s, Ray {result['ray_seconds']:.1f} s, ratio "
        f"{result['ratio']:.3f}; fit time per training {result['local_train_seconds_per_job']:.1f}"
        f" s in-process, {result['ray_train_seconds_per_job']:.1f} s on Ray; Ray overhead "
        f"{result['ray_overhead_seconds_per_wave']:.1f} s per wave of {result['slots']}; "
        f"starting the pool of {result['slots']} actors {result['pool_start_seconds']:.1f} s "
        f"once (ratio counting it {result['ratio_with_pool_start']:.3f})"
    )
