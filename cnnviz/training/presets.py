"""Named architectures, each a spec fitted to a data set's input shape and class count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cnnviz.model.spec import SpecError
from cnnviz.training import settings as training_settings


@dataclass(frozen=True)
class Preset:
    """A ready-made network and the training settings it was tuned with.

    Attributes:
        name: the identifier used in the CLI and the app (``--preset NAME``).
        title: a short human name.
        description: one or two sentences for students.
        body: builds every layer but the classifier, given the input shape.
        suggested: training settings that work well for it (epochs, batch_size, learning_rate,
            the schedule ...), saying what the preset wants rather than what this machine can
            do (mixed precision "where native"); see `settings_for`.
        source: where the architecture comes from (the README gives its measured figures).
    """

    name: str
    title: str
    description: str
    body: Callable[[tuple[int, ...]], list[dict]]
    suggested: dict = field(default_factory=dict)
    source: str = ""

    def spec(self, input_shape: tuple[int, ...], num_classes: int) -> dict:
        """The preset as a spec whose output layer has one unit per class."""
        classifier = {"type": "Dense", "units": num_classes, "activation": "softmax"}
        return {"name": self.name, "layers": [*self.body(tuple(input_shape)), classifier]}

    def settings_for(self, input_shape: tuple[int, ...]) -> dict:
        """The suggested settings for this input, decided for this machine.

        Test-time flips only for colour photos: a mirrored digit is another symbol, so for gray
        images the flips stay off, as the random flips in the presets' augmentation do. What a
        preset wants of the machine (bfloat16 where native) the training settings decide.
        """
        settings = dict(self.suggested)
        if tuple(input_shape)[-1] != 3:
            settings.pop("test_time_flip", None)
        return training_settings.for_this_machine(settings)


def _conv(filters: int, kernel_size: int = 3, **extra) -> dict:
    return {
        "type": "Conv2D",
        "filters": filters,
        "kernel_size": kernel_size,
        "activation": "relu",
        **extra,
    }


def _pool(kind: str = "MaxPooling2D") -> dict:
    return {"type": kind, "pool_size": 2}


def _keras_example(_input_shape):
    return [
        _conv(32),
        _pool(),
        _conv(64),
        _pool(),
        {"type": "Flatten"},
        {"type": "Dense", "units": 128, "activation": "relu"},
    ]


def _keras_dropout(_input_shape):
    layers = _keras_example(_input_shape)
    # Dropout after the feature extractor and before the classifier: the usual cure when the
    # training accuracy runs ahead of the test accuracy.
    return [
        *layers[:4],
        {"type": "Dropout", "rate": 0.25},
        *layers[4:],
        {"type": "Dropout", "rate": 0.5},
    ]


def _tiny(_input_shape):
    return [_conv(8), _pool(), {"type": "Flatten"}]


def _keras_augmented(_input_shape):
    # The Keras example with dropout, plus batch norm after each convolution and small random
    # shifts of the training digits. Measured: 99.17 % after 10 epochs at a constant learning
    # rate, no better than without them; a decaying learning rate is the likely missing part.
    layers = _keras_dropout(_input_shape)
    return [
        {"type": "RandomTranslation", "height_factor": 0.08, "width_factor": 0.08},
        layers[0],
        _batch_norm(),
        layers[1],
        layers[2],
        _batch_norm(),
        *layers[3:],
    ]


def _lenet5(_input_shape):
    return [
        {"type": "Conv2D", "filters": 6, "kernel_size": 5, "padding": "same", "activation": "tanh"},
        _pool("AveragePooling2D"),
        {"type": "Conv2D", "filters": 16, "kernel_size": 5, "activation": "tanh"},
        _pool("AveragePooling2D"),
        {"type": "Flatten"},
        {"type": "Dense", "units": 120, "activation": "tanh"},
        {"type": "Dense", "units": 84, "activation": "tanh"},
    ]


def _batch_norm() -> dict:
    # A momentum of 0.9 (Keras's default is 0.99) lets the running statistics that the network
    # uses at test time keep up with weights that still change fast in a short training; with
    # 0.99 the test accuracy swung by several points from one epoch to the next.
    return {"type": "BatchNormalization", "momentum": 0.9}


def _compact_bn(_input_shape):
    return [
        _conv(32, padding="same"),
        _batch_norm(),
        _pool(),
        _conv(64, padding="same"),
        _batch_norm(),
        _pool(),
        {"type": "Flatten"},
        {"type": "Dropout", "rate": 0.3},
    ]


def _vgg_small(input_shape):
    # Three VGG stages of 3x3 convolutions with batch norm, on randomly flipped (photos only)
    # and shifted images; global max pooling then keeps each of the 128 last filters' strongest
    # answer anywhere in the image. Sized for a CPU: the first stage is one convolution, and
    # where a stage ends in pooling, batch norm comes after the pooling, on a quarter of the
    # values (measured: a quarter more images per CPU-second than batch norm before it).
    augmentation = _augmentation() if input_shape[-1] == 3 else _augmentation()[1:]
    return [
        *augmentation,
        _conv(32, padding="same"),
        _pool(),
        _batch_norm(),
        _conv(64, padding="same"),
        _batch_norm(),
        _conv(64, padding="same"),
        _pool(),
        _batch_norm(),
        _conv(128, padding="same"),
        _batch_norm(),
        _conv(128, padding="same"),
        _batch_norm(),
        {"type": "GlobalMaxPooling2D"},
    ]


def _tiny_vgg(_input_shape):
    # CNN Explainer's network (Wang et al., 2020, poloclub.github.io/cnn-explainer): two blocks
    # of two 3x3 convolutions with 10 filters, no padding, each block ending in max pooling.
    block = [_conv(10), _conv(10), _pool()]
    return [*block, *block, {"type": "Flatten"}]


def _mobilenet_tiny(_input_shape):
    # MobileNet's idea in miniature: after one ordinary convolution, each block filters the
    # channels one by one (depthwise) and then mixes them (pointwise 1x1, or both at once in
    # a SeparableConv2D), halving the size with strides instead of pooling.
    return [
        _conv(32, padding="same"),
        _batch_norm(),
        {
            "type": "DepthwiseConv2D",
            "kernel_size": 3,
            "strides": 2,
            "padding": "same",
            "activation": "relu",
        },
        _conv(64, kernel_size=1),
        _batch_norm(),
        {
            "type": "SeparableConv2D",
            "filters": 128,
            "kernel_size": 3,
            "strides": 2,
            "padding": "same",
            "activation": "relu",
        },
        _batch_norm(),
        {
            "type": "SeparableConv2D",
            "filters": 128,
            "kernel_size": 3,
            "padding": "same",
            "activation": "relu",
        },
        {"type": "GlobalAveragePooling2D"},
    ]


def _augmentation() -> list[dict]:
    # Mirrored and slightly shifted images are still the same class: the network sees a new
    # variant of each training image every epoch and cannot learn them by heart.
    return [
        {"type": "RandomFlip", "mode": "horizontal"},
        {"type": "RandomTranslation", "height_factor": 0.1, "width_factor": 0.1},
    ]


def _resnet_small(input_shape):
    # A small ResNet (He et al., 2015) for 32x32 images, sized for a 2-core CPU: a stem
    # convolution and max pooling to 16x16 (the full-size 32x32 maps are the costly ones), a
    # residual block there, one that halves the size while doubling the filters, and global
    # average pooling. Flips only make sense for photos: a mirrored digit is another symbol.
    augmentation = _augmentation() if input_shape[-1] == 3 else _augmentation()[1:]
    return [
        *augmentation,
        _conv(32, padding="same", use_bias=False),
        _batch_norm(),
        _pool(),
        {"type": "ResidualBlock", "filters": 64},
        {"type": "ResidualBlock", "filters": 128, "strides": 2},
        {"type": "GlobalAveragePooling2D"},
    ]


# The fast-training settings the CIFAR-10 presets were tuned with (README, Presets).
_PHOTO_RECIPE = {
    "batch_size": 256,
    "learning_rate": 0.004,
    "lr_schedule": "one_cycle",
    "label_smoothing": 0.1,
    "test_time_flip": True,
}

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "keras_example",
            "Keras example CNN",
            "Two convolution + pooling blocks and a dense layer: the classic first CNN.",
            _keras_example,
            {"epochs": 1, "batch_size": 128, "learning_rate": 0.001},
            source=(
                "Keras's example 'Simple MNIST convnet' (keras.io/examples/vision/mnist_convnet)."
            ),
        ),
        Preset(
            "keras_dropout",
            "Keras example CNN with dropout",
            "The Keras example with dropout layers against overfitting, trained with a one-cycle "
            "learning rate and label smoothing: over 99.3 % on MNIST in under a minute and a "
            "half of training.",
            _keras_dropout,
            {
                "epochs": 9,
                "batch_size": 128,
                "learning_rate": 0.005,
                "lr_schedule": "one_cycle",
                "label_smoothing": 0.1,
                "mixed_precision": training_settings.WHERE_NATIVE,
            },
            source="The same Keras example, with its dropout before the classifier and one more.",
        ),
        Preset(
            "keras_augmented",
            "Keras example with batch norm and shifts",
            "The Keras example with dropout, batch normalisation and training digits shifted "
            "at random: augmentation on digits (99.17 % on MNIST after 10 epochs).",
            _keras_augmented,
            {"epochs": 10, "batch_size": 128, "learning_rate": 0.002},
            source=(
                "The Keras example with dropout, plus batch norm (Ioffe and Szegedy 2015) and "
                "random shifts as in Simard et al. 2003's distorted MNIST digits."
            ),
        ),
        Preset(
            "tiny",
            "Tiny CNN",
            "One convolution with 8 filters: trains in seconds, easy to look inside.",
            _tiny,
            {"epochs": 2, "batch_size": 64, "learning_rate": 0.003},
            source="cnnviz's own smallest network, for looking inside.",
        ),
        Preset(
            "lenet5",
            "LeNet-5",
            "LeCun's 1998 digit reader: tanh convolutions and average pooling.",
            _lenet5,
            {"epochs": 3, "batch_size": 64, "learning_rate": 0.001},
            source=(
                "LeCun, Bottou, Bengio and Haffner, 'Gradient-based learning applied to document "
                "recognition' (1998), without its sparse C3 connections."
            ),
        ),
        Preset(
            "compact_bn",
            "Compact CNN with batch norm",
            "Two convolution blocks with batch normalisation and dropout: a small network "
            "(50 k parameters) that reaches about 98.7 % on MNIST in four epochs.",
            _compact_bn,
            {"epochs": 4, "batch_size": 128, "learning_rate": 0.002},
            source=(
                "Ioffe and Szegedy, 'Batch normalization' (2015), on the Keras example's two "
                "blocks."
            ),
        ),
        Preset(
            "vgg_small",
            "Small VGG",
            "Blocks of 3x3 convolutions with batch normalisation, as in VGG: over 70 % on "
            "CIFAR-10 in well under ten minutes of training.",
            _vgg_small,
            {**_PHOTO_RECIPE, "epochs": 10, "mixed_precision": training_settings.WHERE_NATIVE},
            source=(
                "Simonyan and Zisserman, 'Very deep convolutional networks' (VGG, 2014), three "
                "blocks instead of five."
            ),
        ),
        Preset(
            "tiny_vgg",
            "Tiny VGG (CNN Explainer)",
            "The network CNN Explainer draws: two blocks of two 3x3 convolutions with 10 "
            "filters and max pooling. Small enough to follow every number.",
            _tiny_vgg,
            {"epochs": 3, "batch_size": 64, "learning_rate": 0.001},
            source="CNN Explainer (Wang et al., 2020; poloclub.github.io/cnn-explainer).",
        ),
        Preset(
            "resnet_small",
            "Small ResNet with augmentation",
            "Residual blocks (conv-BN-relu-conv-BN plus a shortcut) after random flips and "
            "shifts of the training images: the ideas that came after VGG.",
            _resnet_small,
            {**_PHOTO_RECIPE, "epochs": 8},
            source=(
                "He, Zhang, Ren and Sun, 'Deep residual learning' (ResNet, 2015), basic blocks; "
                "flips and shifts as in its CIFAR-10 training."
            ),
        ),
        Preset(
            "mobilenet_tiny",
            "Tiny MobileNet",
            "Depthwise and separable convolutions, MobileNet's building blocks: each channel "
            "filtered on its own, then mixed by a 1x1 convolution, for a fraction of Conv2D's "
            "multiply-adds.",
            _mobilenet_tiny,
            {
                "epochs": 4,
                "batch_size": 128,
                "learning_rate": 0.005,
                "lr_schedule": "one_cycle",
            },
            source=(
                "Howard et al., 'MobileNets: efficient convolutional neural networks for mobile "
                "vision applications' (2017), four blocks instead of thirteen."
            ),
        ),
    )
}

DEFAULT_PRESET = "keras_example"


def preset_spec(name: str, input_shape: tuple[int, ...], num_classes: int) -> dict:
    """The named preset as a spec for this input shape and class count.

    Raises:
        SpecError: when there is no preset of that name.
    """
    if name not in PRESETS:
        raise SpecError(f"Unknown preset {name!r}. Choose one of: {', '.join(PRESETS)}.")
    return PRESETS[name].spec(input_shape, num_classes)
