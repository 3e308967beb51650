"""Evaluation: the confusion matrix, per-class figures, the drill-down and the cache."""

from __future__ import annotations

import gc
import json

import numpy as np
import pytest

from cnnviz.explain import evaluation

NAMES = ("zero", "one", "two")


def hand_made() -> evaluation.Evaluation:
    """Six images of three classes, with probabilities chosen so every count is known."""
    probabilities = np.array(
        [
            [0.9, 0.05, 0.05],  # 0 -> 0
            [0.2, 0.7, 0.1],  # 0 -> 1 (a mistake, confidence 0.7)
            [0.1, 0.8, 0.1],  # 1 -> 1
            [0.1, 0.3, 0.6],  # 1 -> 2 (a mistake, confidence 0.6)
            [0.05, 0.9, 0.05],  # 2 -> 1 (a mistake, confidence 0.9)
            [0.0, 0.45, 0.55],  # 2 -> 2
        ],
        dtype=np.float32,
    )
    return evaluation.from_probabilities(probabilities, np.array([0, 0, 1, 1, 2, 2]), NAMES)


def test_confusion_matrix_counts_each_pair():
    result = hand_made()
    assert result.confusion.tolist() == [[1, 1, 0], [0, 1, 1], [0, 1, 1]]
    assert result.accuracy == pytest.approx(3 / 6)
    assert result.predicted.tolist() == [0, 1, 1, 2, 1, 2]


def test_class_metrics_match_a_hand_count():
    metrics = hand_made().class_metrics()
    # Class 1: predicted 3 times, right once; 2 images of it, 1 found.
    assert metrics["precision"].tolist() == pytest.approx([1.0, 1 / 3, 0.5])
    assert metrics["recall"].tolist() == pytest.approx([0.5, 0.5, 0.5])
    # "Is it class 1?" is answered right for images 0, 2, 5 (TP: 2; TN: 0, 5): 3 of 6.
    assert metrics["accuracy"].tolist() == pytest.approx([5 / 6, 3 / 6, 4 / 6])
    assert metrics["support"].tolist() == [2, 2, 2]


def test_a_class_never_predicted_has_no_precision():
    metrics = evaluation.class_metrics(np.array([[2, 0], [1, 0]]))
    assert np.isnan(metrics["precision"][1])
    assert metrics["recall"][1] == 0.0


def test_top_three_guesses_are_sorted_and_named():
    result = hand_made()
    assert result.guesses(3) == [
        ("two", pytest.approx(0.6)),
        ("one", pytest.approx(0.3)),
        ("zero", pytest.approx(0.1)),
    ]
    assert result.top_classes.shape == (6, 3)


def test_cell_selects_exactly_the_images_of_its_cell():
    rng = np.random.default_rng(0)
    count, classes = 2000, 10
    probabilities = rng.dirichlet(np.ones(classes), size=count).astype(np.float32)
    labels = rng.integers(0, classes, size=count)
    result = evaluation.from_probabilities(probabilities, labels, [str(c) for c in range(10)])
    predicted = probabilities.argmax(axis=1)
    for true_class in range(classes):
        for predicted_class in range(classes):
            chosen = result.cell_indices(true_class, predicted_class)
            expected = {
                index
                for index in range(count)
                if labels[index] == true_class and predicted[index] == predicted_class
            }
            assert set(chosen.tolist()) == expected
            assert len(chosen) == result.confusion[true_class, predicted_class]
            # Most confident first.
            confidences = probabilities[chosen, predicted_class]
            assert np.all(np.diff(confidences) <= 0)


def test_most_confident_mistakes_come_first():
    result = hand_made()
    assert result.most_confident_mistakes().tolist() == [4, 1, 3]
    assert result.most_confident_mistakes(2).tolist() == [4, 1]


@pytest.mark.parametrize(
    ("true_class", "predicted_class", "message"),
    [(3, 0, "between 0 and 2"), (0, -1, "between 0 and 2"), ("1", 0, "class number")],
)
def test_a_cell_outside_the_matrix_is_refused(true_class, predicted_class, message):
    with pytest.raises(ValueError, match=message):
        hand_made().cell_indices(true_class, predicted_class)


