"""The data a trained model is inspected and evaluated with: the data set it was trained on.

A training job keeps the `Dataset` it trained on (`job.dataset`): its class names, its input
shape and its exact training and test split, as they were when training began. Built-in data
sets are shared, read-only objects that never change; a student's own data set makes a new
`Dataset` at every edit, so the one the job holds stays as it was. When the sidebar names another
data set (an edited or deleted own data set, or a switch to MNIST), Inspect and Evaluate use the
model's own data and say so: a model is never stranded by a change of data.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.data.datasets import Dataset

# Class names listed in the note, at most; more are counted.
NAMES_SHOWN = 6


@dataclass(frozen=True)
class ModelData:
    """The data set a page uses for a model, and what to tell the student about it.

    Attributes:
        dataset: the sidebar's data set when the model was trained on it, else the model's own.
        is_models_own: whether it is the model's own because the sidebar's differs.
        note: one sentence saying which data set is used and why ("" when it is the sidebar's).
    """

    dataset: Dataset
    is_models_own: bool
    note: str


def _class_list(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def data_for_model(model_name: str, trained_on: Dataset, chosen: Dataset) -> ModelData:
    """The data set to inspect and evaluate a model with.

    Args:
        model_name: how the page calls the model, e.g. "Run 3".
        trained_on: the data set the model was trained on (the job's `dataset`).
        chosen: the data set chosen in the sidebar.
    """
    if trained_on.info.name == chosen.info.name:
        return ModelData(chosen, False, "")
    when = " as it was when training began" if trained_on.source == "own" else ""
    note = (
        f"{model_name} was trained on {trained_on.info.title}, not on the sidebar's "
        f"{chosen.info.title}, so this page uses the data {model_name} was trained on{when}: "
        f"its {trained_on.num_classes} classes ({_class_list(trained_on.class_names)}) and its "
        f"{len(trained_on.x_test):,} test images. To look at {chosen.info.title}, train a model "
        f"on it."
    )
    return ModelData(trained_on, True, note)
