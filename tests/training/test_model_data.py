"""A trained model keeps its data set: Inspect and Evaluate still work after the data changes."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.data import datasets, own_data
from cnnviz.explain import evaluation, inspection
from cnnviz.training import model_data, presets
from cnnviz.training.job import TrainingJob
from cnnviz.training.scheduler import TrainingScheduler
from cnnviz.training.settings import TrainingSettings

SHAPE = (28, 28, 1)


def own_classes(names: list[str], per_class: int = 10) -> own_data.OwnData:
    rng = np.random.default_rng(0)
    own = own_data.OwnData(input_shape=SHAPE)
    for label, name in enumerate(names):
        own.add_class(name)
        # Each class a different brightness, so even a tiny network tells them apart a little.
        pictures = rng.integers(0, 60, (per_class, *SHAPE), dtype=np.uint8) + 60 * label
        own.add_images(label, list(pictures))
    return own


@pytest.fixture(scope="module")
def trained():
    own = own_classes(["cat", "dog", "fox"])
    dataset = own.dataset()
    job = TrainingJob(
        presets.preset_spec("tiny", SHAPE, 3),
        dataset,
        TrainingSettings(epochs=1, batch_size=8, validation_fraction=0),
        scheduler=TrainingScheduler(1),
        name="Run 1",
    )
    job.start()
    assert job.wait(120), "training did not finish"
    return own, job, dataset.x_test.copy(), dataset.y_test.copy()


@pytest.mark.trains
def test_a_model_keeps_its_data_when_its_own_data_set_changes(trained):
    own, job, x_test, y_test = trained
    own.delete_class(1)  # dog goes
    own.add_class("owl")
    own.add_images(2, [np.full(SHAPE, 250 - number, np.uint8) for number in range(4)])
    changed = own.dataset()
    assert changed.class_names == ("cat", "fox", "owl")
    used = model_data.data_for_model(job.name, job.dataset, changed)
    assert used.is_models_own and used.dataset is job.dataset
    assert used.dataset.class_names == ("cat", "dog", "fox")
    np.testing.assert_array_equal(used.dataset.x_test, x_test)
    np.testing.assert_array_equal(used.dataset.y_test, y_test)
    assert "Run 1 was trained on My data (3 classes, 30 pictures)" in used.note
    assert "its 3 classes (cat, dog, fox) and its 6 test images" in used.note
    # Evaluate and Inspect work on it, with the model's class names.
    result = evaluation.evaluate(
        job.model, used.dataset.x_test, used.dataset.y_test, ("cat", "dog", "fox")
    )
    assert result.count == 6 and result.confusion.shape == (3, 3)
    probabilities = inspection.predict_probabilities(job.model, used.dataset.x_test[:1])[0]
    assert probabilities.shape == (3,) and probabilities.sum() == pytest.approx(1, abs=1e-5)


@pytest.mark.trains
def test_a_model_keeps_its_data_when_its_data_set_is_gone(trained):
    own, job, x_test, _ = trained
    own.clear()
    assert own.problems()  # no own data set any more: the sidebar falls back to MNIST
    mnist = datasets.load_dataset("mnist")
    used = model_data.data_for_model(job.name, job.dataset, mnist)
    assert used.is_models_own and used.dataset.input_shape == SHAPE
    np.testing.assert_array_equal(used.dataset.x_test, x_test)
    assert "not on the sidebar's MNIST" in used.note and "train a model on it" in used.note


@pytest.mark.trains
def test_the_sidebars_data_set_is_used_when_the_model_was_trained_on_it(trained):
    _, job, _, _ = trained
    used = model_data.data_for_model(job.name, job.dataset, job.dataset)
    assert not used.is_models_own and used.note == "" and used.dataset is job.dataset
