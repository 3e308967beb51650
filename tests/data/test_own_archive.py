"""Class folders from a zip or a folder: exact arrays, and every limit and bad-input case."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.data import (
    archive_entries,
    data_folder,
    datasets,
    extra_datasets,
    own_archive,
    own_data,
)
from helpers.files import make_zip, png


def pictures(count: int, seed: int, shape=(28, 28, 1)) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(count)]


def class_zip(classes: dict[str, list[np.ndarray]], prefix: str = "") -> bytes:
    return make_zip(
        {
            f"{prefix}{name}/{number:03d}.png": png(picture)
            for name, group in classes.items()
            for number, picture in enumerate(group)
        }
    )


def test_a_zip_of_class_folders_becomes_exactly_the_expected_arrays():
    classes = {"zebra": pictures(5, 1), "apple": pictures(10, 2), "Mango": pictures(5, 3)}
    dataset, report = own_archive.build(class_zip(classes, "fruit/"), (28, 28, 1))
    # Keras's order: the sorted folder names ("Mango" sorts before "apple").
    assert dataset.class_names == ("Mango", "apple", "zebra")
    assert dataset.input_shape == (28, 28, 1)
    assert np.bincount(dataset.y_test).tolist() == [1, 2, 1]
    assert np.bincount(dataset.y_train).tolist() == [4, 8, 4]
    for label, name in enumerate(dataset.class_names):
        held = np.concatenate(
            [dataset.x_train[dataset.y_train == label], dataset.x_test[dataset.y_test == label]]
        )
        assert sorted(image.tobytes() for image in held) == sorted(
            image.tobytes() for image in classes[name]
        )
    assert report.notes() == []


def test_a_folder_of_class_folders_reads_like_its_zip(tmp_path):
    classes = {"a": pictures(4, 1, (32, 32, 3)), "b": pictures(4, 2, (32, 32, 3))}
    for name, group in classes.items():
        (tmp_path / name).mkdir()
        for number, picture in enumerate(group):
            (tmp_path / name / f"{number}.png").write_bytes(png(picture))
    from_folder = own_archive.dataset_from_source(tmp_path)
    from_zip = own_archive.dataset_from_source(class_zip(classes))
    for name in datasets.ARRAY_NAMES:
        assert np.array_equal(getattr(from_folder, name), getattr(from_zip, name))


def test_non_images_loose_files_nested_folders_and_system_files_are_counted():
    files = {
        "a/1.png": png(pictures(1, 1)[0]),
        "a/2.png": png(pictures(1, 2)[0]),
        "a/more/3.png": png(pictures(1, 3)[0]),
        "a/notes.txt": b"not a picture",
        "b/1.png": png(pictures(1, 4)[0]),
        "b/2.jpg": b"says jpg but is not",
        "b/3.png": png(pictures(1, 5)[0]),
        "README.md": b"loose",
        "__MACOSX/a/._1.png": b"resource fork",
        "a/.DS_Store": b"finder",
    }
    report = own_archive.read_class_folders(make_zip(files), (28, 28, 1))
    assert report.class_names == ["a", "b"] and [len(g) for g in report.class_images] == [3, 2]
    assert (report.non_images, report.unreadable, report.loose_files, report.nested) == (1, 1, 1, 1)
    notes = " ".join(report.notes())
    assert "1 file(s) that are not pictures" in notes and "b/2.jpg" in notes
    assert "outside any class folder" in notes and "counted for that class" in notes


def test_empty_classes_are_left_out_and_named():
    files = {"a/1.png": png(pictures(1, 1)[0]), "a/2.png": png(pictures(1, 2)[0])}
    files |= {"b/1.png": png(pictures(1, 3)[0]), "b/2.png": png(pictures(1, 4)[0])}
    files |= {"empty/readme.txt": b"nothing here"}
    report = own_archive.read_class_folders(make_zip(files), (28, 28, 1))
    assert report.class_names == ["a", "b"] and report.empty_classes == ["empty"]
    assert "left out: empty." in " ".join(report.notes())


def test_duplicate_files_are_skipped_and_counted():
    same = png(pictures(1, 1)[0])
    files = {"a/1.png": same, "a/copy.png": same, "a/2.png": png(pictures(1, 2)[0])}
    files |= {"b/1.png": png(pictures(1, 3)[0]), "b/2.png": png(pictures(1, 4)[0])}
    dataset, report = own_archive.build(make_zip(files), (28, 28, 1))
    assert report.duplicates == 1 and len(dataset.x_train) + len(dataset.x_test) == 4
    assert "1 duplicate picture(s)" in " ".join(report.notes())


def test_a_single_class_is_refused_with_what_was_found():
    with pytest.raises(ValueError, match=r"at least 2 classes.*Found: cat \(3\)"):
        own_archive.build(class_zip({"cat": pictures(3, 1)}), (28, 28, 1))


def test_a_class_with_one_picture_is_refused():
    with pytest.raises(ValueError, match="b: each class needs at least 2"):
        own_archive.build(class_zip({"a": pictures(3, 1), "b": pictures(1, 2)}), (28, 28, 1))


def test_more_than_twenty_classes_are_refused():
    classes = {f"class{number:02d}": pictures(1, number) for number in range(21)}
    with pytest.raises(ValueError, match="21 class folders; .* at most 20"):
        own_archive.read_class_folders(class_zip(classes), (28, 28, 1))


def test_too_many_pictures_are_refused_before_any_is_decoded():
    data = class_zip({"a": pictures(3, 1), "b": pictures(3, 2)})
    with pytest.raises(ValueError, match="Found 6 pictures; at most 5 more fit"):
        own_archive.read_class_folders(data, (28, 28, 1), max_images=5)


@pytest.mark.parametrize(
    "name", ["../evil/1.png", "a/../../1.png", "/etc/a/1.png", "C:/a/1.png", "a\\..\\1.png"]
)
def test_entries_that_climb_out_of_the_archive_refuse_the_zip(name):
    files = {"a/1.png": png(pictures(1, 1)[0]), name: png(pictures(1, 2)[0])}
    with pytest.raises(ValueError, match="leads outside the archive"):
        own_archive.read_class_folders(make_zip(files), (28, 28, 1))


def test_zip_bombs_are_refused_by_claimed_size_and_entry_count(monkeypatch):
    # 50 MB of zeros compress to about 50 KB: the total claimed size is checked first.
    bomb = make_zip({"a/1.png": bytes(30 * 2**20), "b/1.png": bytes(20 * 2**20)})
    assert len(bomb) < 200_000
    monkeypatch.setattr(archive_entries, "MAX_UNPACKED_BYTES", 40 * 2**20)
    with pytest.raises(ValueError, match="unpack to 50 MB; at most 40 MB.*Nothing was unpacked"):
        own_archive.read_class_folders(bomb, (28, 28, 1))
    monkeypatch.setattr(archive_entries, "MAX_ENTRIES", 3)
    many = make_zip({f"a/{number}.png": b"x" for number in range(4)})
    with pytest.raises(ValueError, match="4 entries; at most 3"):
        own_archive.read_class_folders(many, (28, 28, 1))


def test_an_entry_over_the_size_limit_is_skipped_and_counted(monkeypatch):
    monkeypatch.setattr(archive_entries, "MAX_FILE_BYTES", 1000)
    big = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    files = {"a/big.png": png(big), "a/1.png": png(pictures(1, 1)[0])}
    files |= {"b/1.png": png(pictures(1, 2)[0])}
    report = own_archive.read_class_folders(make_zip(files), (28, 28, 1))
    assert report.too_large == 1 and [len(g) for g in report.class_images] == [1, 1]


def test_an_oversized_archive_and_non_zips_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="not a readable .zip"):
        own_archive.read_class_folders(b"PK but not really", (28, 28, 1))
    monkeypatch.setattr(archive_entries, "MAX_ARCHIVE_BYTES", 100)
    with pytest.raises(ValueError, match="at most 0 MB"):
        own_archive.read_class_folders(bytes(200), (28, 28, 1))


def test_a_zip_with_no_pictures_says_what_it_skipped():
    with pytest.raises(ValueError, match="no pictures in class folders.*not pictures"):
        own_archive.read_class_folders(make_zip({"a/x.txt": b"1", "b/y.txt": b"2"}), (28, 28, 1))


def test_adding_a_zip_to_own_data_merges_classes_by_name_and_keeps_it_on_failure():
    own = own_data.OwnData(input_shape=(28, 28, 1))
    own.add_images(own.add_class("Cat"), pictures(2, 10))
    report = own_archive.read_class_folders(
        class_zip({"cat": pictures(2, 1), "dog": pictures(2, 2)}), (28, 28, 1)
    )
    own_archive.add_to(own, report)
    assert own.class_names == ["Cat", "dog"] and own.counts() == [4, 2]
    too_many = own_archive.read_class_folders(
        class_zip({f"c{n}": pictures(1, 20 + n) for n in range(19)}), (28, 28, 1)
    )
    with pytest.raises(ValueError, match="pass the limit of 20 classes. Nothing was added"):
        own_archive.add_to(own, too_many)
    assert own.class_names == ["Cat", "dog"] and own.counts() == [4, 2]


def test_local_data_sets_are_found_in_the_data_folder(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"built-in: not listed")
    shapes = own_archive.dataset_from_source(class_zip({"a": pictures(3, 1), "b": pictures(3, 2)}))
    (tmp_path / "shapes.npz").write_bytes(extra_datasets.npz_bytes(shapes))
    (tmp_path / "photos" / "x").mkdir(parents=True)
    (tmp_path / "photos" / "y").mkdir()
    for folder, seed in (("x", 1), ("y", 2)):
        for number, picture in enumerate(pictures(2, seed, (40, 30, 3))):
            (tmp_path / "photos" / folder / f"{number}.png").write_bytes(png(picture))
    found = data_folder.find_local_datasets(tmp_path)
    assert list(found) == ["local:photos", "local:shapes"]
    loaded = data_folder.load_local_dataset("local:shapes", tmp_path)
    assert loaded.class_names == ("a", "b") and np.array_equal(loaded.x_test, shapes.x_test)
    photos = data_folder.load_local_dataset("local:photos", tmp_path)
    assert photos.input_shape == (32, 32, 3) and photos.class_names == ("x", "y")
    with pytest.raises(ValueError, match="no data set 'local:nope'"):
        data_folder.load_local_dataset("local:nope", tmp_path)


def test_ten_identical_files_per_class_keep_one_in_each_and_say_so():
    same = png(pictures(1, 7)[0])
    files = {f"{name}/{number}.png": same for name in ("cat", "dog") for number in range(10)}
    report = own_archive.read_class_folders(make_zip(files), (28, 28, 1))
    assert [len(group) for group in report.class_images] == [1, 1]
    assert report.duplicates == 18 and report.in_several_classes == 1
    notes = " ".join(report.notes())
    assert "18 duplicate picture(s) were skipped" in notes and "more than one class" in notes
    # Too few to split, and the message says why there are so few.
    with pytest.raises(ValueError, match=r"Found: cat \(1\), dog \(1\)\. 18 duplicate"):
        own_archive.build(make_zip(files), (28, 28, 1))


def test_duplicates_within_each_class_leave_the_distinct_pictures():
    files = {}
    for seed, name in ((1, "cat"), (2, "dog")):
        files |= {f"{name}/copy{number}.png": png(pictures(1, seed)[0]) for number in range(10)}
        files |= {f"{name}/other.png": png(pictures(1, seed + 10)[0])}
    dataset, report = own_archive.build(make_zip(files), (28, 28, 1))
    assert np.bincount(np.concatenate([dataset.y_train, dataset.y_test])).tolist() == [2, 2]
    assert report.duplicates == 18 and report.in_several_classes == 0


def test_folders_differing_only_in_case_become_one_class_with_a_note():
    cats, more_cats, dogs = pictures(3, 1), pictures(2, 2), pictures(3, 3)
    dataset, report = own_archive.build(
        class_zip({"Cat": cats, "cat": more_cats, "dog": dogs}), (28, 28, 1)
    )
    assert dataset.class_names == ("Cat", "dog")
    assert report.merged_folders == [("Cat", ["Cat", "cat"])]
    held = np.concatenate(
        [dataset.x_train[dataset.y_train == 0], dataset.x_test[dataset.y_test == 0]]
    )
    assert sorted(image.tobytes() for image in held) == sorted(
        image.tobytes() for image in cats + more_cats
    )
    assert "Folders Cat and cat differ only in upper and lower case" in " ".join(report.notes())
