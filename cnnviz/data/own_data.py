"""A student's own data set: classes of pictures prepared to one size, split for training.

Pictures arrive as files (uploads, a zip, the camera) or arrays (the drawing canvas). Each is
decoded safely by images.py, the same way as an image uploaded on Inspect (EXIF orientation,
transparency painted over white), and made square by cutting the longer side (centre crop) or
by filling the shorter one with black (padding, as Keras's ``pad_to_aspect_ratio`` does), then
resized to 28x28, 32x32 or 64x64 pixels, gray or RGB.

`OwnData` holds the classes and their prepared images in memory, with every limit checked on
the way in. `OwnData.dataset()` splits it, per class, into training and test images with a
fixed seed and returns a `cnnviz.data.datasets.Dataset` like the built-in ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from cnnviz.data import datasets, extra_datasets, images
from cnnviz.quantities import is_whole_number

MIN_CLASSES = 2
MAX_CLASSES = 20
MAX_IMAGES = 5000  # per data set
MAX_CLASS_NAME_LENGTH = 40
IMAGE_SIZES = (28, 32, 64)
DEFAULT_TEST_FRACTION = 0.2
MIN_TEST_FRACTION = 0.05
MAX_TEST_FRACTION = 0.5
SPLIT_SEED = 0
# A class with fewer images than this gives a network too little to learn from.
FEW_IMAGES_WARNING = 10
# Warn when the largest class has this many times the images of the smallest.
IMBALANCE_WARNING_RATIO = 3.0
OWN_NAME = "own"  # the data set name of a student's own data in the app


class Color(StrEnum):
    """Whether prepared images keep their colours."""

    GRAY = "gray"
    RGB = "rgb"


class Fit(StrEnum):
    """How a picture that is not square becomes square."""

    CROP = "crop"  # cut equal margins off the longer side
    PAD = "pad"  # fill the shorter side with black


def default_color(size: int) -> Color:
    """28x28 images are gray (like MNIST); 32x32 and 64x64 are RGB (like CIFAR-10)."""
    return Color.GRAY if size == 28 else Color.RGB


def input_shape_for(size, color: str | Color | None = None) -> tuple[int, int, int]:
    """The (height, width, channels) of images of this size and colour.

    Raises:
        ValueError: for a size other than 28, 32 or 64, or an unknown colour.
    """
    if not is_whole_number(size) or size not in IMAGE_SIZES:
        raise ValueError(
            f"The image size must be one of {', '.join(map(str, IMAGE_SIZES))} (pixels a "
            f"side). Received: image_size={size!r}"
        )
    try:
        color = default_color(size) if color is None else Color(color)
    except ValueError:
        raise ValueError(f"The colour must be 'gray' or 'rgb'. Received: color={color!r}") from None
    return (size, size, 1 if color == Color.GRAY else 3)


def _check_shape(input_shape) -> tuple[int, int, int]:
    shape = tuple(input_shape)
    if len(shape) != 3 or shape[0] != shape[1] or shape[2] not in (1, 3):
        raise ValueError(f"Own data sets hold square gray or RGB images. Received: {shape}")
    input_shape_for(shape[0], Color.GRAY if shape[2] == 1 else Color.RGB)
    return shape


def _square(pixels: np.ndarray, fit: Fit) -> np.ndarray:
    """Pad a decoded (H, W, C) image with black to a square; crop is left to images.py."""
    if fit == Fit.CROP:
        return pixels
    if pixels.shape[2] in (2, 4):
        # Transparent parts become white, as on Inspect, before black padding is added.
        alpha = pixels[..., -1:].astype(np.float32) / 255.0
        colour = pixels[..., :-1].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        pixels = np.rint(colour).astype(np.uint8)
    height, width = pixels.shape[:2]
    side = max(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    square = np.zeros((side, side, pixels.shape[2]), dtype=np.uint8)
    square[top : top + height, left : left + width] = pixels
    return square


def prepare_file(data: bytes, input_shape, fit: str | Fit = Fit.CROP) -> np.ndarray:
    """Decode an image file (PNG, JPEG, GIF, BMP, WebP) and prepare it for the data set.

    Raises:
        ValueError: for an empty, oversized, damaged or unsupported file.
    """
    shape = _check_shape(input_shape)
    pixels = images.decode_image(data)
    return images.prepare_array(_square(pixels, Fit(fit)), shape)


def prepare_pixels(pixels, input_shape, fit: str | Fit = Fit.CROP) -> np.ndarray:
    """Prepare an in-memory image, such as a canvas drawing (RGBA), for the data set.

    Raises:
        ValueError: for an array that is not an image.
    """
    shape = _check_shape(input_shape)
    return images.prepare_array(_square(images.check_array(pixels), Fit(fit)), shape)


def reshape_images(stack: np.ndarray, input_shape) -> np.ndarray:
    """Bring prepared images (N, s, s, c) to another size or colour.

    Going to a larger size blurs: the pixels that were left out cannot come back.
    """
    shape = _check_shape(input_shape)
    if stack.shape[1:] == shape:
        return stack
    if len(stack) == 0:
        return np.zeros((0, *shape), dtype=np.uint8)
    return np.stack([images.prepare_array(image, shape) for image in stack])


def check_class_name(name, taken: list[str]) -> str:
    """A class name stripped of spaces at its ends, checked for use.

    Raises:
        ValueError: for an empty, overlong or already used name.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError("A class needs a name, for example 'cat' or 'thumbs up'.")
    name = " ".join(name.split())
    if len(name) > MAX_CLASS_NAME_LENGTH:
        raise ValueError(
            f"Class names can be at most {MAX_CLASS_NAME_LENGTH} characters long. "
            f"Received: {name[:60]!r}"
        )
    if name.casefold() in (other.casefold() for other in taken):
        raise ValueError(f"There is already a class called {name!r}. Choose another name.")
    return name


