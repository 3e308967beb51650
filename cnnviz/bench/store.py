"""What keeping students' work costs: `cnnviz bench store`.

    cnnviz bench store [--database-url URL] [--data-dir DIR] [--workspaces 200] [--active 10]
                       [--rounds 3] [--servers 1] [--presets a,b] [--no-server]

Figures, each printed with its goal:

1. The saving's cost while training: the Keras example trained one epoch per round with and
   without the app's checkpoint writing, paired per round (cnnviz.bench.store_training). Full
   MNIST with --data-dir; the bundled sample otherwise. Goal: under 3 % of the training time,
   judged on the listener's directly timed share (the steadier figure; the ratio is printed too).
2. A returning student's model loaded: per preset that fits the bundled MNIST sample, a
   checkpoint stored, then the app's load of that workspace timed (cnnviz.ui.keeping's
   load_workspace with the server's restore, done again in store_workspaces.load_kept), with
   TensorFlow already imported (warm, after one untimed load). Goal: under 1 s for each.
3. Restart with `--workspaces` stored (a few runs each, one in four with a model): opening the
   store in a fresh process (imports, migrations, orphan marking) and real `cnnviz app`
   servers' time to their Start page (cnnviz.bench.first_page; in headless Chromium where there
   is one). Goal: under 5 s (the servers' median).
4. Resident memory of that fresh process before and after loading `--active` workspaces with
   their models.

The database is the benchmark's own: SQLite in a temporary state folder by default; with a
PostgreSQL --database-url, a fresh schema in that database, dropped at the end (no other
schema is touched).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from cnnviz.store.settings import StoreSettings, normalize_database_url, safe_url
from cnnviz.training.presets import DEFAULT_PRESET

SAVING_GOAL_SHARE = 0.03
LOAD_GOAL_SECONDS = 1.0
RESTART_GOAL_SECONDS = 5.0
DEFAULTS = {"workspaces": 200, "active": 10, "rounds": 3, "servers": 1}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to measure in (a fresh schema, dropped after); "
        "default: SQLite in a temporary state folder",
    )
    parser.add_argument("--data-dir", help="a folder with mnist.npz for the training figure")
    for name, text in (
        ("workspaces", "stored workspaces"),
        ("active", "workspaces loaded for the memory figure"),
        ("rounds", "paired epochs for the training figure"),
        ("servers", "server starts timed"),
    ):
        parser.add_argument(
            f"--{name}", type=int, default=DEFAULTS[name], help=f"{text} (default {DEFAULTS[name]})"
        )
    parser.add_argument("--presets", help="comma-separated presets to load (default: all that fit)")
    parser.add_argument("--no-server", action="store_true", help="leave out the server start")


def _check(arguments: argparse.Namespace) -> None:
    for name, least in (("workspaces", 1), ("active", 1), ("rounds", 1), ("servers", 1)):
        value = getattr(arguments, name)
        if value < least:
            raise ValueError(f"--{name} must be {least} or more. Received: {value}")
    if arguments.active > arguments.workspaces:
        raise ValueError(
            f"--active must not be more than --workspaces ({arguments.workspaces}). "
            f"Received: {arguments.active}"
        )


@contextlib.contextmanager
def bench_database(database_url: str | None) -> Iterator[StoreSettings]:
    """Settings for a database of the benchmark's own, removed afterwards."""
    import sqlalchemy as sa

    with tempfile.TemporaryDirectory(prefix="cnnviz-bench-store-") as folder:
        state_dir = Path(folder) / "state"
        if database_url is None:
            yield StoreSettings.for_folder(state_dir)
            return
        url = normalize_database_url(database_url, "--database-url")
        if sa.engine.make_url(url).get_backend_name() == "sqlite":
            raise ValueError(
                "--database-url: SQLite is measured in a temporary state folder of the "
                f"benchmark's own; leave the option out for it. Received: {database_url}"
            )
        schema_name = f"cnnviz_bench_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(sa.schema.CreateSchema(schema_name))
        except sa.exc.SQLAlchemyError as error:
            engine.dispose()
            raise RuntimeError(f"cannot reach {safe_url(url)}: {error}") from None
        scoped = sa.engine.make_url(url).update_query_dict(
            {"options": f"-csearch_path={schema_name}"}
        )
        try:
            yield StoreSettings.for_folder(
                state_dir, database_url=scoped.render_as_string(hide_password=False)
            )
        finally:
            with engine.begin() as connection:
                connection.execute(sa.schema.DropSchema(schema_name, cascade=True))
            engine.dispose()


