"""The kernel facts of convolution records: their filters to show and their arithmetic.

Each rule takes a layer's weights as Keras's get_weights() gives them (numpy arrays) and
returns numpy arrays; Keras is never imported. `kernels` gives the filters a student sees,
(kernel_height, kernel_width, in_channels, filters); `as_convolution` gives (kernel, bias or
None) of the ordinary convolution that computes exactly what the layer computes, so the
arithmetic of one value is a patch times one filter for every convolution type.
"""

from __future__ import annotations

import numpy as np


def conv2d_kernels(weights: list) -> np.ndarray:
    return np.asarray(weights[0])


def conv2d_as_convolution(weights: list) -> tuple:
    return np.asarray(weights[0]), (np.asarray(weights[1]) if len(weights) > 1 else None)
