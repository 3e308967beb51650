"""cnnviz: build, train and look inside convolutional neural networks."""

import os

# TensorFlow's C++ start-up notes (CPU features, missing CUDA) mean nothing to a student and
# bury the app's own messages; warnings and errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
