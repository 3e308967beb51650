"""A student's own pictures and a run's data set as bytes, to keep them in the store.

Both are NumPy archives without pickles (`allow_pickle=False`): the arrays as they are, and the
plain facts (class names, format, version) as one JSON string. Reading checks what it reads:
a damaged or foreign file raises ValueError, never loads half.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from cnnviz.data import datasets, extra_datasets, own_data

_FACTS = "facts_json"


def _archive(arrays: dict[str, np.ndarray], facts: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{_FACTS: np.array(json.dumps(facts))})
    return buffer.getvalue()


def _open(data: bytes, what: str) -> tuple[dict[str, np.ndarray], dict]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        facts = json.loads(str(arrays.pop(_FACTS)))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"The stored {what} is damaged and cannot be read ({error}).") from None
    if not isinstance(facts, dict):
        raise ValueError(f"The stored {what} is damaged: its facts are not a record.")
    return arrays, facts


def own_data_to_bytes(own: own_data.OwnData) -> bytes:
    """The classes, their prepared images and the format, as an archive."""
    arrays = {
        f"class_{index}": np.stack(images) if images else np.zeros((0, *own.input_shape), np.uint8)
        for index, images in enumerate(own.class_images)
    }
    facts = {
        "input_shape": list(own.input_shape),
        "fit": str(own.fit),
        "test_fraction": own.test_fraction,
        "class_names": list(own.class_names),
        "version": own.version,
    }
    return _archive(arrays, facts)


def own_data_from_bytes(data: bytes) -> own_data.OwnData:
    """The OwnData kept by own_data_to_bytes.

    Raises:
        ValueError: when the bytes are not such an archive, or what they hold breaks a limit.
    """
    arrays, facts = _open(data, "own data set")
    try:
        names = [str(name) for name in facts["class_names"]]
        own = own_data.OwnData(
            input_shape=tuple(facts["input_shape"]),
            fit=facts["fit"],
            test_fraction=facts["test_fraction"],
            class_names=names,
            class_images=[list(arrays[f"class_{index}"]) for index in range(len(names))],
            version=int(facts["version"]),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"The stored own data set is damaged: {error} is missing.") from None
    for images in own.class_images:
        for image in images:
            if image.shape != own.input_shape or image.dtype != np.uint8:
                raise ValueError("The stored own data set is damaged: an image has another size.")
    return own


def dataset_to_bytes(dataset: datasets.Dataset) -> bytes:
    """A loaded data set (say a student's own, as a run trained on it) as an archive."""
    info = dataset.info
    arrays = {
        "x_train": dataset.x_train,
        "y_train": dataset.y_train,
        "x_test": dataset.x_test,
        "y_test": dataset.y_test,
    }
    facts = {
        "name": info.name,
        "title": info.title,
        "class_names": list(info.class_names),
        "location": dataset.location,
        "source": dataset.source,
    }
    return _archive(arrays, facts)


def dataset_from_bytes(data: bytes) -> datasets.Dataset:
    """The data set kept by dataset_to_bytes, checked like any data set made from arrays.

    Raises:
        ValueError: when the bytes are not such an archive or do not make a data set.
    """
    arrays, facts = _open(data, "data set")
    try:
        return extra_datasets.dataset_from_arrays(
            arrays["x_train"],
            arrays["y_train"],
            arrays["x_test"],
            arrays["y_test"],
            class_names=facts["class_names"],
            name=str(facts["name"]),
            title=str(facts["title"]),
            location=str(facts["location"]),
            source=str(facts["source"]),
        )
    except KeyError as error:
        raise ValueError(f"The stored data set is damaged: {error} is missing.") from None
