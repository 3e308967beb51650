"""Running `cnnviz` commands in the test's own process."""

from __future__ import annotations


def run_cli(arguments: list[str], capsys) -> tuple[int, str, str]:
    """Run `cnnviz ARGUMENTS` in this process; return (exit status, stdout, stderr)."""
    from cnnviz.cli import main as cli

    try:
        status = cli.main(arguments)
    except SystemExit as exit_request:  # argparse's own usage errors and --help
        status = exit_request.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err
