"""Does a workspace's memory stay bounded over many build-train-reset cycles?

    cnnviz bench memory [--cycles 20] [--limit 1000] [--preset NAME]

Each cycle does what a student does on the Train page: build a fresh model, train it one
epoch, keep its run record (as Compare does), and press Reset, which disposes of the job. The
benchmark prints the process's resident memory after the first cycle (TensorFlow loaded, the
training step traced once) and after the last, and their difference.

It measures two ways of letting go of a job, each in a fresh process so that neither inherits
the other's heap: "dispose" (what Reset does: TrainingJob.dispose() stops the job, drops the
model and snapshots and collects garbage) and "drop" (only forgetting the reference, as the app
did before). The goal is growth below 150 MB over 20 cycles.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

from cnnviz.training import presets

GOAL_MEGABYTES = 150.0
VARIANTS = ("dispose", "drop")


def resident_megabytes() -> float:
    """The process's resident memory now, in MB (Linux's /proc; the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(variant: str, cycles: int, limit: int, preset: str) -> dict:
    """Run the cycles in this process and return the resident memory figures (MB)."""
    import gc

    from cnnviz.data import datasets
    from cnnviz.training import runs
    from cnnviz.training import settings as training_settings
    from cnnviz.training.job import TrainingJob
    from cnnviz.training.job_state import JobState
    from cnnviz.training.scheduler import TrainingScheduler

    dataset = datasets.load_dataset("mnist")
    spec = presets.preset_spec(preset, dataset.input_shape, dataset.num_classes)
    settings = training_settings.TrainingSettings(epochs=1, train_limit=limit)
    history = runs.RunHistory()
    scheduler = TrainingScheduler(1)
    resident = []
    for _ in range(cycles):
        run_id = history.new_run_id()
        job = TrainingJob(spec, dataset, settings, scheduler=scheduler, name=f"Run {run_id}")
        job.start()
        job.wait()
        if job.state != JobState.FINISHED:
            raise RuntimeError(f"A cycle's training ended {job.state}: {job.message}")
        history.record(run_id, job)
        if variant == "dispose":
            job.dispose()
        del job
        gc.collect()
        resident.append(resident_megabytes())
    return {
        "variant": variant,
        "cycles": cycles,
        "after_first_mb": round(resident[0], 1),
        "after_last_mb": round(resident[-1], 1),
        "growth_mb": round(resident[-1] - resident[0], 1),
        "per_cycle_mb": [round(value, 1) for value in resident],
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cycles", type=int, default=20, help="cycles per variant (default 20)")
    parser.add_argument("--limit", type=int, default=1000, help="training images (default 1000)")
    parser.add_argument(
        "--preset",
        default=presets.DEFAULT_PRESET,
        help=f"the model (default {presets.DEFAULT_PRESET})",
    )
    parser.add_argument("--variant", choices=VARIANTS, help="measure one variant in this process")


def _measure_in_child(variant: str, arguments: argparse.Namespace) -> dict:
    """One variant's figures, measured in a fresh process that inherits nobody's heap."""
    command = [sys.executable, "-m", "cnnviz.cli", "bench", "memory", "--variant", variant]
    command += ["--cycles", str(arguments.cycles), "--limit", str(arguments.limit)]
    command += ["--preset", arguments.preset]
    completed = subprocess.run(command, capture_output=True, text=True, env=os.environ)
    if completed.returncode != 0:
        raise RuntimeError(
            f"the {variant} cycles ended with status {completed.returncode}: "
            + completed.stderr[-2000:]
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run(arguments: argparse.Namespace) -> dict:
    """Both variants, each in its own process (or, with --variant, one in this process)."""
    if arguments.cycles < 2:
        raise ValueError(f"--cycles must be at least 2. Received: {arguments.cycles}")
    if arguments.limit < 10:
        raise ValueError(f"--limit must be at least 10. Received: {arguments.limit}")
    if arguments.variant is not None:
        return measure(arguments.variant, arguments.cycles, arguments.limit, arguments.preset)
    results = []
    for variant in VARIANTS:
        result = _measure_in_child(variant, arguments)
        results.append(result)
        print(
            f"{variant}: {result['after_first_mb']:,.0f} MB after cycle 1, "
            f"{result['after_last_mb']:,.0f} MB after cycle {result['cycles']}: "
            f"growth {result['growth_mb']:+,.0f} MB (goal < {GOAL_MEGABYTES:.0f} MB)",
            flush=True,
        )
    return {"results": results}
