"""ResidualBlock: a Keras layer for the basic block of He et al.'s ResNet (2015).

conv(3x3, strides) - batch norm - ReLU - conv(3x3) - batch norm, added to the shortcut, then
ReLU. The shortcut is the input itself when the shape stays the same, and a 1x1 convolution with
the same strides followed by batch norm (a "projection") when the block changes the number of
channels or the size. The convolutions have no bias: the batch norm after each adds its own.

It is a registered Keras layer, so models that hold it save to .keras files and load back with
``safe_mode=True`` (no Python code is stored; Keras finds the class by its registered name).
Build shows the block as one layer; the architecture diagram draws its inside.
"""

from __future__ import annotations

import keras
from keras import layers

PACKAGE = "cnnviz"
# Momentum of the blocks' batch norms: 0.9 lets the statistics used at test time keep up with
# weights that still move fast in a short training (Keras's 0.99 lags behind).
BATCH_NORM_MOMENTUM = 0.9


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResidualBlock(layers.Layer):
    """Two 3x3 convolutions with batch norm, plus a shortcut, as in ResNet's basic block.

    Args:
        filters: output channels of both convolutions.
        kernel_size: height and width of both convolutions' filters.
        strides: step of the first convolution (2 halves the height and width).
    """

    def __init__(self, filters: int, kernel_size=3, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = kernel_size
        self.strides = strides
        common = {"padding": "same", "use_bias": False, "kernel_initializer": "he_normal"}
        self.conv_1 = layers.Conv2D(filters, kernel_size, strides=strides, name="conv_1", **common)
        self.norm_1 = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name="norm_1")
        self.conv_2 = layers.Conv2D(filters, kernel_size, name="conv_2", **common)
        self.norm_2 = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name="norm_2")
        self.projection = None
        self.projection_norm = None

    def needs_projection(self, input_shape) -> bool:
        """Whether the shortcut must change the input's shape (channels or size) to add it."""
        strides = self.strides if isinstance(self.strides, int) else max(self.strides)
        return input_shape[-1] != self.filters or strides != 1

    def build(self, input_shape):
        self.conv_1.build(input_shape)
        middle = self.conv_1.compute_output_shape(input_shape)
        self.norm_1.build(middle)
        self.conv_2.build(middle)
        self.norm_2.build(middle)
        if self.needs_projection(input_shape):
            self.projection = layers.Conv2D(
                self.filters,
                1,
                strides=self.strides,
                padding="same",
                use_bias=False,
                kernel_initializer="he_normal",
                name="projection",
            )
            self.projection.build(input_shape)
            self.projection_norm = layers.BatchNormalization(
                momentum=BATCH_NORM_MOMENTUM, name="projection_norm"
            )
            self.projection_norm.build(middle)

    def call(self, inputs, training=None):
        x = self.conv_1(inputs)
        x = keras.ops.relu(self.norm_1(x, training=training))
        x = self.norm_2(self.conv_2(x), training=training)
        shortcut = inputs
        if self.projection is not None:
            shortcut = self.projection_norm(self.projection(inputs), training=training)
        return keras.ops.relu(x + shortcut)

    def compute_output_shape(self, input_shape):
        return self.conv_1.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides}
        )
        return config
