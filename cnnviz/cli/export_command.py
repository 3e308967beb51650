"""`cnnviz export`: print a spec file as Keras code, PyTorch code or checked JSON.

cnnviz export --spec FILE.json --dataset NAME --to keras|pytorch|json
"""

from __future__ import annotations

import argparse
import sys

from cnnviz.cli.checks import DATASET_HELP, CommandError, checked, spec_file
from cnnviz.data import datasets
from cnnviz.model import spec_limits


def add_parser(commands) -> None:
    """Add `cnnviz export` to the `cnnviz` command's subparsers."""
    export = commands.add_parser(
        "export", help="print a spec file as Keras code, PyTorch code or JSON"
    )
    export.add_argument("--spec", required=True, help='JSON file holding {"layers": [...]}')
    export.add_argument("--dataset", required=True, help=f"the input it is for: {DATASET_HELP}")
    export.add_argument("--to", required=True, help="keras, pytorch or json")
    export.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    # Imported here: the other commands do not need it; it loads no TensorFlow either way.
    from cnnviz.export import python_code

    if arguments.to not in python_code.FORMATS:
        raise CommandError(
            f"--to must be one of {', '.join(python_code.FORMATS)}. Received: {arguments.to!r}"
        )
    info = checked(datasets.get_info, arguments.dataset)
    model_spec = spec_file(arguments.spec, checked(spec_limits.from_environment))
    text = checked(
        python_code.export_text, model_spec, info.input_shape, info.num_classes, arguments.to
    )
    sys.stdout.write(text)
    return 0
