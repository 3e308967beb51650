"""The My data page driven through AppTest: classes, uploads, the camera, zips, training on it."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.data import datasets, extra_datasets
from cnnviz.ui import data
from cnnviz.ui import state as keys
from helpers.apptest import assert_no_exception, button, open_app, own_data, upload_zip
from helpers.files import jpeg

COLOURS = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (40, 60, 220)}


def data_set_chooser(app):
    """The sidebar's data set box (its key names the workspace's current choice)."""
    chosen = app.session_state[keys.WORKSPACE][keys.DATASET]
    return app.selectbox(key=f"{data.CHOOSER_KEY}_{chosen}")


def add_class(app: AppTest, name: str) -> None:
    app.text_input(key="own_new_class").set_value(name)
    button(app, "Add class").click().run()
    assert_no_exception(app)


def upload_pictures(app: AppTest, class_index: int, files: list[tuple[str, bytes, str]]):
    app.selectbox(key="own_target").set_value(class_index).run()
    uploader = next(u for u in app.file_uploader if u.key.startswith("own_upload_"))
    uploader.set_value(files).run()
    name = own_data(app).class_names[class_index]
    button(app, f"Add {len(files)} picture(s) to {name}").click().run()
    assert_no_exception(app)


@pytest.mark.trains
def test_classes_uploads_and_camera_photos_make_a_data_set_to_train_on():
    app = open_app("pages/my_data.py", timeout=90)
    for name in COLOURS:
        add_class(app, name)
    assert own_data(app).class_names == list(COLOURS)
    for index, colour in enumerate(COLOURS.values()):
        files = [(f"{n}.jpg", jpeg(colour, 10 * index + n), "image/jpeg") for n in range(12)]
        upload_pictures(app, index, files)
    assert own_data(app).counts() == [12, 12, 12]
    assert any("Added 12 picture(s) to blue" in message.value for message in app.success)

    # The camera: a photo is added to the chosen class as soon as it is taken.
    app.selectbox(key="own_target").set_value(1).run()
    camera = next(c for c in app.camera_input if c.key.startswith("own_camera_"))
    camera.set_value(("photo.jpg", jpeg(COLOURS["green"], 99, (480, 640)), "image/jpeg")).run()
    assert_no_exception(app)
    assert own_data(app).counts() == [12, 13, 12]
    photo = own_data(app).class_images[1][-1]
    assert photo.shape == (32, 32, 3) and abs(photo.mean(axis=(0, 1)) - (40, 200, 60)).max() < 25
    # The camera is fresh again: a second photo is a second picture.
    camera = next(c for c in app.camera_input if c.key.startswith("own_camera_"))
    camera.set_value(("photo.jpg", jpeg(COLOURS["green"], 98, (480, 640)), "image/jpeg")).run()
    assert own_data(app).counts() == [12, 14, 12]

    # A bad file among uploads is skipped with its name; the good ones are added.
    upload_pictures(
        app,
        0,
        [("ok.jpg", jpeg(COLOURS["red"], 77), "image/jpeg"), ("bad.png", b"no", "image/png")],
    )
    assert own_data(app).counts() == [13, 14, 12]
    assert any("bad.png" in warning.value for warning in app.warning)

    # Train on it: the sidebar lists My data, the preset is fitted to 3 classes of 32x32 RGB.
    button(app, "Train on My data").click().run()
    assert_no_exception(app)
    state = app.session_state[keys.WORKSPACE]
    assert state[keys.DATASET] == "own"
    assert state[keys.SPEC]["layers"][-1]["units"] == 3
    chooser = data_set_chooser(app)
    assert "own" in chooser.options or "My data" in chooser.options
    app.switch_page("pages/train.py").run()
    assert_no_exception(app)
    button(app, "Train").click().run()
    job = app.session_state[keys.WORKSPACE][keys.JOB]
    assert job.wait(180), "training did not finish in time"
    assert job.dataset.class_names == ("red", "green", "blue")
    app.run()
    assert_no_exception(app)
    app.switch_page("pages/inspect.py").run()
    assert_no_exception(app)
    assert len(app.get("plotly_chart")) >= 3


def test_zip_import_warnings_and_editing_the_classes():
    app = open_app("pages/my_data.py", timeout=90)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, count in (("cat", 12), ("dog", 3)):
            for number in range(count):
                picture = jpeg((number * 20, 90 if name == "cat" else 180, 90), number)
                archive.writestr(f"pets/{name}/{number}.jpg", picture)
        archive.writestr("pets/cat/readme.txt", "hello")
    upload_zip(app, "pets.zip", buffer.getvalue())
    assert_no_exception(app)
    assert own_data(app).class_names == ["cat", "dog"] and own_data(app).counts() == [12, 3]
    assert any("1 file(s) that are not pictures" in info.value for info in app.info)
    warnings = " ".join(warning.value for warning in app.warning)
    assert "dog: fewer than 10" in warnings and "unbalanced" in warnings

    # Rename, remove a picture, delete a class.
    app.text_input(key="own_rename_1").set_value("puppy").run()
    assert own_data(app).class_names == ["cat", "puppy"]
    app.number_input(key="own_remove_0").set_value(2)
    app.button(key="own_remove_button_0").click().run()
    assert own_data(app).counts() == [11, 3]
    app.text_input(key="own_rename_1").set_value("cat").run()
    assert any("already a class called 'cat'" in error.value for error in app.error)
    app.button(key="own_delete_1").click().run()
    assert_no_exception(app)
    assert own_data(app).class_names == ["cat"]
    assert any("at least 2 classes" in info.value for info in app.info)


def test_a_broken_zip_is_explained_and_the_classes_kept():
    app = open_app("pages/my_data.py", timeout=90)
    add_class(app, "keep me")
    upload_zip(app, "broken.zip", b"PK\x03\x04 junk")
    assert_no_exception(app)
    assert any("broken.zip: The file is not a readable .zip" in e.value for e in app.error)
    assert own_data(app).class_names == ["keep me"]


def test_a_downloaded_data_set_file_uploads_again():
    app = open_app("pages/my_data.py", timeout=90)
    for name in ("a", "b"):
        add_class(app, name)
    for index in range(2):
        colour = (200, 20 + 100 * index, 20)
        files = [(f"{n}.jpg", jpeg(colour, 50 * index + n), "image/jpeg") for n in range(5)]
        upload_pictures(app, index, files)
    saved = extra_datasets.npz_bytes(own_data(app).dataset())
    app.session_state[keys.WORKSPACE].pop(keys.OWN_DATA)
    app.run()
    npz_uploader = next(u for u in app.file_uploader if u.key.startswith("own_npz_"))
    npz_uploader.set_value(("my_data.npz", saved, "application/octet-stream")).run()
    assert_no_exception(app)
    assert own_data(app).class_names == ["a", "b"] and own_data(app).counts() == [5, 5]
    npz_uploader = next(u for u in app.file_uploader if u.key.startswith("own_npz_"))
    npz_uploader.set_value(("junk.npz", b"junk", "application/octet-stream")).run()
    assert any("junk.npz" in error.value for error in app.error)
    assert own_data(app).counts() == [5, 5]


def test_a_black_camera_photo_is_added_with_a_warning():
    app = open_app("pages/my_data.py", timeout=90)
    add_class(app, "hand")
    black = io.BytesIO()
    Image.new("RGB", (640, 480)).save(black, "JPEG")
    camera = next(c for c in app.camera_input if c.key.startswith("own_camera_"))
    camera.set_value(("photo.jpg", black.getvalue(), "image/jpeg")).run()
    assert_no_exception(app)
    assert own_data(app).counts() == [1]
    assert any("all one colour" in warning.value for warning in app.warning)
    # The same black photo again is not added twice.
    camera = next(c for c in app.camera_input if c.key.startswith("own_camera_"))
    camera.set_value(("photo.jpg", black.getvalue(), "image/jpeg")).run()
    assert own_data(app).counts() == [1]
    assert any("already in the data set" in warning.value for warning in app.warning)


def test_data_sets_in_the_data_folder_are_listed_for_everyone(tmp_path, monkeypatch):
    pictures = {
        name: [np.full((20, 20, 3), (seed * 40 + n) % 256, np.uint8) for n in range(5)]
        for seed, name in enumerate(("circle", "cross"))
    }
    arrays = {
        "x_train": np.concatenate([group[:4] for group in pictures.values()])[..., :1],
        "y_train": np.repeat([0, 1], 4),
        "x_test": np.concatenate([group[4:] for group in pictures.values()])[..., :1],
        "y_test": np.array([0, 1]),
    }
    shared = extra_datasets.dataset_from_arrays(
        **arrays, class_names=list(pictures), name="x", title="x", location="test"
    )
    (tmp_path / "shapes.npz").write_bytes(extra_datasets.npz_bytes(shared))
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path))
    app = open_app("pages/my_data.py", timeout=90)
    chooser = data_set_chooser(app)
    assert "local:shapes" in chooser.options or "shapes (shared)" in chooser.options
    chooser.set_value("local:shapes").run()
    assert_no_exception(app)
    assert app.session_state[keys.WORKSPACE][keys.DATASET] == "local:shapes"
    assert any("8 training and 2 test images" in caption.value for caption in app.caption)


def test_the_image_size_converts_pictures_and_a_gray_64_file_loads():
    app = open_app("pages/my_data.py", timeout=90)
    for name in ("a", "b"):
        add_class(app, name)
    for index in range(2):
        colour = (90, 20 + 150 * index, 20)
        upload_pictures(app, index, [(f"{index}.jpg", jpeg(colour, index), "image/jpeg")])
    app.selectbox(key="own_format").set_value("28x28 gray").run()
    assert_no_exception(app)
    assert own_data(app).input_shape == (28, 28, 1)
    assert own_data(app).class_images[0][0].shape == (28, 28, 1)

    gray64 = {
        "x_train": np.random.default_rng(0).integers(0, 256, (4, 64, 64), dtype=np.uint8),
        "y_train": np.array([0, 1, 0, 1]),
        "x_test": np.full((2, 64, 64), 7, np.uint8) + np.arange(2, dtype=np.uint8)[:, None, None],
        "y_test": np.array([0, 1]),
    }
    loaded = extra_datasets.dataset_from_arrays(
        **gray64, class_names=["p", "q"], name="g", title="g", location="test"
    )
    npz_uploader = next(u for u in app.file_uploader if u.key.startswith("own_npz_"))
    npz_uploader.set_value(
        ("gray.npz", extra_datasets.npz_bytes(loaded), "application/octet-stream")
    )
    app.run()
    assert_no_exception(app)
    assert own_data(app).input_shape == (64, 64, 1) and own_data(app).counts() == [3, 3]
    assert app.selectbox(key="own_format").value == "64x64 gray"


def test_class_controls_follow_the_classes_after_a_delete_and_a_removal():
    app = open_app("pages/my_data.py", timeout=90)
    for name in ("first", "second"):
        add_class(app, name)
    files = [(f"{n}.jpg", jpeg((30 * n, 90, 200), n), "image/jpeg") for n in range(3)]
    upload_pictures(app, 1, files)
    app.number_input(key="own_remove_1").set_value(3)
    app.button(key="own_remove_button_1").click().run()
    assert_no_exception(app)
    assert own_data(app).counts() == [0, 2]
    assert app.number_input(key="own_remove_1").value == 2  # the last picture is now 2
    app.button(key="own_delete_0").click().run()
    assert_no_exception(app)
    assert own_data(app).class_names == ["second"]
    assert app.text_input(key="own_rename_0").value == "second"
    assert app.number_input(key="own_remove_0").value == 1


def test_a_zip_of_identical_pictures_keeps_one_per_class_and_counts_the_rest():
    app = open_app("pages/my_data.py", timeout=90)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        same = jpeg((120, 90, 60), 3)
        for name in ("Cat", "cat", "dog"):
            for number in range(5 if name != "dog" else 10):
                archive.writestr(f"{name}/{number}.jpg", same)
    upload_zip(app, "pets.zip", buffer.getvalue())
    assert_no_exception(app)
    assert own_data(app).class_names == ["Cat", "dog"] and own_data(app).counts() == [1, 1]
    assert any("Added 2 pictures from pets.zip: Cat (1), dog (1)." in s.value for s in app.success)
    notes = " ".join(info.value for info in app.info)
    assert "18 duplicate picture(s) were skipped" in notes
    assert "Folders Cat and cat differ only in upper and lower case" in notes
