"""How fast the Inspect page's computations are, on the default MNIST model, warm.

    cnnviz bench inspect [--rounds N] [--data-dir DIR]

Each task runs once to warm up (TensorFlow traces and allocates on first use), then `rounds`
times on different test images; the median and the slowest round are printed beside the
target. The figures cover cnnviz's own work (computing and building the figures), not the
browser's drawing. The last line is one JSON object for scripts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

# (task, target in seconds); every registered explanation technique is a task too, named by
# its title, with TECHNIQUE_TARGET unless named here.
TARGETS = {
    "overview + every feature-map figure": 0.3,
    "Grad-CAM": 0.3,
    "canvas stroke to predictions": 0.3,
    "8 filter pictures": 10.0,
}
TECHNIQUE_TARGET = 1.0


def target(task: str) -> float:
    """The target of a task in seconds."""
    return TARGETS.get(task, TECHNIQUE_TARGET)


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
    from cnnviz.data import images
    from cnnviz.explain import inspection, technique_registry, techniques
    from cnnviz.figures import layer_grids, predictions
    from cnnviz.figures import overview as overview_figure

    names = list(dataset.info.class_names)
    last_conv = inspection.conv_layer_names(model)[-1]

    def overview(image, _):
        entries = inspection.network_overview(model, image)
        overview_figure.plot_overview(image, entries, names)
        for entry in entries:
            if entry["kind"] == "spatial":
                layer_grids.plot_feature_maps(entry["values"])

    def stroke(_, canvas):
        prepared = images.prepare_canvas(canvas, dataset.info.input_shape, digit_style=True)
        probabilities = inspection.predict_probabilities(model, prepared[None])[0]
        predictions.plot_predictions(list(zip(names, map(float, probabilities), strict=True)))

    def explaining(technique):
        return lambda image, _: technique_registry.explain(technique, model, image)

    return {
        "overview + every feature-map figure": overview,
        **{
            technique.title: explaining(technique)
            for technique in technique_registry.TECHNIQUES.values()
        },
        "canvas stroke to predictions": stroke,
        "8 filter pictures": lambda image, _: techniques.filter_pictures(
            model, last_conv, list(range(8))
        ),
    }


def measure(rounds: int, data_dir: str | None = None) -> dict[str, list[float]]:
    """Seconds per round of each task (after one warm-up run)."""
    import keras

    from cnnviz.data import datasets
    from cnnviz.model.with_keras import builder
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds per task")
    parser.add_argument("--data-dir", help="folder holding mnist.npz (default: bundled sample)")


def run(arguments: argparse.Namespace) -> dict:
    """Time every task; print a table of medians, slowest rounds and targets."""
    if arguments.rounds < 1:
        raise ValueError(f"--rounds must be at least 1. Received: {arguments.rounds}")
    results = measure(arguments.rounds, arguments.data_dir)
    print(f"{'task':<38}{'median':>10}{'slowest':>10}{'target':>10}")
    summary = {}
    for task, seconds in results.items():
        median = statistics.median(seconds)
        verdict = "ok" if median <= target(task) else "SLOW"
        print(
            f"{task:<38}{median * 1000:>8.0f}ms{max(seconds) * 1000:>8.0f}ms"
            f"{target(task) * 1000:>8.0f}ms  {verdict}"
        )
        summary[task] = {
            "median_ms": round(median * 1000, 1),
            "max_ms": round(max(seconds) * 1000, 1),
        }
    return summary