def test_inputs_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="one label per image"):
        evaluation.from_probabilities(np.full((3, 3), 1 / 3), np.array([0, 1]), NAMES)
    with pytest.raises(ValueError, match=r"\(images, 3\)"):
        evaluation.from_probabilities(np.full((3, 2), 0.5), np.array([0, 1, 1]), NAMES)
    with pytest.raises(ValueError, match="class numbers 0..2"):
        evaluation.confusion_matrix(np.array([0, 5]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="count"):
        hand_made().most_confident_mistakes(-1)


def test_evaluate_agrees_with_keras_predict(tiny_model):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(300, 28, 28, 1), dtype=np.uint8)
    labels = rng.integers(0, 10, size=300)
    result = evaluation.evaluate(tiny_model, images, labels, [str(c) for c in range(10)])
    reference = np.asarray(tiny_model(images.astype("float32"), training=False))
    np.testing.assert_array_equal(result.predicted, reference.argmax(axis=1))
    np.testing.assert_allclose(result.confidence, reference.max(axis=1), rtol=1e-5)
    assert result.accuracy == pytest.approx(float(np.mean(reference.argmax(axis=1) == labels)))


def test_cache_evaluates_once_per_model_and_version(tiny_model):
    from cnnviz.model.with_keras import builder
    from cnnviz.training import presets

    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(50, 28, 28, 1), dtype=np.uint8)
    labels = rng.integers(0, 10, size=50)
    names = [str(c) for c in range(10)]
    cache = evaluation.EvaluationCache()
    first = cache.get(tiny_model, ("mnist", 1), images, labels, names)
    again = cache.get(tiny_model, ("mnist", 1), images, labels, names)
    assert again is first and cache.computed == 1
    cache.get(tiny_model, ("mnist", 2), images, labels, names)
    assert cache.computed == 2

    other = builder.build_model(presets.preset_spec("tiny", (28, 28, 1), 10), (28, 28, 1), 10)
    cache.get(other, ("mnist", 1), images, labels, names)
    assert cache.computed == 3 and len(cache) == 2
    del other
    gc.collect()
    # A replaced model is not kept alive by the cache.
    assert len(cache) == 1


def test_benchmark_prints_its_figures(capsys):
    from cnnviz.cli import main as cli

    assert cli.main(["bench", "evaluation", "--preset", "tiny", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    # Without a data folder the bundled sample's 1,000 test images are used.
    assert summary["test_images"] == 1000
    assert summary["first_seconds_median"] > summary["cached_seconds_median"] >= 0
    assert lines[0].startswith("1,000 mnist test images with tiny:")


def test_benchmark_refuses_an_unknown_data_set(capsys):
    from cnnviz.cli import main as cli

    assert cli.main(["bench", "evaluation", "--dataset", "imagenet"]) == 2
    assert "Unknown data set 'imagenet'" in capsys.readouterr().err


def test_most_common_mistake_is_the_largest_off_diagonal_cell():
    # Image 4 (2 -> 1) and image 1 (0 -> 1) and image 3 (1 -> 2): ties go to the first.
    assert hand_made().most_common_mistake() == (0, 1)
    perfect = evaluation.from_probabilities(np.eye(3, dtype=np.float32), np.arange(3), NAMES)
    assert perfect.most_common_mistake() == (0, 0)
    skewed = evaluation.from_probabilities(
        np.array([[0, 0, 1], [0, 0, 1], [1, 0, 0]], dtype=np.float32), np.array([1, 1, 0]), NAMES
    )
    assert skewed.most_common_mistake() == (1, 2)


def test_images_that_do_not_fit_the_model_are_refused(tiny_model):
    with pytest.raises(ValueError, match=r"takes images of shape \(28, 28, 1\)"):
        evaluation.evaluate(tiny_model, np.zeros((2, 32, 32, 3)), np.zeros(2), list("0123456789"))
    with pytest.raises(ValueError, match="numbers"):
        evaluation.evaluate(
            tiny_model, np.full((1, 28, 28, 1), "x"), np.zeros(1), list("0123456789")
        )
