"""The same spec, settings and seed give the same training whether one job runs or several.

Jobs are built and started from several threads at once, so that builds race for Keras's
process-wide seeds and trainings share the CPU; each must still match the lone run exactly.
"""

import threading

import numpy as np
import pytest

from cnnviz.training import fitting
from cnnviz.training import settings as training_settings
from cnnviz.training.job import TrainingJob
from cnnviz.training.job_state import JobState
from cnnviz.training.scheduler import TrainingScheduler

WAIT_SECONDS = 300.0
# Dropout draws random numbers at every step, so its seeds are part of what must repeat.
SPEC = {
    "layers": [
        {"type": "Conv2D", "filters": 8, "kernel_size": 3, "activation": "relu"},
        {"type": "MaxPooling2D", "pool_size": 2},
        {"type": "Dropout", "rate": 0.3},
        {"type": "Flatten"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
}
SETTINGS = training_settings.TrainingSettings(epochs=2, batch_size=32, train_limit=600, seed=7)
# The fast-training recipe draws random numbers in more places (augmentation at every step) and
# changes the arithmetic (bfloat16, batch statistics) and the learning rate at every batch.
RECIPE_SPEC = {
    "layers": [
        {"type": "RandomFlip", "mode": "horizontal"},
        {"type": "RandomTranslation", "height_factor": 0.1, "width_factor": 0.1},
        {"type": "Conv2D", "filters": 8, "kernel_size": 3, "activation": "relu"},
        {"type": "BatchNormalization"},
        {"type": "MaxPooling2D", "pool_size": 2},
        {"type": "Dropout", "rate": 0.3},
        {"type": "Flatten"},
        {"type": "Dense", "units": 10, "activation": "softmax"},
    ]
}
RECIPE_SETTINGS = training_settings.TrainingSettings(
    epochs=2,
    batch_size=32,
    train_limit=600,
    seed=7,
    lr_schedule="one_cycle",
    label_smoothing=0.1,
    test_time_flip=True,
    mixed_precision=True,
)


def train_together(
    dataset,
    seeds: list[int],
    slots: int,
    spec: dict = SPEC,
    base: training_settings.TrainingSettings = SETTINGS,
) -> list[TrainingJob]:
    """Build one job per seed in its own thread, all at once, start them and wait for all."""
    scheduler = TrainingScheduler(slots)
    jobs: list[TrainingJob | None] = [None] * len(seeds)
    barrier = threading.Barrier(len(seeds))

    def build_and_start(index: int) -> None:
        barrier.wait()
        settings = training_settings.TrainingSettings(**{**base.__dict__, "seed": seeds[index]})
        job = TrainingJob(spec, dataset, settings, scheduler=scheduler)
        jobs[index] = job
        job.start()

    threads = [
        threading.Thread(target=build_and_start, args=(index,)) for index in range(len(seeds))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    for job in jobs:
        assert job is not None and job.wait(WAIT_SECONDS)
        assert job.state is JobState.FINISHED, job.message
    return jobs


@pytest.mark.trains
@pytest.mark.parametrize(
    ("spec", "settings"),
    [(SPEC, SETTINGS), (RECIPE_SPEC, RECIPE_SETTINGS)],
    ids=["dropout", "recipe"],
)
def test_concurrent_trainings_equal_a_lone_one_exactly(mnist, spec, settings):
    (alone,) = train_together(mnist, [settings.seed], slots=1, spec=spec, base=settings)
    # Three with the same seed and one with another, all building and training at once.
    seeds = [settings.seed, 99, settings.seed, settings.seed]
    together = train_together(mnist, seeds, slots=4, spec=spec, base=settings)
    expected = alone.model.get_weights()
    for job in (together[0], together[2], together[3]):
        for got, want in zip(job.model.get_weights(), expected, strict=True):
            np.testing.assert_array_equal(got, want)
        assert job.history()["batch"]["loss"] == alone.history()["batch"]["loss"]
        assert job.test_accuracy == alone.test_accuracy
    # Another seed gives another start, so the check above can fail.
    other = together[1].model.get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(other, expected, strict=True))


def test_each_epoch_has_its_own_order_decided_by_seed_and_epoch():
    first = fitting.epoch_order(7, 0, 100)
    assert sorted(first) == list(range(100))
    np.testing.assert_array_equal(first, fitting.epoch_order(7, 0, 100))
    assert not np.array_equal(first, fitting.epoch_order(7, 1, 100))
    assert not np.array_equal(first, fitting.epoch_order(8, 0, 100))
