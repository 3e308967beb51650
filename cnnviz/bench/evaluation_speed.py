"""How long the Evaluate page takes to evaluate a model, first time and cached.

    cnnviz bench evaluation --data-dir DIR [--dataset mnist|cifar10] [--preset NAME] [--rounds 3]

DIR holds the full `mnist.npz` (without it, the bundled sample's 1,000 test images). The model
is a preset, untrained: evaluation time does not depend on the weights, only on the
architecture and the number of images.
"""

from __future__ import annotations

import argparse
import statistics
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="mnist", help="the data set (default mnist)")
    parser.add_argument("--data-dir", default=None, help="folder with the Keras-layout .npz")
    parser.add_argument(
        "--preset", default="keras_example", help="the model (default keras_example)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="evaluations timed (default 3)")


def run(arguments: argparse.Namespace) -> dict:
    """Evaluate `rounds` times, each first with an empty cache and then from it.

    Raises:
        ValueError: for an unknown data set or preset, or a bad data folder.
    """
    from cnnviz.data import datasets
    from cnnviz.explain import evaluation
    from cnnviz.model.with_keras import builder
    from cnnviz.training import presets

    if arguments.rounds < 1:
        raise ValueError(f"--rounds must be at least 1. Received: {arguments.rounds}")
    dataset = datasets.load_dataset(arguments.dataset, arguments.data_dir)
    spec = presets.preset_spec(arguments.preset, dataset.input_shape, dataset.num_classes)
    model = builder.build_model(spec, dataset.input_shape, dataset.num_classes)
    first_times, cpu_times, cached_times = [], [], []
    for round_number in range(arguments.rounds):
        cache = evaluation.EvaluationCache()
        started, cpu_started = time.perf_counter(), time.process_time()
        cache.get(model, round_number, dataset.x_test, dataset.y_test, dataset.class_names)
        first_times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
        started = time.perf_counter()
        cache.get(model, round_number, dataset.x_test, dataset.y_test, dataset.class_names)
        cached_times.append(time.perf_counter() - started)
    summary = {
        "dataset": arguments.dataset,
        "source": dataset.describe_source(),
        "preset": arguments.preset,
        "test_images": len(dataset.x_test),
        "first_seconds": [round(value, 3) for value in first_times],
        "first_seconds_median": round(statistics.median(first_times), 3),
        # CPU time of all threads: what the work costs, whatever else shares the machine.
        "first_cpu_seconds_median": round(statistics.median(cpu_times), 3),
        "cached_seconds_median": round(statistics.median(cached_times), 6),
        "images_per_second": round(len(dataset.x_test) / statistics.median(first_times)),
    }
    print(
        f"{summary['test_images']:,} {arguments.dataset} test images with {arguments.preset}: "
        f"{summary['first_seconds_median']:.2f} s to evaluate (median of {arguments.rounds}; "
        f"{summary['first_cpu_seconds_median']:.2f} s of CPU time), "
        f"{summary['cached_seconds_median'] * 1000:.3f} ms from the cache"
    )
    return summary
