"""Learning-rate schedules: the rate at each step of a training segment, as plain arithmetic.

Fast-training recipes do not keep the learning rate constant. A one-cycle schedule (Smith and
Topin, "Super-convergence", 2017) first raises it, which lets batch norm and the optimizer's
running averages settle while steps are small, then lowers it towards zero so that the last
epochs fine-tune instead of jumping around the minimum. A cosine schedule (Loshchilov and
Hutter, "SGDR", 2016) only lowers it, along half a cosine wave.

A schedule spans one training segment: Train, or a Continue, runs its epochs through one whole
cycle, so a Continue starts a fresh cycle from its own learning rate (a warm restart, as in SGDR).
"""

from __future__ import annotations

import enum
import math


class Schedule(enum.StrEnum):
    """The schedules a student can choose; the values are what settings and JSON hold."""

    CONSTANT = "constant"
    COSINE = "cosine"
    ONE_CYCLE = "one_cycle"


SCHEDULE_NAMES = tuple(schedule.value for schedule in Schedule)
# How the schedules are written for people.
SCHEDULE_TITLES = {
    Schedule.CONSTANT: "Constant",
    Schedule.COSINE: "Cosine decay",
    Schedule.ONE_CYCLE: "One cycle",
}
# One cycle rises during this fraction of the segment's steps ...
ONE_CYCLE_RISE = 0.25
# ... starting from this fraction of the chosen (peak) rate, as Smith's 1/25.
ONE_CYCLE_START = 0.04


def learning_rate_at(schedule: str, peak: float, step: int, total_steps: int) -> float:
    """The learning rate for step `step` (0-based) of a segment of `total_steps` steps.

    Args:
        schedule: one of SCHEDULE_NAMES.
        peak: the learning rate the student chose: the constant rate, the cosine's start or
            the one cycle's top.
        step: how many steps of the segment came before this one.
        total_steps: how many steps the segment has in all.

    Raises:
        ValueError: for an unknown schedule.
    """
    if schedule not in SCHEDULE_NAMES:
        raise ValueError(
            f"Unknown learning-rate schedule {schedule!r}. Choose one of: "
            f"{', '.join(SCHEDULE_NAMES)}."
        )
    if schedule == Schedule.CONSTANT or total_steps <= 1:
        return peak
    fraction = min(max(step / total_steps, 0.0), 1.0)
    if schedule == Schedule.COSINE:
        return peak * _half_cosine(fraction)
    if fraction < ONE_CYCLE_RISE:
        start = peak * ONE_CYCLE_START
        return start + (peak - start) * fraction / ONE_CYCLE_RISE
    return peak * _half_cosine((fraction - ONE_CYCLE_RISE) / (1.0 - ONE_CYCLE_RISE))


def _half_cosine(fraction: float) -> float:
    # 1 at the start, 0 at the end, falling slowly at both ends and fastest in the middle.
    return 0.5 * (1.0 + math.cos(math.pi * fraction))
