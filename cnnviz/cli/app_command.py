"""`cnnviz app`: check the options, turn them into CNNVIZ_* variables and start the server.

cnnviz app [--data-dir DIR] [--port N] [--address IP] [--max-trainings N] [--no-limits]
           [--state-dir DIR] [--database-url URL] [--teacher-password-file FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cnnviz import app_files
from cnnviz.classroom import settings as class_settings
from cnnviz.cli import launcher
from cnnviz.cli.checks import (
    DATA_DIR_HELP,
    RAY_HELP,
    CommandError,
    checked,
    parse_number,
    ray_address,
)
from cnnviz.cluster import executors
from cnnviz.data import datasets
from cnnviz.model import spec as spec_module
from cnnviz.model import spec_limits
from cnnviz.store import settings as store_settings
from cnnviz.training import limits as training_limits
from cnnviz.training import scheduler

DEFAULT_PORT = 8501


def app_script_path() -> Path:
    """Where the Streamlit app is: the checkout's app.py, or the installed wheel's copy."""
    return app_files.app_dir() / app_files.APP_SCRIPT


def add_parser(commands) -> None:
    """Add `cnnviz app` to the `cnnviz` command's subparsers."""
    app = commands.add_parser("app", help="start the web app (Streamlit)")
    app.add_argument("--data-dir", help=DATA_DIR_HELP)
    app.add_argument("--port", default=str(DEFAULT_PORT), help="port to serve on (default 8501)")
    app.add_argument(
        "--address",
        help="address to listen on: 127.0.0.1 keeps the app on this machine (default: "
        f"${launcher.ADDRESS_ENV}, else every interface, for a class on a network)",
    )
    app.add_argument("--max-trainings", help="trainings allowed at once (default: one per core)")
    app.add_argument("--ray-address", help=RAY_HELP)
    app.add_argument(
        "--state-dir",
        help="folder where students' work is kept (the SQLite database and model files); or "
        f"${store_settings.STATE_DIR_VARIABLE} (default: {store_settings.DEFAULT_STATE_DIR})",
    )
    app.add_argument(
        "--database-url",
        help="an SQLAlchemy database URL to keep the work in instead, e.g. "
        "postgresql:///cnnviz?host=/var/run/postgresql for several app servers; or "
        f"${store_settings.DATABASE_URL_VARIABLE} (default: SQLite in the state folder)",
    )
    app.add_argument(
        "--teacher-password-file",
        help="a file whose first line is the class password for the Teacher page (a file, "
        f"so that the password never shows in `ps`); or ${class_settings.PASSWORD_VARIABLE}",
    )
    defaults = spec_limits.Limits()
    limit_helps = {
        "max_params": f"parameters per model (default {defaults.max_params:,})",
        "max_memory_mb": f"estimated MB per training (default {defaults.max_memory_mb})",
        "max_layers": f"layers per spec (default {defaults.max_layers}, at most "
        f"{spec_module.MAX_LAYERS})",
        "max_epochs": f"epochs per training (default {defaults.max_epochs})",
        "max_spec_kb": f"size of a spec file in KB (default {defaults.max_spec_kb})",
        "max_runs_kept": f"runs kept per workspace (default {defaults.max_runs_kept})",
    }
    for field, text in limit_helps.items():
        app.add_argument(
            "--" + field.replace("_", "-"), help=f"{text}; or ${spec_limits.ENVIRONMENT[field]}"
        )
    app.add_argument(
        "--no-limits",
        action="store_true",
        help="lift the size limits (for one's own machine, not a class server)",
    )
    app.set_defaults(handler=run)


def limits_environment(arguments: argparse.Namespace) -> dict[str, str]:
    """The environment variables that carry `cnnviz app`'s limit flags to the server."""
    environment = {}
    if arguments.no_limits:
        environment[spec_limits.NO_LIMITS_ENV] = "1"
    for field, variable in spec_limits.ENVIRONMENT.items():
        text = getattr(arguments, field)
        if text is not None:
            option = "--" + field.replace("_", "-")
            maximum = spec_module.MAX_LAYERS if field == "max_layers" else None
            environment[variable] = str(
                checked(spec_limits.parse_positive_int, text, option, maximum)
            )
    return environment