def _goal(value: float, goal: float, unit: str) -> str:
    return f"goal < {goal:g}{unit}: {'met' if value < goal else 'missed'}"


def _training_figure(store, arguments, report) -> dict:
    from cnnviz.bench import store_training
    from cnnviz.data import datasets

    dataset = datasets.load_dataset("mnist", arguments.data_dir, allow_download=False)
    report(
        f"1. Saving while training: the Keras example, {len(dataset.x_train):,} images "
        f"({dataset.source}), {arguments.rounds} paired epochs"
    )
    result = store_training.measure_saving(store, dataset, arguments.rounds, report)
    share = result["median_listener_share"]
    if dataset.is_sample:
        # A sample epoch is a tenth of a full one while the writes are as large: not the case
        # the goal is for.
        result["goal_met"] = None
        goal = f"the goal of {100 * SAVING_GOAL_SHARE:g} % is for full MNIST (--data-dir)"
    else:
        result["goal_met"] = share < SAVING_GOAL_SHARE
        goal = _goal(100 * share, 100 * SAVING_GOAL_SHARE, " %")
    report(
        f"  median: the listener's writes {100 * share:.2f} % of an epoch ({goal}); "
        f"the writes after each epoch alone {100 * result['median_epoch_write_share']:.2f} %; "
        f"epoch time with/without saving {result['median_ratio']:.3f}"
    )
    return result


def _load_figure(store, arguments, sample_data, report) -> dict:
    from cnnviz.bench import store_workspaces

    names = store_workspaces.fitting_presets(sample_data)
    if arguments.presets:
        names = [name for name in arguments.presets.split(",") if name]
    report(
        f"2. A returning student's model loaded (TensorFlow imported, sample data cached, "
        f"after one untimed load): {len(names)} presets"
    )
    seconds, samples = {}, {}
    for name in names:
        samples[name] = store_workspaces.train_sample_run(name, sample_data)
        if not seconds:  # the warm-up: the first restore's one-time imports
            store_workspaces.time_model_load(store, samples[name], lambda _name: sample_data)
        seconds[name] = store_workspaces.time_model_load(
            store, samples[name], lambda _name: sample_data
        )
        report(f"  {name}: {seconds[name]:.3f} s ({len(samples[name].checkpoint):,} bytes)")
    slowest = max(seconds.values())
    report(f"  slowest {slowest:.3f} s ({_goal(slowest, LOAD_GOAL_SECONDS, ' s')})")
    return {
        "seconds": {name: round(value, 3) for name, value in seconds.items()},
        "slowest_seconds": round(slowest, 3),
        "goal_met": slowest < LOAD_GOAL_SECONDS,
        "samples": samples,
    }


