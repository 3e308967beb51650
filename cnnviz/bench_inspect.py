"""How fast the Inspect page's computations are, on the default MNIST model, warm.

    python -m cnnviz.bench_inspect [--rounds N] [--data-dir DIR]

Each task runs once to warm up (TensorFlow traces and allocates on first use), then `rounds`
times on different test images; the median and the slowest round are printed beside the
target. The figures cover cnnviz's own work (computing and building the figures), not the
browser's drawing. The last line is one JSON object for scripts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

# (task, target in seconds)
TARGETS = {
    "overview + every feature-map figure": 0.3,
    "Grad-CAM": 0.3,
    "SmoothGrad, 20 samples": 1.0,
    "canvas stroke to predictions": 0.3,
    "8 filter pictures": 10.0,
}


def _stroke(rng: np.random.Generator) -> np.ndarray:
    """A 280x280 canvas with a random thick stroke, as the drawing canvas returns it."""
    canvas = np.zeros((280, 280, 4), np.uint8)
    points = rng.integers(40, 240, size=(4, 2))
    for (row0, col0), (row1, col1) in zip(points[:-1], points[1:], strict=True):
        for step in np.linspace(0, 1, 60):
            row, col = int(row0 + step * (row1 - row0)), int(col0 + step * (col1 - col0))
            canvas[max(0, row - 9) : row + 9, max(0, col - 9) : col + 9] = 255
    return canvas


def _tasks(model, dataset):
    from cnnviz import explanation, images, inspection, plots
    from cnnviz import explanation_plots as figures

    names = list(dataset.info.class_names)
    last_conv = inspection.conv_layer_names(model)[-1]

    def overview(image, _):
        entries = inspection.network_overview(model, image)
        figures.plot_overview(image, entries, names)
        for entry in entries:
            if entry["kind"] == "spatial":
                plots.plot_feature_maps(entry["values"])

    def stroke(_, canvas):
        prepared = images.prepare_canvas(canvas, dataset.info.input_shape, digit_style=True)
        probabilities = inspection.predict_probabilities(model, prepared[None])[0]
        plots.plot_predictions(list(zip(names, map(float, probabilities), strict=True)))

    return {
        "overview + every feature-map figure": overview,
        "Grad-CAM": lambda image, _: explanation.grad_cam(model, image, last_conv),
        "SmoothGrad, 20 samples": lambda image, _: explanation.smooth_grad(model, image),
        "canvas stroke to predictions": stroke,
        "8 filter pictures": lambda image, _: explanation.filter_pictures(
            model, last_conv, list(range(8))
        ),
    }


def measure(rounds: int, data_dir: str | None = None) -> dict[str, list[float]]:
    """Seconds per round of each task (after one warm-up run)."""
    import keras

    from cnnviz import builder, datasets
    from cnnviz.training import presets

    if data_dir:
        os.environ["CNNVIZ_DATA_DIR"] = data_dir
    dataset = datasets.load_dataset("mnist")
    info = dataset.info
    keras.utils.set_random_seed(0)
    spec = presets.preset_spec(presets.DEFAULT_PRESET, info.input_shape, info.num_classes)
    model = builder.build_model(spec, info.input_shape, info.num_classes)
    rng = np.random.default_rng(0)
    results = {}
    for task, run in _tasks(model, dataset).items():
        count = 1 if task == "8 filter pictures" else rounds
        run(dataset.x_test[0], _stroke(rng))
        seconds = []
        for index in range(1, count + 1):
            image, canvas = dataset.x_test[index], _stroke(rng)
            start = time.perf_counter()
            run(image, canvas)
            seconds.append(time.perf_counter() - start)
        results[task] = seconds
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnviz.bench_inspect", description=__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds per task")
    parser.add_argument("--data-dir", help="folder holding mnist.npz (default: bundled sample)")
    arguments = parser.parse_args(argv)
    if arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    results = measure(arguments.rounds, arguments.data_dir)
    print(f"{'task':<38}{'median':>10}{'slowest':>10}{'target':>10}")
    summary = {}
    for task, seconds in results.items():
        median = statistics.median(seconds)
        verdict = "ok" if median <= TARGETS[task] else "SLOW"
        print(
            f"{task:<38}{median * 1000:>8.0f}ms{max(seconds) * 1000:>8.0f}ms"
            f"{TARGETS[task] * 1000:>8.0f}ms  {verdict}"
        )
        summary[task] = {
            "median_ms": round(median * 1000, 1),
            "max_ms": round(max(seconds) * 1000, 1),
        }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