def server_environment(arguments: argparse.Namespace) -> dict[str, str]:
    """The server's whole environment: ours plus the options' CNNVIZ_* variables, all checked.

    Bad limits, a bad grace period or a bad address in the environment fail now, not in the
    server.
    """
    environment = {**os.environ, **limits_environment(arguments)}
    checked(spec_limits.from_environment, environment)
    checked(training_limits.session_grace_seconds, environment)
    data_dir = checked(datasets.resolve_data_dir, arguments.data_dir)
    if data_dir is not None:
        environment[datasets.DATA_DIR_ENV] = str(data_dir.resolve())
    if arguments.max_trainings is not None:
        max_trainings = parse_number(arguments.max_trainings, "--max-trainings", minimum=1)
        environment[scheduler.MAX_TRAININGS_ENV] = str(max_trainings)
    else:
        checked(scheduler.default_max_concurrent)  # a bad CNNVIZ_MAX_TRAININGS fails now
    address = ray_address(arguments, environment)
    if address is not None:
        environment[executors.RAY_ADDRESS_ENV] = address
        checked(executors.cpus_per_training, environment)
    if arguments.address is not None:
        environment[launcher.ADDRESS_ENV] = arguments.address
    if arguments.state_dir is not None:
        environment[store_settings.STATE_DIR_VARIABLE] = str(
            Path(arguments.state_dir).expanduser().resolve()
        )
    if arguments.database_url is not None:
        environment[store_settings.DATABASE_URL_VARIABLE] = arguments.database_url
    checked(store_settings.store_settings_from_environment, environment)
    if getattr(arguments, "teacher_password_file", None) is not None:
        environment[class_settings.PASSWORD_VARIABLE] = checked(
            class_settings.password_from_file, arguments.teacher_password_file
        )
    checked(class_settings.class_hours, environment)
    return environment


def check_store(environment: dict[str, str]) -> None:
    """Open the store once before the server starts: migrations run now, and a database this
    version cannot use (a newer schema, unreachable) stops the command with one line."""
    from cnnviz.store.database import StoreError, open_store

    settings = store_settings.store_settings_from_environment(environment)
    try:
        open_store(settings).close()
    except StoreError as error:
        raise CommandError(str(error)) from None


def describe_storage(environment: dict[str, str]) -> str:
    """One line saying where students' work is kept, printed as the server starts."""
    settings = store_settings.store_settings_from_environment(environment)
    where = settings.state_dir
    if settings.database_url.startswith("sqlite"):
        return f"cnnviz keeps students' work in {where} (for {settings.retention_days:g} days)."
    database = store_settings.safe_url(settings.database_url)
    return (
        f"cnnviz keeps students' work in the database {database} (for "
        f"{settings.retention_days:g} days); temporary files in {where}."
    )


def run(arguments: argparse.Namespace) -> int:
    port = parse_number(arguments.port, "--port", minimum=1)
    if port > 65535:
        raise CommandError(f"--port must be at most 65535. Received: {port}")
    environment = server_environment(arguments)
    address = checked(launcher.configured_address, environment)
    app_path = app_script_path()
    missing = app_files.missing_files(app_path.parent)
    if missing:
        raise CommandError(
            f"cannot find the app's {', '.join(missing)} in {app_path.parent}; reinstall cnnviz "
            f"(`pip install -e .` in a checkout, or a wheel built with `pip wheel .`)."
        )
    check_store(environment)
    print(describe_storage(environment), file=sys.stderr, flush=True)
    for warning in store_settings.legacy_warnings(environment):
        print(warning, file=sys.stderr, flush=True)
    headless = not (sys.stdin is not None and sys.stdin.isatty())
    command = launcher.streamlit_command(app_path, port, headless, address)
    return launcher.run_server(command, environment, app_path.parent)
