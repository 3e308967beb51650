"""Where trainings run, as settings: CNNVIZ_RAY_ADDRESS and CNNVIZ_RAY_CPUS_PER_TRAINING.

Kept apart from cnnviz.cluster.executors (which joins the cluster and makes the jobs) so that
the Ray modules can read them without importing the module that imports them.
"""

from __future__ import annotations

import enum
import importlib.util
import os
from collections.abc import Mapping

from cnnviz.quantities import number_setting

RAY_ADDRESS_ENV = "CNNVIZ_RAY_ADDRESS"
RAY_CPUS_ENV = "CNNVIZ_RAY_CPUS_PER_TRAINING"
LOCAL_ADDRESS = "local"
AUTO_ADDRESS = "auto"
DEFAULT_CPUS_PER_TRAINING = 1.0


class Executor(enum.StrEnum):
    """Which executor ran a training (the `executor` of `cnnviz train`'s JSON)."""

    LOCAL = "local"
    RAY = "ray"


def ray_installed() -> bool:
    """Whether the optional `cluster` extra (Ray) is installed."""
    return importlib.util.find_spec("ray") is not None


def configured_address(environment: Mapping[str, str] | None = None) -> str | None:
    """The Ray address set in CNNVIZ_RAY_ADDRESS, or None for in-process training."""
    environment = os.environ if environment is None else environment
    return environment.get(RAY_ADDRESS_ENV, "").strip() or None


def cpus_per_training(environment: Mapping[str, str] | None = None) -> float:
    """CPUs Ray reserves for each training (CNNVIZ_RAY_CPUS_PER_TRAINING, default 1).

    Raises:
        ValueError: when the setting is not a positive number.
    """
    environment = os.environ if environment is None else environment
    return number_setting(
        environment, RAY_CPUS_ENV, DEFAULT_CPUS_PER_TRAINING, what="a number above 0, e.g. 1"
    )
