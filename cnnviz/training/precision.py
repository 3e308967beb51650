"""Mixed precision: a model's arithmetic in bfloat16 while it trains, float32 otherwise.

bfloat16 keeps float32's range with an 8-bit mantissa. On CPUs with AVX-512 BF16 (or AMX)
instructions, oneDNN runs convolutions on it about twice as fast; a whole training step of
vgg_small measured 1.5x the images per CPU-second here. The weights stay float32 variables (Keras's
"mixed_bfloat16" policy casts them as each layer runs), so switching a built model's layers
back to float32 gives exactly the predictions of a model built in float32: Inspect, Evaluate
and the test accuracy always see float32 arithmetic.

Kept in float32 while training: the input side (rescaling and the augmentation layers, which
work on pixel values) and the output layer, whose probabilities feed the loss.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from cnnviz.model.layer_types import AUGMENTATION_LAYERS

if TYPE_CHECKING:  # presets.py and the CLI use this module before TensorFlow is loaded
    import keras

MIXED_POLICY = "mixed_bfloat16"
FLOAT_POLICY = "float32"
# The CPU flags (Linux's /proc/cpuinfo) of native bfloat16 arithmetic; without them, bfloat16
# is emulated and slower than float32.
BFLOAT16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
_INPUT_SIDE = {"InputLayer", "Rescaling", *AUGMENTATION_LAYERS}


def set_mixed_precision(model: keras.Model, mixed: bool) -> None:
    """Switch the arithmetic of the model's layers to bfloat16 (`mixed`) or back to float32.

    The model's compiled functions are dropped, so the next fit, evaluate or predict traces
    them again with the new arithmetic.
    """
    policy = MIXED_POLICY if mixed else FLOAT_POLICY
    layers = list(model._flatten_layers(include_self=False, recursive=True))
    output_layer = model.layers[-1]
    changed = False
    for layer in layers:
        if type(layer).__name__ in _INPUT_SIDE or layer is output_layer:
            continue
        if layer.dtype_policy.name != policy:
            layer.dtype_policy = policy
            changed = True
    if changed:
        model.train_function = model.test_function = model.predict_function = None


@functools.cache
def bfloat16_is_native(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this machine's CPU computes bfloat16 in hardware (Linux; False elsewhere).

    Read once: the Train page asks on every rerun, and /proc/cpuinfo of a many-core server is
    large and generated on each read.
    """
    try:
        flags = cpuinfo.read_text(errors="replace").split()
    except OSError:
        return False
    return any(flag in flags for flag in BFLOAT16_CPU_FLAGS)