def image_digest(image: np.ndarray) -> str:
    """A short fingerprint of a prepared image's pixels: equal images, equal digests."""
    return hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest()


@dataclass
class AddResult:
    """What happened to a batch of images added to a class."""

    added: int = 0
    duplicates: int = 0


@dataclass
class OwnData:
    """A student's classes and their prepared images, every limit checked on the way in.

    Attributes:
        input_shape: (size, size, channels) of every image.
        fit: how pictures that are not square are made square.
        test_fraction: the share of each class kept for testing.
        class_names: one name per class, in label order.
        class_images: per class, a list of uint8 arrays of shape input_shape.
        version: counts changes, so a data set built from an older state can be told apart.
    """

    input_shape: tuple[int, int, int] = (32, 32, 3)
    fit: Fit = Fit.CROP
    test_fraction: float = DEFAULT_TEST_FRACTION
    class_names: list[str] = field(default_factory=list)
    class_images: list[list[np.ndarray]] = field(default_factory=list)
    version: int = 0
    # Per class: a picture is kept once in a class, but the same picture may sit in two classes
    # (a student's choice), so ten identical files per class keep one in each.
    _digests: list[set[str]] = field(default_factory=list, repr=False)
    _built: tuple | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.input_shape = _check_shape(self.input_shape)
        self.fit = Fit(self.fit)
        self.test_fraction = check_test_fraction(self.test_fraction)
        self._digests = [{image_digest(image) for image in group} for group in self.class_images]

    # ----- classes -----

    @property
    def total_images(self) -> int:
        return sum(len(images_of_class) for images_of_class in self.class_images)

    def counts(self) -> list[int]:
        return [len(images_of_class) for images_of_class in self.class_images]

    def _changed(self) -> None:
        self.version += 1
        self._built = None

    def add_class(self, name: str) -> int:
        """Add an empty class; returns its index.

        Raises:
            ValueError: for a bad or taken name, or when there are 20 classes already.
        """
        if len(self.class_names) >= MAX_CLASSES:
            raise ValueError(
                f"A data set can have at most {MAX_CLASSES} classes; delete one to add another."
            )
        self.class_names.append(check_class_name(name, self.class_names))
        self.class_images.append([])
        self._digests.append(set())
        self._changed()
        return len(self.class_names) - 1

    def _index(self, class_index: int) -> int:
        if not isinstance(class_index, int) or not 0 <= class_index < len(self.class_names):
            raise ValueError(
                f"There is no class number {class_index!r}; there are {len(self.class_names)}."
            )
        return class_index

    def rename_class(self, class_index: int, name: str) -> None:
        index = self._index(class_index)
        others = self.class_names[:index] + self.class_names[index + 1 :]
        self.class_names[index] = check_class_name(name, others)
        self._changed()

    def delete_class(self, class_index: int) -> None:
        index = self._index(class_index)
        del self.class_names[index], self.class_images[index], self._digests[index]
        self._changed()

    def remove_image(self, class_index: int, image_index: int) -> None:
        images_of_class = self.class_images[self._index(class_index)]
        if not isinstance(image_index, int) or not 0 <= image_index < len(images_of_class):
            raise ValueError(f"Class {self.class_names[class_index]!r} has no image {image_index}.")
        self._digests[class_index].discard(image_digest(images_of_class.pop(image_index)))
        self._changed()

    def clear(self) -> None:
        self.class_names, self.class_images, self._digests = [], [], []
        self._changed()

    # ----- images -----

    def room(self) -> int:
        """How many more images the data set can take."""
        return MAX_IMAGES - self.total_images

    def add_images(self, class_index: int, prepared: list[np.ndarray]) -> AddResult:
        """Add prepared images to a class; exact duplicates of images the class holds are skipped.

        Raises:
            ValueError: when the images would pass the limit of images per data set (then none
                is added), or one has the wrong shape.
        """
        index = self._index(class_index)
        for image in prepared:
            if image.shape != self.input_shape or image.dtype != np.uint8:
                raise ValueError(
                    f"Images of this data set are uint8 {self.input_shape}. "
                    f"Received: {image.dtype} {image.shape}"
                )
        result = AddResult()
        fresh, seen = [], set(self._digests[index])
        for image in prepared:
            digest = image_digest(image)
            if digest in seen:
                result.duplicates += 1
                continue
            seen.add(digest)
            fresh.append(image)
        if len(fresh) > self.room():
            raise ValueError(too_many_images_message(self.total_images, len(fresh)))
        self._digests[index] = seen
        self.class_images[index].extend(fresh)
        result.added = len(fresh)
        if fresh:
            self._changed()
        return result

    def set_format(self, input_shape, fit: str | Fit | None = None) -> None:
        """Change the image size or colour; images held so far are converted."""
        shape = _check_shape(input_shape)
        if fit is not None:
            self.fit = Fit(fit)
        if shape == self.input_shape:
            return
        converted = [
            list(reshape_images(np.stack(group), shape)) if group else []
            for group in self.class_images
        ]
        self.input_shape, self.class_images = shape, converted
        # Two images may become equal when shrunk or turned gray; both stay, as first added.
        self._digests = [{image_digest(image) for image in group} for group in converted]
        self._changed()

    # ----- checks and the data set -----

    def warnings(self) -> list[str]:
        """Sentences on what will make training go badly (empty list when all is well)."""
        notes = []
        counts = self.counts()
        few = [
            name
            for name, count in zip(self.class_names, counts, strict=True)
            if count < FEW_IMAGES_WARNING
        ]
        if few:
            notes.append(
                f"{', '.join(few)}: fewer than {FEW_IMAGES_WARNING} images. A network learns "
                f"little from so few; add more (aim for 50 or more per class)."
            )
        if counts and min(counts) > 0 and max(counts) >= IMBALANCE_WARNING_RATIO * min(counts):
            largest = self.class_names[counts.index(max(counts))]
            smallest = self.class_names[counts.index(min(counts))]
            notes.append(
                f"The classes are unbalanced: {largest} has {max(counts)} images, {smallest} only "
                f"{min(counts)}. The network will lean towards the larger class; give the classes "
                f"similar numbers of images."
            )
        return notes

    def problems(self) -> list[str]:
        """What stops the data set from being used at all (empty list when it can be)."""
        counts = self.counts()
        if len(self.class_names) < MIN_CLASSES:
            return [f"Make at least {MIN_CLASSES} classes: a network learns to tell things apart."]
        empty = [name for name, count in zip(self.class_names, counts, strict=True) if count < 2]
        if empty:
            return [f"{', '.join(empty)}: each class needs at least 2 images (one to test on)."]
        return []

    def set_test_fraction(self, test_fraction: float) -> None:
        value = check_test_fraction(test_fraction)
        if value != self.test_fraction:
            self.test_fraction = value
            self._changed()

    def dataset(self) -> datasets.Dataset:
        """The images split per class into training and test images (fixed seed).

        Built once per version: every page of a rerun gets the same object.

        Raises:
            ValueError: when `problems()` is not empty.
        """
        problems = self.problems()
        if problems:
            raise ValueError(problems[0])
        if self._built is None or self._built[0] != self.version:
            stacks = [np.stack(group) for group in self.class_images]
            arrays = split(stacks, self.test_fraction)
            built = extra_datasets.dataset_from_arrays(
                *arrays,
                class_names=self.class_names,
                name=f"{OWN_NAME}-{self.version}",
                title=f"My data ({len(self.class_names)} classes, {self.total_images} pictures)",
                location="your workspace",
            )
            self._built = (self.version, built)
        return self._built[1]

    @classmethod
    def from_dataset(cls, dataset: datasets.Dataset, fit: str | Fit = Fit.CROP) -> OwnData:
        """Classes and images from a loaded data set (say an uploaded .npz), train and test.

        Raises:
            ValueError: for images that are not an own data set's size, or too many classes
                or images.
        """
        own = cls(input_shape=dataset.input_shape, fit=fit)
        if not MIN_CLASSES <= dataset.num_classes <= MAX_CLASSES:
            raise ValueError(
                f"An own data set has {MIN_CLASSES} to {MAX_CLASSES} classes; this one has "
                f"{dataset.num_classes}."
            )
        total = len(dataset.x_train) + len(dataset.x_test)
        if total > MAX_IMAGES:
            raise ValueError(too_many_images_message(0, total))
        for name in dataset.class_names:
            own.add_class(name)
        for x, y in ((dataset.x_train, dataset.y_train), (dataset.x_test, dataset.y_test)):
            for label in range(dataset.num_classes):
                own.add_images(label, list(x[y == label]))
        return own


