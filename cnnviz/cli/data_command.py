"""`cnnviz data`: a folder of class folders, or a zip of them, becomes a data set file.

    cnnviz data --from FOLDER_OR_ZIP --image-size 28|32|64 [--color gray|rgb]
                [--fit crop|pad] [--test-fraction F] --out FILE.npz

The file is in Keras's layout (x_train, y_train, x_test, y_test) with the class names, the same
file the app's My data page downloads; `cnnviz train --dataset FILE.npz` trains on it. The last
stdout line is one JSON object: classes, counts, shape and what was skipped.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cnnviz.cli.checks import checked
from cnnviz.data import extra_datasets, file_reading, own_archive, own_data


def run_data(arguments: argparse.Namespace) -> int:
    """Build and write the data set file.

    Raises:
        ValueError: for every bad argument or input, as one sentence that says what to do.
    """
    try:
        size = int(arguments.image_size)
    except ValueError:
        size = arguments.image_size
    input_shape = own_data.input_shape_for(size, arguments.color)
    test_fraction = own_data.check_test_fraction(arguments.test_fraction)
    out = Path(arguments.out).expanduser()
    if out.suffix != ".npz":
        raise ValueError(f"--out must name an .npz file, e.g. shapes.npz. Received: {out}")
    if out.is_dir():
        raise ValueError(f"--out {out} is a folder; name a file such as {out / 'data.npz'}.")
    source = Path(arguments.source).expanduser()
    if not source.is_dir():
        # Not a folder: then a zip, a regular file within the cap (never a device or a pipe).
        wanted = "a folder of class folders or a .zip"
        file_reading.check_file(source, "--from", file_reading.ZIP_BYTES, wanted)
    dataset, report = own_archive.build(
        source,
        input_shape,
        arguments.fit,
        test_fraction,
        out.stem,
        out.stem,
        "local",
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(extra_datasets.npz_bytes(dataset))
    except OSError as error:
        raise ValueError(f"cannot write --out {out}: {error.strerror}.") from None
    train_counts = [int((dataset.y_train == label).sum()) for label in range(dataset.num_classes)]
    test_counts = [int((dataset.y_test == label).sum()) for label in range(dataset.num_classes)]
    summary = {
        "out": str(out),
        "classes": list(dataset.class_names),
        "train_counts": train_counts,
        "test_counts": test_counts,
        "train": len(dataset.x_train),
        "test": len(dataset.x_test),
        "shape": list(dataset.input_shape),
        "fit": own_data.Fit(arguments.fit).value,
        "notes": report.notes(),
    }
    print(json.dumps(summary))
    return 0


def run(arguments: argparse.Namespace) -> int:
    """`cnnviz data`, its bad input reported in one line."""
    return checked(run_data, arguments)


def add_parser(commands) -> argparse.ArgumentParser:
    """Add the `data` subcommand to the `cnnviz` command's subparsers and return it."""
    data = commands.add_parser(
        "data",
        help="make a data set file (.npz) from a folder or zip of class folders",
        description=__doc__.split("\n\n")[0],
    )
    data.add_argument(
        "--from", dest="source", required=True, help="folder or .zip of class folders"
    )
    data.add_argument("--image-size", required=True, help="28, 32 or 64 pixels a side")
    data.add_argument(
        "--color",
        choices=[color.value for color in own_data.Color],
        help="gray or rgb (default: gray for 28, rgb for 32 and 64)",
    )
    data.add_argument(
        "--fit",
        default=own_data.Fit.CROP.value,
        choices=[fit.value for fit in own_data.Fit],
        help="make pictures square by cutting the longer side (crop, default) or padding (pad)",
    )
    data.add_argument(
        "--test-fraction",
        default=str(own_data.DEFAULT_TEST_FRACTION),
        help=f"share of each class kept for testing (default {own_data.DEFAULT_TEST_FRACTION})",
    )
    data.add_argument("--out", required=True, help="the .npz file to write")
    data.set_defaults(handler=run)
    return data
