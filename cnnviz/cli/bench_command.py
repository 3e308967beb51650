"""`cnnviz bench <what>`: every benchmark, from one registry.

    cnnviz bench [--quick] ...            the training path (the default)
    cnnviz bench first-page --servers 5   ...and each name in BENCHMARKS

Each benchmark is one Benchmark entry: its name, one line of help, the function that adds its
options and the one that runs it. A run prints its figures as it goes and returns a summary,
printed as the last line (one JSON object for scripts). Bad options raise ValueError (or
CommandError): one line on stderr and exit status 2. A summary whose "goal_met" is False ends
with exit status 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable

from cnnviz.bench import (
    class_view,
    evaluation_speed,
    first_page,
    inspect_speed,
    lessons,
    memory,
    own_data_import,
    responsiveness,
    store,
)
from cnnviz.cli import bench_training
from cnnviz.cli.checks import EXIT_TRAINING_FAILED, CommandError

DEFAULT_BENCHMARK = "training"


@dataclasses.dataclass(frozen=True)
class Benchmark:
    """One benchmark `cnnviz bench` reaches."""

    name: str
    help: str  # one line
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], dict]


BENCHMARKS = (
    Benchmark(
        "training",
        "the app's training path against model.fit (default)",
        bench_training.add_training_arguments,
        bench_training.run_training,
    ),
    Benchmark(
        "queue",
        "a training's speed with N more queued behind it",
        bench_training.add_queue_arguments,
        bench_training.run_queue,
    ),
    Benchmark(
        "ray",
        "N trainings on Ray against N in this process",
        bench_training.add_ray_arguments,
        bench_training.run_ray,
    ),
    Benchmark(
        "inspect",
        "speed of the Inspect page's computations",
        inspect_speed.add_arguments,
        inspect_speed.run,
    ),
    Benchmark(
        "evaluation",
        "test-set evaluation time, first and cached",
        evaluation_speed.add_arguments,
        evaluation_speed.run,
    ),
    Benchmark(
        "own-data",
        "time to import a zip of class folders",
        own_data_import.add_arguments,
        own_data_import.run,
    ),
    Benchmark(
        "memory",
        "memory over many build-train-reset cycles",
        memory.add_arguments,
        memory.run,
    ),
    Benchmark(
        "responsiveness",
        "Build-page edits in Chromium while 2 trainings run",
        responsiveness.add_arguments,
        responsiveness.run,
    ),
    Benchmark(
        "first-page",
        "fresh servers' time to their Start page",
        first_page.add_arguments,
        first_page.run,
    ),
    Benchmark(
        "lessons",
        "each lesson warm; lesson 7's first comparison",
        lessons.add_arguments,
        lessons.run,
    ),
    Benchmark(
        "store",
        "saving, restart, loading and memory of kept work",
        store.add_arguments,
        store.run,
    ),
    Benchmark(
        "class",
        "the class view and leaderboard with 100 students",
        class_view.add_arguments,
        class_view.run,
    ),
)
BY_NAME = {benchmark.name: benchmark for benchmark in BENCHMARKS}


def add_parser(commands) -> None:
    """Add `cnnviz bench` and one subcommand per benchmark to the `cnnviz` subparsers."""
    bench = commands.add_parser(
        "bench",
        help="benchmarks: the training path (default), queue, Ray, Inspect, evaluation, own "
        "data, memory, responsiveness, first page, lessons, store, class",
        description="Measure cnnviz. Without a benchmark's name, the training path: "
        "`cnnviz bench [--quick]` takes that benchmark's options.",
    )
    # Plain `cnnviz bench --quick` is the training path, as before benchmarks had names.
    BY_NAME[DEFAULT_BENCHMARK].add_arguments(bench)
    names = bench.add_subparsers(dest="what", title="benchmarks", metavar="BENCHMARK")
    bench.set_defaults(handler=run, what=DEFAULT_BENCHMARK)  # after: it sets the action's default
    for benchmark in BENCHMARKS:
        parser = names.add_parser(benchmark.name, help=benchmark.help, description=benchmark.help)
        benchmark.add_arguments(parser)


def run(arguments: argparse.Namespace) -> int:
    benchmark = BY_NAME[arguments.what]
    try:
        summary = benchmark.run(arguments)
    except ValueError as error:
        raise CommandError(str(error)) from None
    except RuntimeError as error:  # a measured run that failed: one line, not a traceback
        print(f"cnnviz bench {benchmark.name}: failed: {error}", file=sys.stderr)
        return EXIT_TRAINING_FAILED
    print(json.dumps(summary))
    return EXIT_TRAINING_FAILED if summary.get("goal_met") is False else 0