def too_many_images_message(held: int, adding: int) -> str:
    return (
        f"A data set can hold at most {MAX_IMAGES:,} images; it has {held:,} and {adding:,} more "
        f"would pass that. Nothing was added: add fewer, or remove some first."
    )


def check_test_fraction(test_fraction) -> float:
    """The test fraction as a float between 0.05 and 0.5.

    Raises:
        ValueError: for anything else.
    """
    try:
        value = float(test_fraction)
    except (TypeError, ValueError):
        value = float("nan")
    if not MIN_TEST_FRACTION <= value <= MAX_TEST_FRACTION:
        raise ValueError(
            f"The test fraction must be a number from {MIN_TEST_FRACTION} to "
            f"{MAX_TEST_FRACTION} (0.2 keeps a fifth of each class for testing). "
            f"Received: {test_fraction!r}"
        )
    return value


def split(
    stacks: list[np.ndarray], test_fraction: float = DEFAULT_TEST_FRACTION, seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split each class's images, shuffled with a fixed seed, into training and test images.

    Every class with two or more images gives at least one to each side.

    Returns:
        x_train, y_train, x_test, y_test with labels the indices of `stacks`.
    """
    test_fraction = check_test_fraction(test_fraction)
    rng = np.random.default_rng(seed)
    parts = {"x_train": [], "y_train": [], "x_test": [], "y_test": []}
    for label, stack in enumerate(stacks):
        order = rng.permutation(len(stack))
        test_count = min(max(1, round(len(stack) * test_fraction)), len(stack) - 1)
        for split_name, index in (("test", order[:test_count]), ("train", order[test_count:])):
            parts[f"x_{split_name}"].append(stack[np.sort(index)])
            parts[f"y_{split_name}"].append(np.full(len(index), label, dtype=np.int64))
    return tuple(np.concatenate(parts[name]) for name in datasets.ARRAY_NAMES)
