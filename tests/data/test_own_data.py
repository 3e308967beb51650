"""Own data sets: preparing pictures, classes and their limits, the split, the .npz file."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cnnviz.data import datasets, extra_datasets, own_data
from cnnviz.data.own_data import Fit, OwnData
from helpers.files import png


def distinct_images(count: int, shape=(32, 32, 3), seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(count)]


def filled(class_counts: dict[str, int], shape=(32, 32, 3)) -> OwnData:
    data = OwnData(input_shape=shape)
    for seed, (name, count) in enumerate(class_counts.items()):
        data.add_images(data.add_class(name), distinct_images(count, shape, seed))
    return data


# ----- preparing pictures -----


def test_input_shapes_of_the_three_sizes_and_colours():
    assert own_data.input_shape_for(28) == (28, 28, 1)
    assert own_data.input_shape_for(32) == (32, 32, 3)
    assert own_data.input_shape_for(64, "gray") == (64, 64, 1)
    with pytest.raises(ValueError, match="28, 32, 64"):
        own_data.input_shape_for(30)
    with pytest.raises(ValueError, match="'gray' or 'rgb'"):
        own_data.input_shape_for(32, "sepia")


def test_a_picture_of_the_right_size_is_kept_exactly():
    picture = distinct_images(1)[0]
    assert np.array_equal(own_data.prepare_file(png(picture), (32, 32, 3)), picture)


def test_crop_cuts_the_longer_side_and_pad_fills_it_with_black():
    # 20 rows x 40 columns: a red left half and a blue right half.
    picture = np.zeros((20, 40, 3), dtype=np.uint8)
    picture[:, :20] = (255, 0, 0)
    picture[:, 20:] = (0, 0, 255)
    cropped = own_data.prepare_file(png(picture), (28, 28, 3), Fit.CROP)
    padded = own_data.prepare_file(png(picture), (28, 28, 3), Fit.PAD)
    # The crop keeps the middle 20 columns: red then blue, no black anywhere.
    assert cropped[14, 2].tolist() == [255, 0, 0] and cropped[14, 25].tolist() == [0, 0, 255]
    assert cropped.max(axis=2).min() > 200
    # The pad keeps everything and adds black bands above and below.
    assert padded[0].max() == 0 and padded[-1].max() == 0
    assert padded[14, 2].tolist() == [255, 0, 0] and padded[14, 25].tolist() == [0, 0, 255]


def test_exif_orientation_and_alpha_are_handled_as_on_inspect():
    # A tall picture stored sideways: the EXIF note says to turn it upright.
    stored = np.zeros((10, 30, 3), dtype=np.uint8)
    stored[:, :10] = 255  # white on one side of the stored (wide) picture
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)
    prepared = own_data.prepare_file(buffer.getvalue(), (28, 28, 1), Fit.PAD)
    # Upright it is tall (30 x 10) with the white part on top; padding adds black bands to the
    # left and right. Unturned, the white part would be on the left with bands above and below.
    assert prepared[:, 0].max() < 30
    assert prepared[2, 14, 0] > 200 and prepared[25, 14, 0] < 30
    transparent = np.zeros((8, 8, 4), dtype=np.uint8)  # fully transparent: white, as on Inspect
    assert own_data.prepare_file(png(transparent), (28, 28, 1)).min() == 255


def test_a_canvas_drawing_becomes_strokes_on_white():
    drawing = np.zeros((100, 100, 4), dtype=np.uint8)
    drawing[40:60, :, 3] = 255  # a black bar across, the rest transparent
    prepared = own_data.prepare_pixels(drawing, (28, 28, 1))
    assert prepared[0, 0, 0] == 255 and prepared[14, 14, 0] <= 10  # Lanczos rings a little


def test_bad_pictures_are_refused_with_a_message():
    with pytest.raises(ValueError, match="empty"):
        own_data.prepare_file(b"", (28, 28, 1))
    with pytest.raises(ValueError, match="not an image"):
        own_data.prepare_file(b"hello, this is text", (28, 28, 1))


# ----- classes and limits -----


def test_classes_are_added_renamed_and_deleted_with_checked_names():
    data = OwnData()
    data.add_class("  cat ")
    data.add_class("dog")
    assert data.class_names == ["cat", "dog"]
    with pytest.raises(ValueError, match="already a class called 'Cat'"):
        data.add_class("Cat")
    with pytest.raises(ValueError, match="needs a name"):
        data.add_class("   ")
    with pytest.raises(ValueError, match="at most 40"):
        data.add_class("x" * 41)
    data.rename_class(1, "puppy")
    data.rename_class(1, "Puppy")  # its own name in another case is fine
    data.delete_class(0)
    assert data.class_names == ["Puppy"] and data.class_images == [[]]


def test_at_most_twenty_classes():
    data = OwnData()
    for number in range(own_data.MAX_CLASSES):
        data.add_class(f"class {number}")
    with pytest.raises(ValueError, match="at most 20 classes"):
        data.add_class("one more")


def test_images_are_removed_and_exact_duplicates_skipped():
    data = OwnData()
    index = data.add_class("a")
    pictures = distinct_images(3)
    result = data.add_images(index, [*pictures, pictures[0].copy()])
    assert (result.added, result.duplicates) == (3, 1)
    data.remove_image(index, 0)
    assert [np.array_equal(a, b) for a, b in zip(data.class_images[0], pictures[1:], strict=True)]
    # Once removed, the same picture may come back.
    assert data.add_images(index, [pictures[0]]).added == 1
    with pytest.raises(ValueError, match="no image 7"):
        data.remove_image(index, 7)


def test_the_image_limit_refuses_a_batch_whole_and_keeps_the_rest(monkeypatch):
    monkeypatch.setattr(own_data, "MAX_IMAGES", 5)
    data = filled({"a": 3, "b": 1})
    with pytest.raises(ValueError, match="at most 5 images; it has 4 and 2 more"):
        data.add_images(1, distinct_images(2, seed=9))
    assert data.counts() == [3, 1]
    assert data.add_images(1, distinct_images(1, seed=9)).added == 1


def test_images_of_another_shape_are_refused():
    data = OwnData(input_shape=(28, 28, 1))
    data.add_class("a")
    with pytest.raises(ValueError, match=r"uint8 \(28, 28, 1\)"):
        data.add_images(0, distinct_images(1, (32, 32, 3)))


def test_warnings_for_few_images_and_unbalanced_classes():
    assert filled({"a": 20, "b": 25}).warnings() == []
    few = filled({"a": 20, "b": 4}).warnings()
    assert len(few) == 2 and "b: fewer than 10" in few[0] and "unbalanced" in few[1]
    assert "a has 60 images, b only 20" in filled({"a": 60, "b": 20}).warnings()[0]


def test_problems_for_a_single_class_or_a_class_of_one():
    assert "at least 2 classes" in filled({"a": 5}).problems()[0]
    assert "b: each class needs at least 2" in filled({"a": 5, "b": 1}).problems()[0]
    with pytest.raises(ValueError, match="at least 2 classes"):
        filled({"a": 5}).dataset()


def test_changing_the_format_converts_the_pictures():
    data = filled({"a": 2, "b": 2})
    data.set_format((28, 28, 1))
    assert data.class_images[0][0].shape == (28, 28, 1)
    assert data.dataset().input_shape == (28, 28, 1)


# ----- the split and the data set -----


def test_the_split_is_stratified_fixed_and_loses_nothing():
    data = filled({"a": 10, "b": 5, "c": 2})
    dataset = data.dataset()
    assert dataset.class_names == ("a", "b", "c")
    assert np.bincount(dataset.y_test).tolist() == [2, 1, 1]
    assert np.bincount(dataset.y_train).tolist() == [8, 4, 1]
    for label, group in enumerate(data.class_images):
        held = np.concatenate(
            [dataset.x_train[dataset.y_train == label], dataset.x_test[dataset.y_test == label]]
        )
        assert sorted(image.tobytes() for image in held) == sorted(i.tobytes() for i in group)
    again = filled({"a": 10, "b": 5, "c": 2}).dataset()
    assert np.array_equal(again.x_test, dataset.x_test)
    assert data.dataset() is dataset  # built once per version


def test_test_fraction_limits():
    with pytest.raises(ValueError, match="from 0.05 to 0.5"):
        own_data.check_test_fraction(0.9)
    with pytest.raises(ValueError, match="from 0.05 to 0.5"):
        own_data.check_test_fraction("a lot")
    data = filled({"a": 10, "b": 10})
    data.set_test_fraction(0.5)
    assert len(data.dataset().x_test) == 10


def test_npz_round_trip_keeps_arrays_and_class_names():
    for shape in ((28, 28, 1), (64, 64, 3)):
        dataset = filled({"cat": 6, "dog": 4}, shape).dataset()
        loaded = extra_datasets.read_labelled_npz(extra_datasets.npz_bytes(dataset), "x", "upload")
        for name in datasets.ARRAY_NAMES:
            assert np.array_equal(getattr(loaded, name), getattr(dataset, name))
        assert loaded.class_names == ("cat", "dog") and loaded.input_shape == shape
        again = OwnData.from_dataset(loaded)
        assert again.class_names == ["cat", "dog"] and again.counts() == [6, 4]


def test_npz_files_without_class_names_or_with_bad_contents():
    buffer = io.BytesIO()
    x = np.zeros((4, 28, 28), dtype=np.uint8)
    x[:, 0, 0] = np.arange(4)
    np.savez(buffer, x_train=x, y_train=np.array([0, 1, 2, 0]), x_test=x[:2], y_test=[1, 2])
    loaded = extra_datasets.read_labelled_npz(buffer.getvalue(), "x", "plain.npz")
    assert loaded.class_names == ("0", "1", "2")
    with pytest.raises(ValueError, match="not a Keras-layout .npz"):
        extra_datasets.read_labelled_npz(b"not a zip at all", "x", "junk.npz")
    buffer = io.BytesIO()
    np.savez(buffer, x_train=x)
    with pytest.raises(ValueError, match="lacks y_train, x_test, y_test"):
        extra_datasets.read_labelled_npz(buffer.getvalue(), "x", "partial.npz")


def test_a_compressed_npz_that_unpacks_too_large_is_refused_before_unpacking():
    buffer = io.BytesIO()
    zeros = np.zeros((2000, 64, 64, 3), dtype=np.uint8)  # 24 MB of zeros, compressed to little
    np.savez_compressed(buffer, x_train=zeros, y_train=np.zeros(2000), x_test=zeros, y_test=[0])
    assert len(buffer.getvalue()) < 1_000_000
    with pytest.raises(ValueError, match="unpack to 47 MB; at most 10 MB"):
        extra_datasets.read_labelled_npz(buffer.getvalue(), "x", "bomb.npz", max_bytes=10 * 2**20)


def test_the_same_picture_may_sit_in_two_classes_but_once_in_each():
    data = OwnData()
    cat, dog = data.add_class("cat"), data.add_class("dog")
    picture = distinct_images(1)[0]
    assert data.add_images(cat, [picture] * 10) == own_data.AddResult(added=1, duplicates=9)
    assert data.add_images(dog, [picture] * 10) == own_data.AddResult(added=1, duplicates=9)
    assert data.counts() == [1, 1]
    data.delete_class(cat)
    # The dog's copy stays known: adding it again is a duplicate, in the right class.
    assert data.add_images(0, [picture]).duplicates == 1
