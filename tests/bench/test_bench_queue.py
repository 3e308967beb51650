"""The queue benchmark: a running job measured alone and with jobs waiting behind it."""

import pytest

from cnnviz.bench import queue_effect
from cnnviz.data import datasets
from cnnviz.training import presets
from cnnviz.training import settings as training_settings


@pytest.mark.trains
def test_waiting_jobs_queue_behind_the_running_one_and_are_measured():
    dataset = datasets.load_dataset("mnist", allow_download=False)
    spec = presets.preset_spec("tiny", dataset.input_shape, dataset.num_classes)
    settings = training_settings.TrainingSettings(batch_size=64, train_limit=400)
    report = queue_effect.measure_queue_effect(dataset, spec, settings, waiting_jobs=2, rounds=1)
    # Both waiting jobs really waited, in order, while the measured epoch ran.
    assert report["queue_positions"] == [1, 2]
    assert len(report["alone_rounds"]) == len(report["queued_rounds"]) == 1
    assert report["alone_samples_per_second"] > 0
    assert report["queued_samples_per_second"] > 0
    expected = report["queued_samples_per_second"] / report["alone_samples_per_second"]
    assert abs(report["ratio"] - expected) < 1e-3
    one_round = report["queued_rounds"][0] / report["alone_rounds"][0]
    assert abs(report["round_ratio"] - one_round) < 1e-3
