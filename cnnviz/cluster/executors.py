"""Where trainings run: in this process (the default) or on a Ray cluster.

Without a Ray address nothing changes: every training is a TrainingJob on a thread of this
process, queued by the process-wide scheduler. With one (`--ray-address` or CNNVIZ_RAY_ADDRESS),
every training is a RayTrainingJob, whose body is a Ray actor that the cluster places; the pages
cannot tell the two apart.

Addresses: `local` starts a Ray instance on this machine, bound to 127.0.0.1 only; `auto` joins
the cluster started on this machine with `ray start`; `HOST:PORT` or `ray://HOST:PORT` join a
cluster elsewhere.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path

# The settings are cnnviz.cluster.settings' (the Ray modules read them there); the app, the CLI
# and the benchmarks find them here too, beside what uses them.
from cnnviz.cluster.settings import (  # noqa: F401 - part of this module's interface
    AUTO_ADDRESS,
    DEFAULT_CPUS_PER_TRAINING,
    LOCAL_ADDRESS,
    RAY_ADDRESS_ENV,
    RAY_CPUS_ENV,
    Executor,
    configured_address,
    cpus_per_training,
    ray_installed,
)

# Ray 2.60 binds to the machine's network address on Linux unless this is 0 before it starts.
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
# Where `ray start` writes the address of the cluster it started on this machine.
CURRENT_CLUSTER_FILE = Path("/tmp/ray/ray_current_cluster")
# How long the start-up check waits for a cluster's port to answer (seconds).
REACHABLE_TIMEOUT_SECONDS = 5.0
DEFAULT_CLIENT_PORT = 10001


def _host_and_port(address: str) -> tuple[str, int]:
    """HOST:PORT (or ray://HOST[:PORT]) split into its parts.

    Raises:
        ValueError: when the address has no valid port.
    """
    client = address.startswith("ray://")
    rest = address.removeprefix("ray://")
    host, separator, port_text = rest.rpartition(":")
    if not separator:
        if client:
            return rest, DEFAULT_CLIENT_PORT
        raise ValueError(
            f"The Ray address {address!r} has no port; give local, auto, HOST:6379 or "
            f"ray://HOST:10001."
        )
    if not port_text.isdigit() or not 0 < int(port_text) < 65536 or not host:
        raise ValueError(
            f"The Ray address {address!r} is not HOST:PORT; give local, auto, HOST:6379 or "
            f"ray://HOST:10001."
        )
    return host.strip("[]"), int(port_text)


def resolve_address(address: str) -> str:
    """The address Ray is asked to join: `auto` becomes the cluster started on this machine.

    Raises:
        ValueError: when `auto` finds no cluster started on this machine.
    """
    if address != AUTO_ADDRESS:
        return address
    known = os.environ.get("RAY_ADDRESS", "").strip()
    if not known and CURRENT_CLUSTER_FILE.is_file():
        known = CURRENT_CLUSTER_FILE.read_text().strip()
    if not known:
        raise ValueError(
            "Ray cluster at 'auto' cannot be reached: no cluster was started on this machine "
            "(run `ray start --head` first)."
        )
    return known


def check_reachable(address: str, timeout: float = REACHABLE_TIMEOUT_SECONDS) -> None:
    """Fail fast when a cluster's port does not answer (Ray itself retries for minutes).

    `local` is always reachable: it is started on demand.

    Raises:
        ValueError: naming the address, when nothing answers there.
    """
    if address == LOCAL_ADDRESS:
        return
    target = resolve_address(address)
    host, port = _host_and_port(target)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(
            f"Ray cluster at {address!r} cannot be reached ({host}:{port}: {reason})."
        ) from None


_connect_lock = threading.Lock()
_connected_address: str | None = None


def connect(address: str) -> None:
    """Start or join the Ray cluster at `address`, once per process.

    Raises:
        ValueError: when Ray is not installed, the address is malformed or unreachable.
    """
    global _connected_address
    if not ray_installed():
        raise ValueError(
            'Training on a Ray cluster needs Ray: pip install -e ".[cluster]" (or ray==2.60.0).'
        )
    with _connect_lock:
        if address == LOCAL_ADDRESS:
            _loopback_only()
        import ray

        if ray.is_initialized():
            if _connected_address not in (None, address):
                raise ValueError(
                    f"This process already uses the Ray cluster at {_connected_address!r}; "
                    f"it cannot also join {address!r}."
                )
            _connected_address = address
            return
        check_reachable(address)
        if address == LOCAL_ADDRESS:
            options = dict(
                num_cpus=os.cpu_count() or 1,
                include_dashboard=False,
                logging_level="WARNING",
                log_to_driver=False,
            )
        else:
            options = dict(address=resolve_address(address), logging_level="WARNING")
        _init_in_keeper_thread(ray, options)
        _connected_address = address


_keeper_release = threading.Event()


def _init_in_keeper_thread(ray, options: dict) -> None:
    """Call ray.init in a thread that lives as long as the connection.

    The processes of a local instance are killed when the thread that started them ends (Ray
    sets their parent-death signal), and Streamlit's script threads end after every run.
    """
    outcome: list[BaseException | None] = []
    ready = threading.Event()

    def keeper() -> None:
        try:
            ray.init(**options)
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - handed to the calling thread
            outcome.append(error)
        ready.set()
        if outcome[0] is None:
            _keeper_release.wait()

    _keeper_release.clear()
    threading.Thread(target=keeper, name="cnnviz-ray-keeper", daemon=True).start()
    ready.wait()
    if outcome[0] is not None:
        raise outcome[0]


def _loopback_only() -> None:
    """Make a local Ray instance bind 127.0.0.1 and send nothing to any other address."""
    # Ray reads the variable when it is imported, and its worker processes inherit it.
    os.environ[LOOPBACK_ENV] = "0"
    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None and hasattr(constants, "ENABLE_RAY_CLUSTER"):
        # Ray was imported before the variable was set: tell the imported copy too.
        constants.ENABLE_RAY_CLUSTER = False


def shutdown() -> None:
    """Leave (or stop, for `local`) the Ray cluster this process joined."""
    global _connected_address
    with _connect_lock:
        actors = sys.modules.get("cnnviz.cluster.ray_actor")
        if actors is not None:
            # The pooled actors and the data set's object end with the connection.
            actors.close_pools()
            actors.clear_dataset_refs()
        if ray_installed():
            import ray

            if ray.is_initialized():
                ray.shutdown()
        _keeper_release.set()
        _connected_address = None


def new_job(
    spec: dict,
    dataset,
    settings,
    *,
    name: str,
    owner_alive: Callable[[], bool] | None = None,
    ray_address: str | None = None,
    scheduler=None,
):
    """A training job on the configured executor (Ray when an address is set, else local).

    Args:
        ray_address: overrides CNNVIZ_RAY_ADDRESS; None reads it.
        scheduler: the visible FIFO the job queues in; the executor's own by default.

    Raises:
        ValueError: when a Ray address is set but the cluster cannot be used.
    """
    address = ray_address or configured_address()
    if address is None:
        from cnnviz.training.job import TrainingJob

        return TrainingJob(
            spec, dataset, settings, owner_alive=owner_alive, name=name, scheduler=scheduler
        )
    if not ray_installed():
        raise ValueError(
            'Training on a Ray cluster needs Ray: pip install -e ".[cluster]" (or ray==2.60.0).'
        )
    from cnnviz.cluster import ray_actor, ray_jobs

    try:
        connect(address)
        unreachable = None
    except ValueError as error:
        # The job still comes to be, so that the page shows why it cannot train as its status.
        unreachable = str(error)
    if scheduler is None:
        scheduler = _fallback_scheduler() if unreachable else ray_actor.default_ray_scheduler()
    return ray_jobs.RayTrainingJob(
        spec,
        dataset,
        settings,
        owner_alive=owner_alive,
        name=name,
        scheduler=scheduler,
        cpus=cpus_per_training(),
        unreachable=unreachable,
    )


def restore_job(
    spec: dict,
    dataset,
    checkpoint,
    *,
    name: str,
    owner_alive: Callable[[], bool] | None = None,
    executor: Executor | str | None = None,
    ray_address: str | None = None,
):
    """A job restored from a stored checkpoint, on the executor the server trains with.

    See cnnviz.training.restoring.restore_job; this picks the kind of job as new_job does.

    Args:
        executor: Executor.LOCAL or Executor.RAY; None takes the configured one (Ray when a Ray
            address is set).
        ray_address: overrides CNNVIZ_RAY_ADDRESS for Ray; `local` when neither names one.

    Raises:
        ValueError: as restoring.restore_job, or when Ray is asked for but cannot be used.
    """
    from cnnviz.training import restoring

    address = ray_address or configured_address()
    if executor is None:
        executor = Executor.RAY if address else Executor.LOCAL
    factory = None
    if Executor(executor) == Executor.RAY:
        factory = functools.partial(new_job, ray_address=address or LOCAL_ADDRESS)
    return restoring.restore_job(
        spec, dataset, checkpoint, name=name, owner_alive=owner_alive, executor=factory
    )


def _fallback_scheduler():
    from cnnviz.training.scheduler import TrainingScheduler

    return TrainingScheduler(1)


def executor_of(job) -> Executor:
    """Which executor runs `job`."""
    return Executor.RAY if getattr(job, "executor", None) == Executor.RAY else Executor.LOCAL
