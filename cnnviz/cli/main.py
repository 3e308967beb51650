"""The ``cnnviz`` command: start the app, train a model, run a benchmark, and more.

    cnnviz app [--data-dir DIR] [--port N] [--address IP] [--max-trainings N]
    cnnviz train --dataset mnist|FILE.npz [--preset NAME | --spec FILE.json] --out DIR
    cnnviz bench [--quick]                  (the training path; `cnnviz bench --help` lists all)
    cnnviz bench first-page [--servers N]
    cnnviz export --spec FILE.json --dataset NAME --to keras|pytorch|json
    cnnviz data --from FOLDER_OR_ZIP --image-size 28|32|64 --out FILE.npz
    cnnviz inspect --model FILE.keras --image FILE [--dataset NAME] --out DIR

Each command is one module of cnnviz.cli with `add_parser(commands)`, which sets its handler.
A bad argument or input ends with one line on stderr, "cnnviz COMMAND: error: ...", and exit
status 2; the last stdout line of `train`, `bench` and `inspect` is one JSON object for scripts.
"""

from __future__ import annotations

import argparse
import sys

from cnnviz.cli import (
    app_command,
    bench_command,
    data_command,
    export_command,
    inspect_command,
    train_command,
)
from cnnviz.cli.checks import EXIT_INTERRUPTED, EXIT_USAGE, CommandError

# In the order `cnnviz --help` lists them.
COMMANDS = (
    app_command,
    train_command,
    bench_command,
    export_command,
    data_command,
    inspect_command,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `cnnviz` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="cnnviz", description="Build, train and look inside convolutional neural networks."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the `cnnviz` command; return its exit status."""
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except CommandError as error:
        # One line, even when the message quotes a multi-line error from a library.
        message = " ".join(str(error).split())
        print(f"cnnviz {arguments.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"\ncnnviz {arguments.command}: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
