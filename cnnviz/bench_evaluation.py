"""How long the Evaluate page takes to evaluate a model, first time and cached.

Run `python -m cnnviz.bench_evaluation --data-dir DIR` with a folder holding the full
`mnist.npz` (or `--dataset cifar10`). The model is a preset, untrained: evaluation time does
not depend on the weights, only on the architecture and the number of images.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnnviz.bench_evaluation", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--data-dir", default=None, help="folder with the Keras-layout .npz")
    parser.add_argument("--preset", default="keras_example")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    from cnnviz import builder, datasets, evaluation
    from cnnviz.training import presets

    try:
        dataset = datasets.load_dataset(args.dataset, args.data_dir)
        spec = presets.preset_spec(args.preset, dataset.input_shape, dataset.num_classes)
    except ValueError as error:
        print(f"cnnviz.bench_evaluation: {error}", file=sys.stderr)
        return 2
    model = builder.build_model(spec, dataset.input_shape, dataset.num_classes)
    first_times, cpu_times, cached_times = [], [], []
    for round_number in range(args.rounds):
        cache = evaluation.EvaluationCache()
        started, cpu_started = time.perf_counter(), time.process_time()
        cache.get(model, round_number, dataset.x_test, dataset.y_test, dataset.class_names)
        first_times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
        started = time.perf_counter()
        cache.get(model, round_number, dataset.x_test, dataset.y_test, dataset.class_names)
        cached_times.append(time.perf_counter() - started)
    summary = {
        "dataset": args.dataset,
        "source": dataset.describe_source(),
        "preset": args.preset,
        "test_images": len(dataset.x_test),
        "first_seconds": [round(value, 3) for value in first_times],
        "first_seconds_median": round(statistics.median(first_times), 3),
        # CPU time of all threads: what the work costs, whatever else shares the machine.
        "first_cpu_seconds_median": round(statistics.median(cpu_times), 3),
        "cached_seconds_median": round(statistics.median(cached_times), 6),
        "images_per_second": round(len(dataset.x_test) / statistics.median(first_times)),
    }
    print(
        f"{summary['test_images']:,} {args.dataset} test images with {args.preset}: "
        f"{summary['first_seconds_median']:.2f} s to evaluate (median of {args.rounds}; "
        f"{summary['first_cpu_seconds_median']:.2f} s of CPU time), "
        f"{summary['cached_seconds_median'] * 1000:.3f} ms from the cache"
    )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