def _restart_in_child(settings: StoreSettings, workspace_ids: list[str]) -> dict:
    command = [sys.executable, "-m", "cnnviz.bench.store_memory", str(settings.state_dir)]
    command += [settings.database_url, ",".join(workspace_ids)]
    completed = subprocess.run(command, capture_output=True, text=True, env=os.environ)
    if completed.returncode != 0:
        raise RuntimeError(
            f"the restarted process ended with status {completed.returncode}: "
            + completed.stderr[-2000:]
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _server_starts(settings: StoreSettings, servers: int, report) -> dict:
    from cnnviz.bench import first_page

    environment = dict(os.environ)
    environment.update(
        PYTHONUNBUFFERED="1",
        CNNVIZ_STATE_DIR=str(settings.state_dir),
        CNNVIZ_DATABASE_URL=settings.database_url,
    )
    times = []
    with (
        first_page.page_opener() as (open_start_page, method),
        tempfile.TemporaryDirectory() as logs,
    ):
        if method != first_page.BROWSER_METHOD:
            environment[first_page.SCRIPT_CHECK_ENV] = "true"
        for number in range(1, servers + 1):
            log = Path(logs) / f"server{number}.log"
            times.append(first_page.time_one_server(open_start_page, log, environment=environment))
            report(
                f"  server {number} ({method}): listening after {times[-1]['up']:.2f} s, "
                f"Start page after {times[-1]['first_page']:.2f} s"
            )
    return {"method": method, "times": times, "in_browser": method == first_page.BROWSER_METHOD}


def _restart_figures(store, settings, arguments, sample, report) -> dict:
    from cnnviz.bench import store_workspaces

    started = time.perf_counter()
    ids = store_workspaces.store_workspaces(store, arguments.workspaces, arguments.active, sample)
    made = time.perf_counter() - started
    store.close()  # the server stops; the next one opens the same database
    report(
        f"3. Restart with {arguments.workspaces} stored workspaces "
        f"({made:.1f} s to store them; {store_workspaces.RUNS_PER_WORKSPACE} runs each, "
        f"one in {store_workspaces.MODEL_EVERY} with a model)"
    )
    child = _restart_in_child(settings, ids[: arguments.active])
    opening = child["open_seconds"]
    report(
        f"  opening the store in a fresh process (imports, migrations, orphan marking): "
        f"{opening:.2f} s ({_goal(opening, RESTART_GOAL_SECONDS, ' s')})"
    )
    result = {"store_seconds": round(made, 3), "open_seconds": child["open_seconds"]}
    goal_met = child["open_seconds"] < RESTART_GOAL_SECONDS
    if not arguments.no_server:
        servers = _server_starts(settings, arguments.servers, report)
        # The median, as `cnnviz bench first-page` judges: one start may meet other work.
        first_pages = [times["first_page"] for times in servers["times"]]
        median = statistics.median(first_pages)
        if servers["in_browser"]:
            goal_met = goal_met and median < RESTART_GOAL_SECONDS
            goal = _goal(median, RESTART_GOAL_SECONDS, " s")
        else:
            goal = f"the goal of {RESTART_GOAL_SECONDS:g} s is for the browser measure"
        report(
            f"  median server start to its Start page {median:.2f} s "
            f"({min(first_pages):.2f}-{max(first_pages):.2f} s; {goal}; load average "
            f"{os.getloadavg()[0]:.1f})"
        )
        result |= {
            "server_method": servers["method"],
            "first_page_seconds": [round(times["first_page"], 3) for times in servers["times"]],
            "up_seconds": [round(times["up"], 3) for times in servers["times"]],
        }
    report(
        f"4. Memory of that process: {child['opened_mb']:,.0f} MB with the store open, "
        f"{child['ready_mb']:,.0f} MB with TensorFlow imported and the sample loaded, "
        f"{child['loaded_mb']:,.0f} MB with {child['models']} of {child['loaded']} workspaces "
        f"loaded with models ({child['load_seconds']:.2f} s; "
        f"{child['stored_workspaces']} stored)"
    )
    return result | {"goal_met": goal_met, "memory": child}


def run(arguments: argparse.Namespace, report: Callable[[str], None] | None = None) -> dict:
    """`cnnviz bench store`: every figure on one database of the benchmark's own."""
    report = report or (lambda line: print(line, flush=True))
    _check(arguments)
    from cnnviz.bench import store_workspaces
    from cnnviz.store.database import open_store

    with bench_database(arguments.database_url) as settings:
        backend = "SQLite" if settings.is_sqlite else "PostgreSQL"
        report(f"Keeping work on {backend} ({safe_url(settings.database_url)})")
        store = open_store(settings)
        try:
            training = _training_figure(store, arguments, report)
            sample_data = store_workspaces.load_sample()
            loading = _load_figure(store, arguments, sample_data, report)
            samples = loading.pop("samples")
            # The workspaces keep the default preset's model (a student's first), else the first.
            sample = samples.get(DEFAULT_PRESET) or next(iter(samples.values()))
            restart = _restart_figures(store, settings, arguments, sample, report)
        finally:
            store.close()
    return {
        "backend": backend,
        "training": training,
        "model_load": loading,
        "restart": restart,
        # None: not judged here (the training goal on the sample).
        "goal_met": all(part["goal_met"] is not False for part in (training, loading, restart)),
    }
