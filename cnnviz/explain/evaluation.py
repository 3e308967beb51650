"""How well a trained model does on the test images, and where it goes wrong.

`evaluate()` runs the model once over the test set and keeps what every view of the Evaluate
page needs: each image's prediction and its top three guesses, the confusion matrix and the
per-class figures. The views then only index into these arrays: choosing a confusion-matrix
cell or listing the most confident mistakes costs no second pass through the model.

`EvaluationCache` keeps one result per model object (and per training progress), so a page
that reruns on every click evaluates a model once, not on every rerun.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.explain import inspection
from cnnviz.quantities import is_whole_number

# Keras clips probabilities to [1e-7, 1] before the logarithm of the cross-entropy.
_KERAS_EPSILON = 1e-7

# How many guesses each image keeps (the drill-down and the gallery show these).
TOP_K = 3


@dataclass(frozen=True)
class Evaluation:
    """A model's results on one labelled image set.

    Attributes:
        class_names: one name per class, index = class number.
        labels: int64 (count,) the true class of each image.
        predicted: int64 (count,) the model's most likely class of each image.
        top_classes: int64 (count, k) the k most likely classes, most likely first.
        top_probabilities: float32 (count, k) their probabilities.
        confusion: int64 (classes, classes); row = true class, column = predicted class.
    """

    class_names: tuple[str, ...]
    labels: np.ndarray
    predicted: np.ndarray
    top_classes: np.ndarray
    top_probabilities: np.ndarray
    confusion: np.ndarray

    @property
    def count(self) -> int:
        return len(self.labels)

    @property
    def confidence(self) -> np.ndarray:
        """The probability the model gave its own answer, per image."""
        return self.top_probabilities[:, 0]

    @property
    def accuracy(self) -> float:
        """Fraction of images whose most likely class is the true one."""
        return float(np.trace(self.confusion) / max(self.count, 1))

    def class_metrics(self) -> dict[str, np.ndarray]:
        """Per-class precision, recall and accuracy (see `class_metrics`)."""
        return class_metrics(self.confusion)

    def cell_indices(self, true_class: int, predicted_class: int) -> np.ndarray:
        """Indices of the images in one confusion-matrix cell, most confident first.

        Args:
            true_class: the cell's row.
            predicted_class: the cell's column.

        Returns:
            int64 indices into the image set; their count equals confusion[true, predicted].

        Raises:
            ValueError: for a class number outside 0..classes-1.
        """
        classes = len(self.class_names)
        for name, value in (("true_class", true_class), ("predicted_class", predicted_class)):
            if not is_whole_number(value):
                raise ValueError(f"{name} must be a class number. Received: {name}={value!r}")
            if not 0 <= value < classes:
                raise ValueError(
                    f"{name} must be between 0 and {classes - 1}. Received: {name}={value}"
                )
        indices = np.flatnonzero((self.labels == true_class) & (self.predicted == predicted_class))
        return _most_confident_first(indices, self.confidence)

    def most_confident_mistakes(self, count: int = 12) -> np.ndarray:
        """Indices of the wrongly classified images the model was surest of, surest first."""
        if not is_whole_number(count) or count < 0:
            raise ValueError(f"count must be a whole number >= 0. Received: count={count!r}")
        wrong = np.flatnonzero(self.labels != self.predicted)
        return _most_confident_first(wrong, self.confidence)[:count]

    def most_common_mistake(self) -> tuple[int, int]:
        """(true class, predicted class) of the largest off-diagonal cell; (0, 0) if none."""
        off_diagonal = self.confusion - np.diag(np.diag(self.confusion))
        if not off_diagonal.any():
            return (0, 0)
        true_class, predicted_class = np.unravel_index(off_diagonal.argmax(), off_diagonal.shape)
        return int(true_class), int(predicted_class)

    def guesses(self, index: int) -> list[tuple[str, float]]:
        """The top guesses for one image as (class name, probability), most likely first."""
        return [
            (self.class_names[int(c)], float(p))
            for c, p in zip(self.top_classes[index], self.top_probabilities[index], strict=True)
        ]


def _most_confident_first(indices: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    # A stable sort keeps equal confidences in image order, so the gallery does not reshuffle.
    order = np.argsort(-confidence[indices], kind="stable")
    return indices[order].astype(np.int64)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Count of images per (true class, predicted class), as an int64 (classes, classes) array.

    Raises:
        ValueError: when the arrays differ in length or hold a class outside 0..num_classes-1.
    """
    labels = np.asarray(labels).astype(np.int64).ravel()
    predicted = np.asarray(predicted).astype(np.int64).ravel()
    if labels.shape != predicted.shape:
        raise ValueError(
            f"labels and predictions must have the same length. Received: {len(labels)} labels "
            f"and {len(predicted)} predictions"
        )
    for name, values in (("labels", labels), ("predictions", predicted)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(
                f"{name} must be class numbers 0..{num_classes - 1}. Received values from "
                f"{values.min()} to {values.max()}"
            )
    # One bincount over the flattened cell number is far faster than looping over classes.
    cells = np.bincount(labels * num_classes + predicted, minlength=num_classes * num_classes)
    return cells.reshape(num_classes, num_classes)


def class_metrics(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class figures from a confusion matrix (rows true, columns predicted).

    Returns:
        {"precision": of the images predicted as the class, the fraction that are it;
         "recall": of the images of the class, the fraction found (the class's hit rate);
         "accuracy": the fraction of all images on which the yes/no question "is it this
         class?" is answered right (true positives plus true negatives);
         "support": how many images of the class there are}.
        A fraction with nothing to divide by (no image predicted as a class) is NaN.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    total = confusion.sum()
    hits = np.diag(confusion)
    predicted_as = confusion.sum(axis=0)
    actual = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted_as > 0, hits / predicted_as, np.nan)
        recall = np.where(actual > 0, hits / actual, np.nan)
        true_negatives = total - actual - predicted_as + hits
        accuracy = (hits + true_negatives) / total if total else np.full_like(hits, np.nan)
    return {
        "precision": precision,
        "recall": recall,
        "accuracy": accuracy,
        "support": actual.astype(np.int64),
    }


def from_probabilities(
    probabilities: np.ndarray, labels: np.ndarray, class_names: Sequence[str]
) -> Evaluation:
    """An Evaluation from the model's class probabilities for each image.

    Args:
        probabilities: (count, classes) as the model outputs them.
        labels: (count,) the true class numbers.
        class_names: one name per class.

    Raises:
        ValueError: when the shapes do not fit each other or the class names.
    """
    probabilities = np.asarray(probabilities, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int64).ravel()
    class_names = tuple(str(name) for name in class_names)
    if probabilities.ndim != 2 or probabilities.shape[1] != len(class_names):
        raise ValueError(
            f"probabilities must be (images, {len(class_names)}) for {len(class_names)} classes. "
            f"Received: shape {probabilities.shape}"
        )
    if len(probabilities) != len(labels):
        raise ValueError(
            f"There are {len(probabilities)} predictions but {len(labels)} labels; pass one "
            f"label per image."
        )
    k = min(TOP_K, len(class_names))
    # argpartition would be faster for many classes; with 10 a full stable sort is microseconds
    # per image and keeps ties in class order.
    top_classes = np.argsort(-probabilities, axis=1, kind="stable")[:, :k].astype(np.int64)
    top_probabilities = np.take_along_axis(probabilities, top_classes, axis=1)
    predicted = top_classes[:, 0].copy()
    return Evaluation(
        class_names=class_names,
        labels=labels,
        predicted=predicted,
        top_classes=top_classes,
        top_probabilities=top_probabilities,
        confusion=confusion_matrix(labels, predicted, len(class_names)),
    )


def loss_and_accuracy(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy (probabilities clipped as Keras does) and accuracy against labels."""
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    picked = probabilities[np.arange(len(labels)), labels].astype(np.float64)
    loss = float(np.mean(-np.log(np.clip(picked, _KERAS_EPSILON, 1.0))))
    accuracy = float(np.mean(probabilities.argmax(axis=1) == labels))
    return loss, accuracy


def evaluate(
    model,
    images: np.ndarray,
    labels: np.ndarray,
    class_names,
    batch_size: int = 500,
    flip: bool = False,
):
    """Run the model over labelled images and collect everything the Evaluate page shows.

    Args:
        model: a Keras model as the builder makes it (raw pixels in, probabilities out).
        images: (count, height, width, channels) raw pixel values.
        labels: (count,) true class numbers.
        class_names: one name per model output.
        batch_size: images per forward pass.
        flip: judge each image by the mean of its own and its mirror image's probabilities, as
            a training with test-time flips does.

    Returns:
        An Evaluation.

    Raises:
        ValueError: for images that do not fit the model, or labels or names that do not fit
            the images or the model's outputs.
    """
    images = np.asarray(images)
    expected = tuple(model.inputs[0].shape[1:])
    if images.ndim != len(expected) + 1 or images.shape[1:] != expected:
        raise ValueError(
            f"This model takes images of shape {expected}; pass a batch (count, "
            f"{', '.join(map(str, expected))}). Received: shape {images.shape}"
        )
    if not np.issubdtype(images.dtype, np.number):
        raise ValueError(f"Images must hold numbers (0..255). Received: dtype={images.dtype}")
    if len(images) == 0:
        probabilities = np.zeros((0, len(class_names)), dtype=np.float32)
    else:
        probabilities = inspection.predict_probabilities(model, images, flip, batch_size)
    return from_probabilities(probabilities, labels, class_names)


class EvaluationCache:
    """One Evaluation per model object, dropped when the model is garbage-collected.

    Keyed on the model's identity (a weak reference, so the cache never keeps a replaced model
    alive) and a `version` the caller gives: anything hashable that changes when the weights or
    the image set change, e.g. (data set name, epochs trained, images trained on).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.computed = 0  # how many evaluations were actually run (for tests and curiosity)

    def get(
        self,
        model,
        version: Hashable,
        images: np.ndarray,
        labels: np.ndarray,
        class_names,
        flip: bool = False,
    ) -> Evaluation:
        """The cached Evaluation of this model at this version, computing it on first use."""
        version = (version, flip)
        with self._lock:
            cached = self._entries.get(model)
        if cached is not None and cached[0] == version:
            return cached[1]
        result = evaluate(model, images, labels, class_names, flip=flip)
        with self._lock:
            self._entries[model] = (version, result)
            self.computed += 1
        return result

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def job_version(job) -> tuple:
    """What identifies a training job's weights and test images, as an EvaluationCache version.

    Training changes the weights only while images are trained on, so the data set and the
    counts of epochs and images trained so far tell one state of the weights from another.
    """
    return (job.dataset.info.name, job.epochs_done, job.samples_trained)


# One cache for the whole process: entries belong to model objects, and every workspace has its
# own models, so no user ever sees another's results.
shared_cache = EvaluationCache()
